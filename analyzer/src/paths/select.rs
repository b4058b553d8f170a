//! Who stands at the start of a path and what is worth reaching: entry points with their breadth,
//! crown jewels with their tier (see `docs/analysis.md`).

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::Technique;
use crate::coder::CoderFacts;
use crate::graph::coder_vertices as ct;
use crate::graph::{ANY_NODE, CLUSTER_ADMIN, TrustGraph, VertexId, VertexKind};
use crate::inventory::{Inventory, pod_ref};
use crate::rbac::Rbac;
use crate::severity::{Breadth, Tier};

use super::Entry;

/// Entry points (see `docs/analysis.md`). Subjects that are cluster admins by a direct binding
/// are not entries: that they reach everything is the `cluster-admin-equivalent` finding.
pub fn entry_points(
    g: &TrustGraph,
    rbac: &Rbac,
    coder: &CoderFacts,
    inv: &Inventory,
) -> Vec<Entry> {
    let admin = g.get(CLUSTER_ADMIN);
    let is_admin = |v: VertexId| {
        g.out_edges(v).any(|(t, e)| {
            Some(t) == admin
                && matches!(
                    e.technique,
                    Technique::RbacWildcardAdmin | Technique::SystemMasters
                )
        })
    };
    let mut out: Vec<Entry> = Vec::new();
    let mut push = |v: Option<VertexId>, breadth: Breadth, class: Option<String>| {
        if let Some(v) = v
            && !is_admin(v)
        {
            out.push(Entry {
                vertex: v,
                breadth,
                class: class.unwrap_or_else(|| g.reference(v).to_string()),
            });
        }
    };
    push(g.get("User/system:anonymous"), Breadth::Internet, None);
    push(
        g.get("Group/system:unauthenticated"),
        Breadth::Internet,
        None,
    );
    push(g.get("Group/system:authenticated"), Breadth::Broad, None);
    for v in g.vertices() {
        match g.vertex_at(v).kind {
            VertexKind::Exposure | VertexKind::Oidc => push(Some(v), Breadth::Internet, None),
            _ => {}
        }
    }
    if coder.present() {
        push(g.get(ct::ANY_USER), Breadth::Broad, None);
        push(g.get(ct::TEMPLATE_AUTHOR), Breadth::Named, None);
    }
    for &i in &coder.workspace_pods {
        let p = &inv.pods[i];
        push(
            g.get(&pod_ref(p)),
            Breadth::Broad,
            Some(format!("Pod/{}/*", p.metadata.namespace)),
        );
    }
    let coder_ns =
        |ns: &str| coder.coderd_namespaces.contains(ns) || coder.workspace_namespaces.contains(ns);
    for p in &inv.pods {
        let ns = &p.metadata.namespace;
        if coder_ns(ns)
            || matches!(
                ns.as_str(),
                "kube-system" | "kube-public" | "kube-node-lease"
            )
        {
            continue;
        }
        push(
            g.get(&pod_ref(p)),
            Breadth::Broad,
            Some(format!("Pod/{ns}/*")),
        );
    }
    for s in &rbac.named_subjects {
        if s.starts_with("User/") || s.starts_with("Group/") {
            let breadth = match s.as_str() {
                "Group/system:authenticated" | "Group/system:serviceaccounts" => Breadth::Broad,
                "Group/system:unauthenticated" | "User/system:anonymous" => Breadth::Internet,
                _ => Breadth::Named,
            };
            push(g.get(s), breadth, None);
        }
    }
    out.sort_by(|a, b| {
        g.reference(a.vertex)
            .cmp(g.reference(b.vertex))
            .then(b.breadth.cmp(&a.breadth))
    });
    out.dedup_by_key(|e| e.vertex);
    out
}

