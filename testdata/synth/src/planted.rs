//! Planted attack paths: known answers the analyzer must find, placed deterministically for a seed.
//! Each is listed in `expected.json` with the object references along the path.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::coder::{self, CoderInfo};
use crate::emit::Emitter;
use crate::generate::Cluster;
use crate::nodes::Placement;
use crate::objects::{self, binding, container, role, rule, subject};
use crate::rng::Rng;
use crate::workloads::{self, Workload};

/// One planted attack path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedPath {
    /// Stable identifier (`privileged-pod-escape`).
    pub id: String,
    /// The analyzer technique code the path hinges on (`escape-privileged`).
    pub technique: String,
    /// What the path is, for people.
    pub description: String,
    /// Where the attacker starts (`Pod/ns/name`, `User/name`, `Group/name`).
    pub entry: String,
    /// What the attacker reaches, as the analyzer's graph names it (`Virtual/cluster-admin`,
    /// `Secret/ns/name`, `Node/name`).
    pub target: String,
    /// The edges in order, named like the analyzer's report steps.
    pub steps: Vec<PlantedStep>,
    /// Every object the path rests on (`ClusterRoleBinding/name`, `Role/ns/name`, ...): all exist in
    /// the generated cluster.
    pub objects: Vec<String>,
    /// Finding codes that should name the path's objects.
    pub findings: Vec<String>,
}

/// One edge of a planted path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlantedStep {
    /// Object reference of the edge's start.
    pub from: String,
    /// Object reference of the edge's end.
    pub to: String,
    /// Technique code of the edge.
    pub technique: String,
}

fn step(from: &str, to: &str, technique: &str) -> PlantedStep {
    PlantedStep {
        from: from.to_string(),
        to: to.to_string(),
        technique: technique.to_string(),
    }
}

/// Where the planted paths go, chosen from the seed.
#[derive(Debug, Clone)]
pub struct Picks {
    /// Tenant namespace of the privileged pod.
    pub escape_ns: String,
    /// Tenant namespace of the cluster-admin service account.
    pub admin_ns: String,
    /// Tenant namespace where `system:authenticated` may create pods.
    pub open_ns: String,
    /// The node the privileged pod and the cluster-admin pod share.
    pub node: usize,
    /// Workspace namespace index whose Role has extra rules.
    pub workspace_ns: u64,
}

