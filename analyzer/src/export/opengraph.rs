//! BloodHound OpenGraph JSON: `{"metadata":{"source_kind":"CSBase"},"graph":{"nodes":[],"edges":[]}}`.
//!
//! Nodes: `id` is `CS-` and 24 hex characters of the reference's SHA-256 (unique, no colons, the
//! same in every export of the same object, so fleets merge); `kinds` is `[CS<Kind>, CSBase]` (two
//! kinds, common prefix `CS`); properties are primitives: `name`, `reference`, `kind`, and
//! `namespace` where there is one; no `objectid`. Edges: `kind` is `CS` and the technique in
//! CamelCase (`CSEscapePrivileged`, matching `^[A-Za-z0-9_]+$`); `start` and `end` match nodes by
//! id; properties `technique`, `cost`, `remediation`, and `attack`/`detail` where known.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::{Subgraph, kind_name, namespace_of};

/// The source kind every node also carries.
pub const SOURCE_KIND: &str = "CSBase";

/// The node id of a reference.
pub fn node_id(reference: &str) -> String {
    let digest = Sha256::digest(reference.as_bytes());
    format!("CS-{}", &hex::encode(digest)[..24])
}

/// The edge kind of a technique code: `CS` and the code in CamelCase.
pub fn edge_kind(code: &str) -> String {
    let mut s = String::from("CS");
    for word in code.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            s.push(first.to_ascii_uppercase());
            s.push_str(chars.as_str());
        }
    }
    s
}

/// The last segment of a reference, for a display name.
fn name_of(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// Renders the subgraph as OpenGraph JSON (pretty, trailing newline).
pub fn render(sub: &Subgraph) -> String {
    let nodes: Vec<Value> = sub
        .nodes
        .iter()
        .map(|n| {
            let mut props = Map::new();
            props.insert("name".into(), name_of(&n.reference).into());
            props.insert("reference".into(), n.reference.clone().into());
            props.insert("kind".into(), kind_name(n.kind).into());
            if let Some(ns) = namespace_of(&n.reference, n.kind) {
                props.insert("namespace".into(), ns.into());
            }
            json!({
                "id": node_id(&n.reference),
                "kinds": [format!("CS{}", kind_name(n.kind)), SOURCE_KIND],
                "properties": props,
            })
        })
        .collect();
    let edges: Vec<Value> = sub
        .links
        .iter()
        .map(|l| {
            let info = l.technique.info();
            let mut props = Map::new();
            props.insert("technique".into(), info.code.into());
            props.insert("cost".into(), info.cost.into());
            props.insert("remediation".into(), info.remediation.into());
            if let Some(a) = info.attack {
                props.insert("attack".into(), a.into());
            }
            if let Some(d) = &l.detail {
                props.insert("detail".into(), d.clone().into());
            }
            json!({
                "kind": edge_kind(info.code),
                "start": {"value": node_id(&l.from), "match_by": "id"},
                "end": {"value": node_id(&l.to), "match_by": "id"},
                "properties": props,
            })
        })
        .collect();
    let doc = json!({
        "metadata": {"source_kind": SOURCE_KIND},
        "graph": {"nodes": nodes, "edges": edges},
    });
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_kinds() {
        let id = node_id("Group/system:authenticated");
        assert!(id.starts_with("CS-") && id.len() == 27 && !id.contains(':'));
        assert_ne!(id, node_id("Group/system_authenticated"));
        assert_eq!(edge_kind("escape-privileged"), "CSEscapePrivileged");
        assert_eq!(edge_kind("rbac-pods/exec"), "CSRbacPodsExec");
    }
}
