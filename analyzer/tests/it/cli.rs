//! The `analyze` command through the real binary: formats, exit codes, `-o`, the JSON shape
//! against `docs/report-schema.json`, and the `--help` text.

use std::process::Command;

use serde_json::Value;

use super::support::{import, root, scenario_files};

fn coder_sec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_coder-sec"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .unwrap()
}

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
    let targets: Vec<&str> = v["attack_paths"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["target_examples"].as_array().unwrap().iter())
        .filter_map(|t| t.as_str())
        .collect();
    assert!(targets.contains(&"Secret/coder/regcred"), "{targets:?}");
}

/// A small JSON Schema checker: `type`, `required`, `properties`, `items`, `enum`, `$ref` to
/// `#/$defs/...`, `additionalProperties: false`.
fn validate(schema: &Value, root_schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return validate(&root_schema["$defs"][name], root_schema, v, path, errors);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_u64() || v.is_i64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: expected {types:?}, got {v}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        errors.push(format!("{path}: {v} not in {e:?}"));
    }
    if let Some(obj) = v.as_object() {
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = req.as_str().unwrap();
            if !obj.contains_key(k) {
                errors.push(format!("{path}: missing `{k}`"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(s, root_schema, val, &format!("{path}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{path}: unexpected `{k}`"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(items, root_schema, x, &format!("{path}[{i}]"), errors);
        }
    }
}

#[test]
fn json_report_follows_the_published_schema() {
    let (_d, snap) = snapshot();
    let out = coder_sec(&["analyze", &snap, "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report-schema.json")).unwrap(),
    )
    .unwrap();
    let mut errors = Vec::new();
    validate(&schema, &schema, &report, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    // With `--ignore-integrity`, the report states it, in the schema's shape.
    let out = coder_sec(&["analyze", &snap, "--format", "json", "--ignore-integrity"]);
    let ignored: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ignored["integrity"]["ignored"], true);
    validate(&schema, &schema, &ignored, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    // The contract's names, checked by hand as well.
    for k in [
        "format-version",
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
        "id", "severity", "entry", "target", "count", "examples", "steps",
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
    ] {
        assert!(f.get(k).is_some(), "finding lacks {k}");
    }
}

#[test]
fn analyze_help_is_stable() {
    let out = coder_sec(&["analyze", "--help"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
