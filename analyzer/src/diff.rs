//! What changed between two reports: new, resolved and changed items, matched by fingerprint.
//!
//! Either side is a JSON report (any format version: reports that predate fingerprints get theirs
//! computed from the same fields) or a report freshly made from a snapshot; both are read as JSON
//! values, so a report written by an older coder-sec diffs against a new one. An item is an attack
//! path, a finding or a fix plan item ([`ItemKind`]; a fix's identity is its key, so the same change
//! matches across reports). An item is *changed* when its fingerprint is on both sides and what is shown about
//! it (severity, cost, entries, title, ...) differs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::fingerprint;
use crate::severity::Severity;
use crate::suppress::{self, Suppressions};

/// A report that cannot be diffed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The JSON is not a coder-sec report.
    #[error("`{source_name}` is not a coder-sec report: {message}")]
    NotAReport {
        /// The file (or `new`/`old`).
        source_name: String,
        /// What is missing or malformed.
        message: String,
    },
}

/// What kind of item a diff entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// An attack path.
    AttackPath,
    /// A finding.
    Finding,
    /// An item of the fix plan.
    FixPlan,
}

impl ItemKind {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::AttackPath => "path",
            ItemKind::Finding => "finding",
            ItemKind::FixPlan => "fix",
        }
    }
}

/// One path, finding or fix, as the diff sees it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Item {
    /// Path, finding or fix.
    pub kind: ItemKind,
    /// Its identity across reports.
    pub fingerprint: String,
    /// Its id in its report (`AP-003`), its finding code, or a fix's key.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// Match keys for suppression patterns (see [`crate::suppress`]).
    #[serde(skip)]
    pub keys: Vec<String>,
    /// What is shown about it (every field but its id and fingerprint), compared for *changed*.
    #[serde(skip)]
    pub state: BTreeMap<String, Value>,
}

/// One field that differs between the two sides.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Its old value.
    pub old: Value,
    /// Its new value.
    pub new: Value,
}

/// An item on both sides whose shown fields differ.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Changed {
    /// The item as it is now.
    pub item: Item,
    /// Its severity before.
    pub old_severity: Severity,
    /// The fields that differ.
    pub changes: Vec<FieldChange>,
}

/// Counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DiffSummary {
    /// Items only in the new report.
    pub new: usize,
    /// Items only in the old report.
    pub resolved: usize,
    /// Items on both sides that changed.
    pub changed: usize,
    /// Items on both sides, the same.
    pub unchanged: usize,
    /// Items hidden by the suppressions file (on either side).
    pub suppressed: usize,
}

