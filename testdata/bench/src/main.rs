//! `coder-sec-bench`: see `coder-sec-bench --help`. All logic lives in the library.

use std::process::ExitCode;

use clap::Parser;
use coder_sec_bench::cli::Cli;

/// The analyzer binary's allocator, so the in-process phases measure what `coder-sec` runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // As `coder-sec` does; for every phase alike (the floor too, so the ratio compares like with
    // like).
    coder_sec_analyzer::memory::prefer_small_pages();
    match coder_sec_bench::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
