//! Our own scenarios (`testdata/scenarios/<name>/`): the JSON report is an `insta` snapshot
//! (`tests/it/snapshots/it__scenarios__report-<name>.snap`; review changes with `cargo insta review`
//! or rewrite them with `INSTA_UPDATE=always` and read the diff), and the points each scenario
//! exists for are asserted directly.

use std::collections::BTreeSet;

use coder_sec_analyzer::catalog::Technique;
use coder_sec_analyzer::present::json;

use super::support::{
    analyse, assert_valid_report, edges_through_volumes, scenario_files, techniques_between,
};

/// Scenario folders this test owns.
const SCENARIOS: &[&str] = &[
    "breadth",
    "coder-hardened",
    "coder-shared-cluster",
    "coder-v1",
    "escalations",
];

#[test]
fn scenario_reports_match_expected() {
    for name in SCENARIOS {
        let a = analyse(&scenario_files(name));
        let rendered = json::render(&a.report);
        assert_valid_report(&serde_json::from_str(&rendered).unwrap());
        insta::assert_snapshot!(format!("report-{name}"), rendered);
    }
}

fn scenario(name: &str) -> super::support::Analysed {
    analyse(&scenario_files(name))
}

#[test]
fn coder_shared_cluster_central_edges() {
    let a = scenario("coder-shared-cluster");
    let r = &a.report;
    // coderd, its SA and the database credential are recognised.
    assert!(r.snapshot.coder.detected);
    assert_eq!(
        r.snapshot.coder.database_secret.as_deref(),
        Some("Secret/coder/coder-db-url")
    );
    // The template author reaches coderd's SA, which creates pods next to the DB Secret.
    assert_eq!(
        techniques_between(&a, "Coder/template-author", "ServiceAccount/coder/coder"),
        vec!["coder-template-provisioner"]
    );
    assert!(
        techniques_between(
            &a,
            "ServiceAccount/coder/coder",
            "Secret/coder/coder-db-url"
        )
        .contains(&"rbac-create-pods")
    );
    assert_eq!(
        techniques_between(&a, "Secret/coder/coder-db-url", "Coder/database"),
        vec!["coder-db-credential"]
    );
    // A CI token that reads every Secret is a critical path to the database credential.
    assert!(r.attack_paths.iter().any(|p| p.entry == "Pod/ci/runner"
        && p.target == "Secret/coder/coder-db-url"
        && p.severity.as_str() == "critical"));
    // Workspaces sharing a namespace group into one path with a count.
    assert!(
        r.attack_paths
            .iter()
            .any(|p| p.entry == "Pod/coder/*" && p.count == 4)
    );
    // The privileged envbox workspace escapes to the node coderd runs on.
    assert!(
        r.attack_paths
            .iter()
            .any(|p| p.entry == "Pod/coder/coder-alice-envbox"
                && p.target == "Pod/coder/coder-7d9f"
                && p.steps[0].technique.code() == "escape-privileged")
    );
    // The envbox workspace's hostPath escapes leave from its volume; a new workspace in the same
    // namespace escapes directly to any node (its volumes do not exist yet).
    assert_eq!(
        techniques_between(
            &a,
            "Pod/coder/coder-alice-envbox",
            "Volume/coder/coder-alice-envbox/usr-src"
        ),
        vec!["pod-host-path"]
    );
    let new_ws = a.analysis.graph.edges_from("Coder/new-workspace/coder");
    assert!(
        new_ws.contains(&("Virtual/any-node".to_string(), "escape-host-write")),
        "{new_ws:?}"
    );
    assert!(!new_ws.iter().any(|(t, _)| t.starts_with("Volume/")));
    // Which pods reach coderd itself: the CI tenant on coderd's API port, and workspaces and
    // tenants on its metrics listener bound to 0.0.0.0 (no policy selects coderd).
    let reach: Vec<&coder_sec_analyzer::findings::Finding> = r
        .findings
        .iter()
        .filter(|f| f.code.code() == "coderd-reachable-from-pods")
        .map(|f| &f.item)
        .collect();
    assert_eq!(reach.len(), 2, "{reach:?}");
    let api = reach
        .iter()
        .find(|f| f.title.contains("directly"))
        .expect("API reach");
    assert!(api.objects.contains(&"Pod/ci/runner".to_string()));
    assert!(api.objects.contains(&"Pod/coder/coder-7d9f".to_string()));
    assert!(
        !api.objects
            .iter()
            .any(|o| o.starts_with("Pod/coder/coder-alice"))
    );
    let metrics = reach
        .iter()
        .find(|f| f.title.contains("Prometheus"))
        .expect("metrics reach");
    assert!(metrics.title.contains("0.0.0.0:2112"), "{}", metrics.title);
    assert!(
        metrics
            .objects
            .iter()
            .any(|o| o.starts_with("Pod/coder/coder-"))
    );
    // A workspace's own Git credentials are not a path from that workspace.
    assert!(!r.attack_paths.iter().any(
        |p| p.steps.len() == 1 && p.steps[0].technique.code() == "coder-agent-git-credentials"
    ));
    let codes: Vec<&str> = r.findings.iter().map(|f| f.code.code()).collect();
    for want in [
        "coderd-no-tls",
        "oidc-open-signups",
        "secret-literal-env",
        "workspace-namespace-no-network-policy",
        "coderd-pod-create-reach",
        "coderd-permissions-beyond-chart",
        "workspaces-share-nodes",
        "kubernetes-end-of-life",
        "pod-ip-capacity",
        "broad-group-binding",
    ] {
        assert!(codes.contains(&want), "missing finding {want}: {codes:?}");
    }
}

