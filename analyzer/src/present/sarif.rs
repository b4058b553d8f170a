//! SARIF 2.1.0 for code-scanning services (GitHub code scanning and the like).
//!
//! One rule per technique and per finding code (help text and remediation from the catalog). A
//! finding is one result under its code's rule; a path is one result under the rule of its first
//! technique, with the whole chain as a code flow. Cluster objects have no file, and GitHub drops
//! results without a physical location, so each result is located at a stable pseudo-path,
//! `k8s/<namespace>/<Kind>/<name>` (`k8s/_cluster/<Kind>/<name>` for cluster-scoped objects and
//! virtual vertices), line 1; the object reference itself is in the result's properties and in a
//! logical location. `partialFingerprints` carries the report's fingerprint, so a result keeps its
//! identity across runs. Paths and findings a suppressions file hid stay in the log with a
//! `suppressions` entry (status `accepted`, the rule's reason as justification), so code scanning
//! closes their alerts instead of reopening them.
//!
//! Typed structs rather than a SARIF crate: `serde-sarif` generates its types in a build script
//! (schemafy, syn) and needs builders for every object; the few objects used here are written out,
//! and a test validates the output against the official schema.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{FindingCode, Technique};
use crate::findings::Finding;
use crate::paths::AttackPath;
use crate::report::Report;
use crate::severity::Severity;

/// The `$schema` written into the log.
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The tool's home page.
const INFORMATION_URI: &str = "https://github.com/coder-sec/coder-sec";
/// The key under `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "coderSecFingerprint/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attack: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    properties: BTreeMap<&'static str, serde_json::Value>,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    thread_flows: Vec<ThreadFlow>,
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
struct ThreadFlowLocation {
    location: Location,
}

/// SARIF level of a severity: critical and high are errors, medium a warning, low a note.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` score of a severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The stable pseudo-path of an object reference: `k8s/<namespace>/<Kind>/<name>` for
/// `Kind/namespace/name`, `k8s/_cluster/<Kind>/<name>` for `Kind/name` and for every other form
/// (the rest of the reference as the name). Each segment is percent-encoded.
pub fn pseudo_path(reference: &str) -> String {
    let parts: Vec<&str> = reference.splitn(3, '/').collect();
    let (ns, kind, name) = match parts.as_slice() {
        [kind, ns, name]
            if !name.contains('/') && !matches!(*kind, "Virtual" | "Exposure" | "Volume") =>
        {
            (*ns, *kind, name.to_string())
        }
        [kind, rest @ ..] if !rest.is_empty() => ("_cluster", *kind, rest.join("/")),
        _ => ("_cluster", "Object", reference.to_string()),
    };
    format!(
        "k8s/{}/{}/{}",
        encode_segment(ns),
        encode_segment(kind),
        encode_segment(&name)
    )
}

fn location(reference: &str, message: Option<String>) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: pseudo_path(reference),
            },
            region: Region { start_line: 1 },
        },
        logical_locations: vec![LogicalLocation {
            fully_qualified_name: reference.to_string(),
            kind: "resource",
        }],
        message: message.map(|text| Text { text }),
    }
}

