//! RBAC abuse: edges from every subject named in a binding, derived from its directly bound
//! permissions (group permissions reach members through `group-member` edges). Controllers count with
//! their real API groups (`apps`, `batch`), resourceNames are honoured, and Pod Security labels decide
//! whether pod creation reaches a node.

use crate::catalog::Technique;
use crate::graph::{VertexId, VertexKind};
use crate::rbac::{Permissions, Reach};

use super::Ctx;

const CONTROLLERS_APPS: &[&str] = &["deployments", "daemonsets", "statefulsets", "replicasets"];
const CONTROLLERS_BATCH: &[&str] = &["jobs", "cronjobs"];

fn union(mut a: Reach, b: Reach) -> Reach {
    match (&a.cluster, b.cluster) {
        (_, None) => {}
        (None, Some(x)) => a.cluster = Some(x),
        (Some(Some(s)), Some(Some(t))) => {
            let mut s = s.clone();
            s.extend(t);
            a.cluster = Some(Some(s));
        }
        (Some(_), Some(_)) => a.cluster = Some(None),
    }
    for (ns, names) in b.namespaces {
        match (a.namespaces.get_mut(&ns), names) {
            (None, n) => {
                a.namespaces.insert(ns, n);
            }
            (Some(slot), None) => *slot = None,
            (Some(Some(s)), Some(t)) => s.extend(t),
            (Some(None), Some(_)) => {}
        }
    }
    a
}

/// Pod creation through pods or any controller.
fn create_pods_reach(p: &Permissions) -> Reach {
    let a = p.reach(&["create"], &[""], &["pods", "replicationcontrollers"]);
    let b = p.reach(&["create"], &["apps"], CONTROLLERS_APPS);
    let c = p.reach(&["create"], &["batch"], CONTROLLERS_BATCH);
    union(union(a, b), c)
}

fn patch_workloads_reach(p: &Permissions) -> Reach {
    let a = p.reach(&["patch", "update"], &[""], &["replicationcontrollers"]);
    let b = p.reach(&["patch", "update"], &["apps"], CONTROLLERS_APPS);
    let c = p.reach(&["patch", "update"], &["batch"], CONTROLLERS_BATCH);
    union(union(a, b), c)
}

/// Adds RBAC edges for every subject with direct grants, in sorted order.
pub fn add(ctx: &mut Ctx<'_>) {
    let subjects = ctx.rbac.named_subjects.clone();
    let masters = ctx.g.vertex(VertexKind::Group, "Group/system:masters");
    let admin = ctx.cluster_admin();
    ctx.g.edge(masters, admin, Technique::SystemMasters, None);
    for key in subjects {
        let perms = Permissions {
            grants: ctx.rbac.direct(&key).to_vec(),
        };
        if perms.is_empty() {
            continue;
        }
        let v = ctx.subject(&key);
        add_for(ctx, v, &perms);
    }
}