/// Crown jewels and their tiers (see `docs/analysis.md`).
pub fn crown_jewels(
    g: &TrustGraph,
    coder: &CoderFacts,
    inv: &Inventory,
    extra: &[String],
) -> BTreeMap<VertexId, Tier> {
    let mut out = BTreeMap::new();
    let mut put = |v: Option<VertexId>, t: Tier| {
        if let Some(v) = v {
            let slot = out.entry(v).or_insert(t);
            *slot = (*slot).max(t);
        }
    };
    put(g.get(CLUSTER_ADMIN), Tier::Critical);
    for v in tenant_jewels(g, coder) {
        put(Some(v), Tier::High);
    }
    put(g.get(ANY_NODE), Tier::High);
    put(g.get(ct::DATABASE), Tier::Critical);
    put(g.get(ct::OWNER), Tier::Critical);
    put(g.get(ct::TEMPLATE_AUTHOR), Tier::High);
    for sa in &coder.coderd_service_accounts {
        put(g.get(sa), Tier::Critical);
    }
    for &i in &coder.coderd_pods {
        put(g.get(&pod_ref(&inv.pods[i])), Tier::Critical);
    }
    if let Some((ns, name)) = &coder.db_secret {
        put(g.get(&format!("Secret/{ns}/{name}")), Tier::Critical);
    }
    for (ns, name) in &coder.coderd_secrets {
        put(g.get(&format!("Secret/{ns}/{name}")), Tier::High);
    }
    for &i in &coder.workspace_pods {
        put(g.get(&pod_ref(&inv.pods[i])), Tier::High);
    }
    for v in g.vertices() {
        let t = match g.vertex_at(v).kind {
            VertexKind::Node | VertexKind::CloudRole | VertexKind::GitProvider => Some(Tier::High),
            VertexKind::Registry => Some(Tier::Medium),
            _ => None,
        };
        if let Some(t) = t {
            put(Some(v), t);
        }
        let r = g.reference(v);
        if extra.iter().any(|j| matches_ref(j, r)) {
            put(Some(v), Tier::High);
        }
    }
    out
}

/// Other tenants' jewels in a shared cluster (Coder detected): the pods, service accounts and
/// Secrets of every namespace that is neither Kubernetes' own (`kube-system`, `kube-public`,
/// `kube-node-lease`) nor Coder's (coderd's, the workspaces'). High tier; a path to one is not
/// made non-minimal by a node it passes (a workspace that escapes to a node shared with a tenant
/// shows the path on to the tenant's pod and Secrets), and it is no target for its own namespace.
pub fn tenant_jewels(g: &TrustGraph, coder: &CoderFacts) -> BTreeSet<VertexId> {
    if !coder.present() {
        return BTreeSet::new();
    }
    g.vertices()
        .filter(|&v| {
            matches!(
                g.vertex_at(v).kind,
                VertexKind::Pod | VertexKind::ServiceAccount | VertexKind::Secret
            )
        })
        .filter(|&v| {
            let r = g.reference(v);
            match super::engine::namespace_of(r) {
                Some(ns) => {
                    !matches!(ns, "kube-system" | "kube-public" | "kube-node-lease")
                        && !coder.coderd_namespaces.contains(ns)
                        && !coder.workspace_namespaces.contains(ns)
                }
                None => false,
            }
        })
        .collect()
}

/// Per vertex, whether it is on Coder's side of a shared cluster: Coder's principals
/// (`Coder/…`, identity providers) and everything in coderd's and the workspaces' namespaces.
/// Tenants' jewels are targets for paths from these only: they are what Coder's users must not
/// reach; paths between tenants are the cluster's own matter.
pub fn coder_side(g: &TrustGraph, coder: &CoderFacts) -> Vec<bool> {
    g.vertices()
        .map(|v| {
            let r = g.reference(v);
            r.starts_with("Coder/")
                || r.starts_with("OIDC/")
                || super::engine::namespace_of(r).is_some_and(|ns| {
                    coder.coderd_namespaces.contains(ns) || coder.workspace_namespaces.contains(ns)
                })
        })
        .collect()
}

