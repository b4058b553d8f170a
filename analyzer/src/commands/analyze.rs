//! `coder-sec analyze`: the trust graph, attack paths, findings and seed coverage of a snapshot.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::LimitArgs;
use crate::exit::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::inventory::{IntegrityNote, Inventory, InventoryError};
use crate::output::write_output;
use crate::present::{self, Format};
use crate::report::{Analysis, Report, Settings};
use crate::severity::Severity;

/// Analyse a snapshot offline: build the trust graph, search attack paths from every entry point to
/// every crown jewel, run the findings, and map everything to Coder's shared-responsibility page.
/// Exit 0 when nothing reaches `--fail-on`, 1 when a path or finding does, 2 on usage or input errors.
///
/// Example: coder-sec analyze cluster.tar.zst --format markdown -o report.md --fail-on high
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot to analyse.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a path or finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low"])]
    pub fail_on: Option<String>,
    /// Add a crown jewel: an object reference (`Secret/ns/name`) or a prefix ending in `*`.
    #[arg(long = "crown-jewel", value_name = "REF")]
    pub crown_jewels: Vec<String>,
    /// Longest path searched, in steps (at least 1).
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_hops: usize,
    /// Analyse the snapshot even when files differ from its manifest, lines are not objects of
    /// their kind, or its checksum fails; the report then lists each problem at its top.
    #[arg(long)]
    pub ignore_integrity: bool,
    /// Analyse as if this cause were removed: a fix plan key (`OBJECT#FIELD`, see the report's
    /// `fix_plan`). Repeatable.
    #[arg(long = "assume-fixed", value_name = "KEY")]
    pub assume_fixed: Vec<String>,
    /// Leave the fix plan out (`fix_plan` is then empty). Measuring each fix re-runs the path
    /// search, which on a very large cluster is most of the analysis' time (docs/benchmarks.md).
    #[arg(long)]
    pub no_fix_plan: bool,
    /// Text and Markdown: list at most N paths and N findings (default 25; JSON holds all).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// Text and Markdown: list only paths and findings at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = ["critical", "high", "medium", "low"])]
    pub min_severity: Option<String>,
    /// Compare with an earlier JSON report (or snapshot): the report gains a `baseline` section
    /// (new, resolved, changed), and `--fail-on` counts only new paths and findings.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Suppressions file (accepted risks); default `.coder-sec-ignore.yaml` in the current folder,
    /// when present.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Read limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Runs `analyze`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let t = crate::timings::Timer::start();
    let context = || format!("cannot analyse `{}`", args.snapshot.display());
    let loaded =
        Inventory::load_checked(&args.snapshot, args.limits.limits()).with_context(context)?;
    t.lap("load");
    let integrity = if args.ignore_integrity {
        if !loaded.problems.is_empty() {
            eprintln!(
                "warning: `{}`: {} integrity problems ignored (--ignore-integrity); the report lists them",
                args.snapshot.display(),
                loaded.problems.len()
            );
        }
        Some(IntegrityNote::ignored(&loaded.problems))
    } else if !loaded.problems.is_empty() {
        return Err(InventoryError::Integrity {
            path: args.snapshot.clone(),
            problems: loaded.problems,
        })
        .with_context(context);
    } else {
        None
    };
    let inv = loaded.inventory;
    let settings = Settings {
        crown_jewels: args.crown_jewels.clone(),
        max_hops: args.max_hops.max(1),
        assume_fixed: args.assume_fixed.clone(),
        fix_plan: !args.no_fix_plan,
    };
    let analysis = Analysis::build_for(&inv, &settings);
    check_crown_jewels(&analysis, &settings)?;
    if let Err((key, near)) = crate::fixplan::resolve_keys(&analysis.causes, &settings.assume_fixed)
    {
        let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
        anyhow::bail!(
            "`--assume-fixed {key}` names no cause in this snapshot\nhint: nearest keys: {}",
            near.join(", ")
        );
    }
    let mut report = Report::from_analysis_owned(inv, &analysis, &settings);
    drop(analysis);
    report.integrity = integrity;
    t.lap("analysis");
    let suppressions = super::diff::load_suppressions(args.ignore_file.as_deref())?;
    if let Some(s) = &suppressions {
        crate::suppress::apply(&mut report, s, crate::suppress::today());
        for w in &report.suppression_warnings {
            eprintln!("warning: {w}");
        }
    }
    if let Some(b) = &args.baseline {
        let old = super::diff::load_report(b, &args.limits)?;
        let now = serde_json::to_value(&report).context("cannot serialise the report")?;
        report.baseline = Some(super::diff::diff_values(
            &old,
            &b.display().to_string(),
            &now,
            "this analysis",
            suppressions.as_ref(),
        )?);
    }
    let to_terminal = args.output.as_ref().is_none_or(|p| p.as_os_str() == "-")
        && std::io::stdout().is_terminal();
    let options = present::Options {
        color: to_terminal && crate::environment::color_allowed(),
        top: args.top,
        min_severity: args.min_severity.as_deref().and_then(Severity::parse),
    };
    let text = present::render_with(&report, args.format, &options);
    t.lap("rendering");
    write_output(args.output.as_deref(), text.as_bytes())?;
    t.lap("write");
    let fail = args
        .fail_on
        .as_deref()
        .and_then(Severity::parse)
        .is_some_and(|threshold| match &report.baseline {
            Some(d) => d.new_at_or_above(threshold),
            None => report.worst().is_some_and(|w| w >= threshold),
        });
    Ok(ExitCode::from(if fail {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}

/// Fails when a `--crown-jewel` names no object of the graph, with the nearest names.
pub(crate) fn check_crown_jewels(analysis: &Analysis, settings: &Settings) -> anyhow::Result<()> {
    let unmatched = crate::paths::select::unmatched_jewels(&analysis.graph, &settings.crown_jewels);
    if let Some((jewel, near)) = unmatched.first() {
        let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
        anyhow::bail!(
            "`--crown-jewel {jewel}` matches no object of the snapshot\nhint: nearest names: {}",
            near.join(", ")
        );
    }
    Ok(())
}
