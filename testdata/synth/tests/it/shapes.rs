//! The shapes of the generated cluster: counts, placement, references between objects.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use coder_sec_synth::{MAX_PODS_PER_NODE, Size};

use crate::support::small;

#[test]
fn counted_kinds_hit_their_targets_exactly() {
    let c = small();
    let t = Size::Small.targets();
    for kind in [
        "Node",
        "Namespace",
        "Pod",
        "Service",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "NetworkPolicy",
        "Secret",
        "ConfigMap",
        "Ingress",
    ] {
        assert_eq!(c.summary.counts.get(kind).copied(), t.exact(kind), "{kind}");
    }
    let workspace_pods = c
        .of_kind("Pod")
        .filter(|p| {
            p["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| n.starts_with("coder-ws-"))
        })
        .count() as u64;
    assert_eq!(workspace_pods, t.workspaces);
    let workspace_pvcs = c
        .of_kind("PersistentVolumeClaim")
        .filter(|p| {
            p["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("-home"))
        })
        .count() as u64;
    assert_eq!(workspace_pvcs, t.workspaces);
}

#[test]
fn every_size_fits_its_nodes_and_keeps_room_for_tenants() {
    for size in Size::ALL {
        let t = size.targets();
        assert!(t.pods <= t.nodes * u64::from(MAX_PODS_PER_NODE), "{size}");
        assert!(t.namespaces > 7 + 1 + t.workspace_namespaces + 3, "{size}");
        assert!(
            t.service_accounts > t.namespaces && t.config_maps > t.namespaces,
            "{size}"
        );
        assert!(t.workspaces < t.pods / 4, "{size}");
    }
    assert_eq!(Size::Large.targets().pods, 150_000);
    assert_eq!(Size::Large.targets().nodes, 5_000);
}

#[test]
fn names_are_unique_and_pods_fit_on_existing_nodes() {
    let c = small();
    let mut seen = HashSet::new();
    for o in &c.objects {
        let m = &o["metadata"];
        let key = (
            o["kind"].to_string(),
            m["namespace"].to_string(),
            m["name"].to_string(),
        );
        assert!(seen.insert(key.clone()), "duplicate {key:?}");
    }
    let nodes: BTreeSet<&str> = c
        .of_kind("Node")
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    let mut per_node: BTreeMap<&str, u32> = BTreeMap::new();
    for p in c.of_kind("Pod") {
        let node = p["spec"]["nodeName"].as_str().unwrap();
        assert!(nodes.contains(node), "{node}");
        *per_node.entry(node).or_default() += 1;
    }
    assert!(
        per_node
            .values()
            .all(|n| *n <= u32::from(MAX_PODS_PER_NODE))
    );
    assert_eq!(
        per_node.len(),
        nodes.len(),
        "DaemonSets put a pod on every node"
    );
    let pod_ips: Vec<&str> = c
        .of_kind("Pod")
        .filter(|p| p["spec"]["hostNetwork"] != true)
        .map(|p| p["status"]["podIP"].as_str().unwrap())
        .collect();
    assert_eq!(
        pod_ips.len(),
        pod_ips.iter().collect::<HashSet<_>>().len(),
        "pod IPs are unique"
    );
}

#[test]
fn owners_service_accounts_and_namespaces_exist() {
    let c = small();
    let uids: HashSet<&str> = c
        .objects
        .iter()
        .map(|o| o["metadata"]["uid"].as_str().unwrap())
        .collect();
    let namespaces: HashSet<&str> = c
        .of_kind("Namespace")
        .map(|n| n["metadata"]["name"].as_str().unwrap())
        .collect();
    let sas: HashSet<(&str, &str)> = c
        .of_kind("ServiceAccount")
        .map(|s| {
            (
                s["metadata"]["namespace"].as_str().unwrap(),
                s["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    for o in &c.objects {
        if let Some(ns) = o["metadata"]["namespace"].as_str() {
            assert!(namespaces.contains(ns), "{ns}");
        }
        if let Some(owners) = o["metadata"]["ownerReferences"].as_array() {
            for r in owners {
                assert!(
                    uids.contains(r["uid"].as_str().unwrap()),
                    "owner of {}",
                    o["metadata"]["name"]
                );
            }
        }
    }
    for p in c.of_kind("Pod") {
        let ns = p["metadata"]["namespace"].as_str().unwrap();
        let sa = p["spec"]["serviceAccountName"].as_str().unwrap();
        assert!(sas.contains(&(ns, sa)), "{ns}/{sa}");
    }
    for claim in c.of_kind("PersistentVolumeClaim") {
        let volume = claim["spec"]["volumeName"].as_str().unwrap();
        let pv = c
            .find(&format!("PersistentVolume/{volume}"))
            .expect("bound volume");
        assert_eq!(pv["spec"]["claimRef"]["uid"], claim["metadata"]["uid"]);
    }
    let mostly_owned = c
        .of_kind("Pod")
        .filter(|p| p["metadata"]["ownerReferences"].is_array())
        .count();
    assert!(mostly_owned * 100 >= c.summary.counts["Pod"] as usize * 95);
}

#[test]
fn coder_looks_like_the_chart_and_its_workspaces() {
    let c = small();
    let coderd = c.find("Deployment/coder/coder").expect("coderd");
    assert_eq!(
        coderd["metadata"]["labels"]["app.kubernetes.io/name"],
        "coder"
    );
    assert_eq!(
        coderd["spec"]["template"]["spec"]["serviceAccountName"],
        "coder"
    );
    assert!(c.find("Role/coder/coder-workspace-perms").is_some());
    assert!(c.find("RoleBinding/coder/coder").is_some());
    for i in 1..=Size::Small.targets().workspace_namespaces {
        assert!(
            c.find(&format!("Role/coder-ws-{i}/coder-workspace-perms"))
                .is_some()
        );
        let rb = c.find(&format!("RoleBinding/coder-ws-{i}/coder")).unwrap();
        assert_eq!(rb["subjects"][0]["namespace"], "coder");
    }
    let ws = c
        .of_kind("Pod")
        .find(|p| p["metadata"]["labels"]["app.kubernetes.io/name"] == "coder-workspace")
        .expect("a workspace pod");
    assert!(ws["metadata"]["labels"]["com.coder.workspace.id"].is_string());
    assert!(ws["metadata"]["annotations"]["com.coder.user.email"].is_string());
    let env = ws["spec"]["containers"][0]["env"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "CODER_AGENT_TOKEN" && e["value"].is_string())
    );
}

#[test]
fn a_fraction_of_a_percent_of_tenant_pods_is_privileged() {
    let c = small();
    let privileged = |p: &serde_json::Value| {
        p["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["securityContext"]["privileged"] == true)
    };
    let tenant: Vec<_> = c
        .of_kind("Pod")
        .filter(|p| {
            let ns = p["metadata"]["namespace"].as_str().unwrap();
            !["kube-system", "monitoring", "coder"].contains(&ns) && !ns.starts_with("coder-ws-")
        })
        .collect();
    let n = tenant.iter().filter(|p| privileged(p)).count();
    assert!(n >= 1 && n * 100 < tenant.len(), "{n} of {}", tenant.len());
}
