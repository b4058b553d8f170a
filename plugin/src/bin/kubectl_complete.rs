//! `kubectl_complete-coder_sec`: kubectl (1.26 and later) runs it with the words after
//! `kubectl coder-sec` to complete them. All logic lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    let words: Vec<String> = std::env::args().skip(1).collect();
    match coder_sec_plugin::commands::complete::exec(&words) {
        Ok(code) => code,
        Err(error) => coder_sec_plugin::report_error(&error),
    }
}
