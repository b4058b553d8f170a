//! Coder in a shared cluster: workspaces sharing nodes with other workloads, namespaces without Pod
//! Security labels.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::FindingCode;
use crate::inventory::pod_ref;
use crate::paths::Severity;

use super::{Finding, Input, capped};

const SYSTEM_NS: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Runs the shared-cluster checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    let coder = input.coder;
    let ws = input.workspace_namespaces();
    let mut ws_nodes: BTreeSet<String> = BTreeSet::new();
    for &i in &coder.workspace_pods {
        if let Some(n) = &inv.pods[i].spec.node_name {
            ws_nodes.insert(n.clone());
        }
    }
    let mut shared: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &inv.pods {
        let ns = &p.metadata.namespace;
        let Some(node) = &p.spec.node_name else {
            continue;
        };
        if !ws_nodes.contains(node)
            || ws.contains(ns)
            || coder.coderd_namespaces.contains(ns)
            || SYSTEM_NS.contains(&ns.as_str())
            || p.metadata
                .owner_references
                .iter()
                .any(|o| o.kind == "DaemonSet")
            || p.finished()
        {
            continue;
        }
        shared.entry(node.clone()).or_default().push(pod_ref(p));
    }
    if !shared.is_empty() {
        let objs: Vec<String> = shared
            .iter()
            .flat_map(|(n, pods)| std::iter::once(format!("Node/{n}")).chain(pods.iter().cloned()))
            .collect();
        out.push(Finding::new(
            FindingCode::SharedNodes,
            Severity::High,
            format!(
                "{} nodes run workspaces next to other tenants' pods",
                shared.len()
            ),
            capped(objs, 40),
        ));
    }
    let mut ws_open = Vec::new();
    let mut other_open = Vec::new();
    for ns in inv.namespace_names() {
        if SYSTEM_NS.contains(&ns.as_str()) {
            continue;
        }
        let level = inv.namespace(&ns).and_then(|n| n.psa_enforce());
        if level.is_none_or(|l| l == "privileged") {
            let r = format!("Namespace/{ns}");
            if ws.contains(&ns) {
                ws_open.push(r);
            } else {
                other_open.push(r);
            }
        }
    }
    if !ws_open.is_empty() {
        out.push(Finding::new(
            FindingCode::NoPodSecurity,
            Severity::High,
            "workspace namespaces admit privileged pods (no Pod Security enforce label)",
            capped(ws_open, 40),
        ));
    }
    if !other_open.is_empty() {
        out.push(Finding::new(
            FindingCode::NoPodSecurity,
            Severity::Low,
            format!(
                "{} namespaces admit privileged pods (no Pod Security enforce label)",
                other_open.len()
            ),
            capped(other_open, 40),
        ));
    }
}
