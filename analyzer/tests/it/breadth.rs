//! Issue 14's classes, one test each, on `testdata/scenarios/breadth/` (and `coder-v1/`): each
//! asserts the edge a technique adds and, beside it, the twin that must not get one.

use std::collections::BTreeSet;

use super::support::{
    Analysed, analyse, edges_through_volumes, scenario_files, techniques_between,
};

fn breadth() -> Analysed {
    analyse(&scenario_files("breadth"))
}

fn edges_of(a: &Analysed, from: &str, code: &str) -> BTreeSet<String> {
    a.analysis
        .graph
        .edges_from(from)
        .into_iter()
        .filter(|(_, c)| *c == code)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn host_pid_reads_co_located_processes_of_the_same_uid() {
    let a = breadth();
    assert_eq!(
        edges_of(&a, "Pod/tenants/pid-reader", "escape-host-pid-environ"),
        ["Pod/tenants/victim-1000".to_string()].into()
    );
    assert_eq!(
        techniques_between(&a, "Pod/tenants/pid-tracer", "Node/worker-1"),
        vec!["escape-host-pid-environ"]
    );
    // Through the victim's token (the reader runs as none itself), the reader reaches a node.
    assert_eq!(
        techniques_between(
            &a,
            "Pod/tenants/victim-1000",
            "ServiceAccount/tenants/reader"
        ),
        vec!["pod-service-account"]
    );
}

#[test]
fn capabilities_alone_escape_with_their_conditions() {
    let a = breadth();
    assert_eq!(
        techniques_between(&a, "Pod/tenants/sys-admin", "Node/worker-1"),
        vec!["escape-sys-admin"]
    );
    assert!(techniques_between(&a, "Pod/tenants/sys-admin-confined", "Node/worker-1").is_empty());
    assert_eq!(
        techniques_between(&a, "Pod/tenants/shocker", "Node/worker-1"),
        vec!["escape-dac-read-search"]
    );
    assert!(techniques_between(&a, "Pod/tenants/shocker-nonroot", "Node/worker-1").is_empty());
}

#[test]
fn windows_host_process_is_the_host() {
    let a = breadth();
    assert_eq!(
        techniques_between(&a, "Pod/tenants/win-host", "Node/win-1"),
        vec!["escape-windows-host-process"]
    );
}

#[test]
fn escalate_on_a_bound_role_needs_no_binding_rights() {
    let a = breadth();
    assert_eq!(
        techniques_between(
            &a,
            "ServiceAccount/tenants/self-editor",
            "Virtual/cluster-admin"
        ),
        vec!["rbac-escalate-bound-role"]
    );
    assert!(
        a.analysis
            .graph
            .edges_from("ServiceAccount/tenants/other-editor")
            .is_empty()
    );
    assert_eq!(
        techniques_between(
            &a,
            "ServiceAccount/tenants/ns-self-editor",
            "Virtual/namespace-admin/tenants"
        ),
        vec!["rbac-escalate-bound-role"]
    );
}

#[test]
fn a_namespaced_role_relabels_its_own_namespace() {
    let a = breadth();
    assert_eq!(
        edges_of(
            &a,
            "ServiceAccount/locked/relabeller",
            "rbac-patch-namespace-psa"
        ),
        ["Virtual/any-node".to_string()].into()
    );
    assert!(
        !a.analysis
            .graph
            .edges_from("ServiceAccount/locked/creator")
            .iter()
            .any(|(t, _)| t == "Virtual/any-node")
    );
}

#[test]
fn created_and_read_token_secrets_mint_tokens() {
    let a = breadth();
    let minted = edges_of(
        &a,
        "ServiceAccount/tenants/minter",
        "rbac-mint-token-secret",
    );
    assert!(
        minted.contains("ServiceAccount/tenants/reader"),
        "{minted:?}"
    );
    assert!(
        edges_of(
            &a,
            "ServiceAccount/tenants/secret-writer",
            "rbac-mint-token-secret"
        )
        .is_empty()
    );
}

#[test]
fn self_managed_control_plane_nodes_are_cluster_admin() {
    let a = breadth();
    for node in ["Node/cp-1", "Node/cp-2"] {
        assert_eq!(
            techniques_between(&a, node, "Virtual/cluster-admin"),
            vec!["node-control-plane"],
            "{node}"
        );
    }
    assert!(techniques_between(&a, "Node/worker-1", "Virtual/cluster-admin").is_empty());
    let managed = analyse(&scenario_files("breadth-managed"));
    assert!(
        techniques_between(
            &managed,
            "Node/ip-10-0-0-1.ec2.internal",
            "Virtual/cluster-admin"
        )
        .is_empty()
    );
}

#[test]
fn host_paths_are_judged_by_what_they_reach() {
    let a = breadth();
    let g = &a.analysis.graph;
    let from = |volume: &str| g.edges_from(&format!("Volume/tenants/{volume}"));
    let read = ("Node/worker-1".to_string(), "escape-host-read");
    let write = ("Node/worker-1".to_string(), "escape-host-write");
    // Read-only: a parent of a credential folder, a folder under one, a single known folder.
    assert!(from("host-reader/var").contains(&read));
    assert!(from("host-reader/pki").contains(&read));
    assert!(from("host-reader/minikube").contains(&read));
    assert!(from("host-reader/docker").is_empty());
    // Writable: the CNI plugins' folder is run by the kubelet; `/data` by nothing.
    assert!(from("host-writer/cni").contains(&write));
    assert!(from("host-writer/data").is_empty());
    let through = edges_through_volumes(&a, "Pod/tenants/host-writer");
    assert!(
        !through.iter().any(|(t, _)| t.ends_with("/data")),
        "{through:?}"
    );
}
