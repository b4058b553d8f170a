//! The `coder-sec` command line: clap types and dispatch. Each subcommand's flags and logic live in
//! `commands/`.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands;
use crate::exit::{EXIT_CLEAN, EXIT_ERROR};

/// Offline security analysis of Coder deployments on Kubernetes.
///
/// coder-sec reads a snapshot (`.tar.zst`) made by `kubectl coder-sec capture` or by `coder-sec
/// import`, and reports who in the cluster can become whom, and how. It never opens a network
/// connection.
///
/// Exit codes: 0 clean, 1 findings at or above `--fail-on` (or hash mismatches for `verify`),
/// 2 usage or input error (a damaged snapshot, or for `analyze` and `inspect` one whose files differ
/// from its manifest).
#[derive(Debug, Parser)]
#[command(
    name = "coder-sec",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a snapshot: attack paths, findings and seed coverage.
    Analyze(commands::analyze::Args),
    /// Build a snapshot from manifest files (`kubectl get -o json|yaml`, `helm template`, folders).
    ///
    /// Reads what consultants are often sent instead of a capture: `kubectl get ... -o json|yaml`
    /// output (single objects, `List`s, multi-document YAML), folders of manifests and `helm
    /// template` output. Objects are trimmed and redacted exactly as a capture would. Objects of kinds
    /// this format does not know are counted in the manifest, not stored.
    Import(commands::import::Args),
    /// Show what a snapshot holds, before attaching it to a ticket.
    ///
    /// Prints the manifest: format version, source, capture time, cluster, the capturing identity,
    /// every kind with its object count and status, blind spots, the redaction summary and sizes.
    /// Reads the whole snapshot and refuses one whose files differ from the manifest (exit 2) unless
    /// `--ignore-integrity` is given; `coder-sec verify` lists each mismatch.
    ///
    /// Example: coder-sec inspect cluster.tar.zst --json
    Inspect(commands::inspect::Args),
    /// Find paths from or to one object (what it can reach, who can reach it).
    Paths(commands::paths::Args),
    /// Check every file of a snapshot against the hashes in its manifest.
    ///
    /// Checks each file's sha256 and size against the manifest, and that the archive holds exactly
    /// the files the manifest lists. Exit 0 when all match, 1 listing each mismatch, 2 when the
    /// snapshot cannot be read (damaged, hostile or over a limit).
    ///
    /// Example: coder-sec verify cluster.tar.zst
    Verify(commands::verify::Args),
    /// Compare two snapshots or JSON reports: new, resolved and changed paths and findings.
    ///
    /// Paths and findings are matched by fingerprint, so two captures of the same state show no
    /// difference. `--fail-on` exits 1 only for new items at or above it.
    ///
    /// Example: coder-sec diff last-week.json cluster.tar.zst --fail-on high
    Diff(commands::diff::Args),
    /// Export the trust graph as BloodHound OpenGraph JSON or Graphviz DOT.
    ///
    /// The whole graph, the part between `--from` and `--to`, or one attack path (`--path`).
    ///
    /// Example: coder-sec export cluster.tar.zst --format opengraph -o graph.json
    Export(commands::export::Args),
}

/// Parses `args` and runs the command; prints errors with their cause chain and maps them to exit
/// code 2.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(&cli) {
        Ok(code) => code,
        Err(e) => report_error(&e),
    }
}

/// Prints an error of a snapshot command (its cause chain, then a hint where one helps) and returns
/// exit code 2, input error; a broken pipe ends quietly with 0. The plugin's `analyze`, `inspect` and
/// `verify` end through here too, so both binaries exit alike.
pub fn report_error(e: &anyhow::Error) -> ExitCode {
    if crate::output::is_broken_pipe(e) {
        return ExitCode::from(EXIT_CLEAN);
    }
    eprintln!("error: {e:#}");
    if let Some(hint) = hint(e) {
        eprintln!("hint: {hint}");
    }
    ExitCode::from(EXIT_ERROR)
}

/// A hint for an error, where one helps.
fn hint(e: &anyhow::Error) -> Option<&'static str> {
    use crate::inventory::InventoryError;
    e.chain().find_map(|c| match c.downcast_ref::<InventoryError>() {
        Some(InventoryError::Integrity { .. }) => Some(
            "the snapshot changed after it was written (damaged in transfer or edited); take a new \
             one, or pass `--ignore-integrity` to read it anyway",
        ),
        _ => None,
    })
}

/// Runs a parsed command.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Inspect(args) => commands::inspect::run(args),
        Command::Paths(args) => commands::paths::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Export(args) => commands::export::run(args),
    }
}
