//! Reports for CI and for people: the generated report schema, fingerprints that survive a new
//! capture, SARIF against the official schema, and suppressions.

use std::path::PathBuf;
use std::process::Command;

use coder_sec_analyzer::inventory::Inventory;
use coder_sec_analyzer::report::{Report, Settings};
use coder_sec_analyzer::schema::report_schema;
use coder_sec_model::ReadLimits;
use coder_sec_model::import::{ImportOptions, import_paths};
use serde_json::Value;

use super::support::{
    CAPTURED_AT, assert_valid, assert_valid_report, check_expected, import, root, scenario_files,
    schema_errors,
};

pub(crate) fn coder_sec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_coder-sec"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .unwrap()
}

/// Imports a scenario with a given capture time (each import draws its own redaction key).
pub(crate) fn import_at(name: &str, captured_at: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.tar.zst");
    let options = ImportOptions {
        captured_at: Some(captured_at.to_string()),
        ..ImportOptions::default()
    };
    import_paths(&scenario_files(name), &out, &options).unwrap();
    (dir, out)
}

fn report_of(path: &std::path::Path) -> Report {
    let inv = Inventory::load(path, ReadLimits::default()).unwrap();
    Report::generate(&inv, &Settings::default())
}

#[test]
fn report_schema_doc_is_generated_from_the_types() {
    let schema = report_schema();
    let v: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(
        v["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "draft 2020-12"
    );
    for k in ["format_version", "attack_paths", "findings", "suppressed"] {
        assert!(v["properties"].get(k).is_some(), "schema lacks {k}");
    }
    check_expected(&root().join("docs/report-schema.json"), &schema);
}

#[test]
fn report_keys_are_snake_case() {
    let (_d, snap) = import(&scenario_files("demo"));
    let v = serde_json::to_value(report_of(&snap)).unwrap();
    assert_valid_report(&v);
    fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let snake = k
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                    // Map keys that are data (kinds in `snapshot.objects`) are not field names.
                    if !snake && !path.ends_with(".objects") {
                        bad.push(format!("{path}.{k}"));
                    }
                    walk(x, &format!("{path}.{k}"), bad);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, path, bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(&v, "$", &mut bad);
    assert!(bad.is_empty(), "keys not in snake_case: {bad:?}");
    assert_eq!(v["format_version"], "2.0");
    // The schema is strict enough to catch a path without its fingerprint or a wrong severity.
    let schema = root().join("docs/report-schema.json");
    let mut broken = v.clone();
    broken["attack_paths"][0]
        .as_object_mut()
        .unwrap()
        .remove("fingerprint");
    assert!(schema_errors(&schema, &broken).is_err());
    let mut broken = v.clone();
    broken["findings"][0]["severity"] = "dire".into();
    assert!(schema_errors(&schema, &broken).is_err());
}

#[test]
fn fingerprints_survive_a_new_capture_of_the_same_state() {
    for name in ["demo", "coder-shared-cluster"] {
        let (_a, one) = import_at(name, CAPTURED_AT);
        let (_b, two) = import_at(name, "2026-11-01T06:30:00Z");
        // Two imports draw two redaction keys: the snapshots differ in their markers...
        assert_ne!(
            std::fs::read(&one).unwrap(),
            std::fs::read(&two).unwrap(),
            "{name}: two imports should differ"
        );
        let (r1, r2) = (report_of(&one), report_of(&two));
        let fps = |r: &Report| -> Vec<String> {
            r.attack_paths
                .iter()
                .map(|p| p.fingerprint.clone())
                .chain(r.findings.iter().map(|f| f.fingerprint.clone()))
                .collect()
        };
        // ...but every path and finding keeps its identity.
        assert!(!fps(&r1).is_empty(), "{name}: nothing to compare");
        assert_eq!(fps(&r1), fps(&r2), "{name}");
        // Identities are unique within a report.
        let mut seen = fps(&r1);
        seen.sort();
        let n = seen.len();
        seen.dedup();
        assert_eq!(seen.len(), n, "{name}: duplicate fingerprints");
    }
}

#[test]
fn sarif_follows_the_official_schema() {
    let (_d, snap) = import(&scenario_files("demo"));
    let out = coder_sec(&["analyze", snap.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&root().join("testdata/sarif/sarif-schema-2.1.0.json"), &log);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "rule ids are unique");
    for r in rules {
        assert!(r["help"]["text"].as_str().unwrap().contains("Remediation"));
    }
    let results = run["results"].as_array().unwrap();
    let report: Value = serde_json::from_slice(
        &coder_sec(&["analyze", snap.to_str().unwrap(), "--format", "json"]).stdout,
    )
    .unwrap();
    assert_valid_report(&report);
    let expected = report["attack_paths"].as_array().unwrap().len()
        + report["findings"].as_array().unwrap().len();
    assert_eq!(results.len(), expected, "one result per path and finding");
    for res in results {
        let rule = res["ruleId"].as_str().unwrap();
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], rule);
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("k8s/") && uri.split('/').count() == 4,
            "{uri}"
        );
        assert_eq!(
            res["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        let fp = res["partialFingerprints"]["coderSecFingerprint/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 32);
        assert!(res["properties"]["object"].is_string());
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
    }
    // A path result carries the chain as a code flow.
    let path = results
        .iter()
        .find(|r| r["properties"]["kind"] == "attack-path")
        .expect("the demo has paths");
    assert!(
        path["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
}