/// The jewels only the extra crown jewels make (not built-in ones): they are targets, but no
/// other path is dropped for passing through them (adding a jewel never removes a path).
pub fn extra_only_jewels(
    g: &TrustGraph,
    coder: &CoderFacts,
    inv: &Inventory,
    extra: &[String],
) -> BTreeSet<VertexId> {
    if extra.is_empty() {
        return BTreeSet::new();
    }
    let built_in = crown_jewels(g, coder, inv, &[]);
    crown_jewels(g, coder, inv, extra)
        .into_keys()
        .filter(|v| !built_in.contains_key(v))
        .collect()
}

/// Whether `reference` matches `pattern`: equal, or, for a pattern ending in `*`, starting with
/// what comes before the `*`.
pub fn matches_ref(pattern: &str, reference: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => reference.starts_with(prefix),
        None => reference == pattern,
    }
}

/// The vertices a reference or pattern names, in reference order.
pub fn resolve(g: &TrustGraph, pattern: &str) -> Vec<VertexId> {
    let mut out: Vec<VertexId> = match pattern.strip_suffix('*') {
        Some(_) => g
            .vertices()
            .filter(|&v| matches_ref(pattern, g.reference(v)))
            .collect(),
        None => g.get(pattern).into_iter().collect(),
    };
    out.sort_by(|a, b| g.reference(*a).cmp(g.reference(*b)));
    out
}

/// Up to `k` vertex references nearest to `pattern` (for "did you mean"): references of the
/// pattern's kind first, then those whose name contains the pattern's last segment, then fewest
/// edits, then reference order.
pub fn nearest(g: &TrustGraph, pattern: &str, k: usize) -> Vec<String> {
    let pattern = pattern.trim_end_matches('*');
    let kind = pattern.split('/').next().unwrap_or("");
    let last = pattern.rsplit('/').next().unwrap_or("");
    let mut scored: Vec<(bool, bool, usize, &str)> = g
        .vertices()
        .map(|v| {
            let r = g.reference(v);
            (
                r.split('/').next() != Some(kind),
                last.is_empty() || !r.rsplit('/').next().unwrap_or("").contains(last),
                edit_distance(pattern, r),
                r,
            )
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(k)
        .map(|(_, _, _, r)| r.to_string())
        .collect()
}

/// Levenshtein distance by characters (two rows).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The extra crown jewels (`--crown-jewel`) that name no vertex of the graph, each with up to three
/// nearest references.
pub fn unmatched_jewels(g: &TrustGraph, extra: &[String]) -> Vec<(String, Vec<String>)> {
    extra
        .iter()
        .filter(|j| resolve(g, j).is_empty())
        .map(|j| (j.clone(), nearest(g, j, 3)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_and_near_misses_are_suggested() {
        let mut g = TrustGraph::new();
        for r in ["Secret/a/db", "Secret/a/tls", "Pod/a/web", "Node/n1"] {
            g.vertex(VertexKind::Secret, r);
        }
        let refs = |v: Vec<VertexId>| -> Vec<String> {
            v.into_iter().map(|x| g.reference(x).to_string()).collect()
        };
        assert_eq!(
            refs(resolve(&g, "Secret/a/*")),
            ["Secret/a/db", "Secret/a/tls"]
        );
        assert_eq!(refs(resolve(&g, "Pod/a/web")), ["Pod/a/web"]);
        assert!(resolve(&g, "Pod/a/we").is_empty());
        assert_eq!(nearest(&g, "Secret/a/dbb", 1), ["Secret/a/db"]);
        let unmatched = unmatched_jewels(&g, &["Secret/a/*".into(), "Secret/b/db".into()]);
        assert_eq!(unmatched.len(), 1);
        assert_eq!(unmatched[0].0, "Secret/b/db");
        assert_eq!(unmatched[0].1[0], "Secret/a/db");
    }
}
