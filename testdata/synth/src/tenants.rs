//! Tenant namespaces: the bulk of the cluster. Each namespace receives a share of the remaining
//! budget of every counted kind (proportional to a random weight, so a few namespaces are big and most
//! are small) and fills it with coherent objects: workloads that use the namespace's service accounts,
//! config maps and secrets; Roles and RoleBindings for the team's groups, users and service accounts;
//! Services selecting the workloads; Ingresses routing to them; network policies; quotas.

use serde_json::{Value, json};

use crate::emit::Emitter;
use crate::generate::Cluster;
use crate::nodes::{Placement, Pool};
use crate::objects::{self, binding, container, meta, role, rule, subject};
use crate::rng::{Rng, apportion};
use crate::workloads::{self, Workload};

const TEAMS: &[&str] = &[
    "payments",
    "search",
    "checkout",
    "catalog",
    "identity",
    "billing",
    "analytics",
    "growth",
    "platform",
    "data",
    "ml",
    "mobile",
    "web",
    "api",
    "risk",
    "fraud",
    "ledger",
    "notify",
    "media",
    "support",
    "ads",
    "maps",
    "inventory",
    "shipping",
    "pricing",
    "reviews",
    "social",
    "crm",
    "people",
    "finance",
];
const APPS: &[&str] = &[
    "api",
    "web",
    "worker",
    "frontend",
    "backend",
    "cache",
    "queue",
    "scheduler",
    "gateway",
    "auth",
    "indexer",
    "exporter",
    "sync",
    "notifier",
    "ingest",
    "reporter",
    "admin",
    "consumer",
    "producer",
    "router",
];
const IMAGES: &[&str] = &[
    "nginx:1.27.1",
    "redis:7.2.5",
    "postgres:16.4",
    "rabbitmq:3.13-management",
    "busybox:latest",
];