/// The difference between two reports.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Diff {
    /// Counts.
    pub summary: DiffSummary,
    /// Items only in the new report, worst first.
    pub new: Vec<Item>,
    /// Items only in the old report, worst first.
    pub resolved: Vec<Item>,
    /// Items on both sides that changed, worst first.
    pub changed: Vec<Changed>,
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn state_of(v: &Value) -> BTreeMap<String, Value> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "fingerprint"))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The items of a JSON report (`name` names it in errors).
pub fn items(report: &Value, name: &str) -> Result<Vec<Item>, DiffError> {
    let bad = |message: String| DiffError::NotAReport {
        source_name: name.to_string(),
        message,
    };
    let paths = report
        .get("attack_paths")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `attack_paths` array".to_string()))?;
    let findings = report
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `findings` array".to_string()))?;
    let severity = |v: &Value, what: &str| {
        Severity::parse(str_of(v, "severity"))
            .ok_or_else(|| bad(format!("{what} has no valid `severity`")))
    };
    let mut out = Vec::new();
    for p in paths {
        let (entry, target) = (str_of(p, "entry"), str_of(p, "target"));
        let steps = p.get("steps").and_then(Value::as_array);
        let fp = match p.get("fingerprint").and_then(Value::as_str) {
            Some(f) => f.to_string(),
            None => {
                let steps = steps.map(Vec::as_slice).unwrap_or_default();
                let techniques: Vec<&str> = steps.iter().map(|s| str_of(s, "technique")).collect();
                let tos: Vec<&str> = steps.iter().map(|s| str_of(s, "to")).collect();
                fingerprint::path_fingerprint(entry, target, &techniques, &tos)
            }
        };
        out.push(Item {
            kind: ItemKind::AttackPath,
            fingerprint: fp,
            id: str_of(p, "id").to_string(),
            severity: severity(p, "an attack path")?,
            title: format!("{entry} -> {target}"),
            keys: suppress::path_keys(
                entry,
                target,
                &strings(p, "examples"),
                &strings(p, "target_examples"),
            ),
            state: state_of(p),
        });
    }
    for f in findings {
        let code = str_of(f, "code");
        let objects = strings(f, "objects");
        let fp = match f.get("fingerprint").and_then(Value::as_str) {
            Some(x) => x.to_string(),
            None => {
                let o: Vec<&str> = objects.iter().map(String::as_str).collect();
                fingerprint::finding_fingerprint(code, &o)
            }
        };
        out.push(Item {
            kind: ItemKind::Finding,
            fingerprint: fp,
            id: code.to_string(),
            severity: severity(f, "a finding")?,
            title: str_of(f, "title").to_string(),
            keys: suppress::finding_keys(code, &objects),
            state: state_of(f),
        });
    }
    // Reports before the fix plan have none: their fixes are simply absent.
    let fixes = report.get("fix_plan").and_then(Value::as_array);
    for f in fixes.into_iter().flatten() {
        let key = str_of(f, "key");
        if key.is_empty() {
            return Err(bad("a fix plan item has no `key`".to_string()));
        }
        let closes = |sev: &str| {
            f.pointer(&format!("/removes/{sev}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        // A fix is as severe as the worst path it closes.
        let severity = ["critical", "high", "medium"]
            .into_iter()
            .find(|s| closes(s) > 0)
            .and_then(Severity::parse)
            .unwrap_or(Severity::Low);
        out.push(Item {
            kind: ItemKind::FixPlan,
            fingerprint: fingerprint::hash_fields("fix", [key]),
            id: key.to_string(),
            severity,
            title: str_of(f, "title").to_string(),
            keys: vec![key.to_string()],
            state: state_of(f),
        });
    }
    Ok(out)
}

fn worst_first(a: &Item, b: &Item) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(a.kind.cmp(&b.kind))
        .then(a.id.cmp(&b.id))
        .then(a.fingerprint.cmp(&b.fingerprint))
}

/// Compares two reports' items; items a suppression rule in force on `today` hides are left out of
/// both sides (and counted).
pub fn diff(
    old: Vec<Item>,
    new: Vec<Item>,
    suppressions: Option<&Suppressions>,
    today: time::Date,
) -> Diff {
    let mut suppressed = 0;
    let mut keep = |i: &Item| {
        let hidden =
            suppressions.is_some_and(|s| s.rule_for(&i.fingerprint, &i.keys, today).is_some());
        suppressed += usize::from(hidden);
        !hidden
    };
    // A fingerprint may (rarely) repeat within a report: keep the first, worst-first.
    let index = |v: Vec<Item>, keep: &mut dyn FnMut(&Item) -> bool| {
        let mut m: BTreeMap<String, Item> = BTreeMap::new();
        let mut v = v;
        v.sort_by(worst_first);
        for i in v {
            if keep(&i) {
                m.entry(i.fingerprint.clone()).or_insert(i);
            }
        }
        m
    };
    let old = index(old, &mut keep);
    let new = index(new, &mut keep);
    let mut d = Diff {
        summary: DiffSummary::default(),
        new: Vec::new(),
        resolved: Vec::new(),
        changed: Vec::new(),
    };
    for (fp, item) in &new {
        match old.get(fp) {
            None => d.new.push(item.clone()),
            Some(before) => {
                let fields: std::collections::BTreeSet<&String> =
                    before.state.keys().chain(item.state.keys()).collect();
                let changes: Vec<FieldChange> = fields
                    .into_iter()
                    .filter(|k| before.state.get(*k) != item.state.get(*k))
                    .map(|k| FieldChange {
                        field: k.clone(),
                        old: before.state.get(k).cloned().unwrap_or(Value::Null),
                        new: item.state.get(k).cloned().unwrap_or(Value::Null),
                    })
                    .collect();
                if changes.is_empty() {
                    d.summary.unchanged += 1;
                } else {
                    d.changed.push(Changed {
                        item: item.clone(),
                        old_severity: before.severity,
                        changes,
                    });
                }
            }
        }
    }
    for (fp, item) in &old {
        if !new.contains_key(fp) {
            d.resolved.push(item.clone());
        }
    }
    d.new.sort_by(worst_first);
    d.resolved.sort_by(worst_first);
    d.changed.sort_by(|a, b| worst_first(&a.item, &b.item));
    d.summary.new = d.new.len();
    d.summary.resolved = d.resolved.len();
    d.summary.changed = d.changed.len();
    d.summary.suppressed = suppressed;
    d
}

impl Diff {
    /// Whether a new item is at or above `threshold`.
    pub fn new_at_or_above(&self, threshold: Severity) -> bool {
        self.new.iter().any(|i| i.severity >= threshold)
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

/// The diff for a terminal.
pub fn render_text(d: &Diff) -> String {
    let mut s = String::new();
    let m = &d.summary;
    let _ = writeln!(
        s,
        "DIFF: {} new, {} resolved, {} changed, {} unchanged{}",
        m.new,
        m.resolved,
        m.changed,
        m.unchanged,
        if m.suppressed > 0 {
            format!(", {} suppressed", m.suppressed)
        } else {
            String::new()
        }
    );
    for (head, items) in [("NEW", &d.new), ("RESOLVED", &d.resolved)] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{head}");
        for i in items.iter() {
            let _ = writeln!(
                s,
                "  [{}] {} {} {}  ({})",
                i.severity.as_str(),
                i.kind.label(),
                i.id,
                i.title,
                i.fingerprint
            );
        }
    }
    if !d.changed.is_empty() {
        let _ = writeln!(s, "\nCHANGED");
        for c in &d.changed {
            let i = &c.item;
            let _ = writeln!(
                s,
                "  [{}] {} {} {}  ({})",
                i.severity.as_str(),
                i.kind.label(),
                i.id,
                i.title,
                i.fingerprint
            );
            for f in &c.changes {
                let _ = writeln!(
                    s,
                    "      {}: {} -> {}",
                    f.field,
                    short(&f.old),
                    short(&f.new)
                );
            }
        }
    }
    s
}

/// The diff as Markdown.
pub fn render_markdown(d: &Diff) -> String {
    render_markdown_at(d, "# coder-sec diff")
}

/// The diff as a Markdown section under `heading` (its subsections one level down).
pub fn render_markdown_at(d: &Diff, heading: &str) -> String {
    let esc = |x: &str| x.replace('|', "\\|");
    let sub = format!("#{}", heading.split(' ').next().unwrap_or("#"));
    let mut s = String::new();
    let m = &d.summary;
    let _ = writeln!(s, "{heading}\n");
    let _ = writeln!(
        s,
        "{} new, {} resolved, {} changed, {} unchanged, {} suppressed.\n",
        m.new, m.resolved, m.changed, m.unchanged, m.suppressed
    );
    for (head, items) in [("New", &d.new), ("Resolved", &d.resolved)] {
        let _ = writeln!(s, "{sub} {head}\n");
        if items.is_empty() {
            let _ = writeln!(s, "None.\n");
            continue;
        }
        let _ = writeln!(s, "| severity | kind | id | title | fingerprint |");
        let _ = writeln!(s, "| --- | --- | --- | --- | --- |");
        for i in items.iter() {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | `{}` |",
                i.severity.as_str(),
                i.kind.label(),
                esc(&i.id),
                esc(&i.title),
                i.fingerprint
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "{sub} Changed\n");
    if d.changed.is_empty() {
        let _ = writeln!(s, "None.\n");
    }
    for c in &d.changed {
        let i = &c.item;
        let _ = writeln!(
            s,
            "- **{}** {} {} ({} → {}), `{}`",
            esc(&i.id),
            i.kind.label(),
            esc(&i.title),
            c.old_severity.as_str(),
            i.severity.as_str(),
            i.fingerprint
        );
        for f in &c.changes {
            let _ = writeln!(
                s,
                "  - `{}`: {} → {}",
                f.field,
                esc(&short(&f.old)),
                esc(&short(&f.new))
            );
        }
    }
    s
}

/// The diff as pretty JSON with a trailing newline.
pub fn render_json(d: &Diff) -> String {
    let mut s =
        serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(paths: Value, findings: Value) -> Value {
        json!({"attack_paths": paths, "findings": findings})
    }

    fn path(entry: &str, sev: &str, cost: u32) -> Value {
        json!({"id": "AP-001", "severity": sev, "entry": entry, "target": "Virtual/cluster-admin",
               "cost": cost, "examples": [], "target_examples": [],
               "steps": [{"from": entry, "to": "Virtual/cluster-admin", "technique": "rbac-bind"}]})
    }

    fn day(s: &str) -> time::Date {
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    }

    fn fix(key: &str, critical: u64, high: u64) -> Value {
        json!({"key": key, "title": format!("change {key}"),
               "cause": {"object": key.split('#').next().unwrap(), "field": "f"},
               "remediation": "r", "removes": {"critical": critical, "high": high, "medium": 0, "low": 0},
               "remaining": {"critical": 0, "high": 0, "medium": 0, "low": 0}})
    }

    #[test]
    fn fix_plan_items_are_new_resolved_and_changed_by_key() {
        let mut old = report(json!([]), json!([]));
        old["fix_plan"] = json!([
            fix("RoleBinding/ci/b#subjects", 3, 0),
            fix("DaemonSet/x/d#f", 0, 2)
        ]);
        let mut new = report(json!([]), json!([]));
        new["fix_plan"] = json!([
            fix("RoleBinding/ci/b#subjects", 1, 0),
            fix("Namespace/ws#labels", 0, 1)
        ]);
        let d = diff(
            items(&old, "old").unwrap(),
            items(&new, "new").unwrap(),
            None,
            day("2026-01-01"),
        );
        let ids = |v: &[Item]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.new), ["Namespace/ws#labels"]);
        assert_eq!(d.new[0].kind, ItemKind::FixPlan);
        assert_eq!(d.new[0].severity, Severity::High);
        assert_eq!(ids(&d.resolved), ["DaemonSet/x/d#f"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].item.severity, Severity::Critical);
        assert!(d.changed[0].changes.iter().any(|c| c.field == "removes"));
        // A report from before the fix plan has no fixes and still diffs.
        assert!(
            items(&report(json!([]), json!([])), "old")
                .unwrap()
                .is_empty()
        );
        // A fix without its key is no report of ours.
        let mut broken = report(json!([]), json!([]));
        broken["fix_plan"] = json!([{"title": "x"}]);
        assert!(items(&broken, "broken").is_err());
    }

    #[test]
    fn new_resolved_changed() {
        let old = report(
            json!([path("User/a", "high", 3), path("User/b", "high", 3)]),
            json!([{"code": "x", "severity": "low", "title": "t", "objects": ["Pod/a/b"]}]),
        );
        let new = report(
            json!([path("User/a", "critical", 2), path("User/c", "medium", 3)]),
            json!([{"code": "x", "severity": "low", "title": "t", "objects": ["Pod/a/b"]}]),
        );
        let d = diff(
            items(&old, "old").unwrap(),
            items(&new, "new").unwrap(),
            None,
            day("2026-01-01"),
        );
        assert_eq!(d.summary.new, 1);
        assert_eq!(d.new[0].title, "User/c -> Virtual/cluster-admin");
        assert_eq!(d.summary.resolved, 1);
        assert_eq!(d.resolved[0].title, "User/b -> Virtual/cluster-admin");
        assert_eq!(d.summary.changed, 1);
        let fields: Vec<&str> = d.changed[0]
            .changes
            .iter()
            .map(|c| c.field.as_str())
            .collect();
        assert_eq!(fields, ["cost", "severity"]);
        assert_eq!(d.summary.unchanged, 1);
        assert!(d.new_at_or_above(Severity::Medium));
        assert!(!d.new_at_or_above(Severity::High));
        let text = render_text(&d);
        assert!(
            text.contains("1 new, 1 resolved, 1 changed, 1 unchanged"),
            "{text}"
        );
        assert!(render_markdown(&d).contains("## Resolved"));
    }

    #[test]
    fn suppressions_hide_new_items_until_they_expire() {
        let old = report(json!([]), json!([]));
        let new = report(json!([path("User/c", "high", 3)]), json!([]));
        let rules = Suppressions::parse(
            "ignore:\n  - pattern: \"User/c -> *\"\n    reason: accepted\n    expires: 2026-06-30\n",
            std::path::Path::new("x.yaml"),
        )
        .unwrap();
        let d = diff(
            items(&old, "old").unwrap(),
            items(&new, "new").unwrap(),
            Some(&rules),
            day("2026-06-30"),
        );
        assert_eq!((d.summary.new, d.summary.suppressed), (0, 1));
        let d = diff(
            items(&old, "old").unwrap(),
            items(&new, "new").unwrap(),
            Some(&rules),
            day("2026-07-01"),
        );
        assert_eq!((d.summary.new, d.summary.suppressed), (1, 0));
    }

    #[test]
    fn not_a_report() {
        let e = items(&json!({"findings": []}), "a.json").unwrap_err();
        assert!(e.to_string().contains("`a.json`") && e.to_string().contains("attack_paths"));
    }
}
