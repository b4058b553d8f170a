//! `coder-sec diff`: new, resolved and changed paths and findings between two snapshots or JSON
//! reports.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::Value;

use super::LimitArgs;
use crate::diff::{self, Diff};
use crate::exit::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::inventory::Inventory;
use crate::output::write_output;
use crate::report::{Report, Settings};
use crate::severity::Severity;
use crate::suppress::{self, Suppressions};

/// Output format of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For a terminal.
    Text,
    /// JSON: summary, new, resolved, changed.
    Json,
    /// Markdown for a pull request or ticket.
    Markdown,
}

/// Compare two snapshots or JSON reports: what is new, resolved and changed.
///
/// Paths and findings are matched by fingerprint, so two captures of the same state show no
/// difference. OLD and NEW are each a snapshot (`.tar.zst`, analysed on the spot) or a JSON report
/// (`coder-sec analyze --format json`, any format version). Exit 0 when no new item reaches
/// `--fail-on`, 1 when one does, 2 on usage or input errors.
///
/// Example: coder-sec diff last-week.json cluster.tar.zst --format markdown --fail-on high
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The earlier snapshot or JSON report.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later snapshot or JSON report.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Write the diff to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a new path or finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low"])]
    pub fail_on: Option<String>,
    /// Suppressions file (accepted risks); default `.coder-sec-ignore.yaml` in the current folder,
    /// when present.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Read limits (for snapshots).
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Reads a JSON report, or analyses a snapshot into one (zstd magic number decides).
pub fn load_report(path: &Path, limits: &LimitArgs) -> anyhow::Result<Value> {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    if n == 4 && head == [0x28, 0xb5, 0x2f, 0xfd] {
        let inv = Inventory::load(path, limits.limits())
            .with_context(|| format!("cannot analyse `{}`", path.display()))?;
        let report = Report::generate_owned(inv, &Settings::default());
        return serde_json::to_value(&report)
            .with_context(|| format!("cannot serialise the report of `{}`", path.display()));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "`{}` is neither a snapshot nor a JSON report",
            path.display()
        )
    })
}

/// Loads the suppressions file named, or the default one when present.
pub fn load_suppressions(named: Option<&Path>) -> anyhow::Result<Option<Suppressions>> {
    let path = match named {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(suppress::DEFAULT_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    Ok(Some(Suppressions::load(&path).with_context(|| {
        format!("cannot use suppressions `{}`", path.display())
    })?))
}

/// Diffs two JSON reports.
pub fn diff_values(
    old: &Value,
    old_name: &str,
    new: &Value,
    new_name: &str,
    suppressions: Option<&Suppressions>,
) -> anyhow::Result<Diff> {
    let o = diff::items(old, old_name)?;
    let n = diff::items(new, new_name)?;
    Ok(diff::diff(o, n, suppressions, suppress::today()))
}

/// Runs `diff`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let suppressions = load_suppressions(args.ignore_file.as_deref())?;
    let old = load_report(&args.old, &args.limits)?;
    let new = load_report(&args.new, &args.limits)?;
    let d = diff_values(
        &old,
        &args.old.display().to_string(),
        &new,
        &args.new.display().to_string(),
        suppressions.as_ref(),
    )?;
    let text = match args.format {
        DiffFormat::Text => diff::render_text(&d),
        DiffFormat::Json => diff::render_json(&d),
        DiffFormat::Markdown => diff::render_markdown(&d),
    };
    write_output(args.output.as_deref(), text.as_bytes())?;
    let fail = args
        .fail_on
        .as_deref()
        .and_then(Severity::parse)
        .is_some_and(|t| d.new_at_or_above(t));
    Ok(ExitCode::from(if fail {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}
