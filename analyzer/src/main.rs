//! `coder-sec`: the offline analyzer. All logic lives in the library.

use std::process::ExitCode;

/// mimalloc: the analysis allocates millions of small strings from several threads; glibc's
/// per-thread arenas fragment under that load (measured in docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    coder_sec_analyzer::environment::init_diagnostics();
    coder_sec_analyzer::memory::prefer_small_pages();
    coder_sec_analyzer::cli::main_with_args(std::env::args_os())
}