/// Adds the edges one permission set gives to vertex `v`.
pub fn add_for(ctx: &mut Ctx<'_>, v: VertexId, p: &Permissions) {
    let inv = ctx.inv;
    let admin_crs = ctx.admin_cluster_roles.clone();
    let admin = ctx.cluster_admin();
    if p.is_wildcard_admin() {
        ctx.g.edge(v, admin, Technique::RbacWildcardAdmin, None);
        return;
    }
    let namespaces = ctx.namespaces.clone();
    let patch_ns = p.reach(&["patch", "update"], &[""], &["namespaces"]);

    // Pod creation and controller writes: every SA and Secret of the namespace, and a node.
    for (reach, tech) in [
        (create_pods_reach(p), Technique::RbacCreatePods),
        (patch_workloads_reach(p), Technique::RbacPatchWorkloads),
    ] {
        for ns in reach.namespaces_in(&namespaces) {
            for sa in ctx.useful_sas_in(ns).iter() {
                let t = ctx.sa(ns, sa);
                ctx.g.edge(v, t, tech, None);
            }
            for s in ctx.useful_secrets_in(ns).iter() {
                let t = ctx.secret(ns, s);
                ctx.g.edge(v, t, tech, None);
            }
            let any = ctx.any_node();
            if ctx.privileged_allowed(ns) {
                let t = if tech == Technique::RbacCreatePods {
                    Technique::RbacCreatePrivilegedPod
                } else {
                    tech
                };
                ctx.g.edge(
                    v,
                    any,
                    t,
                    Some(format!(
                        "privileged pod in `{ns}` (no Pod Security enforce label)"
                    )),
                );
            } else if patch_ns.covers("", ns) || patch_ns.cluster_wide() {
                ctx.g.edge(
                    v,
                    any,
                    Technique::RbacPatchNamespacePsa,
                    Some(format!("relabels `{ns}` then creates a privileged pod")),
                );
            }
        }
    }

    // Existing pods: patch, exec/attach, ephemeral containers.
    let pod_reaches = [
        (
            p.reach(&["patch", "update"], &[""], &["pods"]),
            Technique::RbacPatchPods,
        ),
        (
            p.reach(&["create", "get"], &[""], &["pods/exec", "pods/attach"]),
            Technique::RbacExecPods,
        ),
        (
            p.reach(&["patch", "update"], &[""], &["pods/ephemeralcontainers"]),
            Technique::RbacEphemeralContainers,
        ),
    ];
    for (reach, tech) in pod_reaches {
        if reach.is_empty() {
            continue;
        }
        for ns in reach.namespaces_in(&namespaces) {
            let all = reach.all_in(ns);
            for &i in inv.pods_in(ns) {
                let pod = &inv.pods[i];
                if all || reach.covers(ns, &pod.metadata.name) {
                    let t = ctx.pod(i);
                    ctx.g.edge(v, t, tech, None);
                }
            }
        }
    }

    // Coder agent tokens readable from pod or deployment specs.
    let read_pods = union(
        p.reach(&["get", "list", "watch"], &[""], &["pods"]),
        p.reach(&["get", "list", "watch"], &["apps"], &["deployments"]),
    );
    if !read_pods.is_empty() && !ctx.agent_token_pods.is_empty() {
        // Every token of a namespace: one edge to its hub; by name: straight to the pods.
        let namespaces: Vec<String> = ctx
            .agent_token_pods
            .keys()
            .filter(|ns| read_pods.cluster.is_some() || read_pods.namespaces.contains_key(*ns))
            .cloned()
            .collect();
        for ns in namespaces {
            if read_pods.all_in(&ns) {
                let hub = agent_tokens(ctx, &ns);
                ctx.g.edge(v, hub, Technique::RbacReadAgentToken, None);
                continue;
            }
            let hits: Vec<usize> = ctx.agent_token_pods[&ns]
                .iter()
                .copied()
                .filter(|&i| read_pods.covers(&ns, &inv.pods[i].metadata.name))
                .collect();
            for i in hits {
                let t = ctx.pod(i);
                ctx.g.edge(v, t, Technique::RbacReadAgentToken, None);
            }
        }
    }

    // Secrets.
    let secrets = p.reach(&["get", "list", "watch"], &[""], &["secrets"]);
    if !secrets.is_empty() {
        for ns in secrets.namespaces_in(&namespaces) {
            for s in ctx.useful_secrets_in(ns).iter() {
                if secrets.covers(ns, s) {
                    let t = ctx.secret(ns, s);
                    ctx.g.edge(v, t, Technique::RbacReadSecrets, None);
                }
            }
        }
    }

    // Tokens for service accounts.
    let tokens = p.reach(&["create"], &[""], &["serviceaccounts/token"]);
    if !tokens.is_empty() {
        for ns in tokens.namespaces_in(&namespaces) {
            for sa in ctx.useful_sas_in(ns).iter() {
                if tokens.covers(ns, sa) {
                    let t = ctx.sa(ns, sa);
                    ctx.g.edge(v, t, Technique::RbacServiceAccountToken, None);
                }
            }
        }
    }

    // Impersonation: users and groups are cluster-scoped requests, so only cluster grants count.
    let users = p.reach(&["impersonate"], &[""], &["users"]);
    let groups = p.reach(&["impersonate"], &[""], &["groups"]);
    let sas = p.reach(&["impersonate"], &[""], &["serviceaccounts"]);
    match &groups.cluster {
        Some(None) => {
            let m = ctx.g.vertex(VertexKind::Group, "Group/system:masters");
            ctx.g.edge(
                v,
                m,
                Technique::RbacImpersonate,
                Some("impersonates group `system:masters`".into()),
            );
        }
        Some(Some(names)) => {
            for n in names.clone() {
                let t = ctx.g.vertex(VertexKind::Group, format!("Group/{n}"));
                ctx.g.edge(v, t, Technique::RbacImpersonate, None);
            }
        }
        None => {}
    }
    match &users.cluster {
        Some(None) => {
            let known: Vec<String> = ctx
                .rbac
                .named_subjects
                .iter()
                .filter(|s| s.starts_with("User/"))
                .cloned()
                .collect();
            for u in known {
                let t = ctx.subject(&u);
                ctx.g.edge(v, t, Technique::RbacImpersonate, None);
            }
        }
        Some(Some(names)) => {
            for n in names.clone() {
                let t = ctx.g.vertex(VertexKind::User, format!("User/{n}"));
                ctx.g.edge(v, t, Technique::RbacImpersonate, None);
            }
        }
        None => {}
    }
    if !sas.is_empty() {
        for ns in sas.namespaces_in(&namespaces) {
            for sa in ctx.useful_sas_in(ns).iter() {
                if sas.covers(ns, sa) {
                    let t = ctx.sa(ns, sa);
                    ctx.g.edge(v, t, Technique::RbacImpersonate, None);
                }
            }
        }
    }

    // Role bindings: bind, escalate.
    let write_crb = p.reach(
        &["create", "update", "patch"],
        &["rbac.authorization.k8s.io"],
        &["clusterrolebindings"],
    );
    let write_rb = p.reach(
        &["create", "update", "patch"],
        &["rbac.authorization.k8s.io"],
        &["rolebindings"],
    );
    let bind_cr = p.reach(&["bind"], &["rbac.authorization.k8s.io"], &["clusterroles"]);
    let bind_r = p.reach(&["bind"], &["rbac.authorization.k8s.io"], &["roles"]);
    let esc_cr = p.reach(
        &["escalate"],
        &["rbac.authorization.k8s.io"],
        &["clusterroles"],
    );
    let esc_r = p.reach(&["escalate"], &["rbac.authorization.k8s.io"], &["roles"]);
    let write_cr = p.reach(
        &["create", "update", "patch"],
        &["rbac.authorization.k8s.io"],
        &["clusterroles"],
    );
    let write_r = p.reach(
        &["create", "update", "patch"],
        &["rbac.authorization.k8s.io"],
        &["roles"],
    );
    let powerful_cr = |name: &str| admin_crs.contains(name);
    let cluster_bind = write_crb.cluster.is_some()
        && match &bind_cr.cluster {
            Some(None) => true,
            Some(Some(names)) => names.iter().any(|n| powerful_cr(n)),
            None => false,
        };
    if cluster_bind {
        ctx.g.edge(
            v,
            admin,
            Technique::RbacBindRoles,
            Some("binds a cluster-admin ClusterRole cluster-wide".into()),
        );
    }
    let cluster_escalate =
        esc_cr.cluster.is_some() && write_cr.cluster.is_some() && write_crb.cluster.is_some();
    if cluster_escalate {
        ctx.g.edge(v, admin, Technique::RbacEscalateRoles, None);
    }
    if !cluster_bind {
        for ns in write_rb.namespaces_in(&namespaces) {
            let bind_any_cr =
                bind_cr.all_in(ns) || bind_cr.cluster.as_ref().is_some_and(|c| c.is_none());
            let bind_named_cr = bind_cr
                .cluster
                .iter()
                .flatten()
                .flatten()
                .chain(bind_cr.namespaces.get(ns).into_iter().flatten().flatten())
                .any(|n| powerful_cr(n));
            let bind_roles = bind_r.all_in(ns)
                && inv.roles.iter().any(|r| {
                    r.metadata.namespace == ns
                        && r.rules.iter().flatten().any(|rule| {
                            rule.verbs.iter().any(|x| x == "*")
                                || crate::rbac::rule_matches(rule, &["create"], &[""], &["pods"])
                        })
                });
            let escalate = (esc_r.all_in(ns) && write_r.all_in(ns))
                || (esc_cr.cluster.is_some() && write_cr.cluster.is_some());
            let tech = if bind_any_cr || bind_named_cr || bind_roles {
                Technique::RbacBindRoles
            } else if escalate {
                Technique::RbacEscalateRoles
            } else {
                continue;
            };
            let hub = namespace_admin(ctx, ns);
            ctx.g.edge(v, hub, tech, None);
        }
    }

    // Cluster-scoped escalations.
    let nodes_proxy = p.reach(&["get", "create"], &[""], &["nodes/proxy"]);
    if nodes_proxy.cluster.is_some() {
        for n in inv.nodes.iter().map(|n| n.metadata.name.clone()) {
            if nodes_proxy.covers("", &n) {
                let t = ctx.g.vertex(VertexKind::Node, format!("Node/{n}"));
                ctx.g.edge(v, t, Technique::RbacNodesProxy, None);
            }
        }
        if nodes_proxy.cluster_wide() {
            let any = ctx.any_node();
            ctx.g.edge(v, any, Technique::RbacNodesProxy, None);
        }
    }
    let csr_create = p.reach(
        &["create"],
        &["certificates.k8s.io"],
        &["certificatesigningrequests"],
    );
    let csr_approve = p.reach(
        &["update", "patch"],
        &["certificates.k8s.io"],
        &["certificatesigningrequests/approval"],
    );
    let signer = p.reach(&["approve"], &["certificates.k8s.io"], &["signers"]);
    if csr_create.cluster.is_some() && csr_approve.cluster.is_some() && signer.cluster.is_some() {
        ctx.g.edge(v, admin, Technique::RbacCsrApprove, None);
    }
    let hooks = p.reach(
        &["create", "update", "patch"],
        &["admissionregistration.k8s.io"],
        &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
        ],
    );
    if hooks.cluster.is_some() {
        ctx.g.edge(v, admin, Technique::RbacAdmissionWebhook, None);
    }
    let pv = p.reach(&["create"], &[""], &["persistentvolumes"]);
    if pv.cluster.is_some() {
        let any = ctx.any_node();
        ctx.g
            .edge(v, any, Technique::RbacCreatePersistentVolume, None);
    }
    if ctx.eks {
        let cm = p.reach(&["update", "patch"], &[""], &["configmaps"]);
        if cm.covers("kube-system", "aws-auth") {
            ctx.g.edge(v, admin, Technique::RbacAwsAuth, None);
        }
    }
}