/// Adding a technique means one function, one catalog entry and one scenario: every technique is
/// an edge somewhere in our scenarios.
#[test]
fn every_technique_is_exercised_by_a_scenario() {
    let mut seen = BTreeSet::new();
    for name in SCENARIOS {
        let a = scenario(name);
        for (_, _, code) in a.analysis.graph.all_edges() {
            seen.insert(code);
        }
    }
    let missing: Vec<&str> = Technique::ALL
        .iter()
        .map(|t| t.code())
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "techniques without a scenario: {missing:?}"
    );
}

fn edges_of(a: &super::support::Analysed, from: &str, code: &str) -> BTreeSet<String> {
    a.analysis
        .graph
        .edges_from(from)
        .into_iter()
        .filter(|(_, c)| *c == code)
        .map(|(t, _)| t)
        .collect()
}

#[test]
fn escalations_precision() {
    let a = scenario("escalations");
    let admin = "Virtual/cluster-admin";
    for (sa, code) in [
        ("csr-bot", "rbac-csr-approve"),
        ("hook-admin", "rbac-admission-webhook"),
        ("escalator", "rbac-escalate-roles"),
        ("cm-writer", "rbac-aws-auth"),
    ] {
        assert_eq!(
            techniques_between(&a, &format!("ServiceAccount/ops/{sa}"), admin),
            vec![code],
            "{sa}"
        );
    }
    assert!(
        edges_of(&a, "ServiceAccount/ops/node-proxy", "rbac-nodes-proxy").contains("Node/worker-1")
    );
    assert!(
        edges_of(
            &a,
            "ServiceAccount/ops/pv-maker",
            "rbac-create-persistent-volume"
        )
        .contains("Virtual/any-node")
    );
    // resourceNames honoured: the token minter reaches only `deployer`.
    assert_eq!(
        edges_of(&a, "ServiceAccount/apps/token-minter", "rbac-sa-token"),
        ["ServiceAccount/apps/deployer".to_string()].into()
    );
    // Pod Security `restricted` blocks the privileged pod, unless the namespace can be relabelled.
    assert!(
        edges_of(
            &a,
            "ServiceAccount/apps/ns-creator",
            "rbac-create-privileged-pod"
        )
        .is_empty()
    );
    assert!(
        edges_of(
            &a,
            "ServiceAccount/apps/ns-creator",
            "rbac-patch-namespace-psa"
        )
        .contains("Virtual/any-node")
    );
    assert!(
        edges_of(&a, "ServiceAccount/apps/deployer", "rbac-patch-workloads")
            .contains("ServiceAccount/apps/s3-reader")
    );
    assert!(
        !techniques_between(&a, "ServiceAccount/apps/deployer", "Virtual/any-node")
            .contains(&"rbac-patch-workloads")
    );
    // Per container: ptrace in an init container; core_pattern only from the root container.
    let g = &a.analysis.graph;
    assert!(
        g.edges_from("Pod/ops/ptrace")
            .contains(&("Node/worker-1".to_string(), "escape-ptrace"))
    );
    assert!(
        edges_through_volumes(&a, "Pod/ops/core-pattern")
            .contains(&("Node/worker-1".to_string(), "escape-core-pattern"))
    );
    // A non-root writer of /opt still writes the host; the ephemeral container's socket counts.
    assert!(
        edges_through_volumes(&a, "Pod/ops/opt-writer")
            .contains(&("Node/worker-2".to_string(), "escape-host-write"))
    );
    assert!(
        edges_through_volumes(&a, "Pod/ops/containerd-client")
            .contains(&("Node/worker-2".to_string(), "escape-runtime-socket"))
    );
    // hostNetwork bypasses the default-deny policy to the metadata endpoint; a plain pod does not.
    let node_role = "CloudRole/arn:aws:iam::444455556666:role/nodes".to_string();
    assert!(edges_of(&a, "Pod/apps/web", "metadata-endpoint").contains(&node_role));
    assert!(edges_of(&a, "Pod/apps/s3-sync", "metadata-endpoint").is_empty());
    // Workload identities on three clouds.
    assert!(
        !edges_of(
            &a,
            "ServiceAccount/apps/gcs-reader",
            "workload-identity-gcp"
        )
        .is_empty()
    );
    assert!(
        !edges_of(
            &a,
            "ServiceAccount/apps/blob-reader",
            "workload-identity-azure"
        )
        .is_empty()
    );
    // Impersonating SAs through a namespaced grant works (the request is namespaced).
    assert!(
        edges_of(&a, "User/support-tool", "rbac-impersonate")
            .contains("ServiceAccount/ops/escalator")
    );
}

