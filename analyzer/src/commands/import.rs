//! `coder-sec import`: build a snapshot from manifest files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use coder_sec_model::import::{ImportOptions, import_paths};

use crate::output::human_bytes;

/// Flags of `coder-sec import`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Files or folders to read (`.yaml`, `.yml`, `.json`, `.golden`; folders recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the snapshot.
    #[arg(short, long, value_name = "OUT.tar.zst")]
    pub output: PathBuf,
    /// Namespace for namespaced objects that name none.
    #[arg(short, long, default_value = "default", value_name = "NS")]
    pub namespace: String,
    /// Record this RFC 3339 time as `captured-at` instead of now (reproducible snapshots).
    #[arg(long, value_name = "TIME", hide = true)]
    pub captured_at: Option<String>,
}

/// Runs `import`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        namespace: args.namespace.clone(),
        captured_at: args.captured_at.clone(),
        ..ImportOptions::default()
    };
    let summary = import_paths(&args.paths, &args.output, &options)
        .with_context(|| format!("cannot import into `{}`", args.output.display()))?;
    let m = &summary.manifest;
    eprintln!(
        "wrote `{}`: {} objects of {} kinds from {} files, {} values redacted, {}",
        args.output.display(),
        m.object_count(),
        m.kinds.len(),
        summary.files,
        m.redaction.total(),
        human_bytes(summary.archive_bytes)
    );
    if !m.unknown_kinds.is_empty() {
        let n: u64 = m.unknown_kinds.values().sum();
        eprintln!(
            "note: {n} objects of {} kinds this format does not know were counted, not stored (see `coder-sec inspect`)",
            m.unknown_kinds.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
