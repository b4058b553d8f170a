//! Coder installed by its Helm chart: namespace `coder` with coderd (chart labels, service account
//! `coder`, Role `coder-workspace-perms` and RoleBinding `coder`), and the workspace namespaces
//! `coder-ws-N` with the chart's per-namespace Role bound to `coder/coder`. Workspaces follow Coder's
//! `kubernetes` template (Deployment + home PVC, literal `CODER_AGENT_TOKEN`); one follows the
//! `kubernetes-envbox` template (a privileged pod).

use serde_json::{Value, json};

use crate::emit::Emitter;
use crate::generate::Cluster;
use crate::nodes::{Placement, Pool};
use crate::objects::{self, ALL_VERBS, HelmRelease, binding, container, meta, role, rule, subject};
use crate::rng::Rng;
use crate::workloads::{self, PodRef, Workload};

/// Coder's release and chart version.
pub const CODER_VERSION: &str = "2.18.0";
/// What the Coder part tells the planted paths.
#[derive(Debug)]
pub struct CoderInfo {
    /// coderd pods.
    pub coderd_pods: Vec<PodRef>,
    /// The envbox workspace pod: namespace and pod.
    pub envbox: (String, PodRef),
}

fn chart_labels() -> Value {
    json!({
        "app.kubernetes.io/instance": "coder",
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/name": "coder",
        "app.kubernetes.io/part-of": "coder",
        "app.kubernetes.io/version": CODER_VERSION,
        "helm.sh/chart": format!("coder-{CODER_VERSION}"),
    })
}

/// The chart's workspace Role, with `extra_rules` appended as `coder.serviceAccount.extraRules` does.
pub fn workspace_perms_role(rng: &mut Rng, ns: &str, extra_rules: Vec<Value>) -> Value {
    let mut rules = vec![
        rule(&[""], &["pods"], ALL_VERBS),
        rule(&[""], &["persistentvolumeclaims"], ALL_VERBS),
        rule(&["apps"], &["deployments"], ALL_VERBS),
    ];
    rules.extend(extra_rules);
    role(
        rng,
        Some(ns),
        "coder-workspace-perms",
        chart_labels(),
        rules,
    )
}

/// The name of workspace namespace `i` (1-based).
pub fn workspace_namespace(i: u64) -> String {
    format!("coder-ws-{i}")
}