/// A Role name and its rules.
type RoleTemplate = (&'static str, fn() -> Vec<Value>);

/// The name of tenant namespace `i`.
pub fn tenant_name(i: u64) -> String {
    format!("{}-{i}", TEAMS[(i as usize) % TEAMS.len()])
}

/// The team a tenant namespace belongs to.
fn team_of(ns: &str) -> &str {
    ns.rsplit_once('-').map(|(t, _)| t).unwrap_or(ns)
}

/// What is left to generate of each counted kind, for all tenant namespaces together.
#[derive(Debug, Clone, Copy, Default)]
pub struct Remaining {
    /// Namespaces.
    pub namespaces: u64,
    /// Pods.
    pub pods: u64,
    /// Services.
    pub services: u64,
    /// ServiceAccounts (one `default` per namespace needed).
    pub service_accounts: u64,
    /// Roles.
    pub roles: u64,
    /// RoleBindings.
    pub role_bindings: u64,
    /// NetworkPolicies.
    pub network_policies: u64,
    /// Secrets.
    pub secrets: u64,
    /// ConfigMaps (one `kube-root-ca.crt` per namespace needed).
    pub config_maps: u64,
    /// Ingresses.
    pub ingresses: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Budget {
    pods: u64,
    services: u64,
    service_accounts: u64,
    roles: u64,
    role_bindings: u64,
    network_policies: u64,
    secrets: u64,
    config_maps: u64,
    ingresses: u64,
}

/// Emits every tenant namespace.
pub fn emit<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    seed: u64,
    left: Remaining,
) -> Result<(), E> {
    let n = left.namespaces as usize;
    if n == 0 {
        return Ok(());
    }
    let mut rng = Rng::new(seed, "tenant-weights");
    // Heavy-tailed sizes: most namespaces small, a few large.
    let weights: Vec<f64> = (0..n).map(|_| 0.3 + 6.0 * rng.unit().powi(4)).collect();
    let per = |total: u64, min: u64| -> Vec<u64> {
        let floor = min * n as u64;
        apportion(total.saturating_sub(floor), &weights)
            .into_iter()
            .map(|x| x + min.min(total / n as u64))
            .collect()
    };
    let pods = per(left.pods, 0);
    let services = per(left.services, 0);
    let sas = per(left.service_accounts, 1);
    let roles = per(left.roles, 0);
    let rbs = per(left.role_bindings, 0);
    let netpols = per(left.network_policies, 0);
    let secrets = per(left.secrets, 0);
    let cms = per(left.config_maps, 1);
    let ingresses = per(left.ingresses, 0);
    for i in 0..n {
        let budget = Budget {
            pods: pods[i],
            services: services[i],
            service_accounts: sas[i],
            roles: roles[i],
            role_bindings: rbs[i],
            network_policies: netpols[i],
            secrets: secrets[i],
            config_maps: cms[i],
            ingresses: ingresses[i],
        };
        let name = tenant_name(i as u64);
        let mut ns_rng = Rng::new(seed, &name);
        namespace(out, cluster, &mut ns_rng, &name, budget)?;
    }
    Ok(())
}

enum Kind {
    Deployment(u32),
    StatefulSet(u32),
    CronJob,
    Job,
    Pod,
}

struct App {
    name: String,
    kind: Kind,
}

fn plan_apps(rng: &mut Rng, pods: u64) -> Vec<App> {
    let mut apps = Vec::new();
    let mut left = pods;
    let mut i = 0usize;
    while left > 0 {
        let roll = rng.unit();
        let kind = if roll < 0.80 {
            let r = (*rng.pick(&[1u64, 1, 2, 2, 2, 3, 3, 4, 6])).min(left);
            Kind::Deployment(r as u32)
        } else if roll < 0.88 {
            Kind::StatefulSet(rng.range(1, 3).min(left) as u32)
        } else if roll < 0.95 {
            Kind::CronJob
        } else if roll < 0.985 {
            Kind::Job
        } else {
            Kind::Pod
        };
        let used = match kind {
            Kind::Deployment(r) | Kind::StatefulSet(r) => u64::from(r),
            _ => 1,
        };
        left -= used;
        let base = APPS[i % APPS.len()];
        let name = if i < APPS.len() {
            base.to_string()
        } else {
            format!("{base}-{}", i / APPS.len())
        };
        let name = match kind {
            Kind::CronJob => format!("{name}-cron"),
            Kind::Job => format!("{name}-migrate"),
            Kind::Pod => format!("{name}-debug"),
            _ => name,
        };
        apps.push(App { name, kind });
        i += 1;
    }
    apps
}

fn namespace<E>(
    out: &mut Emitter<'_, E>,
    cluster: &mut Cluster,
    rng: &mut Rng,
    ns: &str,
    b: Budget,
) -> Result<(), E> {
    let team = team_of(ns).to_string();
    let env = *rng.pick(&["prod", "staging", "dev"]);
    let mut ns_labels = json!({"team": team, "environment": env});
    if rng.chance(0.4) {
        ns_labels["pod-security.kubernetes.io/enforce"] =
            (*rng.pick(&["baseline", "restricted"])).into();
    }
    out.emit(objects::namespace(rng, ns, ns_labels))?;
    let apps = plan_apps(rng, b.pods);

    // Service accounts: `default`, then one per app, then spares.
    let mut sa_names = vec!["default".to_string()];
    for k in 1..b.service_accounts {
        let name = match apps.get(k as usize - 1) {
            Some(a) => a.name.clone(),
            None => format!("automation-{k}"),
        };
        sa_names.push(name);
    }
    for (k, sa) in sa_names.iter().enumerate() {
        let annotations = if k > 0 && rng.chance(0.08) {
            json!({"eks.amazonaws.com/role-arn": format!("arn:aws:iam::111122223333:role/{ns}-{sa}")})
        } else {
            json!({})
        };
        out.emit(objects::service_account(
            rng,
            ns,
            sa,
            json!({"team": team}),
            annotations,
        ))?;
    }

    // ConfigMaps: the root CA, then one per app.
    out.emit(objects::root_ca_configmap(rng, ns))?;
    let mut cm_names = Vec::new();
    for k in 1..b.config_maps {
        let name = match apps.get(k as usize - 1) {
            Some(a) => format!("{}-config", a.name),
            None => format!("settings-{k}"),
        };
        out.emit(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": meta(rng, &name, Some(ns), json!({"team": team}), json!({})),
            "data": {"LOG_LEVEL": "info", "FEATURE_FLAGS": "new-checkout,fast-search", "config.yaml": format!("server:\n  port: 8080\n  upstream: http://api.{ns}.svc.cluster.local\n")},
        }))?;
        cm_names.push(name);
    }

    // Secrets of several types.
    let mut opaque = Vec::new();
    let mut tls_name = None;
    let mut pull = None;
    let mut helm_revisions = 0u32;
    for k in 0..b.secrets {
        let roll = rng.unit();
        let s = if roll < 0.10 && pull.is_none() {
            let name = "regcred".to_string();
            pull = Some(name.clone());
            objects::registry_secret(
                rng,
                ns,
                &name,
                "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            )
        } else if roll < 0.22 && tls_name.is_none() {
            let name = format!("{ns}-tls");
            tls_name = Some(name.clone());
            objects::tls_secret(rng, ns, &name)
        } else if roll < 0.26 {
            let sa = sa_names[rng.index(sa_names.len())].clone();
            let name = format!("{sa}-token-{}", rng.suffix(5));
            let sa_uid = rng.uuid();
            objects::sa_token_secret(rng, ns, &name, &sa, &sa_uid)
        } else if roll < 0.28 {
            let app = apps.first().map(|a| a.name.as_str()).unwrap_or("app");
            helm_revisions += 1;
            let values = json!({"image": {"tag": "1.0.0"}, "replicaCount": 2, "database": {"password": rng.hex(16)}});
            objects::helm_release_secret(
                rng,
                ns,
                objects::HelmRelease {
                    name: app,
                    chart: app,
                    version: "1.0.0",
                    revision: helm_revisions,
                    deployed: true,
                    values,
                },
            )
        } else {
            let name = match apps.get(opaque.len()) {
                Some(a) => format!("{}-secrets", a.name),
                None => format!("credentials-{k}"),
            };
            opaque.push(name.clone());
            objects::opaque_secret(rng, ns, &name, &["DB_PASSWORD", "API_KEY"])
        };
        out.emit(s)?;
    }

    // Roles, then bindings: roles to service accounts first, then the team's cluster-role grants.
    let menu: &[RoleTemplate] = &[
        ("config-reader", || {
            vec![rule(&[""], &["configmaps"], &["get", "list", "watch"])]
        }),
        ("deployer", || {
            vec![
                rule(
                    &["apps"],
                    &["deployments", "statefulsets"],
                    &["get", "list", "create", "update", "patch"],
                ),
                rule(&[""], &["pods", "services"], &["get", "list"]),
            ]
        }),
        ("leader-election", || {
            vec![
                rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["get", "create", "update"],
                ),
                rule(&[""], &["events"], &["create", "patch"]),
            ]
        }),
        ("secret-reader", || {
            vec![rule(&[""], &["secrets"], &["get"])]
        }),
        ("job-runner", || {
            vec![rule(
                &["batch"],
                &["jobs"],
                &["get", "list", "create", "delete"],
            )]
        }),
        ("pod-exec", || {
            vec![
                rule(&[""], &["pods"], &["get", "list"]),
                rule(&[""], &["pods/exec", "pods/log"], &["create", "get"]),
            ]
        }),
        ("endpoint-reader", || {
            vec![
                rule(&[""], &["services", "endpoints"], &["get", "list", "watch"]),
                rule(
                    &["discovery.k8s.io"],
                    &["endpointslices"],
                    &["list", "watch"],
                ),
            ]
        }),
    ];
    let mut role_names = Vec::new();
    for k in 0..b.roles {
        let (base, rules) = menu[(k as usize) % menu.len()];
        let name = if (k as usize) < menu.len() {
            base.to_string()
        } else {
            format!("{base}-{}", k as usize / menu.len())
        };
        out.emit(role(rng, Some(ns), &name, json!({"team": team}), rules()))?;
        role_names.push(name);
    }
    for k in 0..b.role_bindings {
        let (kind, role_name, subj, label) = if (k as usize) < role_names.len() {
            let sa = &sa_names[(k as usize) % sa_names.len()];
            (
                "Role",
                role_names[k as usize].clone(),
                subject("ServiceAccount", &format!("{ns}/{sa}")),
                sa.clone(),
            )
        } else {
            match rng.below(6) {
                0 | 1 => (
                    "ClusterRole",
                    "edit".to_string(),
                    subject("Group", &format!("oidc:{team}-developers")),
                    "developers".to_string(),
                ),
                2 => (
                    "ClusterRole",
                    "view".to_string(),
                    subject("Group", &format!("oidc:{team}-viewers")),
                    "viewers".to_string(),
                ),
                3 => (
                    "ClusterRole",
                    "admin".to_string(),
                    subject("User", &format!("{team}-lead@example.com")),
                    "lead".to_string(),
                ),
                4 if !role_names.is_empty() => {
                    let r = role_names[rng.index(role_names.len())].clone();
                    (
                        "Role",
                        r,
                        subject("User", &format!("dev{}@example.com", rng.below(5000))),
                        "user".to_string(),
                    )
                }
                _ => (
                    "ClusterRole",
                    "view".to_string(),
                    subject(
                        "ServiceAccount",
                        &format!("{ns}/{}", sa_names[rng.index(sa_names.len())]),
                    ),
                    "sa".to_string(),
                ),
            }
        };
        let name = format!("{role_name}-{label}-{k}");
        out.emit(binding(
            rng,
            Some(ns),
            &name,
            kind,
            &role_name,
            vec![subj],
            json!({"team": team}),
        ))?;
    }

    // Workloads.
    let mut services_for = Vec::new();
    for (k, app) in apps.iter().enumerate() {
        let sa = sa_names.get(k + 1).map(String::as_str).unwrap_or("default");
        let cm = cm_names.get(k).map(String::as_str);
        let secret = opaque.get(k).map(String::as_str);
        let labels = json!({"app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": team});
        let spec = app_spec(rng, ns, &team, &app.name, sa, cm, secret, pull.as_deref());
        let w = Workload {
            ns,
            name: &app.name,
            labels: labels.clone(),
            annotations: json!({}),
            pod_annotations: json!({}),
            spec,
            placement: Placement::Pool(Pool::General),
        };
        match app.kind {
            Kind::Deployment(r) => {
                workloads::deployment(out, &mut cluster.nodes, rng, &w, r)?;
                services_for.push((app.name.clone(), labels));
            }
            Kind::StatefulSet(r) => {
                workloads::stateful_set(out, &mut cluster.nodes, rng, &w, r, "20Gi")?;
                services_for.push((app.name.clone(), labels));
            }
            Kind::CronJob => {
                workloads::cron_job(out, &mut cluster.nodes, rng, &w)?;
            }
            Kind::Job => {
                workloads::job(out, &mut cluster.nodes, rng, &w, None)?;
            }
            Kind::Pod => {
                workloads::bare_pod(out, &mut cluster.nodes, rng, &w)?;
            }
        }
    }

    // Services: one per long-running app, then extras.
    let mut svc_names = Vec::new();
    for k in 0..b.services {
        let (name, selector) = match services_for.get(k as usize) {
            Some((n, l)) => (n.clone(), l.clone()),
            None => (format!("external-{k}"), json!({})),
        };
        let roll = rng.unit();
        let kind = if roll < 0.02 {
            "LoadBalancer"
        } else if roll < 0.07 {
            "NodePort"
        } else {
            "ClusterIP"
        };
        let mut svc = cluster.service(rng, ns, &name, kind, selector.clone(), 80, "http");
        if selector.as_object().is_some_and(|s| s.is_empty()) {
            svc["spec"] = json!({"type": "ExternalName", "externalName": format!("{name}.{team}.example.com")});
        } else if kind == "LoadBalancer" {
            svc["status"] = json!({"loadBalancer": {"ingress": [{"hostname": format!("{}-{}.elb.us-east-1.amazonaws.com", rng.hex(12), rng.range(100_000_000, 999_999_999))}]}});
        }
        out.emit(svc)?;
        svc_names.push(name);
    }

    for k in 0..b.ingresses {
        let backend = svc_names
            .get(k as usize)
            .cloned()
            .unwrap_or_else(|| "web".to_string());
        let host = format!("{backend}-{ns}.apps.example.com");
        let mut spec = json!({
            "ingressClassName": "nginx",
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": {"number": 80}}}}]}}],
        });
        if let Some(t) = &tls_name {
            spec["tls"] = json!([{"hosts": [host], "secretName": t}]);
        }
        out.emit(json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": meta(rng, &format!("{backend}-{k}"), Some(ns), json!({"team": team}), json!({"cert-manager.io/cluster-issuer": "letsencrypt"})),
            "spec": spec,
        }))?;
    }

    // Network policies: default deny first, then allowances.
    for k in 0..b.network_policies {
        let (name, spec) = match k {
            0 => (
                "default-deny-ingress".to_string(),
                json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
            ),
            1 => (
                "allow-same-namespace".to_string(),
                json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}]}]}),
            ),
            2 => (
                "allow-ingress-nginx".to_string(),
                json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}),
            ),
            3 => (
                "allow-prometheus".to_string(),
                json!({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}], "ports": [{"port": 9090, "protocol": "TCP"}]}]}),
            ),
            4 => (
                "default-deny-egress".to_string(),
                json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}], "ports": [{"port": 53, "protocol": "UDP"}]}]}),
            ),
            _ => (
                format!("allow-app-{k}"),
                json!({"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": team}}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}),
            ),
        };
        out.emit(json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta(rng, &name, Some(ns), json!({}), json!({})),
            "spec": spec,
        }))?;
    }

    if rng.chance(0.35) {
        out.emit(json!({
            "apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": meta(rng, "compute", Some(ns), json!({}), json!({})),
            "spec": {"hard": {"pods": "200", "requests.cpu": "40", "requests.memory": "160Gi", "limits.memory": "320Gi", "persistentvolumeclaims": "20"}},
        }))?;
    }
    if rng.chance(0.25) {
        out.emit(json!({
            "apiVersion": "v1", "kind": "LimitRange",
            "metadata": meta(rng, "defaults", Some(ns), json!({}), json!({})),
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]},
        }))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn app_spec(
    rng: &mut Rng,
    ns: &str,
    team: &str,
    app: &str,
    sa: &str,
    cm: Option<&str>,
    secret: Option<&str>,
    pull: Option<&str>,
) -> Value {
    let image = if rng.chance(0.15) {
        rng.pick(IMAGES).to_string()
    } else {
        let tag = if rng.chance(0.03) {
            "latest".to_string()
        } else {
            format!("1.{}.{}", rng.below(40), rng.below(10))
        };
        format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{team}/{app}:{tag}")
    };
    let mut c = container(app, &image);
    let mut env = vec![
        json!({"name": "LOG_LEVEL", "value": "info"}),
        json!({"name": "PORT", "value": "8080"}),
        json!({"name": "UPSTREAM_URL", "value": format!("http://api.{ns}.svc.cluster.local")}),
    ];
    if let Some(s) = secret {
        env.push(json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": s, "key": "DB_PASSWORD"}}}));
    }
    if rng.chance(0.03) {
        env.push(json!({"name": "STRIPE_API_KEY", "value": format!("sk_live_{}", rng.hex(24))}));
    }
    c["env"] = Value::Array(env);
    if let Some(m) = cm {
        c["envFrom"] = json!([{"configMapRef": {"name": m}}]);
    }
    c["ports"] = json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]);
    c["resources"] =
        json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}});
    let mut spec = json!({"serviceAccountName": sa});
    let mut volumes = Vec::new();
    // A fraction of a percent of workloads run privileged or mount host paths.
    let noise = rng.unit();
    if noise < 0.002 {
        c["securityContext"] = json!({"privileged": true});
    } else if noise < 0.004 {
        c["volumeMounts"] = json!([{"name": "varlog", "mountPath": "/var/log", "readOnly": true}]);
        volumes
            .push(json!({"name": "varlog", "hostPath": {"path": "/var/log", "type": "Directory"}}));
    } else if noise < 0.005 {
        c["volumeMounts"] = json!([{"name": "docker-sock", "mountPath": "/var/run/docker.sock"}]);
        volumes.push(json!({"name": "docker-sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}));
    } else if rng.chance(0.8) {
        c["securityContext"] = json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}});
    }
    spec["containers"] = json!([c]);
    if !volumes.is_empty() {
        spec["volumes"] = Value::Array(volumes);
    }
    if let Some(p) = pull {
        spec["imagePullSecrets"] = json!([{"name": p}]);
    }
    spec
}
