//! `docs/redaction.md` is generated from the code where it lists data: the rules, the allow-list and
//! the environment patterns. `CODER_SEC_BLESS=1` rewrites the generated parts; review the diff.

use coder_sec_model::redact::{ENV_ALLOW_LIST, ENV_DENY_LIST, RULES, allow};

fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/redaction.md")
}

fn doc() -> String {
    std::fs::read_to_string(path()).unwrap()
}

/// Checks (or, with `CODER_SEC_BLESS=1`, rewrites) the part of the doc between
/// `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`.
fn check_generated(name: &str, body: &str) {
    let text = doc();
    let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
    let end = format!("<!-- END GENERATED: {name} -->");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("docs/redaction.md lacks `{begin}`"))
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .unwrap_or_else(|| panic!("docs/redaction.md lacks `{end}`"))
        + start;
    if &text[start..stop] == body {
        return;
    }
    if std::env::var_os("CODER_SEC_BLESS").is_some() {
        let new = format!("{}{body}{}", &text[..start], &text[stop..]);
        std::fs::write(path(), new).unwrap();
        return;
    }
    panic!(
        "the `{name}` part of docs/redaction.md is stale: rerun with CODER_SEC_BLESS=1 and review"
    );
}

#[test]
fn the_allow_list_in_the_doc_is_generated_from_the_table() {
    check_generated("allow-list", &allow::markdown());
}

#[test]
fn the_rules_in_the_doc_are_generated_from_the_code() {
    check_generated("rules", &allow::rules_markdown());
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
