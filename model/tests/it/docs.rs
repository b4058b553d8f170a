//! `docs/redaction.md` names every rule and every allow-listed environment variable.

use coder_sec_model::redact::{ENV_ALLOW_LIST, ENV_DENY_LIST, RULES};

fn doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/redaction.md");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_rule_is_documented() {
    let doc = doc();
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.name)
        .filter(|n| !doc.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "rules missing from docs/redaction.md: {missing:?}"
    );
    let names: std::collections::BTreeSet<&str> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), RULES.len(), "rule names must be unique");
    for r in RULES {
        assert!(
            r.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "`{}` is not kebab-case",
            r.name
        );
    }
}

#[test]
fn every_env_pattern_is_documented() {
    let doc = doc();
    let missing: Vec<&str> = ENV_ALLOW_LIST
        .iter()
        .chain(ENV_DENY_LIST)
        .copied()
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "patterns missing from docs/redaction.md: {missing:?}"
    );
}
