//! The `analyze` command through the real binary: formats, exit codes, `-o`, the JSON shape
//! against `docs/report-schema.json` (validated with a JSON Schema validator), and the `--help` text.

use serde_json::Value;

use super::support::{assert_valid_report, coder_sec, import, scenario_files};

fn snapshot() -> (tempfile::TempDir, String) {
    let (dir, path) = import(&scenario_files("coder-shared-cluster"));
    (dir, path.display().to_string())
}

#[test]
fn exit_codes_follow_fail_on() {
    let (_d, snap) = snapshot();
    let out = coder_sec(&["analyze", &snap]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ATTACK PATHS") && text.contains("SEED COVERAGE"));
    assert!(!text.contains('\x1b'), "NO_COLOR honoured");
    assert_eq!(
        coder_sec(&["analyze", &snap, "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        coder_sec(&["analyze", "does-not-exist.tar.zst"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        coder_sec(&["analyze", &snap, "--fail-on", "bogus"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn markdown_and_output_file() {
    let (dir, snap) = snapshot();
    let out_path = dir.path().join("report.md");
    let out = coder_sec(&[
        "analyze",
        &snap,
        "--format",
        "markdown",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let md = std::fs::read_to_string(out_path).unwrap();
    assert!(md.starts_with("# coder-sec analysis") && md.contains("## Seed coverage"));
}

#[test]
fn crown_jewel_flag_adds_targets() {
    let (_d, snap) = snapshot();
    let out = coder_sec(&[
        "analyze",
        &snap,
        "--format",
        "json",
        "--crown-jewel",
        "Secret/coder/regcred",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_report(&v);
    let targets: Vec<&str> = v["attack_paths"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["target_examples"].as_array().unwrap().iter())
        .filter_map(|t| t.as_str())
        .collect();
    assert!(targets.contains(&"Secret/coder/regcred"), "{targets:?}");
}

#[test]
fn json_report_follows_the_published_schema() {
    let (_d, snap) = snapshot();
    let out = coder_sec(&["analyze", &snap, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid_report(&report);
    // With `--ignore-integrity`, the report states it, in the schema's shape.
    let out = coder_sec(&["analyze", &snap, "--format", "json", "--ignore-integrity"]);
    let ignored: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ignored["integrity"]["ignored"], true);
    assert_valid_report(&ignored);
    // The contract's names, checked by hand as well.
    for k in [
        "format_version",
        "snapshot",
        "attack_paths",
        "findings",
        "blind_spots",
        "seed_coverage",
    ] {
        assert!(report.get(k).is_some(), "missing {k}");
    }
    let p = &report["attack_paths"][0];
    for k in [
        "id",
        "severity",
        "entry",
        "target",
        "count",
        "examples",
        "steps",
        "fingerprint",
    ] {
        assert!(p.get(k).is_some(), "path lacks {k}");
    }
    for k in ["from", "to", "technique"] {
        assert!(p["steps"][0].get(k).is_some());
    }
    let f = &report["findings"][0];
    for k in [
        "code",
        "severity",
        "title",
        "seed_bullet",
        "objects",
        "remediation",
        "fingerprint",
    ] {
        assert!(f.get(k).is_some(), "finding lacks {k}");
    }
}

#[test]
fn analyze_help_is_stable() {
    let out = coder_sec(&["analyze", "--help"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
