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
    // The victim of the same uid, and the workspace whose agent token is in its environment; not
    // the victim running as another uid.
    assert_eq!(
        edges_of(&a, "Pod/tenants/pid-reader", "escape-host-pid-environ"),
        [
            "Pod/tenants/victim-1000".to_string(),
            "Pod/tenants/ws-alice".to_string()
        ]
        .into()
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

fn coder_v1() -> Analysed {
    analyse(&scenario_files("coder-v1"))
}

#[test]
fn coder_v1_is_recognised_with_its_chart_objects() {
    let a = coder_v1();
    let c = &a.analysis.coder;
    assert!(c.v1);
    assert_eq!(c.coderd_pods.len(), 1);
    assert_eq!(c.workspace_pods.len(), 2);
    assert_eq!(c.database_pods.len(), 1);
    assert!(
        c.coderd_service_accounts
            .contains("ServiceAccount/coder/coder")
    );
    // The built-in database has no password; the super-admin and SCIM Secrets are coderd's.
    assert_eq!(c.db_secret, None);
    for s in ["coder-super-admin", "coder-scim"] {
        assert!(
            c.coderd_secrets
                .contains(&("coder".to_string(), s.to_string())),
            "{s}"
        );
    }
    // v2's scenarios stay v2.
    assert!(
        !analyse(&scenario_files("coder-shared-cluster"))
            .analysis
            .coder
            .v1
    );
}

#[test]
fn coder_v1_trust_edges() {
    let a = coder_v1();
    let coderd_sa = "ServiceAccount/coder/coder";
    let coderd = "Pod/coder/coderd-6b7c9d8f5-q2w4e";
    // coderd's token: exec into every workspace, every Secret of the namespace.
    assert_eq!(
        techniques_between(&a, coderd, coderd_sa),
        vec!["pod-service-account"]
    );
    for ws in ["Pod/coder/alice-dev-7f6e5d", "Pod/coder/bob-cvm-3c2b1a"] {
        assert!(
            techniques_between(&a, coderd_sa, ws).contains(&"rbac-exec-pods"),
            "{ws}"
        );
    }
    assert!(
        techniques_between(&a, coderd_sa, "Secret/coder/coder-super-admin")
            .contains(&"rbac-read-secrets")
    );
    // The super-admin password is the site admin.
    assert_eq!(
        techniques_between(&a, "Secret/coder/coder-super-admin", "Coder/owner"),
        vec!["coder-admin-password"]
    );
    // A tenant reading Secrets in `coder` reaches it too.
    assert!(
        techniques_between(
            &a,
            "ServiceAccount/analytics/reporter",
            "Secret/coder/coder-super-admin"
        )
        .contains(&"rbac-read-secrets")
    );
    assert!(
        techniques_between(
            &a,
            "ServiceAccount/analytics/reporter",
            "Secret/coder/coder-scim"
        )
        .contains(&"rbac-read-secrets")
    );
    // The database: coderd and the TimescaleDB pod.
    assert_eq!(
        techniques_between(&a, coderd, "Coder/database"),
        vec!["coder-db-credential"]
    );
    assert_eq!(
        techniques_between(&a, "Pod/coder/timescale-0", "Coder/database"),
        vec!["coder-db-credential"]
    );
    // The CVM is privileged: the node.
    assert!(
        techniques_between(&a, "Pod/coder/bob-cvm-3c2b1a", "Node/worker-1")
            .contains(&"escape-privileged")
    );
    // Dev URLs expose every workspace; the `environments` account holds nothing.
    let dev = edges_of(&a, "Exposure/DevURL/coder", "coder-dev-url");
    assert_eq!(
        dev,
        [
            "Pod/coder/alice-dev-7f6e5d".to_string(),
            "Pod/coder/bob-cvm-3c2b1a".to_string()
        ]
        .into()
    );
    assert!(
        !a.analysis
            .graph
            .edges_from("Pod/coder/alice-dev-7f6e5d")
            .iter()
            .any(|(t, _)| t == "ServiceAccount/coder/environments")
    );
    // From the dev URL, an exploit in the CVM's application reaches the node: a path, capped at high.
    assert!(
        a.report
            .attack_paths
            .iter()
            .any(|p| p.entry == "Exposure/DevURL/coder" && p.severity.as_str() == "high")
    );
}

#[test]
fn coder_v1_findings() {
    let a = coder_v1();
    let codes: BTreeSet<&str> = a.report.findings.iter().map(|f| f.code.code()).collect();
    for want in [
        "coder-db-plaintext",
        "secret-literal-env",
        "coderd-permissions-beyond-chart",
    ] {
        assert!(codes.contains(want), "missing {want}: {codes:?}");
    }
    let literal = a
        .report
        .findings
        .iter()
        .find(|f| f.code.code() == "secret-literal-env")
        .unwrap();
    assert!(
        format!("{literal:?}").contains("SPLUNK_TOKEN"),
        "{literal:?}"
    );
    let perms = a
        .report
        .findings
        .iter()
        .find(|f| f.code.code() == "coderd-permissions-beyond-chart")
        .unwrap();
    assert!(perms.title.contains("v1"), "{}", perms.title);
    // v2's scenarios connect with TLS (or through a Secret): no plaintext finding there.
    let v2 = analyse(&scenario_files("coder-shared-cluster"));
    assert!(
        !v2.report
            .findings
            .iter()
            .any(|f| f.code.code() == "coder-db-plaintext")
    );
}
