//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use coder_sec_analyzer::inventory::Inventory;
use coder_sec_analyzer::report::{Analysis, Report, Settings};
use coder_sec_model::ReadLimits;
use coder_sec_model::import::{ImportOptions, import_paths};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Whether expected files are rewritten (`CODER_SEC_BLESS=1`).
pub fn bless() -> bool {
    std::env::var_os("CODER_SEC_BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A fixed capture time, so end-of-life and certificate checks are reproducible.
pub const CAPTURED_AT: &str = "2026-11-01T00:00:00Z";

/// The manifest files of one of our scenarios (`*.yaml`; the expected report beside them is not
/// an input).
pub fn scenario_files(name: &str) -> Vec<PathBuf> {
    let dir = root().join("testdata/scenarios").join(name);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    v.sort();
    v
}

/// Imports files or folders into a snapshot in a temporary folder.
pub fn import(paths: &[PathBuf]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.tar.zst");
    let options = ImportOptions {
        captured_at: Some(CAPTURED_AT.to_string()),
        ..ImportOptions::default()
    };
    import_paths(paths, &out, &options).unwrap();
    (dir, out)
}

/// Everything the analysis produces for a set of manifest files.
pub struct Analysed {
    /// The inventory.
    pub inv: Inventory,
    /// Graph, RBAC, Coder facts.
    pub analysis: Analysis,
    /// The report.
    pub report: Report,
}

/// Imports and analyses.
pub fn analyse(paths: &[PathBuf]) -> Analysed {
    analyse_with_state(paths, &[])
}

/// Imports and analyses, with `coder/…` and `identity/…` files (path, contents) added to the
/// loaded snapshot as a capture writes them.
pub fn analyse_with_state(paths: &[PathBuf], files: &[(&str, &str)]) -> Analysed {
    let (_dir, snap) = import(paths);
    let mut inv = Inventory::load(&snap, ReadLimits::default()).unwrap();
    for (path, text) in files {
        inv.add_state_file(path, text.as_bytes());
    }
    let analysis = Analysis::build(&inv);
    let report = Report::from_analysis(&inv, &analysis, &Settings::default());
    Analysed {
        inv,
        analysis,
        report,
    }
}

/// The external data folder, or `None` after printing why the test is skipped (a failure where
/// every test must run: see `coder_sec_model::testing`).
pub fn external(name: &str) -> Option<PathBuf> {
    match std::env::var_os("CODER_SEC_EXTERNAL_DATA") {
        Some(v) if !v.is_empty() => {
            let p = PathBuf::from(v).join(name);
            if p.is_dir() {
                Some(p)
            } else {
                coder_sec_model::testing::skip_unless_required(&format!(
                    "`{}` not found",
                    p.display()
                ));
                None
            }
        }
        _ => {
            coder_sec_model::testing::skip_unless_required("CODER_SEC_EXTERNAL_DATA not set");
            None
        }
    }
}

/// Compares `actual` with the file at `path`, or rewrites it when blessing.
pub fn check_expected(path: &Path, actual: &str) {
    if bless() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "`{}` is missing; run with CODER_SEC_BLESS=1 and review the diff",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(10)
            .map(|(i, (a, b))| format!("line {}:\n  - {a}\n  + {b}", i + 1))
            .collect();
        panic!(
            "`{}` differs (rerun with CODER_SEC_BLESS=1 and review):\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}

/// Edge codes from one reference to another.
pub fn techniques_between(a: &Analysed, from: &str, to: &str) -> Vec<&'static str> {
    a.analysis
        .graph
        .edges_from(from)
        .into_iter()
        .filter(|(t, _)| t == to)
        .map(|(_, c)| c)
        .collect()
}

/// Outgoing edges of a pod together with those of the hostPath volumes it reaches by
/// `pod-host-path` (where its hostPath escapes leave from), sorted.
pub fn edges_through_volumes(a: &Analysed, pod: &str) -> Vec<(String, &'static str)> {
    let g = &a.analysis.graph;
    let mut out = g.edges_from(pod);
    for (volume, code) in g.edges_from(pod) {
        if code == "pod-host-path" {
            out.extend(g.edges_from(&volume));
        }
    }
    out.sort();
    out
}

/// Validates `instance` against the JSON schema in the file at `schema` (draft from its
/// `$schema`); panics listing every error.
pub fn assert_valid(schema: &Path, instance: &serde_json::Value) {
    if let Err(e) = schema_errors(schema, instance) {
        panic!("output does not follow `{}`:\n{e}", schema.display());
    }
}

/// The errors of `instance` against the JSON schema in the file at `schema`, if any.
pub fn schema_errors(schema: &Path, instance: &serde_json::Value) -> Result<(), String> {
    let text = std::fs::read_to_string(schema).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let loc = format!("file://{}", schema.display());
    compiler.add_resource(&loc, value).unwrap();
    let index = compiler
        .compile(&loc, &mut schemas)
        .unwrap_or_else(|e| panic!("`{}` does not compile: {e:#}", schema.display()));
    schemas
        .validate(instance, index)
        .map_err(|e| format!("{e:#}"))
}

/// Validates a JSON report against `docs/report-schema.json`.
pub fn assert_valid_report(report: &serde_json::Value) {
    assert_valid(&root().join("docs/report-schema.json"), report);
}

/// Runs the `coder-sec` binary from the repository root, colour off.
pub fn coder_sec(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_coder-sec"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .expect("run coder-sec")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