/// Emits the planted objects and returns the paths.
pub fn emit<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    rng: &mut Rng,
    picks: &Picks,
    coder_info: &CoderInfo,
) -> Result<Vec<PlantedPath>, E> {
    let node_name = cluster.nodes.name(picks.node);
    let node_ref = format!("Node/{node_name}");
    let mut paths = Vec::new();

    // (2) A CI service account bound to cluster-admin, mounted by a pod on node N.
    let z = picks.admin_ns.as_str();
    out.emit(objects::service_account(
        rng,
        z,
        "ci-deployer",
        json!({"app.kubernetes.io/name": "ci-runner"}),
        json!({}),
    ))?;
    out.emit(binding(
        rng,
        None,
        "ci-deployer-cluster-admin",
        "ClusterRole",
        "cluster-admin",
        vec![subject("ServiceAccount", &format!("{z}/ci-deployer"))],
        json!({}),
    ))?;
    let mut runner = container("runner", "ghcr.io/example/ci-runner:2.319.1");
    runner["env"] = json!([{"name": "RUNNER_LABELS", "value": "k8s,deploy"}]);
    let w = Workload {
        ns: z,
        name: "ci-runner",
        labels: json!({"app.kubernetes.io/name": "ci-runner"}),
        annotations: json!({}),
        pod_annotations: json!({}),
        spec: json!({"serviceAccountName": "ci-deployer", "containers": [runner]}),
        placement: Placement::Node(picks.node),
    };
    let runner_pod = workloads::deployment(out, &mut cluster.nodes, rng, &w, 1)?;
    let runner_ref = format!("Pod/{z}/{}", runner_pod[0].name);
    let ci_sa = format!("ServiceAccount/{z}/ci-deployer");
    let admin = "Virtual/cluster-admin".to_string();

    // (1) A privileged pod in another tenant namespace on the same node.
    let x = picks.escape_ns.as_str();
    let mut debug = container("debugger", "busybox:1.36");
    debug["command"] = json!(["sleep", "infinity"]);
    debug["securityContext"] = json!({"privileged": true});
    let w = Workload {
        ns: x,
        name: "node-debugger",
        labels: json!({"app.kubernetes.io/name": "node-debugger"}),
        annotations: json!({}),
        pod_annotations: json!({}),
        spec: json!({"containers": [debug]}),
        placement: Placement::Node(picks.node),
    };
    let debug_pod = workloads::bare_pod(out, &mut cluster.nodes, rng, &w)?;
    let debug_ref = format!("Pod/{x}/{}", debug_pod.name);
    paths.push(PlantedPath {
        id: "privileged-pod-escape".into(),
        technique: "escape-privileged".into(),
        description: format!(
            "privileged pod `{x}/node-debugger` escapes to node `{node_name}`, where pod `{z}/{}` mounts the token of `{z}/ci-deployer`, bound to cluster-admin",
            runner_pod[0].name
        ),
        entry: debug_ref.clone(),
        target: admin.clone(),
        steps: vec![
            step(&debug_ref, &node_ref, "escape-privileged"),
            step(&node_ref, &runner_ref, "node-pod-access"),
            step(&runner_ref, &ci_sa, "pod-service-account"),
            step(&ci_sa, &admin, "rbac-wildcard-admin"),
        ],
        objects: vec![
            debug_ref.clone(),
            node_ref.clone(),
            runner_ref.clone(),
            ci_sa.clone(),
            "ClusterRoleBinding/ci-deployer-cluster-admin".into(),
            "ClusterRole/cluster-admin".into(),
        ],
        findings: vec!["cluster-admin-equivalent".into()],
    });
    paths.push(PlantedPath {
        id: "service-account-cluster-admin".into(),
        technique: "rbac-wildcard-admin".into(),
        description: format!(
            "pod `{z}/{}` runs as `{z}/ci-deployer`, bound to cluster-admin by ClusterRoleBinding `ci-deployer-cluster-admin`",
            runner_pod[0].name
        ),
        entry: runner_ref.clone(),
        target: admin.clone(),
        steps: vec![step(&runner_ref, &ci_sa, "pod-service-account"), step(&ci_sa, &admin, "rbac-wildcard-admin")],
        objects: vec![
            runner_ref.clone(),
            ci_sa.clone(),
            "ClusterRoleBinding/ci-deployer-cluster-admin".into(),
            "ClusterRole/cluster-admin".into(),
        ],
        findings: vec!["cluster-admin-equivalent".into()],
    });

    // (3) Every authenticated user may create pods in namespace Y, where a service account reads all secrets.
    let y = picks.open_ns.as_str();
    out.emit(role(
        rng,
        Some(y),
        "pod-creator",
        json!({}),
        vec![rule(&[""], &["pods"], &["create", "get", "list"])],
    ))?;
    out.emit(binding(
        rng,
        Some(y),
        "authenticated-pod-creators",
        "Role",
        "pod-creator",
        vec![subject("Group", "system:authenticated")],
        json!({}),
    ))?;
    out.emit(objects::service_account(
        rng,
        y,
        "secrets-sync",
        json!({}),
        json!({}),
    ))?;
    out.emit(role(
        rng,
        None,
        "secret-reader-all",
        json!({}),
        vec![rule(&[""], &["secrets"], &["get", "list", "watch"])],
    ))?;
    out.emit(binding(
        rng,
        None,
        "secrets-sync-secret-reader",
        "ClusterRole",
        "secret-reader-all",
        vec![subject("ServiceAccount", &format!("{y}/secrets-sync"))],
        json!({}),
    ))?;
    let sync_sa = format!("ServiceAccount/{y}/secrets-sync");
    paths.push(PlantedPath {
        id: "authenticated-create-pods".into(),
        technique: "rbac-create-pods".into(),
        description: format!(
            "RoleBinding `{y}/authenticated-pod-creators` lets group `system:authenticated` create pods in `{y}`, \
             running as `{y}/secrets-sync`, which reads every Secret (ClusterRole `secret-reader-all`), \
             the Coder database URL included"
        ),
        entry: "Group/system:authenticated".into(),
        target: "Secret/coder/coder-db-url".into(),
        steps: vec![
            step("Group/system:authenticated", &sync_sa, "rbac-create-pods"),
            step(&sync_sa, "Secret/coder/coder-db-url", "rbac-read-secrets"),
        ],
        objects: vec![
            format!("Role/{y}/pod-creator"),
            format!("RoleBinding/{y}/authenticated-pod-creators"),
            sync_sa.clone(),
            "ClusterRole/secret-reader-all".into(),
            "ClusterRoleBinding/secrets-sync-secret-reader".into(),
            "Secret/coder/coder-db-url".into(),
        ],
        findings: vec!["broad-group-binding".into()],
    });

    // (4) A user who may impersonate users and groups.
    out.emit(role(
        rng,
        None,
        "impersonator",
        json!({}),
        vec![rule(
            &[""],
            &["users", "groups", "serviceaccounts"],
            &["impersonate"],
        )],
    ))?;
    out.emit(binding(
        rng,
        None,
        "ops-automation-impersonate",
        "ClusterRole",
        "impersonator",
        vec![subject("User", "ops-automation@example.com")],
        json!({}),
    ))?;
    paths.push(PlantedPath {
        id: "user-impersonate".into(),
        technique: "rbac-impersonate".into(),
        description: "user `ops-automation@example.com` may impersonate any user or group (ClusterRoleBinding `ops-automation-impersonate`), so also `system:masters`".into(),
        entry: "User/ops-automation@example.com".into(),
        target: admin.clone(),
        steps: vec![
            step("User/ops-automation@example.com", "Group/system:masters", "rbac-impersonate"),
            step("Group/system:masters", &admin, "system-masters"),
        ],
        objects: vec![
            "ClusterRole/impersonator".into(),
            "ClusterRoleBinding/ops-automation-impersonate".into(),
            "ClusterRoleBinding/cluster-admin".into(),
        ],
        findings: vec!["cluster-admin-equivalent".into()],
    });

    // (5) The chart's Role in one workspace namespace, with extraRules granting Secrets to coderd.
    let wns = coder::workspace_namespace(picks.workspace_ns);
    out.emit(coder::workspace_perms_role(
        rng,
        &wns,
        vec![rule(&[""], &["secrets"], &["get", "list"])],
    ))?;
    out.emit(objects::opaque_secret(
        rng,
        &wns,
        "workspace-shared-credentials",
        &["GITHUB_TOKEN", "NPM_TOKEN"],
    ))?;
    let coderd = format!("Pod/coder/{}", coder_info.coderd_pods[0].name);
    let secret_ref = format!("Secret/{wns}/workspace-shared-credentials");
    paths.push(PlantedPath {
        id: "coder-extra-rules-secrets".into(),
        technique: "rbac-read-secrets".into(),
        description: format!("Role `{wns}/coder-workspace-perms` carries chart extraRules `get, list secrets`, bound to `coder/coder`: coderd reads `{wns}` Secrets"),
        entry: coderd.clone(),
        target: secret_ref.clone(),
        steps: vec![
            step(&coderd, "ServiceAccount/coder/coder", "pod-service-account"),
            step("ServiceAccount/coder/coder", &secret_ref, "rbac-read-secrets"),
        ],
        objects: vec![
            coderd.clone(),
            "ServiceAccount/coder/coder".into(),
            format!("Role/{wns}/coder-workspace-perms"),
            format!("RoleBinding/{wns}/coder"),
            secret_ref.clone(),
        ],
        findings: vec!["coderd-permissions-beyond-chart".into()],
    });

    // (6) The envbox workspace: privileged by its template.
    let (ens, epod) = &coder_info.envbox;
    let envbox_ref = format!("Pod/{ens}/{}", epod.name);
    let envbox_node = format!("Node/{}", cluster.nodes.name(epod.node));
    paths.push(PlantedPath {
        id: "coder-envbox-escape".into(),
        technique: "escape-privileged".into(),
        description: format!("envbox workspace pod `{ens}/{}` runs privileged with hostPath `/usr/src` and `/lib/modules`", epod.name),
        entry: envbox_ref.clone(),
        target: envbox_node.clone(),
        steps: vec![step(&envbox_ref, &envbox_node, "escape-privileged")],
        objects: vec![envbox_ref.clone(), envbox_node.clone()],
        findings: vec![],
    });
    Ok(paths)
}
