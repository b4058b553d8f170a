//! `coder-sec inspect`: what a support engineer checks before attaching a snapshot to a ticket.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use coder_sec_model::{KindStatus, Manifest, SnapshotReader};
use serde::Serialize;

use super::LimitArgs;
use crate::output::{human_bytes, write_output};
use crate::present::{clean, clean_join};

/// Flags of `coder-sec inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot to inspect.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Print JSON (the manifest plus sizes) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show the snapshot even when files differ from its manifest or its checksum fails, listing
    /// each problem.
    #[arg(long)]
    pub ignore_integrity: bool,
    /// Read limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The JSON that `inspect --json` prints (documented in docs/snapshot-format.md).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct InspectReport<'a> {
    /// The snapshot file as given.
    pub path: String,
    /// Size of the archive file.
    pub archive_bytes: u64,
    /// Sum of the uncompressed sizes the manifest lists.
    pub uncompressed_bytes: u64,
    /// Objects across all kinds.
    pub objects: u64,
    /// The integrity problems found (every file checked against the manifest, the content
    /// checksum, nothing after the end); empty when the snapshot is sound.
    pub integrity_problems: Vec<String>,
    /// The manifest, as stored.
    pub manifest: &'a Manifest,
}

/// Runs `inspect`: reads the whole snapshot once (a file or a pipe), checking every file against the
/// manifest, and refuses a snapshot that fails unless `--ignore-integrity` is given.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let path = &args.snapshot;
    let reader = SnapshotReader::open(path, args.limits.limits())
        .with_context(|| format!("cannot open snapshot `{}`", path.display()))?;
    let outcome = reader
        .stream(|_, _| Ok(()))
        .with_context(|| format!("cannot read snapshot `{}`", path.display()))?;
    if !outcome.mismatches.is_empty() && !args.ignore_integrity {
        return Err(crate::inventory::InventoryError::Integrity {
            path: path.clone(),
            problems: outcome.mismatches,
        })
        .with_context(|| format!("cannot inspect `{}`", path.display()));
    }
    let manifest = outcome.manifest;
    let report = InspectReport {
        path: path.display().to_string(),
        archive_bytes: outcome.archive_bytes,
        uncompressed_bytes: manifest.kinds.iter().map(|k| k.bytes).sum::<u64>()
            + manifest.files.iter().map(|f| f.bytes).sum::<u64>(),
        objects: manifest.object_count(),
        integrity_problems: outcome.mismatches.iter().map(ToString::to_string).collect(),
        manifest: &manifest,
    };
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report)?;
        s.push('\n');
        s
    } else {
        render_text(&report)
    };
    write_output(None, text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The text form of `inspect`.
pub fn render_text(r: &InspectReport<'_>) -> String {
    let m = r.manifest;
    let mut s = String::new();
    let _ = writeln!(s, "snapshot    {}", clean(&r.path));
    let _ = writeln!(
        s,
        "format      {} ({} by {} {})",
        clean(&m.format_version),
        m.source,
        clean(&m.tool.name),
        clean(&m.tool.version)
    );
    let _ = writeln!(s, "captured    {}", clean(&m.captured_at));
    if r.integrity_problems.is_empty() {
        let _ = writeln!(s, "integrity   every file matches the manifest");
    } else {
        let _ = writeln!(
            s,
            "integrity   {} PROBLEMS (shown because of --ignore-integrity):",
            r.integrity_problems.len()
        );
        for p in &r.integrity_problems {
            let _ = writeln!(s, "  - {}", clean(p));
        }
    }
    let mut cluster = Vec::new();
    if let Some(v) = &m.cluster.server_version {
        cluster.push(format!("server {}", clean(v)));
    }
    if let Some(p) = &m.cluster.platform {
        cluster.push(format!("platform {}", clean(p)));
    }
    if let Some(c) = &m.cluster.context {
        cluster.push(format!("context {}", clean(c)));
    }
    if !cluster.is_empty() {
        let _ = writeln!(s, "cluster     {}", cluster.join(", "));
    }
    let scope = if m.scope.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        format!("namespaces {}", clean_join(&m.scope.namespaces, ", "))
    };
    let _ = writeln!(s, "scope       {scope}");
    if let Some(id) = &m.identity {
        let _ = writeln!(
            s,
            "identity    {} (groups: {})",
            clean(&id.username),
            clean_join(&id.groups, ", ")
        );
    }
    let _ = writeln!(
        s,
        "size        {} compressed, {} uncompressed ({} objects)",
        human_bytes(r.archive_bytes),
        human_bytes(r.uncompressed_bytes),
        r.objects
    );
    let _ = writeln!(s, "\nkinds");
    let width = m
        .kinds
        .iter()
        .map(|k| clean(&k.label()).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        s,
        "  {:width$}  {:10}  {:>8}  {:>10}",
        "KIND", "STATUS", "OBJECTS", "SIZE"
    );
    for k in &m.kinds {
        let _ = write!(
            s,
            "  {:width$}  {:10}  {:>8}  {:>10}",
            clean(&k.label()),
            k.status.to_string(),
            k.count,
            human_bytes(k.bytes)
        );
        if k.status != KindStatus::Complete
            && let Some(msg) = &k.message
        {
            let _ = write!(s, "  {}", clean(msg));
        }
        s.push('\n');
    }
    if !m.files.is_empty() {
        let _ = writeln!(s, "\nfiles");
        for f in &m.files {
            let _ = writeln!(
                s,
                "  {}  {} ({} records, {})",
                clean(&f.path),
                clean(&f.description),
                f.count,
                human_bytes(f.bytes)
            );
        }
    }
    if !m.unknown_kinds.is_empty() {
        let _ = writeln!(s, "\nunknown kinds (counted, not stored)");
        for (k, n) in &m.unknown_kinds {
            let _ = writeln!(s, "  {}: {n}", clean(k));
        }
    }
    let _ = writeln!(
        s,
        "\nredaction   {} values redacted or dropped",
        m.redaction.total()
    );
    for (rule, n) in &m.redaction.rules {
        let _ = writeln!(s, "  {}: {n}", clean(rule));
    }
    if !m.redaction.paths.is_empty() {
        let _ = writeln!(s, "  by path");
        for (path, n) in &m.redaction.paths {
            let _ = writeln!(s, "    {path}: {n}");
        }
    }
    if !m.redaction.kept.is_empty() {
        let _ = writeln!(
            s,
            "  kept literals outside typed fields (review before sharing the snapshot)"
        );
        for (path, values) in &m.redaction.kept {
            let _ = writeln!(s, "    {path}");
            for v in values {
                let _ = writeln!(s, "      {}", v.escape_debug());
            }
        }
    }
    if m.blind_spots.is_empty() {
        let _ = writeln!(s, "\nblind spots none recorded");
    } else {
        let _ = writeln!(s, "\nblind spots");
        for b in &m.blind_spots {
            let _ = writeln!(
                s,
                "  - {} ({}): hides {}",
                clean(&b.subject),
                clean(&b.reason),
                clean(&b.hides)
            );
        }
    }
    s
}
