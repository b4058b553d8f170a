//! Accepted risks: a suppressions file (`.coder-sec-ignore.yaml`) hides paths and findings by
//! fingerprint or by pattern, each with a reason and an expiry date. What it hides is listed in the
//! report (`suppressed`); a rule past its expiry hides nothing and is reported as a warning, as is a
//! rule that matches nothing.
//!
//! ```yaml
//! ignore:
//!   - fingerprint: 3f2a9c0e1b7d4a6f8e0c2b4d6f8a0c2e
//!     reason: break-glass admin, reviewed in SEC-142
//!     expires: 2027-03-31
//!   - pattern: "host-path-mount Pod/monitoring/*"
//!     reason: node exporter needs /proc
//!     expires: 2026-12-31
//! ```
//!
//! A `pattern` is a glob (`*` any run of characters, `?` one character) matched against the whole
//! of one of an item's *match keys*: for a finding its code, and `CODE OBJECT` for each of its
//! objects; for a path `ENTRY -> TARGET`, for each of its example entries and example targets.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::fingerprint;
use crate::report::Report;
use crate::severity::Severity;

/// The file name looked for in the current folder when no file is named.
pub const DEFAULT_FILE: &str = ".coder-sec-ignore.yaml";

/// A suppressions file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    /// The file cannot be read.
    #[error("cannot read suppressions file `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not the expected YAML.
    #[error("suppressions file `{path}` is not valid")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A rule is malformed.
    #[error("suppressions file `{path}`, rule {index}: {message}")]
    Rule {
        /// The file.
        path: PathBuf,
        /// The rule's position (1-based).
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// The file's shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    ignore: Vec<Rule>,
}

/// One rule: a fingerprint or a pattern, a reason and an expiry date.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Hide the path or finding with this fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Hide paths and findings with a match key this glob matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Why the risk is accepted.
    pub reason: String,
    /// Last day the rule applies (`YYYY-MM-DD`); from the day after, it hides nothing.
    pub expires: String,
}

impl Rule {
    /// The rule in a few words, for warnings: `fingerprint X` or `pattern "P"`.
    pub fn label(&self) -> String {
        match (&self.fingerprint, &self.pattern) {
            (Some(f), _) => format!("fingerprint {f}"),
            (None, Some(p)) => format!("pattern \"{p}\""),
            (None, None) => "empty rule".to_string(),
        }
    }

    fn expiry(&self) -> Option<time::Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&self.expires, format).ok()
    }

    fn matches(&self, fingerprint: &str, keys: &[String]) -> bool {
        match (&self.fingerprint, &self.pattern) {
            (Some(f), _) => f == fingerprint,
            (None, Some(p)) => keys.iter().any(|k| glob(p, k)),
            (None, None) => false,
        }
    }
}

/// The rules of a suppressions file, checked.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    /// Where they were read from (for messages).
    pub source: String,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

impl Suppressions {
    /// Reads and checks a suppressions file.
    pub fn load(path: &Path) -> Result<Suppressions, SuppressError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuppressError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Suppressions::parse(&text, path)
    }

    /// Parses and checks the text of a suppressions file read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Suppressions, SuppressError> {
        let shape: FileShape = if text.trim().is_empty() {
            FileShape::default()
        } else {
            serde_yaml_ng::from_str(text).map_err(|source| SuppressError::Parse {
                path: path.to_path_buf(),
                source,
            })?
        };
        for (i, r) in shape.ignore.iter().enumerate() {
            let bad = |message: String| SuppressError::Rule {
                path: path.to_path_buf(),
                index: i + 1,
                message,
            };
            match (&r.fingerprint, &r.pattern) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(bad(
                        "give exactly one of `fingerprint` and `pattern`".to_string()
                    ));
                }
                (Some(f), None) if !fingerprint::is_fingerprint(f) => {
                    return Err(bad(format!(
                        "`fingerprint` {f:?} is not 32 lower-case hex characters"
                    )));
                }
                (None, Some(p)) if p.trim().is_empty() => {
                    return Err(bad("`pattern` is empty".to_string()));
                }
                _ => {}
            }
            if r.reason.trim().is_empty() {
                return Err(bad("`reason` is empty".to_string()));
            }
            if r.expiry().is_none() {
                return Err(bad(format!(
                    "`expires` {:?} is not a date (YYYY-MM-DD)",
                    r.expires
                )));
            }
        }
        Ok(Suppressions {
            source: path.display().to_string(),
            rules: shape.ignore,
        })
    }
}

impl Suppressions {
    /// The first rule in force on `today` that hides the item with this fingerprint and these
    /// match keys.
    pub fn rule_for(&self, fingerprint: &str, keys: &[String], today: time::Date) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.expiry().is_some_and(|d| d >= today) && r.matches(fingerprint, keys))
    }
}

/// A path or finding a rule hid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Suppressed {
    /// `attack-path` or `finding`.
    pub kind: String,
    /// Its id (`AP-003`) or finding code.
    pub id: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Its severity.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// The technique of its first step (a path) or its code (a finding): its SARIF rule.
    pub code: String,
    /// The object it is located at (a path's entry, or first example when the entry is a
    /// pattern; a finding's first object).
    pub object: String,
    /// The rule that hid it.
    pub rule: Rule,
}

