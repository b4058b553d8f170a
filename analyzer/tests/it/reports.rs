//! Reports for CI and for people: the generated report schema, fingerprints that survive a new
//! capture, SARIF against the official schema, and suppressions.

use std::path::PathBuf;

use coder_sec_analyzer::inventory::Inventory;
use coder_sec_analyzer::report::{Report, Settings};
use coder_sec_analyzer::schema::{diff_schema, report_schema};
use coder_sec_model::ReadLimits;
use coder_sec_model::import::{ImportOptions, import_paths};
use serde_json::Value;

use super::support::{
    CAPTURED_AT, assert_valid, assert_valid_report, check_expected, coder_sec, import, root,
    scenario_files, schema_errors,
};

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
    check_expected(&root().join("docs/diff-schema.json"), &diff_schema());
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

const EVERYONE_ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: everyone-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:authenticated
";

/// The demo, and the demo with every authenticated user bound to cluster-admin.
fn demo_and_worse() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("99-everyone-admin.yaml");
    std::fs::write(&extra, EVERYONE_ADMIN).unwrap();
    let options = ImportOptions {
        captured_at: Some(CAPTURED_AT.to_string()),
        ..ImportOptions::default()
    };
    let old = dir.path().join("old.tar.zst");
    import_paths(&scenario_files("demo"), &old, &options).unwrap();
    let new = dir.path().join("new.tar.zst");
    let mut files = scenario_files("demo");
    files.push(extra);
    import_paths(&files, &new, &options).unwrap();
    let s = |p: PathBuf| p.display().to_string();
    (dir, s(old), s(new))
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn diff_of_two_captures_of_the_same_state_is_empty() {
    let (_a, one) = import_at("demo", CAPTURED_AT);
    let (_b, two) = import_at("demo", "2026-11-01T09:00:00Z");
    let (one, two) = (one.to_str().unwrap(), two.to_str().unwrap());
    let out = coder_sec(&["diff", one, two, "--format", "json", "--fail-on", "low"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_of(&out);
    assert_valid(&root().join("docs/diff-schema.json"), &d);
    assert_eq!(d["summary"]["new"], 0);
    assert_eq!(d["summary"]["resolved"], 0);
    assert_eq!(d["summary"]["changed"], 0);
    assert!(d["summary"]["unchanged"].as_u64().unwrap() > 10);
    // A JSON report without fingerprints (as format 1.x wrote) diffs against a snapshot.
    let mut old: Value = json_of(&coder_sec(&["analyze", one, "--format", "json"]));
    for k in ["attack_paths", "findings"] {
        for x in old[k].as_array_mut().unwrap() {
            x.as_object_mut().unwrap().remove("fingerprint");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, serde_json::to_string(&old).unwrap()).unwrap();
    let out = coder_sec(&["diff", old_path.to_str().unwrap(), two]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("DIFF: 0 new, 0 resolved, 0 changed"),
        "{text}"
    );
}

#[test]
fn diff_reports_new_and_resolved_and_fails_only_on_new() {
    let (_d, old, new) = demo_and_worse();
    let out = coder_sec(&[
        "diff",
        &old,
        &new,
        "--format",
        "json",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = json_of(&out);
    assert_valid(&root().join("docs/diff-schema.json"), &d);
    let new_items = d["new"].as_array().unwrap();
    assert!(
        new_items.iter().any(|i| i["kind"] == "attack-path"
            && i["severity"] == "critical"
            && i["title"]
                .as_str()
                .unwrap()
                .ends_with(" -> Virtual/cluster-admin")),
        "{new_items:#?}"
    );
    // Backwards: the critical paths are resolved; what is new there (paths the wider binding
    // had made redundant) is at most high, so a critical gate passes.
    let out = coder_sec(&[
        "diff",
        &new,
        &old,
        "--format",
        "markdown",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let md = String::from_utf8_lossy(&out.stdout);
    let resolved = &md[md.find("## Resolved").unwrap()..md.find("## Changed").unwrap()];
    assert!(resolved.contains(" -> Virtual/cluster-admin"), "{md}");
    // Bad input names the file.
    let out = coder_sec(&["diff", "Cargo.toml", &new]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`Cargo.toml`"));
}

#[test]
fn analyze_with_a_baseline_gates_on_new_items_only() {
    let (d, old, new) = demo_and_worse();
    let baseline = d.path().join("baseline.json");
    let out = coder_sec(&[
        "analyze",
        &old,
        "--format",
        "json",
        "-o",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let b = baseline.to_str().unwrap();
    // The old state against itself: nothing new, so even `--fail-on low` passes...
    let out = coder_sec(&[
        "analyze",
        &old,
        "--baseline",
        b,
        "--fail-on",
        "low",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json_of(&out);
    assert_valid_report(&r);
    assert_eq!(r["baseline"]["summary"]["new"], 0);
    // ...where without a baseline it fails.
    assert_eq!(
        coder_sec(&["analyze", &old, "--fail-on", "low"])
            .status
            .code(),
        Some(1)
    );
    // The new state: the new critical path fails the gate, and the text report lists it.
    let out = coder_sec(&["analyze", &new, "--baseline", b, "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SINCE THE BASELINE") && text.contains(" -> Virtual/cluster-admin"),
        "{text}"
    );
}

#[test]
fn suppressions_hide_list_and_warn() {
    let (d, _old, new) = demo_and_worse();
    let r = json_of(&coder_sec(&["analyze", &new, "--format", "json"]));
    let finding = &r["findings"][0];
    let fp = finding["fingerprint"].as_str().unwrap();
    let n_paths = r["attack_paths"].as_array().unwrap().len();
    let ignore = d.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        format!(
            "ignore:
  - fingerprint: {fp}
    reason: accepted in SEC-1
    expires: 2999-12-31
  - pattern: \"* -> Virtual/cluster-admin\"
    reason: break-glass
    expires: 2999-12-31
  - pattern: \"*\"
    reason: long gone
    expires: 2001-01-01
"
        ),
    )
    .unwrap();
    let out = coder_sec(&[
        "analyze",
        &new,
        "--format",
        "json",
        "--ignore-file",
        ignore.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let s = json_of(&out);
    assert_valid_report(&s);
    let suppressed = s["suppressed"].as_array().unwrap();
    assert!(
        suppressed
            .iter()
            .any(|x| x["fingerprint"] == fp && x["rule"]["reason"] == "accepted in SEC-1")
    );
    assert!(suppressed.iter().any(|x| x["kind"] == "attack-path"));
    assert!(
        s["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fingerprint"] != fp)
    );
    assert!(s["attack_paths"].as_array().unwrap().len() < n_paths);
    assert!(
        s["attack_paths"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["target"] != "Virtual/cluster-admin")
    );
    // The expired catch-all hides nothing and is warned about, in the report and on stderr.
    let warnings = s["suppression_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("expired on 2001-01-01")
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning:"));
    let total: u64 = ["critical", "high", "medium", "low"]
        .iter()
        .map(|k| s["summary"]["attack_paths"][k].as_u64().unwrap())
        .sum();
    assert_eq!(
        total as usize,
        s["attack_paths"].as_array().unwrap().len(),
        "summary recounted"
    );
    // SARIF keeps the accepted risks as suppressed results (code scanning closes their alerts).
    let out = coder_sec(&[
        "analyze",
        &new,
        "--format",
        "sarif",
        "--ignore-file",
        ignore.to_str().unwrap(),
    ]);
    let log = json_of(&out);
    assert_valid(&root().join("testdata/sarif/sarif-schema-2.1.0.json"), &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let accepted: Vec<&Value> = results
        .iter()
        .filter(|r| r["suppressions"][0]["status"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), suppressed.len());
    assert!(accepted.iter().any(|r| {
        r["partialFingerprints"]["coderSecFingerprint/v1"] == fp
            && r["suppressions"][0]["justification"]
                .as_str()
                .unwrap()
                .contains("accepted in SEC-1")
    }));
    // A malformed file is an input error naming it.
    std::fs::write(&ignore, "ignore:\n  - reason: r\n    expires: 2999-01-01\n").unwrap();
    let out = coder_sec(&["analyze", &new, "--ignore-file", ignore.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignore.yaml"));
}

#[test]
fn diff_help_is_stable() {
    let out = coder_sec(&["diff", "--help"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
