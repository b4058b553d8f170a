//! `coder-sec export`: the trust graph (or the part between two vertices, or one attack path) as
//! BloodHound OpenGraph JSON or Graphviz DOT.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::LimitArgs;
use crate::exit::EXIT_CLEAN;
use crate::export::{self, dot, opengraph};
use crate::inventory::Inventory;
use crate::output::write_output;
use crate::report::{Analysis, Report, Settings};

/// Graph export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// BloodHound OpenGraph JSON, for an existing graph engine.
    Opengraph,
    /// Graphviz DOT, for a picture (`dot -Tsvg`).
    Dot,
}

/// Export the trust graph for tools you already run: BloodHound OpenGraph JSON or Graphviz DOT.
///
/// Without `--from`/`--to`/`--path`, the whole graph. With `--from REF`, what REF reaches; with
/// `--to REF`, what reaches REF; with both, every vertex on a path between them. With `--path ID`,
/// the steps of one attack path of the report (`AP-003`).
///
/// Example: coder-sec export cluster.tar.zst --format dot --path AP-001 | dot -Tsvg > ap-001.svg
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Keep only what this vertex reaches (an object reference, `Pod/ns/name`).
    #[arg(long, value_name = "REF", conflicts_with = "path")]
    pub from: Option<String>,
    /// Keep only what reaches this vertex (an object reference).
    #[arg(long, value_name = "REF", conflicts_with = "path")]
    pub to: Option<String>,
    /// Export one attack path of the report, by id (`AP-003`).
    #[arg(long, value_name = "ID")]
    pub path: Option<String>,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add a crown jewel: an object reference (`Secret/ns/name`) or a prefix ending in `*`.
    #[arg(long = "crown-jewel", value_name = "REF")]
    pub crown_jewels: Vec<String>,
    /// Read limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Runs `export`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let inv = Inventory::load(&args.snapshot, args.limits.limits())
        .with_context(|| format!("cannot export `{}`", args.snapshot.display()))?;
    let settings = Settings {
        crown_jewels: args.crown_jewels.clone(),
        ..Settings::default()
    };
    let analysis = Analysis::build_for(&inv, &settings);
    let (sub, name) = match &args.path {
        Some(id) => {
            let report = Report::from_analysis(&inv, &analysis, &settings);
            let p = report
                .attack_paths
                .iter()
                .find(|p| &p.id == id)
                .ok_or_else(|| export::ExportError::UnknownPath { id: id.clone() })
                .context("hint: `coder-sec analyze` lists the paths and their ids")?;
            (export::path(&analysis.graph, p), id.clone())
        }
        None => {
            let sub = export::select(&analysis.graph, args.from.as_deref(), args.to.as_deref())
                .context("hint: references look like `Pod/ns/name`, `Node/name`, `Virtual/cluster-admin`")?;
            (sub, "coder-sec".to_string())
        }
    };
    let text = match args.format {
        ExportFormat::Opengraph => opengraph::render(&sub),
        ExportFormat::Dot => dot::render(&sub, &name),
    };
    write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