/// Emits Coder: the `coder` namespace and the workspace namespaces with their workspaces. The Role in
/// workspace namespace `planted_ws` is left to the planted paths.
pub fn emit<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    rng: &mut Rng,
    planted_ws: u64,
) -> Result<CoderInfo, E> {
    let ns = "coder";
    out.emit(objects::namespace(rng, ns, json!({})))?;
    out.emit(objects::service_account(
        rng,
        ns,
        "default",
        json!({}),
        json!({}),
    ))?;
    out.emit(objects::root_ca_configmap(rng, ns))?;
    let mut sa_labels = chart_labels();
    sa_labels
        .as_object_mut()
        .map(|l| l.remove("app.kubernetes.io/version"));
    out.emit(objects::service_account(
        rng,
        ns,
        "coder",
        sa_labels,
        json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/coder-provisioner"}),
    ))?;
    out.emit(workspace_perms_role(rng, ns, vec![]))?;
    out.emit(binding(
        rng,
        Some(ns),
        "coder",
        "Role",
        "coder-workspace-perms",
        vec![subject("ServiceAccount", "coder/coder")],
        chart_labels(),
    ))?;
    let db_url = format!(
        "postgres://coder:{}@coder-db.example.internal:5432/coder?sslmode=require",
        rng.hex(20)
    );
    out.emit(objects::secret(
        rng,
        ns,
        "coder-db-url",
        "Opaque",
        json!({"url": objects::b64(db_url.as_bytes())}),
        json!({}),
        json!({}),
    ))?;
    out.emit(objects::tls_secret(rng, ns, "coder-tls"))?;
    out.emit(objects::registry_secret(rng, ns, "ghcr-pull", "ghcr.io"))?;
    for rev in 1..=3 {
        let values = json!({"coder": {"env": [{"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"}, {"name": "CODER_OIDC_CLIENT_SECRET", "value": format!("oidc-{}", rng.hex(24))}], "serviceAccount": {"workspacePerms": true, "enableDeployments": true}}});
        out.emit(objects::helm_release_secret(
            rng,
            ns,
            HelmRelease {
                name: "coder",
                chart: "coder",
                version: CODER_VERSION,
                revision: rev,
                deployed: rev == 3,
                values,
            },
        ))?;
    }

    let mut c = container("coder", &format!("ghcr.io/coder/coder:v{CODER_VERSION}"));
    c["command"] = json!(["/opt/coder"]);
    c["args"] = json!(["server"]);
    c["env"] = json!([
        {"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:8080"},
        {"name": "CODER_PROMETHEUS_ADDRESS", "value": "0.0.0.0:2112"},
        {"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"},
        {"name": "CODER_WILDCARD_ACCESS_URL", "value": "*.coder.example.com"},
        {"name": "KUBE_POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
        {"name": "CODER_DERP_SERVER_RELAY_URL", "value": "http://$(KUBE_POD_IP):8080"},
        {"name": "CODER_PG_CONNECTION_URL", "valueFrom": {"secretKeyRef": {"name": "coder-db-url", "key": "url"}}},
        {"name": "CODER_OIDC_ISSUER_URL", "value": "https://login.example.com"},
        {"name": "CODER_OIDC_CLIENT_ID", "value": "coder"},
        {"name": "CODER_OIDC_CLIENT_SECRET", "value": format!("oidc-{}", rng.hex(24))},
    ]);
    c["ports"] = json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]);
    c["securityContext"] = json!({"runAsNonRoot": true, "runAsUser": 1000, "runAsGroup": 1000, "readOnlyRootFilesystem": null, "allowPrivilegeEscalation": false, "seccompProfile": {"type": "RuntimeDefault"}});
    c["resources"] = json!({"requests": {"cpu": "2000m", "memory": "4096Mi"}, "limits": {"cpu": "2000m", "memory": "4096Mi"}});
    let spec = json!({
        "serviceAccountName": "coder",
        "terminationGracePeriodSeconds": 60,
        "imagePullSecrets": [{"name": "ghcr-pull"}],
        "containers": [c],
    });
    let w = Workload {
        ns,
        name: "coder",
        labels: json!({"app.kubernetes.io/instance": "coder", "app.kubernetes.io/name": "coder"}),
        annotations: json!({"meta.helm.sh/release-name": "coder", "meta.helm.sh/release-namespace": "coder"}),
        pod_annotations: json!({"app.kubernetes.io/component": "coderd"}),
        spec,
        placement: Placement::Pool(Pool::System),
    };
    let replicas = cluster.scale(1, 2, 3);
    let coderd_pods = workloads::deployment(out, &mut cluster.nodes, rng, &w, replicas)?;
    let mut svc = cluster.service(
        rng,
        ns,
        "coder",
        "LoadBalancer",
        json!({"app.kubernetes.io/instance": "coder", "app.kubernetes.io/name": "coder"}),
        80,
        "http",
    );
    svc["metadata"]["labels"] = chart_labels();
    svc["status"] = json!({"loadBalancer": {"ingress": [{"hostname": "a1b2c3d4e5f6-1234567890.us-east-1.elb.amazonaws.com"}]}});
    out.emit(svc)?;
    out.emit(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": meta(rng, "coder", Some(ns), chart_labels(), json!({})),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["coder.example.com", "*.coder.example.com"], "secretName": "coder-tls"}],
            "rules": [
                {"host": "coder.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "coder", "port": {"name": "http"}}}}]}},
                {"host": "*.coder.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "coder", "port": {"name": "http"}}}}]}},
            ],
        },
    }))?;

    // Workspace namespaces.
    let k = cluster.targets.workspace_namespaces.max(1);
    for i in 1..=k {
        let wns = workspace_namespace(i);
        out.emit(objects::namespace(rng, &wns, json!({"app.kubernetes.io/part-of": "coder", "pod-security.kubernetes.io/enforce": "baseline"})))?;
        out.emit(objects::service_account(
            rng,
            &wns,
            "default",
            json!({}),
            json!({}),
        ))?;
        out.emit(objects::root_ca_configmap(rng, &wns))?;
        if i != planted_ws {
            out.emit(workspace_perms_role(rng, &wns, vec![]))?;
        }
        out.emit(binding(
            rng,
            Some(&wns),
            "coder",
            "Role",
            "coder-workspace-perms",
            vec![subject("ServiceAccount", "coder/coder")],
            chart_labels(),
        ))?;
        if i % 2 == 0 {
            out.emit(json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": meta(rng, "workspaces-deny-ingress", Some(&wns), json!({}), json!({})),
                "spec": {"podSelector": {"matchLabels": {"com.coder.resource": "true"}}, "policyTypes": ["Ingress"]},
            }))?;
        } else {
            out.emit(json!({
                "apiVersion": "v1", "kind": "ResourceQuota",
                "metadata": meta(rng, "workspaces", Some(&wns), json!({}), json!({})),
                "spec": {"hard": {"pods": "5000", "requests.cpu": "20000", "requests.memory": "80Ti", "persistentvolumeclaims": "5000"}},
            }))?;
        }
    }

    // Workspaces: all but one from the `kubernetes` template.
    let total = cluster.targets.workspaces.max(1);
    let users = (total * 2 / 3).max(1);
    let envbox_ns_index = rng.range(1, k);
    for n in 0..total - 1 {
        let wns = workspace_namespace(1 + n % k);
        let user = rng.below(users);
        workspace(out, cluster, rng, &wns, user)?;
    }
    let envbox_ns = workspace_namespace(envbox_ns_index);
    let envbox_user = rng.below(users);
    let envbox = envbox_workspace(out, cluster, rng, &envbox_ns, envbox_user)?;
    Ok(CoderInfo {
        coderd_pods,
        envbox: (envbox_ns, envbox),
    })
}

