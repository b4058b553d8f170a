//! Cluster-wide RBAC: the bootstrap-like ClusterRoles and bindings, the add-ons' ones and the
//! team-wide grants that fill the size's targets.

use serde_json::{Value, json};

use crate::emit::Emitter;
use crate::objects::{ALL_VERBS, binding, role, rule, subject};
use crate::rng::Rng;

/// Controllers of kube-controller-manager: a ClusterRole `system:controller:NAME`, bound to the
/// service account `kube-system/NAME`.
pub(crate) const CONTROLLERS: &[&str] = &[
    "attachdetach-controller",
    "certificate-controller",
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "endpointslicemirroring-controller",
    "ephemeral-volume-controller",
    "expand-controller",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "job-controller",
    "legacy-service-account-token-cleaner",
    "namespace-controller",
    "node-controller",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "pv-protection-controller",
    "pvc-protection-controller",
    "replicaset-controller",
    "replication-controller",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "route-controller",
    "service-account-controller",
    "service-controller",
    "statefulset-controller",
    "ttl-after-finished-controller",
    "ttl-controller",
];

const READ: &[&str] = &["get", "list", "watch"];

fn bootstrap_labels() -> Value {
    json!({"kubernetes.io/bootstrapping": "rbac-defaults"})
}

/// The bootstrap-like ClusterRoles and ClusterRoleBindings, the add-ons' ones and a few broad grants a
/// real platform team leaves behind.
pub fn emit_bootstrap_rbac<E>(out: &mut Emitter<'_, E>, rng: &mut Rng) -> Result<(), E> {
    let b = bootstrap_labels;
    let cr = |rng: &mut Rng, name: &str, labels: Value, rules: Vec<Value>| {
        role(rng, None, name, labels, rules)
    };
    out.emit(cr(
        rng,
        "cluster-admin",
        b(),
        vec![
            rule(&["*"], &["*"], &["*"]),
            json!({"nonResourceURLs": ["*"], "verbs": ["*"]}),
        ],
    ))?;
    // The user-facing roles are aggregated; a capture shows them with their rules filled in.
    let view_rules = vec![
        rule(
            &[""],
            &[
                "configmaps",
                "endpoints",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "pods",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "serviceaccounts",
                "services",
                "services/status",
            ],
            READ,
        ),
        rule(
            &[""],
            &[
                "bindings",
                "events",
                "limitranges",
                "namespaces/status",
                "pods/log",
                "pods/status",
                "replicationcontrollers/status",
                "resourcequotas",
                "resourcequotas/status",
            ],
            READ,
        ),
        rule(&[""], &["namespaces"], READ),
        rule(
            &["apps"],
            &[
                "controllerrevisions",
                "daemonsets",
                "daemonsets/status",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
            ],
            READ,
        ),
        rule(
            &["autoscaling"],
            &[
                "horizontalpodautoscalers",
                "horizontalpodautoscalers/status",
            ],
            READ,
        ),
        rule(
            &["batch"],
            &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
            READ,
        ),
        rule(
            &["networking.k8s.io"],
            &["ingresses", "ingresses/status", "networkpolicies"],
            READ,
        ),
        rule(&["discovery.k8s.io"], &["endpointslices"], READ),
    ];
    let mut edit_rules = vec![
        rule(
            &[""],
            &[
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
                "secrets",
                "services/proxy",
            ],
            READ,
        ),
        rule(&[""], &["serviceaccounts"], &["impersonate"]),
        rule(
            &[""],
            &[
                "pods",
                "pods/attach",
                "pods/exec",
                "pods/portforward",
                "pods/proxy",
            ],
            &["create", "delete", "deletecollection", "patch", "update"],
        ),
        rule(&[""], &["serviceaccounts/token"], &["create"]),
        rule(
            &[""],
            &[
                "configmaps",
                "events",
                "persistentvolumeclaims",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "secrets",
                "serviceaccounts",
                "services",
                "services/proxy",
            ],
            &["create", "delete", "deletecollection", "patch", "update"],
        ),
        rule(
            &["apps"],
            &[
                "daemonsets",
                "deployments",
                "deployments/rollback",
                "deployments/scale",
                "replicasets",
                "replicasets/scale",
                "statefulsets",
                "statefulsets/scale",
            ],
            &["create", "delete", "deletecollection", "patch", "update"],
        ),
        rule(
            &["batch"],
            &["cronjobs", "jobs"],
            &["create", "delete", "deletecollection", "patch", "update"],
        ),
        rule(
            &["networking.k8s.io"],
            &["ingresses", "networkpolicies"],
            &["create", "delete", "deletecollection", "patch", "update"],
        ),
    ];
    edit_rules.extend(view_rules.iter().cloned());
    let mut admin_rules = vec![
        rule(
            &["rbac.authorization.k8s.io"],
            &["rolebindings", "roles"],
            ALL_VERBS,
        ),
        rule(
            &["authorization.k8s.io"],
            &["localsubjectaccessreviews"],
            &["create"],
        ),
    ];
    admin_rules.extend(edit_rules.iter().cloned());
    let agg = |to: &str| json!({"clusterRoleSelectors": [{"matchLabels": {format!("rbac.authorization.k8s.io/aggregate-to-{to}"): "true"}}]});
    for (name, rules, to, parent) in [
        ("admin", admin_rules, "admin", None),
        ("edit", edit_rules, "edit", Some("admin")),
        ("view", view_rules, "view", Some("edit")),
    ] {
        let mut labels = b();
        if let Some(p) = parent {
            labels[format!("rbac.authorization.k8s.io/aggregate-to-{p}")] = "true".into();
        }
        let mut r = cr(rng, name, labels, rules);
        r["aggregationRule"] = agg(to);
        out.emit(r)?;
    }
    for (name, to, rules) in [
        (
            "system:aggregate-to-admin",
            "admin",
            vec![rule(
                &["rbac.authorization.k8s.io"],
                &["rolebindings", "roles"],
                ALL_VERBS,
            )],
        ),
        (
            "system:aggregate-to-edit",
            "edit",
            vec![rule(
                &[""],
                &["pods", "secrets", "services", "configmaps"],
                ALL_VERBS,
            )],
        ),
        (
            "system:aggregate-to-view",
            "view",
            vec![rule(&[""], &["pods", "services", "configmaps"], READ)],
        ),
    ] {
        let mut labels = b();
        labels[format!("rbac.authorization.k8s.io/aggregate-to-{to}")] = "true".into();
        out.emit(cr(rng, name, labels, rules))?;
    }
    let system_roles: Vec<(&str, Vec<Value>)> = vec![
        (
            "system:auth-delegator",
            vec![
                rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
                rule(
                    &["authorization.k8s.io"],
                    &["subjectaccessreviews"],
                    &["create"],
                ),
            ],
        ),
        (
            "system:basic-user",
            vec![rule(
                &["authorization.k8s.io"],
                &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                &["create"],
            )],
        ),
        (
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            vec![rule(
                &["certificates.k8s.io"],
                &["certificatesigningrequests/nodeclient"],
                &["create"],
            )],
        ),
        (
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            vec![rule(
                &["certificates.k8s.io"],
                &["certificatesigningrequests/selfnodeclient"],
                &["create"],
            )],
        ),
        (
            "system:certificates.k8s.io:kube-apiserver-client-approver",
            vec![
                json!({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "resourceNames": ["kubernetes.io/kube-apiserver-client"], "verbs": ["approve"]}),
            ],
        ),
        (
            "system:certificates.k8s.io:kubelet-serving-approver",
            vec![
                json!({"apiGroups": ["certificates.k8s.io"], "resources": ["signers"], "resourceNames": ["kubernetes.io/kubelet-serving"], "verbs": ["approve"]}),
            ],
        ),
        (
            "system:discovery",
            vec![
                json!({"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}),
            ],
        ),
        (
            "system:public-info-viewer",
            vec![
                json!({"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}),
            ],
        ),
        (
            "system:heapster",
            vec![rule(
                &[""],
                &["events", "namespaces", "nodes", "pods"],
                READ,
            )],
        ),
        (
            "system:kube-aggregator",
            vec![rule(&[""], &["endpoints", "services"], READ)],
        ),
        (
            "system:kube-controller-manager",
            vec![
                rule(
                    &[""],
                    &["secrets", "serviceaccounts"],
                    &["get", "list", "watch", "create", "update"],
                ),
                rule(&[""], &["serviceaccounts/token"], &["create"]),
                rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["create", "get", "update"],
                ),
            ],
        ),
        (
            "system:kube-dns",
            vec![rule(&[""], &["endpoints", "services"], &["list", "watch"])],
        ),
        (
            "system:kube-scheduler",
            vec![
                rule(
                    &[""],
                    &[
                        "pods",
                        "nodes",
                        "persistentvolumeclaims",
                        "persistentvolumes",
                    ],
                    READ,
                ),
                rule(&[""], &["bindings", "pods/binding"], &["create"]),
                rule(&[""], &["pods/status"], &["patch", "update"]),
            ],
        ),
        (
            "system:kubelet-api-admin",
            vec![rule(
                &[""],
                &["nodes/proxy", "nodes/log", "nodes/stats", "nodes/metrics"],
                &["*"],
            )],
        ),
        (
            "system:monitoring",
            vec![
                json!({"nonResourceURLs": ["/healthz", "/livez", "/metrics", "/readyz"], "verbs": ["get"]}),
            ],
        ),
        (
            "system:node",
            vec![
                rule(
                    &[""],
                    &["pods"],
                    &["get", "list", "watch", "create", "delete"],
                ),
                rule(
                    &[""],
                    &["secrets", "configmaps", "persistentvolumeclaims"],
                    &["get", "list", "watch"],
                ),
                rule(
                    &[""],
                    &["nodes", "nodes/status"],
                    &["create", "get", "list", "watch", "patch", "update"],
                ),
                rule(&[""], &["serviceaccounts/token"], &["create"]),
            ],
        ),
        (
            "system:node-bootstrapper",
            vec![rule(
                &["certificates.k8s.io"],
                &["certificatesigningrequests"],
                &["create", "get", "list", "watch"],
            )],
        ),
        (
            "system:node-problem-detector",
            vec![
                rule(&[""], &["nodes"], &["get"]),
                rule(&[""], &["nodes/status"], &["patch"]),
            ],
        ),
        (
            "system:node-proxier",
            vec![
                rule(
                    &[""],
                    &["endpoints", "services", "nodes"],
                    &["list", "watch", "get"],
                ),
                rule(
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                    &["list", "watch"],
                ),
            ],
        ),
        (
            "system:persistent-volume-provisioner",
            vec![
                rule(
                    &[""],
                    &["persistentvolumes"],
                    &["create", "delete", "get", "list", "watch"],
                ),
                rule(
                    &[""],
                    &["persistentvolumeclaims"],
                    &["get", "list", "update", "watch"],
                ),
            ],
        ),
        (
            "system:service-account-issuer-discovery",
            vec![
                json!({"nonResourceURLs": ["/.well-known/openid-configuration", "/openid/v1/jwks"], "verbs": ["get"]}),
            ],
        ),
        (
            "system:volume-scheduler",
            vec![rule(
                &[""],
                &["persistentvolumes"],
                &["get", "list", "patch", "update", "watch"],
            )],
        ),
    ];
    for (name, rules) in system_roles {
        out.emit(cr(rng, name, b(), rules))?;
    }
    for c in CONTROLLERS {
        let rules = match *c {
            "generic-garbage-collector" | "namespace-controller" => vec![rule(
                &["*"],
                &["*"],
                &[
                    "delete",
                    "deletecollection",
                    "get",
                    "list",
                    "watch",
                    "patch",
                    "update",
                ],
            )],
            "resourcequota-controller" => vec![rule(&["*"], &["*"], &["list", "watch"])],
            "service-account-controller" | "root-ca-cert-publisher" => vec![rule(
                &[""],
                &["serviceaccounts", "configmaps"],
                &["create", "update"],
            )],
            "persistent-volume-binder" => vec![
                rule(
                    &[""],
                    &["persistentvolumes", "persistentvolumeclaims"],
                    ALL_VERBS,
                ),
                rule(
                    &[""],
                    &["pods"],
                    &["create", "delete", "get", "list", "watch"],
                ),
            ],
            "daemon-set-controller"
            | "job-controller"
            | "replicaset-controller"
            | "statefulset-controller"
            | "replication-controller" => vec![
                rule(
                    &[""],
                    &["pods"],
                    &["create", "delete", "list", "patch", "watch"],
                ),
                rule(&[""], &["events"], &["create", "patch", "update"]),
            ],
            _ => vec![rule(&[""], &["events"], &["create", "patch", "update"])],
        };
        out.emit(cr(rng, &format!("system:controller:{c}"), b(), rules))?;
    }

    let crb = |rng: &mut Rng, name: &str, role: &str, subjects: Vec<Value>, labels: Value| {
        binding(rng, None, name, "ClusterRole", role, subjects, labels)
    };
    for (name, role_name, subjects) in [
        (
            "cluster-admin",
            "cluster-admin",
            vec![subject("Group", "system:masters")],
        ),
        (
            "system:basic-user",
            "system:basic-user",
            vec![subject("Group", "system:authenticated")],
        ),
        (
            "system:discovery",
            "system:discovery",
            vec![subject("Group", "system:authenticated")],
        ),
        (
            "system:public-info-viewer",
            "system:public-info-viewer",
            vec![
                subject("Group", "system:authenticated"),
                subject("Group", "system:unauthenticated"),
            ],
        ),
        (
            "system:kube-controller-manager",
            "system:kube-controller-manager",
            vec![subject("User", "system:kube-controller-manager")],
        ),
        (
            "system:kube-scheduler",
            "system:kube-scheduler",
            vec![subject("User", "system:kube-scheduler")],
        ),
        (
            "system:volume-scheduler",
            "system:volume-scheduler",
            vec![subject("User", "system:kube-scheduler")],
        ),
        (
            "system:kube-dns",
            "system:kube-dns",
            vec![subject("ServiceAccount", "kube-system/kube-dns")],
        ),
        ("system:node", "system:node", vec![]),
        (
            "system:node-proxier",
            "system:node-proxier",
            vec![subject("User", "system:kube-proxy")],
        ),
        (
            "system:monitoring",
            "system:monitoring",
            vec![subject("Group", "system:monitoring")],
        ),
        (
            "system:service-account-issuer-discovery",
            "system:service-account-issuer-discovery",
            vec![subject("Group", "system:serviceaccounts")],
        ),
        (
            "eks:kube-proxy",
            "system:node-proxier",
            vec![subject("ServiceAccount", "kube-system/kube-proxy")],
        ),
        (
            "eks:node-bootstrapper",
            "system:node-bootstrapper",
            vec![subject("Group", "system:bootstrappers")],
        ),
    ] {
        out.emit(crb(rng, name, role_name, subjects, b()))?;
    }
    for c in CONTROLLERS {
        let name = format!("system:controller:{c}");
        out.emit(crb(
            rng,
            &name,
            &name,
            vec![subject("ServiceAccount", &format!("kube-system/{c}"))],
            b(),
        ))?;
    }

    // Add-ons.
    let addons: Vec<(&str, &str, Vec<Value>)> = vec![
        (
            "aws-node",
            "kube-system/aws-node",
            vec![
                rule(&[""], &["pods", "namespaces", "nodes"], READ),
                rule(&["crd.k8s.amazonaws.com"], &["eniconfigs"], READ),
            ],
        ),
        (
            "coredns",
            "kube-system/coredns",
            vec![
                rule(
                    &[""],
                    &["endpoints", "services", "pods", "namespaces"],
                    &["list", "watch"],
                ),
                rule(
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                    &["list", "watch"],
                ),
            ],
        ),
        (
            "metrics-server",
            "kube-system/metrics-server",
            vec![
                rule(&[""], &["nodes/metrics"], &["get"]),
                rule(&[""], &["pods", "nodes"], READ),
            ],
        ),
        (
            "aws-load-balancer-controller",
            "kube-system/aws-load-balancer-controller",
            vec![
                rule(
                    &["", "extensions", "networking.k8s.io"],
                    &["services", "ingresses"],
                    &["get", "list", "patch", "update", "watch"],
                ),
                rule(&[""], &["nodes", "namespaces", "endpoints", "pods"], READ),
                rule(&[""], &["secrets"], READ),
            ],
        ),
        (
            "ingress-nginx",
            "ingress-nginx/ingress-nginx",
            vec![
                rule(
                    &[""],
                    &[
                        "configmaps",
                        "endpoints",
                        "nodes",
                        "pods",
                        "secrets",
                        "namespaces",
                    ],
                    &["list", "watch"],
                ),
                rule(
                    &["networking.k8s.io"],
                    &["ingresses", "ingressclasses"],
                    READ,
                ),
                rule(&["networking.k8s.io"], &["ingresses/status"], &["update"]),
            ],
        ),
        (
            "cert-manager-controller-certificates",
            "cert-manager/cert-manager",
            vec![
                rule(
                    &["cert-manager.io"],
                    &[
                        "certificates",
                        "certificaterequests",
                        "issuers",
                        "clusterissuers",
                    ],
                    ALL_VERBS,
                ),
                rule(
                    &[""],
                    &["secrets"],
                    &[
                        "get", "list", "watch", "create", "update", "delete", "patch",
                    ],
                ),
            ],
        ),
        (
            "cert-manager-cainjector",
            "cert-manager/cert-manager-cainjector",
            vec![
                rule(
                    &["admissionregistration.k8s.io"],
                    &[
                        "validatingwebhookconfigurations",
                        "mutatingwebhookconfigurations",
                    ],
                    &["get", "list", "watch", "update", "patch"],
                ),
                rule(&[""], &["secrets"], READ),
            ],
        ),
        (
            "prometheus",
            "monitoring/prometheus",
            vec![
                rule(
                    &[""],
                    &["nodes", "nodes/metrics", "services", "endpoints", "pods"],
                    READ,
                ),
                json!({"nonResourceURLs": ["/metrics"], "verbs": ["get"]}),
            ],
        ),
        (
            "kube-state-metrics",
            "monitoring/kube-state-metrics",
            vec![rule(&["*"], &["*"], &["list", "watch"])],
        ),
    ];
    for (name, sa, rules) in addons {
        let labels =
            json!({"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "Helm"});
        out.emit(cr(rng, name, labels.clone(), rules))?;
        out.emit(crb(
            rng,
            name,
            name,
            vec![subject("ServiceAccount", sa)],
            labels,
        ))?;
    }
    out.emit(cr(rng, "system:aggregated-metrics-reader", json!({"rbac.authorization.k8s.io/aggregate-to-view": "true", "rbac.authorization.k8s.io/aggregate-to-edit": "true", "rbac.authorization.k8s.io/aggregate-to-admin": "true"}), vec![rule(&["metrics.k8s.io"], &["pods", "nodes"], READ)]))?;

    // Broad but common grants.
    out.emit(crb(
        rng,
        "engineering-view",
        "view",
        vec![subject("Group", "oidc:engineering")],
        json!({}),
    ))?;
    out.emit(crb(
        rng,
        "sre-admin",
        "cluster-admin",
        vec![subject("Group", "oidc:sre-oncall")],
        json!({}),
    ))?;
    out.emit(crb(
        rng,
        "platform-admins",
        "cluster-admin",
        vec![
            subject("User", "platform-admin@example.com"),
            subject("User", "breakglass@example.com"),
        ],
        json!({}),
    ))?;
    Ok(())
}

/// Fills ClusterRoles and ClusterRoleBindings up to the size's targets: roles for custom resources
/// aggregated into view/edit, team-wide read roles and their bindings to OIDC groups.
pub fn fill_cluster_rbac<E>(
    out: &mut Emitter<'_, E>,
    rng: &mut Rng,
    roles_left: u64,
    bindings_left: u64,
    tenant_names: &dyn Fn(u64) -> String,
    tenants: u64,
) -> Result<(), E> {
    const CRDS: &[&str] = &[
        "widgets",
        "gadgets",
        "pipelines",
        "tenants",
        "buckets",
        "databases",
        "topics",
        "caches",
        "dashboards",
        "alerts",
        "routes",
        "certificates",
    ];
    const ORGS: &[&str] = &[
        "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell",
    ];
    let mut made: Vec<String> = Vec::new();
    for i in 0..roles_left {
        let crd = CRDS[(i as usize) % CRDS.len()];
        let org = ORGS[(i as usize / CRDS.len()) % ORGS.len()];
        let group = format!(
            "{org}{}.example.com",
            i as usize / (CRDS.len() * ORGS.len())
        );
        let (name, labels, rules) = match i % 4 {
            0 => (
                format!("{crd}.{group}-view"),
                json!({"rbac.authorization.k8s.io/aggregate-to-view": "true"}),
                vec![rule(&[&group], &[crd], READ)],
            ),
            1 => (
                format!("{crd}.{group}-edit"),
                json!({"rbac.authorization.k8s.io/aggregate-to-edit": "true"}),
                vec![rule(&[&group], &[crd], ALL_VERBS)],
            ),
            2 => (
                format!("{crd}.{group}-operator"),
                json!({"app.kubernetes.io/managed-by": "Helm"}),
                vec![
                    rule(
                        &[&group],
                        &[crd, &format!("{crd}/status"), &format!("{crd}/finalizers")],
                        ALL_VERBS,
                    ),
                    rule(
                        &[""],
                        &["configmaps", "events"],
                        &["get", "create", "patch"],
                    ),
                ],
            ),
            _ => (
                format!("namespace-reader-{i}"),
                json!({}),
                vec![rule(&[""], &["namespaces"], READ)],
            ),
        };
        out.emit(role(rng, None, &name, labels, rules))?;
        if i % 4 >= 2 {
            made.push(name);
        }
    }
    for i in 0..bindings_left {
        let tenant = if tenants > 0 {
            tenant_names(rng.below(tenants))
        } else {
            "default".to_string()
        };
        let (role_name, subjects) = match (i % 3, made.is_empty()) {
            (0, _) | (_, true) => (
                "view".to_string(),
                vec![subject("Group", &format!("oidc:{tenant}-sre"))],
            ),
            (1, false) => (
                made[(i as usize) % made.len()].clone(),
                vec![subject("ServiceAccount", &format!("{tenant}/default"))],
            ),
            _ => (
                "system:aggregated-metrics-reader".to_string(),
                vec![subject("Group", &format!("oidc:{tenant}-developers"))],
            ),
        };
        out.emit(binding(
            rng,
            None,
            &format!("{role_name}-{i}"),
            "ClusterRole",
            &role_name,
            subjects,
            json!({}),
        ))?;
    }
    Ok(())
}
