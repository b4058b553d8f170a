//! Who stands at the start of a path and what is worth reaching: entry points with their breadth,
//! crown jewels with their tier (see `docs/analysis.md`).

use std::collections::BTreeMap;

use crate::catalog::Technique;
use crate::coder::CoderFacts;
use crate::graph::{ANY_NODE, CLUSTER_ADMIN, TrustGraph, VertexId, VertexKind};
use crate::inventory::{Inventory, pod_ref};
use crate::rbac::Rbac;
use crate::severity::{Breadth, Tier};
use crate::techniques::coder as ct;

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
        if extra.iter().any(|j| match j.strip_suffix('*') {
            Some(prefix) => r.starts_with(prefix),
            None => r == j,
        }) {
            put(Some(v), Tier::High);
        }
    }
    out
}