fn camel(code: &str) -> String {
    code.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rules() -> Vec<Rule> {
    let mut out = Vec::new();
    for t in Technique::ALL {
        let i = t.info();
        out.push(Rule {
            id: i.code,
            name: camel(i.code),
            short_description: Text {
                text: format!("Attack path step `{}` ({})", i.code, i.edge),
            },
            full_description: Text {
                text: format!("Precondition: {}", i.precondition),
            },
            help: Help {
                text: format!(
                    "{}\n\nPrecondition: {}\nRemediation: {}",
                    i.code, i.precondition, i.remediation
                ),
                markdown: format!(
                    "**`{}`** ({})\n\n**Precondition:** {}\n\n**Remediation:** {}",
                    i.code, i.edge, i.precondition, i.remediation
                ),
            },
            default_configuration: Configuration { level: "error" },
            properties: RuleProperties {
                tags: vec![
                    "security".to_string(),
                    "attack-path".to_string(),
                    format!("{:?}", i.family).to_lowercase(),
                ],
                attack: i.attack,
            },
        });
    }
    for f in FindingCode::ALL {
        let i = f.info();
        out.push(Rule {
            id: i.code,
            name: camel(i.code),
            short_description: Text {
                text: i.description.to_string(),
            },
            full_description: Text {
                text: i.description.to_string(),
            },
            help: Help {
                text: format!("{}\n\nRemediation: {}", i.description, i.remediation),
                markdown: format!(
                    "**`{}`**: {}\n\n**Remediation:** {}",
                    i.code, i.description, i.remediation
                ),
            },
            default_configuration: Configuration { level: "warning" },
            properties: RuleProperties {
                tags: vec![
                    "security".to_string(),
                    "finding".to_string(),
                    i.area.title().to_string(),
                ],
                attack: None,
            },
        });
    }
    out
}

/// Where a path is located: its entry, or its first example when the entry is a pattern
/// (`Pod/ns/*`), a concrete object.
pub fn path_object(p: &AttackPath) -> &str {
    if p.entry.contains('*') {
        p.examples.first().unwrap_or(&p.entry)
    } else {
        &p.entry
    }
}

/// Where a finding is located: its first object (`Cluster/cluster` when it names none).
pub fn finding_object(f: &Finding) -> &str {
    f.objects
        .iter()
        .find(|o| !o.starts_with('…'))
        .map(String::as_str)
        .unwrap_or("Cluster/cluster")
}

/// Renders the report as a SARIF 2.1.0 log (pretty JSON, trailing newline).
pub fn render(r: &Report) -> String {
    let rules = rules();
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut results = Vec::new();
    for p in &r.attack_paths {
        let Some(first) = p.steps.first() else {
            continue;
        };
        let rule_id = first.technique.code();
        let techniques: Vec<&str> = p.steps.iter().map(|s| s.technique.code()).collect();
        let at = path_object(p);
        let flow: Vec<ThreadFlowLocation> = std::iter::once(ThreadFlowLocation {
            location: location(&first.from, Some(format!("entry: {}", first.from))),
        })
        .chain(p.steps.iter().map(|s| ThreadFlowLocation {
            location: location(&s.to, Some(format!("{} → {}", s.technique.code(), s.to))),
        }))
        .collect();
        let mut props = BTreeMap::new();
        props.insert("kind", "attack-path".into());
        props.insert("id", p.id.clone().into());
        props.insert("object", at.into());
        props.insert("entry", p.entry.clone().into());
        props.insert("target", p.target.clone().into());
        props.insert("techniques", techniques.clone().into());
        props.insert("severity", p.severity.as_str().into());
        props.insert("security-severity", security_severity(p.severity).into());
        props.insert("cost", p.cost.into());
        props.insert("count", p.count.into());
        results.push(SarifResult {
            rule_id,
            rule_index: index[rule_id],
            level: level(p.severity),
            message: Text {
                text: format!(
                    "{} ({}): {} can reach {} in {} steps: {}",
                    p.id,
                    p.severity.as_str(),
                    p.entry,
                    p.target,
                    p.steps.len(),
                    techniques.join(" → ")
                ),
            },
            locations: vec![location(at, None)],
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, p.fingerprint.clone())]),
            suppressions: Vec::new(),
            code_flows: vec![CodeFlow {
                thread_flows: vec![ThreadFlow { locations: flow }],
            }],
            properties: props,
        });
    }
    for f in &r.findings {
        let rule_id = f.code.code();
        let at = finding_object(f);
        let mut props = BTreeMap::new();
        props.insert("kind", "finding".into());
        props.insert("object", at.into());
        props.insert("objects", f.objects.clone().into());
        props.insert("severity", f.severity.as_str().into());
        props.insert("security-severity", security_severity(f.severity).into());
        props.insert("seed_bullet", f.seed_bullet.id().into());
        results.push(SarifResult {
            rule_id,
            rule_index: index[rule_id],
            level: level(f.severity),
            message: Text {
                text: format!("{} Remediation: {}", f.title, f.remediation),
            },
            locations: vec![location(at, None)],
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.clone())]),
            suppressions: Vec::new(),
            code_flows: Vec::new(),
            properties: props,
        });
    }
    // Accepted risks stay in the log, suppressed: code scanning closes their alerts.
    for x in &r.suppressed {
        let Some(&rule_index) = index.get(x.code.as_str()) else {
            continue;
        };
        let mut props = BTreeMap::new();
        props.insert("kind", x.kind.clone().into());
        props.insert("id", x.id.clone().into());
        props.insert("object", x.object.clone().into());
        props.insert("severity", x.severity.as_str().into());
        props.insert("security-severity", security_severity(x.severity).into());
        results.push(SarifResult {
            rule_id: rules[rule_index].id,
            rule_index,
            level: level(x.severity),
            message: Text {
                text: format!("{} (accepted risk: {})", x.title, x.rule.reason),
            },
            locations: vec![location(&x.object, None)],
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, x.fingerprint.clone())]),
            suppressions: vec![Suppression {
                kind: "external",
                status: "accepted",
                justification: format!(
                    "{} (until {}; {})",
                    x.rule.reason,
                    x.rule.expires,
                    x.rule.label()
                ),
            }],
            code_flows: Vec::new(),
            properties: props,
        });
    }
    let mut run_props = BTreeMap::new();
    run_props.insert("report_format_version", r.format_version.into());
    if let Some(at) = &r.snapshot.captured_at {
        run_props.insert("captured_at", at.clone().into());
    }
    run_props.insert("suppressed", r.suppressed.len().into());
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "coder-sec",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            results,
            properties: run_props,
        }],
    };
    let mut s =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_paths() {
        assert_eq!(pseudo_path("Pod/coder/web-0"), "k8s/coder/Pod/web-0");
        assert_eq!(pseudo_path("Node/n1"), "k8s/_cluster/Node/n1");
        assert_eq!(
            pseudo_path("Group/system:authenticated"),
            "k8s/_cluster/Group/system%3Aauthenticated"
        );
        assert_eq!(
            pseudo_path("Exposure/Service/ns/web"),
            "k8s/_cluster/Exposure/Service%2Fns%2Fweb"
        );
        assert_eq!(
            pseudo_path("Volume/ns/p/v"),
            "k8s/_cluster/Volume/ns%2Fp%2Fv"
        );
        assert_eq!(pseudo_path("odd"), "k8s/_cluster/Object/odd");
    }

    #[test]
    fn levels() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(camel("escape-privileged"), "EscapePrivileged");
    }
}