#[test]
fn hardened_coder_keeps_only_what_is_left() {
    let a = scenario("coder-hardened");
    let r = &a.report;
    // No workspace reaches anything; template authors still reach the provisioner's SA.
    assert!(
        r.attack_paths
            .iter()
            .all(|p| !p.entry.starts_with("Pod/coder-workspaces"))
    );
    assert!(
        r.attack_paths
            .iter()
            .any(|p| p.entry == "Coder/template-author")
    );
    let tls = r
        .findings
        .iter()
        .find(|f| f.code.code() == "coderd-tls-certificate")
        .expect("certificate finding");
    for what in [
        "within 30 days",
        "self-signed",
        "weak key",
        "does not match",
    ] {
        assert!(tls.title.contains(what), "{}", tls.title);
    }
    let codes: BTreeSet<&str> = r.findings.iter().map(|f| f.code.code()).collect();
    for absent in [
        "coderd-no-tls",
        "oidc-open-signups",
        "owner-workspace-access",
        "workspace-namespace-no-network-policy",
        "workspace-namespace-no-resource-quota",
        "external-token-encryption-missing",
        "password-login-beside-idp",
        "storage-class-unencrypted",
        // The monitoring tenant is refused by coderd's ingress policy; metrics stay on loopback.
        "coderd-reachable-from-pods",
    ] {
        assert!(!codes.contains(absent), "unexpected {absent}");
    }
}
