//! Coder in a shared cluster: workspaces sharing nodes with other workloads, namespaces without Pod
//! Security labels, containers sharing a process namespace.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::FindingCode;
use crate::inventory::{Container, Pod, pod_ref};
use crate::severity::Severity;

use super::{Finding, Input, complete};

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
            complete(objs),
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
            complete(ws_open),
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
            complete(other_open),
        ));
    }
    shared_process_namespaces(input, out);
}

/// Whether a container holds something its siblings may lack: privileges, added capabilities, or a
/// volume they do not mount.
fn stronger_than_siblings(p: &Pod, c: &Container) -> bool {
    let sc = &c.security_context;
    sc.privileged == Some(true)
        || !sc.capabilities.add.is_empty()
        || c.volume_mounts.iter().any(|m| {
            p.spec
                .containers
                .iter()
                .any(|o| o.name != c.name && !o.volume_mounts.iter().any(|x| x.name == m.name))
        })
}

/// KubeHound's SHARE_PS_NAMESPACE: with `shareProcessNamespace`, each container reaches every other
/// one of its pod. The trust graph already treats a pod as one vertex (every container's escapes
/// and credentials are the pod's), so this is a finding, not an edge: it names every directed pair
/// of containers (`Pod/ns/name (a → b)`), the sidecars the weakest container reaches.
fn shared_process_namespaces(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut uneven = Vec::new();
    let mut even = Vec::new();
    let (mut n_uneven, mut n_even) = (0usize, 0usize);
    for p in &input.inv.pods {
        let cs = &p.spec.containers;
        if !p.spec.share_process_namespace || cs.len() < 2 || p.finished() {
            continue;
        }
        let r = pod_ref(p);
        let pairs = cs.iter().flat_map(|a| {
            cs.iter()
                .filter(move |b| b.name != a.name)
                .map(move |b| (a, b))
        });
        if cs.iter().any(|c| stronger_than_siblings(p, c)) {
            n_uneven += 1;
            uneven.extend(pairs.map(|(a, b)| format!("{r} ({} → {})", a.name, b.name)));
        } else {
            n_even += 1;
            even.extend(pairs.map(|(a, b)| format!("{r} ({} → {})", a.name, b.name)));
        }
    }
    for (severity, n, pairs, what) in [
        (
            Severity::Medium,
            n_uneven,
            uneven,
            "containers that differ in privileges or volumes",
        ),
        (Severity::Low, n_even, even, "their containers"),
    ] {
        if n > 0 {
            out.push(Finding::new(
                FindingCode::SharedProcessNamespace,
                severity,
                format!("{n} pods share a process namespace between {what}"),
                complete(pairs),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::inventory::Inventory;
    use crate::report::{Report, Settings};
    use crate::severity::Severity;

    #[test]
    fn shared_process_namespace_is_medium_where_a_sidecar_is_stronger() {
        let pod = |name: &str, share: bool, privileged: bool| {
            (
                "Pod".to_string(),
                json!({"metadata": {"name": name, "namespace": "a"},
                       "spec": {"shareProcessNamespace": share, "containers": [
                           {"name": "app", "image": "x@sha256:0"},
                           {"name": "agent", "image": "y@sha256:0",
                            "securityContext": {"privileged": privileged}}]}}),
            )
        };
        let inv = Inventory::from_objects(vec![
            pod("sidecar", true, true),
            pod("plain", true, false),
            pod("apart", false, true),
        ]);
        let r = Report::generate(&inv, &Settings::default());
        let found: Vec<(Severity, Vec<String>)> = r
            .findings
            .iter()
            .filter(|f| f.code.code() == "shared-process-namespace")
            .map(|f| (f.severity, f.objects.clone()))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    Severity::Medium,
                    vec![
                        "Pod/a/sidecar (agent → app)".to_string(),
                        "Pod/a/sidecar (app → agent)".to_string()
                    ]
                ),
                (
                    Severity::Low,
                    vec![
                        "Pod/a/plain (agent → app)".to_string(),
                        "Pod/a/plain (app → agent)".to_string()
                    ]
                ),
            ]
        );
    }
}
