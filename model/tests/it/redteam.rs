//! The red-team corpus (`testdata/scenarios/redteam`): one canary per leak class of issue 10 must not
//! survive an import, and the facts the analysis needs must.

use coder_sec_model::redact::{Redactor, scan};
use serde_json::Value;

use crate::support::{ReadBack, scenario, snapshot_round_trip};

fn needles() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(scenario("redteam").join("needles.tsv")).unwrap();
    scan::parse_needle_list(&text)
}

fn round_trip() -> (ReadBack, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let redactor = Redactor::with_key([0x3c; 32]);
    let back = snapshot_round_trip(&scenario("redteam"), &redactor, &[], tmp.path());
    (back, tmp)
}

#[test]
fn every_red_team_canary_is_visible_in_the_input() {
    let list = needles();
    let docs = coder_sec_model::manifests::load_paths(&[scenario("redteam")]).unwrap();
    let input = Value::Array(docs.into_iter().map(|d| d.object).collect());
    let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let found = scan::find_needles(&input, &names);
    let missing: Vec<&(String, String)> = list.iter().filter(|(n, _)| !found.contains(n)).collect();
    assert!(missing.is_empty(), "not visible in the input: {missing:#?}");
}

#[test]
fn no_red_team_canary_survives_an_import() {
    let list = needles();
    let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let (back, _tmp) = round_trip();
    let mut survivors = Vec::new();
    for (path, text) in &back.raw {
        for n in scan::find_needles_in_text(text, &names) {
            let place = &list.iter().find(|(x, _)| *x == n).unwrap().1;
            survivors.push(format!("{n} ({place}) in {path}"));
        }
    }
    for n in scan::find_needles(&back.manifest_json, &names) {
        survivors.push(format!("{n} in manifest.json"));
    }
    assert!(
        survivors.is_empty(),
        "{} red-team canaries survived:\n{}",
        survivors.len(),
        survivors.join("\n")
    );
}

#[test]
fn red_team_facts_survive() {
    let text = std::fs::read_to_string(scenario("redteam").join("facts.tsv")).unwrap();
    let (back, _tmp) = round_trip();
    let mut lost = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (ns, name) = f[1].split_once('/').unwrap();
        let object = back.object(f[0], ns, name);
        let got = object
            .pointer(f[2])
            .and_then(Value::as_str)
            .unwrap_or("<missing>");
        if got != f[3] {
            lost.push(format!("{} {} {}: {got}", f[0], f[1], f[2]));
        }
    }
    assert!(lost.is_empty(), "facts lost:\n{}", lost.join("\n"));
}

#[test]
fn markers_say_why_values_went() {
    use coder_sec_model::redact::{Why, marker_reason};
    let (back, _tmp) = round_trip();
    let d = back.object("Deployment", "coder", "coder");
    let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
    let why = |i: usize| marker_reason(env[i]["value"].as_str().unwrap_or(""));
    assert_eq!(why(5), Some(Why::SecretShaped), "hvs. token");
    assert_eq!(why(6), Some(Why::SecretShaped), "JWT after =");
    assert_eq!(
        why(12),
        Some(Why::NotAllowed),
        "HUMAN_LOG is an ordinary setting"
    );
}