/// The `Coder/agent-tokens/NS` hub: the literal agent tokens of the namespace's workspace pods.
pub fn agent_tokens(ctx: &mut Ctx<'_>, ns: &str) -> VertexId {
    let reference = format!("Coder/agent-tokens/{ns}");
    if let Some(v) = ctx.g.get(&reference) {
        return v;
    }
    let hub = ctx.g.vertex(VertexKind::Coder, reference);
    let pods = ctx.agent_token_pods.get(ns).cloned().unwrap_or_default();
    for i in pods {
        let t = ctx.pod(i);
        ctx.g.edge(hub, t, Technique::CoderAgentToken, None);
    }
    hub
}

/// The `Virtual/namespace-admin/NS` hub: every SA, Secret and pod of the namespace, and a node when
/// Pod Security allows privileged pods.
pub fn namespace_admin(ctx: &mut Ctx<'_>, ns: &str) -> VertexId {
    let reference = format!("Virtual/namespace-admin/{ns}");
    if let Some(v) = ctx.g.get(&reference) {
        return v;
    }
    let hub = ctx.g.vertex(VertexKind::Virtual, reference);
    let inv = ctx.inv;
    let tech = Technique::NamespaceAdminControl;
    for sa in ctx.useful_sas_in(ns).iter() {
        let t = ctx.sa(ns, sa);
        ctx.g.edge(hub, t, tech, None);
    }
    for s in ctx.useful_secrets_in(ns).iter() {
        let t = ctx.secret(ns, s);
        ctx.g.edge(hub, t, tech, None);
    }
    for &i in inv.pods_in(ns) {
        let t = ctx.pod(i);
        ctx.g.edge(hub, t, tech, None);
    }
    if ctx.privileged_allowed(ns) {
        let any = ctx.any_node();
        ctx.g.edge(hub, any, tech, None);
    }
    hub
}
