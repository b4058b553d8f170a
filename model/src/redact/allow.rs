//! The allow-list: the only string fields a snapshot keeps. One row per field path, with the shape its
//! value must have, the analysis that reads it and why it cannot hold a secret. Every other string of
//! every object, Coder API answer and `aws-auth` mapping becomes a marker (`why=not-allowed`);
//! `docs/redaction.md` is generated from [`ALLOW_LIST`] (`model/tests/it/docs.rs` checks it).
//!
//! Path patterns are dot-separated segments: a key, `*` (any key), `[]` (any array item), `**` (any
//! number of segments), or alternatives `a|b`; several patterns are separated by `, `. Three macros
//! stand for the places of a kind's pod template: `{meta}` (the object's `metadata` and its templates'
//! metadata), `{pod}` (every pod spec) and `{container}` (every container of every pod spec).

use std::sync::OnceLock;

use super::shape::Shape;

mod table;
pub use table::ALLOW_LIST;

/// What a row's paths are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A Kubernetes object (captured or imported).
    Object,
    /// A Coder REST API answer (`coder/api/*.json`).
    CoderApi,
    /// One parsed key of `kube-system/aws-auth` (`mapRoles`, `mapUsers`, `mapAccounts`): paths start
    /// at the key's list.
    AwsAuth,
}

impl Scope {
    /// The scope's name in the documentation.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Object => "object",
            Scope::CoderApi => "Coder API",
            Scope::AwsAuth => "aws-auth",
        }
    }
}

/// One allow-list row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// What the paths are relative to.
    pub scope: Scope,
    /// The kinds the row applies to (empty: every kind).
    pub kinds: &'static [&'static str],
    /// Path patterns (see the module documentation).
    pub path: &'static str,
    /// The shape the value must have.
    pub shape: Shape,
    /// Which analysis reads the field.
    pub reads: &'static str,
    /// Why the field cannot hold a secret.
    pub why: &'static str,
}

/// One segment of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Any number of segments.
    Any,
    /// Any one key.
    Key,
    /// One of these literal segments (`[]` for array items, macros included).
    Lit(Vec<&'static str>),
}

struct Compiled {
    row: &'static Allowed,
    segs: Vec<Seg>,
}

fn compiled() -> &'static [Compiled] {
    static TABLE: OnceLock<Vec<Compiled>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = Vec::new();
        for row in ALLOW_LIST.iter() {
            for pattern in row.path.split(", ") {
                let segs = pattern
                    .split('.')
                    .map(|s| match s {
                        "**" => Seg::Any,
                        "*" => Seg::Key,
                        other => Seg::Lit(other.split('|').collect()),
                    })
                    .collect();
                out.push(Compiled { row, segs });
            }
        }
        out
    })
}

fn seg_match(pattern: &[Seg], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((Seg::Any, rest)) => (0..=path.len()).any(|i| seg_match(rest, &path[i..])),
        Some((Seg::Key, rest)) => {
            path.first().is_some_and(|p| *p != "[]") && seg_match(rest, &path[1..])
        }
        Some((Seg::Lit(alts), rest)) => {
            path.first().is_some_and(|p| alts.contains(p)) && seg_match(rest, &path[1..])
        }
    }
}

/// Pod spec roots of a kind, as path segments.
fn pod_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Pod" => &[&["spec"]],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &[&["spec", "template", "spec"]],
        "PodTemplate" => &[&["template", "spec"]],
        "CronJob" => &[&["spec", "jobTemplate", "spec", "template", "spec"]],
        _ => &[],
    }
}

/// Metadata roots of a kind, as path segments (the object's own first).
pub fn meta_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &[&["metadata"], &["spec", "template", "metadata"]],
        "PodTemplate" => &[&["metadata"], &["template", "metadata"]],
        "CronJob" => &[
            &["metadata"],
            &["spec", "jobTemplate", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "metadata"],
        ],
        _ => &[&["metadata"]],
    }
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The path with a kind's pod spec, container and metadata roots replaced by `{pod}`, `{container}`
/// and `{meta}`.
pub fn normalize<'a>(kind: &str, path: &[&'a str]) -> Vec<&'a str> {
    for root in pod_roots(kind) {
        if path.starts_with(root) {
            let rest = &path[root.len()..];
            if rest.len() >= 2 && CONTAINER_LISTS.contains(&rest[0]) && rest[1] == "[]" {
                let mut out = vec!["{container}"];
                out.extend_from_slice(&rest[2..]);
                return out;
            }
            let mut out = vec!["{pod}"];
            out.extend_from_slice(rest);
            return out;
        }
    }
    for root in meta_roots(kind) {
        if path.starts_with(root) {
            let mut out = vec!["{meta}"];
            out.extend_from_slice(&path[root.len()..]);
            return out;
        }
    }
    path.to_vec()
}