/// Match keys of a path: `ENTRY -> TARGET` for the path and its examples.
pub fn path_keys(
    entry: &str,
    target: &str,
    examples: &[String],
    targets: &[String],
) -> Vec<String> {
    let mut keys = vec![format!("{entry} -> {target}")];
    let entries = std::iter::once(entry).chain(examples.iter().map(String::as_str));
    let entries: Vec<&str> = entries.collect();
    let tgts: Vec<&str> = std::iter::once(target)
        .chain(targets.iter().map(String::as_str))
        .collect();
    for e in &entries {
        for t in &tgts {
            let k = format!("{e} -> {t}");
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// Match keys of a finding: its code, and `CODE OBJECT` for each object.
pub fn finding_keys(code: &str, objects: &[String]) -> Vec<String> {
    std::iter::once(code.to_string())
        .chain(objects.iter().map(|o| format!("{code} {o}")))
        .collect()
}

/// Hides what the rules match (rules expired before `today` hide nothing), lists it in
/// `report.suppressed`, records warnings and recounts the summary.
pub fn apply(report: &mut Report, rules: &Suppressions, today: time::Date) {
    let active: Vec<bool> = rules
        .rules
        .iter()
        .map(|r| r.expiry().is_some_and(|d| d >= today))
        .collect();
    let mut used = vec![false; rules.rules.len()];
    let mut hit = |fp: &str, keys: &[String]| -> Option<usize> {
        let i = rules
            .rules
            .iter()
            .enumerate()
            .position(|(i, r)| active[i] && r.matches(fp, keys))?;
        used[i] = true;
        Some(i)
    };
    let mut suppressed = Vec::new();
    report.attack_paths.retain(|p| {
        let keys = path_keys(&p.entry, &p.target, &p.examples, &p.target_examples);
        match hit(&p.fingerprint, &keys) {
            Some(i) => {
                suppressed.push(Suppressed {
                    kind: "attack-path".to_string(),
                    id: p.id.clone(),
                    fingerprint: p.fingerprint.clone(),
                    severity: p.severity,
                    title: format!("{} -> {}", p.entry, p.target),
                    code: p
                        .steps
                        .first()
                        .map(|s| s.technique.code())
                        .unwrap_or_default()
                        .to_string(),
                    object: crate::present::sarif::path_object(p).to_string(),
                    rule: rules.rules[i].clone(),
                });
                false
            }
            None => true,
        }
    });
    report.findings.retain(|f| {
        let keys = finding_keys(f.code.code(), &f.objects);
        match hit(&f.fingerprint, &keys) {
            Some(i) => {
                suppressed.push(Suppressed {
                    kind: "finding".to_string(),
                    id: f.code.code().to_string(),
                    fingerprint: f.fingerprint.clone(),
                    severity: f.severity,
                    title: f.title.clone(),
                    code: f.code.code().to_string(),
                    object: crate::present::sarif::finding_object(f).to_string(),
                    rule: rules.rules[i].clone(),
                });
                false
            }
            None => true,
        }
    });
    for (i, r) in rules.rules.iter().enumerate() {
        if !active[i] {
            report.suppression_warnings.push(format!(
                "`{}` rule {} ({}): expired on {}; it hides nothing until renewed or removed",
                rules.source,
                i + 1,
                r.label(),
                r.expires
            ));
        } else if !used[i] {
            report.suppression_warnings.push(format!(
                "`{}` rule {} ({}): matches nothing in this report",
                rules.source,
                i + 1,
                r.label()
            ));
        }
    }
    report.suppressed.extend(suppressed);
    report.recount();
}

/// Whether glob `pattern` (`*` any run, `?` one character) matches all of `text`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Today's date (UTC), for expiry.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob(
            "host-path-mount Pod/monitoring/*",
            "host-path-mount Pod/monitoring/x"
        ));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(glob("Pod/?/x", "Pod/a/x"));
        assert!(!glob("Pod/?/x", "Pod/ab/x"));
        assert!(!glob("a*b", "a-b-c"));
        assert!(!glob("Pod/*", "xPod/a"));
    }

    #[test]
    fn rules_are_checked() {
        let p = Path::new(".coder-sec-ignore.yaml");
        let ok = "ignore:\n  - pattern: \"x*\"\n    reason: ok\n    expires: 2030-01-01\n";
        assert_eq!(Suppressions::parse(ok, p).unwrap().rules.len(), 1);
        assert!(Suppressions::parse("", p).unwrap().rules.is_empty());
        for (bad, needle) in [
            (
                "ignore:\n  - reason: r\n    expires: 2030-01-01\n",
                "exactly one",
            ),
            (
                "ignore:\n  - fingerprint: xyz\n    reason: r\n    expires: 2030-01-01\n",
                "32 lower-case hex",
            ),
            (
                "ignore:\n  - pattern: a\n    reason: r\n    expires: soon\n",
                "not a date",
            ),
            (
                "ignore:\n  - pattern: a\n    reason: \"\"\n    expires: 2030-01-01\n",
                "`reason` is empty",
            ),
        ] {
            let e = Suppressions::parse(bad, p).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("rule 1"), "{e}");
        }
        let e = Suppressions::parse("ignore:\n  - pattern: a\n    why: r\n", p).unwrap_err();
        assert!(matches!(e, SuppressError::Parse { .. }));
    }

    #[test]
    fn keys() {
        assert_eq!(
            finding_keys("c", &["A/b".to_string()]),
            vec!["c".to_string(), "c A/b".to_string()]
        );
        let k = path_keys("Pod/ns/*", "Node/*", &["Pod/ns/a".to_string()], &[]);
        assert_eq!(k, vec!["Pod/ns/* -> Node/*", "Pod/ns/a -> Node/*"]);
    }
}