const WORDS: &[&str] = &[
    "dev", "api", "web", "ml", "data", "infra", "docs", "mobile", "sandbox", "review",
];

fn workspace_labels(id: &str, ws_name: &str, user_id: &str, username: &str, app: &str) -> Value {
    json!({
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": format!("coder-workspace-{ws_name}"),
        "app.kubernetes.io/part-of": "coder",
        "com.coder.resource": "true",
        "com.coder.workspace.id": id,
        "com.coder.workspace.name": ws_name,
        "com.coder.user.id": user_id,
        "com.coder.user.username": username,
    })
}

fn user_identity(user: u64) -> (String, String, String) {
    let username = format!("user{user}");
    let user_id = format!(
        "9d2a0c1e-{:04x}-4a5b-9c0d-{:012x}",
        (user >> 48) & 0xffff,
        user & 0xffff_ffff_ffff
    );
    (username.clone(), user_id, format!("{username}@example.com"))
}

fn workspace<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    rng: &mut Rng,
    ns: &str,
    user: u64,
) -> Result<(), E> {
    let id = rng.uuid();
    let (username, user_id, email) = user_identity(user);
    let ws_name = format!("{username}-{}", rng.pick(WORDS));
    let labels = workspace_labels(&id, &ws_name, &user_id, &username, "coder-workspace");
    let annotations = json!({"com.coder.user.email": email});
    let name = format!("coder-{id}");
    let claim = format!("coder-{id}-home");
    let mut pvc_labels = workspace_labels(&id, &ws_name, &user_id, &username, "coder-pvc");
    pvc_labels
        .as_object_mut()
        .map(|l| l.remove("app.kubernetes.io/instance"));
    workloads::pvc(
        out,
        rng,
        ns,
        &claim,
        pvc_labels,
        annotations.clone(),
        "gp3",
        "10Gi",
    )?;
    let mut c = container("dev", "codercom/enterprise-base:ubuntu");
    c["command"] = json!([
        "sh",
        "-c",
        "set -e\n# coder agent init script\ncurl -fsSL https://coder.example.com/bin/coder-linux-amd64 -o /tmp/coder && chmod +x /tmp/coder && exec /tmp/coder agent\n"
    ]);
    c["env"] = json!([
        {"name": "CODER_AGENT_TOKEN", "value": rng.uuid()},
        {"name": "CODER_AGENT_AUTH", "value": "token"},
        {"name": "CODER_AGENT_URL", "value": "https://coder.example.com"},
    ]);
    c["securityContext"] = json!({"runAsUser": 1000});
    c["resources"] = json!({"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}});
    c["volumeMounts"] = json!([{"name": "home", "mountPath": "/home/coder"}]);
    let spec = json!({
        "securityContext": {"runAsUser": 1000, "fsGroup": 1000},
        "tolerations": [{"key": "coder.com/workspaces", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
        "containers": [c],
        "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": claim}}],
    });
    let w = Workload {
        ns,
        name: &name,
        labels,
        annotations: annotations.clone(),
        pod_annotations: annotations,
        spec,
        placement: Placement::Pool(Pool::Workspaces),
    };
    workloads::deployment(out, &mut cluster.nodes, rng, &w, 1)?;
    Ok(())
}

fn envbox_workspace<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    rng: &mut Rng,
    ns: &str,
    user: u64,
) -> Result<PodRef, E> {
    let (username, _, email) = user_identity(user);
    let name = format!("coder-{username}-envbox");
    let claim = format!("{name}-home");
    workloads::pvc(
        out,
        rng,
        ns,
        &claim,
        json!({}),
        json!({"com.coder.user.email": email}),
        "gp3",
        "10Gi",
    )?;
    let mut c = container("dev", "ghcr.io/coder/envbox:latest");
    c["command"] = json!(["/envbox", "docker"]);
    c["securityContext"] = json!({"privileged": true});
    c["env"] = json!([
        {"name": "CODER_AGENT_TOKEN", "value": rng.uuid()},
        {"name": "CODER_INNER_IMAGE", "value": "codercom/enterprise-base:ubuntu"},
        {"name": "CODER_INNER_USERNAME", "value": "coder"},
    ]);
    c["volumeMounts"] = json!([
        {"name": "home", "mountPath": "/home/coder"},
        {"name": "usr-src", "mountPath": "/usr/src", "readOnly": true},
        {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": true},
    ]);
    let spec = json!({
        "tolerations": [{"key": "coder.com/workspaces", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
        "containers": [c],
        "volumes": [
            {"name": "home", "persistentVolumeClaim": {"claimName": claim}},
            {"name": "usr-src", "hostPath": {"path": "/usr/src", "type": ""}},
            {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": ""}},
        ],
    });
    let w = Workload {
        ns,
        name: &name,
        labels: json!({}),
        annotations: json!({}),
        pod_annotations: json!({"com.coder.user.email": email}),
        spec,
        placement: Placement::Pool(Pool::Workspaces),
    };
    workloads::bare_pod(out, &mut cluster.nodes, rng, &w)
}
