//! Whether the analysis found what the generator planted (`expected.json` beside the snapshot):
//! the benchmark checks the answer, not only the time.

use std::path::Path;

use anyhow::Context as _;
use coder_sec_synth::{Expected, PlantedPath};
use serde::{Deserialize, Serialize};

/// One planted answer and what the report says of it.
#[derive(Debug, Clone, Serialize)]
pub struct PlantedAnswer {
    /// The planted path's id.
    pub id: String,
    /// An attack path leads from its entry to its target (each the reference itself, one of the
    /// path group's examples, or a class pattern such as `Pod/ns/*` that covers it).
    pub path_found: bool,
    /// Every finding it should raise was raised (`true` when it names none).
    pub findings_found: bool,
    /// It is found: by its path, or, where the entry is no entry point (coderd's own pod), by the
    /// findings it names.
    pub found: bool,
}

/// The parts of the JSON report the check reads.
#[derive(Deserialize)]
struct Report {
    attack_paths: Vec<ReportPath>,
    findings: Vec<Finding>,
}

#[derive(Deserialize)]
struct ReportPath {
    entry: String,
    target: String,
    examples: Vec<String>,
    target_examples: Vec<String>,
}

#[derive(Deserialize)]
struct Finding {
    code: String,
}

/// Whether `shown` (a reference or a `Kind/ns/*` pattern, with up to five examples) names
/// `reference`.
fn names(shown: &str, examples: &[String], reference: &str) -> bool {
    shown == reference
        || examples.iter().any(|e| e == reference)
        || shown
            .strip_suffix('*')
            .is_some_and(|prefix| prefix.ends_with('/') && reference.starts_with(prefix))
}

/// Checks the report at `report` against the expectations of `snapshot`.
pub fn check(snapshot: &Path, report: &Path) -> anyhow::Result<Vec<PlantedAnswer>> {
    let expected_path = coder_sec_synth::expected_path_for_snapshot(snapshot);
    let text = std::fs::read(&expected_path)
        .with_context(|| format!("cannot read `{}`", expected_path.display()))?;
    let expected: Expected = serde_json::from_slice(&text)
        .with_context(|| format!("`{}` is not an expectations file", expected_path.display()))?;
    let file = std::fs::File::open(report)
        .with_context(|| format!("cannot read `{}`", report.display()))?;
    let report: Report = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("`{}` is not a coder-sec JSON report", report.display()))?;
    Ok(expected
        .planted
        .iter()
        .map(|p| answer(p, &report))
        .collect())
}

fn answer(p: &PlantedPath, report: &Report) -> PlantedAnswer {
    let path_found = report.attack_paths.iter().any(|a| {
        names(&a.entry, &a.examples, &p.entry) && names(&a.target, &a.target_examples, &p.target)
    });
    let findings_found = p
        .findings
        .iter()
        .all(|code| report.findings.iter().any(|f| &f.code == code));
    PlantedAnswer {
        id: p.id.clone(),
        path_found,
        findings_found,
        found: path_found || (!p.findings.is_empty() && findings_found),
    }
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn patterns_examples_and_references_name_what_they_cover() {
        let ex = vec!["Pod/a/x".to_string()];
        assert!(names("Pod/a/x", &[], "Pod/a/x"));
        assert!(names("Pod/a/*", &ex, "Pod/a/y"));
        assert!(names("Pod/b/*", &ex, "Pod/a/x"));
        assert!(!names("Pod/b/*", &[], "Pod/a/x"));
        assert!(!names("Pod/a", &[], "Pod/a/x"));
        assert!(!names("*", &[], "Pod/a/x"));
    }
}
