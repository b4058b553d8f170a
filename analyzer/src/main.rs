//! `coder-sec`: the offline analyzer. All logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    coder_sec_analyzer::cli::main_with_args(std::env::args_os())
}
