//! One module per subcommand: each resolves its flags into settings and calls the library.

pub mod analyze;
pub mod capture;
pub mod complete;
pub mod completion;
pub mod inspect;
pub mod paths;
pub mod scan;
pub mod verify;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Capture(args) => capture::exec(&args),
        Command::Scan(args) => scan::exec(&args),
        Command::Analyze(args) => analyze::exec(&args),
        Command::Inspect(args) => inspect::exec(&args),
        Command::Paths(args) => paths::exec(&args),
        Command::Verify(args) => verify::exec(&args),
        Command::Completion { shell } => completion::exec(shell),
        Command::Complete { words } => complete::exec(&words),
    }
}
