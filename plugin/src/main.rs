//! `kubectl-coder_sec`: the kubectl plugin binary. All logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match coder_sec_plugin::run() {
        Ok(code) => code,
        Err(error) => coder_sec_plugin::report_error(&error),
    }
}