/// The first row that allows the string at `path` (segments; array items are `[]`) of an object of
/// `kind` in `scope`, and the pattern that matched.
pub fn lookup(scope: Scope, kind: &str, path: &[&str]) -> Option<&'static Allowed> {
    // Objects of one kind repeat the same paths: the answer is remembered per thread (bounded).
    thread_local! {
        static MEMO: std::cell::RefCell<std::collections::HashMap<String, Option<&'static Allowed>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let key = format!("{}\u{0}{kind}\u{0}{}", scope.name(), path.join("\u{1}"));
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return hit;
    }
    let found = lookup_uncached(scope, kind, path);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= 100_000 {
            m.clear();
        }
        m.insert(key, found);
    });
    found
}

fn lookup_uncached(scope: Scope, kind: &str, path: &[&str]) -> Option<&'static Allowed> {
    let normalized = if scope == Scope::Object {
        normalize(kind, path)
    } else {
        path.to_vec()
    };
    compiled()
        .iter()
        .find(|c| {
            c.row.scope == scope
                && (c.row.kinds.is_empty() || c.row.kinds.contains(&kind))
                && seg_match(&c.segs, &normalized)
        })
        .map(|c| c.row)
}

/// The allow-list as the Markdown tables of `docs/redaction.md` (between the `allow-list` markers):
/// one table per scope, then the annotation keys the analysis reads.
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for scope in [Scope::Object, Scope::CoderApi, Scope::AwsAuth] {
        let _ = writeln!(out, "#### Scope: {}\n", scope.name());
        out.push_str("| kinds | paths | shape | read by | why it cannot hold a secret |\n");
        out.push_str("|---|---|---|---|---|\n");
        for row in ALLOW_LIST.iter().filter(|r| r.scope == scope) {
            let kinds = if row.kinds.is_empty() {
                "any".to_string()
            } else {
                row.kinds.join(", ")
            };
            let paths: Vec<String> = row
                .path
                .split(", ")
                .map(|p| format!("`{}`", p.replace('|', "\\|")))
                .collect();
            let _ = writeln!(
                out,
                "| {kinds} | {} | {} | {} | {} |",
                paths.join(", "),
                row.shape.description(),
                row.reads.replace('|', "\\|"),
                row.why.replace('|', "\\|"),
            );
        }
        out.push('\n');
    }
    out.push_str("#### Annotation keys the analysis reads\n\n");
    out.push_str("| key | shape | read by |\n|---|---|---|\n");
    for (key, shape, reads) in super::shape::ANNOTATION_SHAPES {
        let _ = writeln!(out, "| `{key}` | {} | {reads} |", shape.description());
    }
    out.push_str(
        "| `container.apparmor.security.beta.kubernetes.io/*`, `seccomp.security.alpha.kubernetes.io/*` | name | container escape techniques (profiles) |\n",
    );
    out
}

/// The redaction rules as the Markdown table of `docs/redaction.md` (between the `rules` markers).
pub fn rules_markdown() -> String {
    let mut out = String::from("| rule | one count means |\n|---|---|\n");
    for rule in super::RULES {
        out.push_str(&format!("| `{}` | {} |\n", rule.name, rule.description));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_through_templates() {
        let image = ["spec", "template", "spec", "initContainers", "[]", "image"];
        assert_eq!(
            lookup(Scope::Object, "Deployment", &image).map(|r| r.shape),
            Some(Shape::Image)
        );
        let label = [
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
            "app",
        ];
        assert_eq!(
            lookup(Scope::Object, "CronJob", &label).map(|r| r.shape),
            Some(Shape::Label)
        );
        let env = ["spec", "containers", "[]", "env", "[]", "value"];
        assert_eq!(
            lookup(Scope::Object, "Pod", &env).map(|r| r.shape),
            Some(Shape::EnvValue)
        );
        let flex = ["spec", "volumes", "[]", "flexVolume", "options", "password"];
        assert_eq!(lookup(Scope::Object, "Pod", &flex), None);
        let mount = ["spec", "mountOptions", "[]"];
        assert_eq!(lookup(Scope::Object, "PersistentVolume", &mount), None);
        assert_eq!(
            lookup(
                Scope::Object,
                "ClusterRole",
                &["rules", "[]", "verbs", "[]"]
            )
            .map(|r| r.shape),
            Some(Shape::Name)
        );
        assert_eq!(lookup(Scope::Object, "Role", &["rules", "[]", "x"]), None);
    }

    #[test]
    fn every_row_is_documented_and_parses() {
        for row in ALLOW_LIST.iter() {
            assert!(!row.reads.is_empty() && !row.why.is_empty(), "{}", row.path);
            for p in row.path.split(", ") {
                assert!(!p.is_empty() && !p.contains(' '), "{}", row.path);
            }
        }
    }
}
