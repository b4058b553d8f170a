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
