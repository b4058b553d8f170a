//! `coder-sec paths`: ask about one object. With `--from`, what it can reach; with `--to`, who can
//! reach it; with both, the paths between. Builds the trust graph and searches only from the named
//! objects (or back from them), never the whole report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use super::LimitArgs;
use crate::catalog::Technique;
use crate::cause::Cause;
use crate::coder::CoderFacts;
use crate::exit::EXIT_CLEAN;
use crate::graph::{TrustGraph, VertexId};
use crate::inventory::Inventory;
use crate::output::write_output;
use crate::paths::{query, select};
use crate::rbac::Rbac;

/// Find paths from or to one object: what a pod, user or service account can reach (`--from`),
/// who can reach a Secret, node or cluster-admin (`--to`), or the paths between two sets. Unlike
/// the report, a query returns non-minimal paths too (through other entry points and jewels),
/// cheapest first. Without `--from`, the sources are the report's entry points; without `--to`,
/// the targets are its crown jewels. Exit 0 (whether or not a path exists), 2 on usage or input
/// errors (an unknown REF lists the nearest names).
///
/// Example: coder-sec paths cluster.tar.zst --to Virtual/cluster-admin --max 5
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot to query.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// A source: an object reference (`Pod/ns/name`, `User/alice`) or a pattern ending in `*`.
    /// Repeatable.
    #[arg(long, value_name = "REF")]
    pub from: Vec<String>,
    /// A target: an object reference or a pattern ending in `*`. Repeatable.
    #[arg(long, value_name = "REF")]
    pub to: Vec<String>,
    /// List at most N paths.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max: usize,
    /// Longest path searched, in steps (at least 1).
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_hops: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: QueryFormat,
    /// Write the answer to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The output formats of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// Paths as step lists.
    Text,
    /// `{"paths": [{entry, target, cost, steps: [{from, to, technique, cause}]}]}`.
    Json,
}

/// A query's answer (the JSON form).
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// Paths, cheapest first.
    pub paths: Vec<FoundPath>,
}

/// One path of a query.
#[derive(Debug, Clone, Serialize)]
pub struct FoundPath {
    /// The source.
    pub entry: String,
    /// The target.
    pub target: String,
    /// Sum of the technique costs.
    pub cost: u32,
    /// The steps.
    pub steps: Vec<FoundStep>,
}

/// One step of a query's path.
#[derive(Debug, Clone, Serialize)]
pub struct FoundStep {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Technique code.
    pub technique: Technique,
    /// What to change to remove this step.
    pub cause: Cause,
}

/// Resolves REFs; an unknown one is an error naming the flag and the nearest names.
fn resolve(g: &TrustGraph, flag: &str, refs: &[String]) -> anyhow::Result<Vec<VertexId>> {
    let mut out = Vec::new();
    for r in refs {
        let found = select::resolve(g, r);
        if found.is_empty() {
            let near: Vec<String> = select::nearest(g, r, 3)
                .into_iter()
                .map(|n| format!("`{n}`"))
                .collect();
            anyhow::bail!(
                "`--{flag} {r}` matches no object of the snapshot\nhint: nearest names: {}",
                near.join(", ")
            );
        }
        out.extend(found);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Answers a query over an inventory (the library side of `coder-sec paths`).
pub fn answer(inv: &Inventory, args: &Args) -> anyhow::Result<Answer> {
    let rbac = Rbac::build(inv);
    let coder = CoderFacts::detect(inv);
    // Edges into the named targets are kept even where they lead nowhere else.
    let g = crate::techniques::build_with(inv, &rbac, &coder, &args.to);
    let sources = if args.from.is_empty() {
        select::entry_points(&g, &rbac, &coder, inv)
            .into_iter()
            .map(|e| e.vertex)
            .collect()
    } else {
        resolve(&g, "from", &args.from)?
    };
    let targets: Vec<VertexId> = if args.to.is_empty() {
        select::crown_jewels(&g, &coder, inv, &[])
            .into_keys()
            .collect()
    } else {
        resolve(&g, "to", &args.to)?
    };
    let found = query::query(&g, &sources, &targets, args.max_hops, args.max);
    let causes = crate::cause::causes_of(
        &g,
        inv,
        &rbac,
        found.iter().flat_map(|p| p.edges.iter().copied()),
    );
    let paths = found
        .iter()
        .map(|p| FoundPath {
            entry: g.reference(p.entry).to_string(),
            target: g.reference(p.target).to_string(),
            cost: p.cost,
            steps: p
                .edges
                .iter()
                .filter_map(|&i| {
                    let (f, t, e, _) = g.edge_at(i)?;
                    Some(FoundStep {
                        from: g.reference(f).to_string(),
                        to: g.reference(t).to_string(),
                        technique: e.technique,
                        cause: causes.get(&i)?.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    Ok(Answer { paths })
}

/// Renders an answer as text.
pub fn render_text(a: &Answer) -> String {
    let mut s = String::new();
    if a.paths.is_empty() {
        let _ = writeln!(s, "no path found");
    }
    for (i, p) in a.paths.iter().enumerate() {
        let _ = writeln!(s, "{}. {} → {} (cost {})", i + 1, p.entry, p.target, p.cost);
        for (j, st) in p.steps.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {}. {} ─[{}]→ {}\n       cause: {}",
                j + 1,
                st.from,
                st.technique,
                st.to,
                st.cause.key()
            );
        }
    }
    s
}

/// Runs `paths`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let inv = Inventory::load(&args.snapshot, args.limits.limits())
        .with_context(|| format!("cannot query `{}`", args.snapshot.display()))?;
    let a = answer(&inv, args)?;
    let text = match args.format {
        QueryFormat::Text => render_text(&a),
        QueryFormat::Json => {
            let mut s = serde_json::to_string_pretty(&a).context("cannot render the answer")?;
            s.push('\n');
            s
        }
    };
    write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
