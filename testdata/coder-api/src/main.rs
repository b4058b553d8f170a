//! `coder-sec-test-coder-api`: serves the fake Coder API on `--listen` and prints its URL.

use std::process::ExitCode;

use clap::Parser;

/// Serve a fake Coder REST API with canary secrets, for trying `--coder-url`.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// Session token to accept.
    #[arg(long, default_value = coder_sec_test_coder_api::DEFAULT_TOKEN)]
    token: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on `{}`: {e}", args.listen);
            return ExitCode::from(1);
        }
    };
    let options = coder_sec_test_coder_api::Options {
        token: args.token,
        ..Default::default()
    };
    let app = coder_sec_test_coder_api::router(coder_sec_test_coder_api::ApiState::new(options));
    match listener.local_addr() {
        Ok(addr) => println!("http://{addr}"),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    }
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
