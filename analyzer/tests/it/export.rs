//! `coder-sec export`: BloodHound OpenGraph JSON follows the format's rules, DOT renders with
//! Graphviz where it is installed, and `--from`/`--to`/`--path` select what they say.

use std::collections::BTreeSet;

use serde_json::Value;

use super::support::coder_sec;
use super::support::{import, scenario_files};

fn demo() -> (tempfile::TempDir, String) {
    let (d, p) = import(&scenario_files("demo"));
    (d, p.display().to_string())
}

fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = coder_sec(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Checks the OpenGraph rules; returns the node ids by reference.
fn check_opengraph(v: &Value) -> BTreeSet<String> {
    assert!(v["metadata"]["source_kind"].is_string());
    let nodes = v["graph"]["nodes"].as_array().unwrap();
    let edges = v["graph"]["edges"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    let mut refs = BTreeSet::new();
    for n in nodes {
        let id = n["id"].as_str().unwrap();
        assert!(!id.contains(':'), "{id}");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        let kinds: Vec<&str> = n["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!((1..=3).contains(&kinds.len()), "{kinds:?}");
        assert!(kinds.iter().all(|k| k.starts_with("CS")), "{kinds:?}");
        let props = n["properties"].as_object().unwrap();
        assert!(!props.contains_key("objectid"));
        for (k, p) in props {
            assert!(
                p.is_string() || p.is_number() || p.is_boolean(),
                "{id}.{k} is not primitive"
            );
        }
        refs.insert(props["reference"].as_str().unwrap().to_string());
    }
    let kind_re =
        |k: &str| !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    for e in edges {
        assert!(kind_re(e["kind"].as_str().unwrap()), "{e}");
        for end in ["start", "end"] {
            assert_eq!(e[end]["match_by"], "id");
            assert!(ids.contains(e[end]["value"].as_str().unwrap()), "{e}");
        }
        for (k, p) in e["properties"].as_object().unwrap() {
            assert!(p.is_string() || p.is_number() || p.is_boolean(), "{k}");
        }
    }
    refs
}

#[test]
fn opengraph_whole_graph_and_between_two_vertices() {
    let (_d, snap) = demo();
    let whole: Value =
        serde_json::from_slice(&run_ok(&["export", &snap, "--format", "opengraph"])).unwrap();
    let all = check_opengraph(&whole);
    assert!(all.len() > 20);
    let (from, to) = ("Pod/ci/ci-runner-5f7b9", "Secret/coder/coder-db-url");
    let part: Value = serde_json::from_slice(&run_ok(&[
        "export",
        &snap,
        "--format",
        "opengraph",
        "--from",
        from,
        "--to",
        to,
    ]))
    .unwrap();
    let some = check_opengraph(&part);
    assert!(
        some.contains(from) && some.contains(to) && some.contains("ServiceAccount/ci/deployer")
    );
    assert!(some.len() < all.len(), "a strict subgraph");
    // The same object has the same id in both exports (fleets merge).
    let id_of = |v: &Value, r: &str| {
        v["graph"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["properties"]["reference"] == r)
            .unwrap()["id"]
            .clone()
    };
    assert_eq!(id_of(&whole, from), id_of(&part, from));
    // An unknown reference is an input error naming it.
    let out = coder_sec(&["export", &snap, "--format", "dot", "--from", "Pod/nope/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`Pod/nope/x`"));
    let out = coder_sec(&["export", &snap, "--format", "dot", "--path", "AP-999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AP-999"));
}

#[test]
fn dot_of_one_path_renders_with_graphviz() {
    let (d, snap) = demo();
    let text = String::from_utf8(run_ok(&[
        "export", &snap, "--format", "dot", "--path", "AP-001",
    ]))
    .unwrap();
    assert!(text.starts_with("digraph \"AP-001\" {"), "{text}");
    assert!(text.contains("\"Pod/ci/ci-runner-5f7b9\" -> \"ServiceAccount/ci/deployer\""));
    let sub = String::from_utf8(run_ok(&[
        "export",
        &snap,
        "--format",
        "dot",
        "--to",
        "Secret/coder/coder-db-url",
    ]))
    .unwrap();
    if std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_err()
    {
        coder_sec_model::testing::skip_unless_required("graphviz `dot` not installed");
        return;
    }
    for (name, dot) in [("path", &text), ("subgraph", &sub)] {
        let file = d.path().join(format!("{name}.dot"));
        std::fs::write(&file, dot).unwrap();
        let out = std::process::Command::new("dot")
            .args(["-Tsvg"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(
            svg.contains("<svg") && svg.contains("coder&#45;db&#45;url"),
            "{name}"
        );
    }
}

#[test]
fn export_help_is_stable() {
    let out = coder_sec(&["export", "--help"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
