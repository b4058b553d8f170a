//! `kubectl-coder_sec`: the kubectl plugin binary. All logic lives in the library.

use std::process::ExitCode;

/// The same allocator as `coder-sec`: `analyze` and `scan` run the analyzer in this process, and
/// the analysis allocates millions of small strings from several threads (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    coder_sec_analyzer::environment::init_diagnostics();
    // `analyze` and `scan` run the analyzer in this process: ordinary pages, as `coder-sec` uses.
    coder_sec_analyzer::memory::prefer_small_pages();
    match coder_sec_plugin::run() {
        Ok(code) => code,
        Err(error) => coder_sec_plugin::report_error(&error),
    }
}
