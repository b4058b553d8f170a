//! `coder-sec inspect`: what a support engineer checks before attaching a snapshot to a ticket.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use coder_sec_model::{KindStatus, Manifest, SnapshotReader};
use serde::Serialize;

use super::LimitArgs;
use crate::output::{human_bytes, write_output};

/// Flags of `coder-sec inspect`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot to inspect.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Print JSON (the manifest plus sizes) instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// The manifest, as stored.
    pub manifest: &'a Manifest,
}

/// Opens a snapshot and returns its manifest, with a message naming the file on failure.
pub fn read_manifest(path: &Path, limits: &LimitArgs) -> anyhow::Result<Manifest> {
    let reader = SnapshotReader::open(path, limits.limits())
        .with_context(|| format!("cannot open snapshot `{}`", path.display()))?;
    Ok(reader.manifest().clone())
}

/// Runs `inspect`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let manifest = read_manifest(&args.snapshot, &args.limits)?;
    let archive_bytes = std::fs::metadata(&args.snapshot)
        .with_context(|| format!("cannot read `{}`", args.snapshot.display()))?
        .len();
    let report = InspectReport {
        path: args.snapshot.display().to_string(),
        archive_bytes,
        uncompressed_bytes: manifest.kinds.iter().map(|k| k.bytes).sum::<u64>()
            + manifest.files.iter().map(|f| f.bytes).sum::<u64>(),
        objects: manifest.object_count(),
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
    let _ = writeln!(s, "snapshot    {}", r.path);
    let _ = writeln!(
        s,
        "format      {} ({} by {} {})",
        m.format_version, m.source, m.tool.name, m.tool.version
    );
    let _ = writeln!(s, "captured    {}", m.captured_at);
    let mut cluster = Vec::new();
    if let Some(v) = &m.cluster.server_version {
        cluster.push(format!("server {v}"));
    }
    if let Some(p) = &m.cluster.platform {
        cluster.push(format!("platform {p}"));
    }
    if let Some(c) = &m.cluster.context {
        cluster.push(format!("context {c}"));
    }
    if !cluster.is_empty() {
        let _ = writeln!(s, "cluster     {}", cluster.join(", "));
    }
    let scope = if m.scope.namespaces.is_empty() {
        "all namespaces".to_string()
    } else {
        format!("namespaces {}", m.scope.namespaces.join(", "))
    };
    let _ = writeln!(s, "scope       {scope}");
    if let Some(id) = &m.identity {
        let _ = writeln!(
            s,
            "identity    {} (groups: {})",
            id.username,
            id.groups.join(", ")
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
        .map(|k| k.label().len())
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
            k.label(),
            k.status.to_string(),
            k.count,
            human_bytes(k.bytes)
        );
        if k.status != KindStatus::Complete
            && let Some(msg) = &k.message
        {
            let _ = write!(s, "  {msg}");
        }
        s.push('\n');
    }
    if !m.files.is_empty() {
        let _ = writeln!(s, "\nfiles");
        for f in &m.files {
            let _ = writeln!(
                s,
                "  {}  {} ({} records, {})",
                f.path,
                f.description,
                f.count,
                human_bytes(f.bytes)
            );
        }
    }
    if !m.unknown_kinds.is_empty() {
        let _ = writeln!(s, "\nunknown kinds (counted, not stored)");
        for (k, n) in &m.unknown_kinds {
            let _ = writeln!(s, "  {k}: {n}");
        }
    }
    let _ = writeln!(
        s,
        "\nredaction   {} values redacted or dropped",
        m.redaction.total()
    );
    for (rule, n) in &m.redaction.rules {
        let _ = writeln!(s, "  {rule}: {n}");
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
            let _ = writeln!(s, "  - {} ({}): hides {}", b.subject, b.reason, b.hides);
        }
    }
    s
}
