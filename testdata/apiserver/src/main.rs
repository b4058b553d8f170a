//! `coder-sec-test-apiserver`: serves scenario files over HTTPS until killed. Exit codes: 0 after a
//! signal, 2 on a usage or input error.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use coder_sec_test_apiserver::TestServer;

fn main() -> ExitCode {
    match run(cli::Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn run(args: cli::Args) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let server = TestServer::start_on(options, args.listen).await?;
    if let Some(path) = &args.write_kubeconfig {
        server.write_kubeconfig(path)?;
    }
    let counts = server.object_counts();
    let objects: usize = counts.values().sum();
    eprintln!(
        "serving {objects} objects of {} resources at {}",
        counts.values().filter(|n| **n > 0).count(),
        server.url()
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", server.url()).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    drop(stdout);
    shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
