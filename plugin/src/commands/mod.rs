//! One module per subcommand: each resolves its flags into settings and calls the library.

pub mod capture;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Capture(args) => capture::exec(&args),
    }
}
