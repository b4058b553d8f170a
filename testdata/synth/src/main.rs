//! `coder-sec-synth`: see `coder-sec-synth --help`. All logic lives in the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use coder_sec_synth::cli::Cli;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    let (summary, what) = match (&cli.snapshot, &cli.scenario) {
        (Some(out), _) => (
            coder_sec_synth::write_snapshot(cli.size, cli.seed, out)
                .with_context(|| format!("cannot generate `{}`", out.display()))?,
            out,
        ),
        (None, Some(dir)) => (
            coder_sec_synth::write_scenario(cli.size, cli.seed, dir)
                .with_context(|| format!("cannot generate `{}`", dir.display()))?,
            dir,
        ),
        (None, None) => anyhow::bail!("give `--snapshot OUT` or `--scenario DIR`"),
    };
    eprintln!(
        "wrote `{}`: {} objects ({} pods, {} nodes), {} planted paths, in {:.1}s",
        what.display(),
        summary.total(),
        summary.counts.get("Pod").copied().unwrap_or(0),
        summary.counts.get("Node").copied().unwrap_or(0),
        summary.planted.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
