//! Smoke test of the bench code at `small` (debug build): the whole run, end to end, asserting the
//! structure of the JSON and the table, never a timing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder Cargo puts this package's binary in (`target/debug`), where the test API server and the
/// plugin are built too.
fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_coder-sec-bench"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `cargo test -p coder-sec-bench` does not build other packages' binaries: build them when missing.
fn ensure_binaries(dir: &Path) {
    if dir.join("coder-sec-test-apiserver").exists() && dir.join("kubectl-coder_sec").exists() {
        return;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "-p",
            "coder-sec-test-apiserver",
            "-p",
            "coder-sec-plugin",
            "--bins",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cannot build the test API server and the plugin"
    );
}

#[test]
fn small_runs_end_to_end() {
    let dir = bin_dir();
    ensure_binaries(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("bench.json");
    let out = Command::new(env!("CARGO_BIN_EXE_coder-sec-bench"))
        .args(["--size", "small", "--json"])
        .arg(&json)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("| small |"), "{table}");
    assert!(table.contains("`large` target"), "{table}");

    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(v["machine"]["memory_bytes"].as_u64().unwrap() > 0);
    let sizes = v["sizes"].as_array().unwrap();
    assert_eq!(sizes.len(), 1);
    let s = &sizes[0];
    assert_eq!(s["size"], "small");
    assert!(s["objects"].as_u64().unwrap() > 1000);
    for key in [
        "floor_seconds",
        "analyze_seconds",
        "ratio",
        "capture_seconds",
    ] {
        assert!(s[key].as_f64().unwrap() > 0.0, "{key}: {s}");
    }
    for key in [
        "analyze_peak_rss_bytes",
        "floor_peak_rss_bytes",
        "capture_peak_rss_bytes",
        "snapshot_bytes",
        "snapshot_json_bytes",
    ] {
        assert!(s[key].as_u64().unwrap() > 0, "{key}: {s}");
    }
    assert!(s["kinds"].as_u64().unwrap() > 20, "{s}");
    // The answer, not only the time: every path the generator planted is found.
    let planted = s["planted"].as_array().unwrap();
    assert_eq!(planted.len(), 6, "{s}");
    for p in planted {
        assert_eq!(p["found"], true, "{p}");
    }
    assert!(table.contains("| 6/6 |"), "{table}");
    assert!(
        s["analyze_phases"]["attack_paths"].as_u64().unwrap() > 0,
        "{s}"
    );
    // kubectl's figures are there when kubectl is, null otherwise.
    let has_kubectl = !v["machine"]["kubectl"].is_null();
    for key in [
        "kubectl_seconds",
        "kubectl_peak_rss_bytes",
        "raw_json_bytes",
        "capture_vs_kubectl",
        "snapshot_share",
    ] {
        assert!(s.get(key).is_some(), "{key} missing");
        assert_eq!(s[key].is_null(), !has_kubectl, "{key}: {s}");
    }
    if has_kubectl {
        assert_eq!(s["kubectl_failures"].as_array().unwrap().len(), 0, "{s}");
        assert!(s["raw_json_bytes"].as_u64().unwrap() > s["snapshot_bytes"].as_u64().unwrap());
    }
    assert_eq!(v["targets"].as_array().unwrap().len(), 7);
}
