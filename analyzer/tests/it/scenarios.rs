//! Our own scenarios (`testdata/scenarios/<name>/`): the JSON report is compared with
//! `expected.json` beside the manifests (rewrite with `CODER_SEC_BLESS=1`, review the diff), and the
//! points each scenario exists for are asserted directly.

use coder_sec_analyzer::present::json;

use super::support::{analyse, check_expected, root, scenario_files, techniques_between};

/// Scenario folders this test owns.
const SCENARIOS: &[&str] = &["coder-shared-cluster"];

#[test]
fn scenario_reports_match_expected() {
    for name in SCENARIOS {
        let dir = root().join("testdata/scenarios").join(name);
        let a = analyse(&scenario_files(name));
        check_expected(&dir.join("expected.json"), &json::render(&a.report));
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
