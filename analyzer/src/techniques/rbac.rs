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

/// Adds RBAC edges for every subject with direct grants, in sorted order. What each subject's
/// grants reach is worked out in parallel, a chunk of subjects ahead of the edges being added (the
/// graph grows on one thread, in the same order as ever).
pub fn add(ctx: &mut Ctx<'_>) {
    let subjects = ctx.rbac.named_subjects.clone();
    let masters = ctx.g.vertex(VertexKind::Group, "Group/system:masters");
    let admin = ctx.cluster_admin();
    ctx.g.edge(masters, admin, Technique::SystemMasters, None);
    const CHUNK: usize = 2048;
    let (rbac, eks) = (ctx.rbac, ctx.eks);
    let work = |chunk: &[String]| -> Vec<Option<Reaches>> {
        use rayon::prelude::*;
        chunk
            .par_iter()
            .map(|key| {
                let perms = Permissions {
                    grants: rbac.direct(key).to_vec(),
                };
                (!perms.is_empty()).then(|| Reaches::of(&perms, eks))
            })
            .collect()
    };
    let chunks: Vec<&[String]> = subjects.chunks(CHUNK).collect();
    let mut ready = chunks.first().map(|c| work(c)).unwrap_or_default();
    for (i, chunk) in chunks.iter().enumerate() {
        let next = chunks.get(i + 1);
        let (upcoming, ()) = rayon::join(
            || next.map(|c| work(c)).unwrap_or_default(),
            || {
                for (key, reaches) in chunk.iter().zip(std::mem::take(&mut ready)) {
                    if let Some(r) = reaches {
                        let v = ctx.subject(key);
                        apply(ctx, v, &r);
                    }
                }
            },
        );
        ready = upcoming;
    }
}

/// What one permission set reaches, for every edge RBAC gives (worked out apart from the graph,
/// so that subjects can be worked out in parallel). Each field is named for the request it answers.
#[derive(Default)]
pub struct Reaches {
    /// `*` on `*` in `*` cluster-wide.
    wildcard_admin: bool,
    create_pods: Reach,
    patch_workloads: Reach,
    patch_ns: Reach,
    read_pods: Reach,
    secrets: Reach,
    tokens: Reach,
    users: Reach,
    groups: Reach,
    sas: Reach,
    write_crb: Reach,
    write_rb: Reach,
    bind_cr: Reach,
    bind_r: Reach,
    esc_cr: Reach,
    esc_r: Reach,
    write_cr: Reach,
    write_r: Reach,
    nodes_proxy: Reach,
    csr_create: Reach,
    csr_approve: Reach,
    signer: Reach,
    hooks: Reach,
    pv: Reach,
    patch_pods: Reach,
    exec_pods: Reach,
    ephemeral_containers: Reach,
    cm: Reach,
    create_secrets: Reach,
    /// Roles the subject is bound to and may rewrite beyond its rights (`escalate` plus
    /// `update`/`patch` on that role): (binding's namespace, role, binding).
    bound_escalations: Vec<(Option<String>, String, String)>,
}

impl Reaches {
    /// Works out what `p` reaches (the `aws-auth` ConfigMap only on EKS).
    pub fn of(p: &Permissions, eks: bool) -> Reaches {
        if p.is_wildcard_admin() {
            // Everything: one edge to cluster-admin says it all.
            return Reaches {
                wildcard_admin: true,
                ..Reaches::default()
            };
        }
        Reaches {
            wildcard_admin: false,
            create_pods: create_pods_reach(p),
            patch_workloads: patch_workloads_reach(p),
            patch_ns: p.reach(&["patch", "update"], &[""], &["namespaces"]),
            read_pods: union(
                p.reach(&["get", "list", "watch"], &[""], &["pods"]),
                p.reach(&["get", "list", "watch"], &["apps"], &["deployments"]),
            ),
            secrets: p.reach(&["get", "list", "watch"], &[""], &["secrets"]),
            tokens: p.reach(&["create"], &[""], &["serviceaccounts/token"]),
            users: p.reach(&["impersonate"], &[""], &["users"]),
            groups: p.reach(&["impersonate"], &[""], &["groups"]),
            sas: p.reach(&["impersonate"], &[""], &["serviceaccounts"]),
            write_crb: p.reach(
                &["create", "update", "patch"],
                &["rbac.authorization.k8s.io"],
                &["clusterrolebindings"],
            ),
            write_rb: p.reach(
                &["create", "update", "patch"],
                &["rbac.authorization.k8s.io"],
                &["rolebindings"],
            ),
            bind_cr: p.reach(&["bind"], &["rbac.authorization.k8s.io"], &["clusterroles"]),
            bind_r: p.reach(&["bind"], &["rbac.authorization.k8s.io"], &["roles"]),
            esc_cr: p.reach(
                &["escalate"],
                &["rbac.authorization.k8s.io"],
                &["clusterroles"],
            ),
            esc_r: p.reach(&["escalate"], &["rbac.authorization.k8s.io"], &["roles"]),
            write_cr: p.reach(
                &["create", "update", "patch"],
                &["rbac.authorization.k8s.io"],
                &["clusterroles"],
            ),
            write_r: p.reach(
                &["create", "update", "patch"],
                &["rbac.authorization.k8s.io"],
                &["roles"],
            ),
            nodes_proxy: p.reach(&["get", "create"], &[""], &["nodes/proxy"]),
            csr_create: p.reach(
                &["create"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests"],
            ),
            csr_approve: p.reach(
                &["update", "patch"],
                &["certificates.k8s.io"],
                &["certificatesigningrequests/approval"],
            ),
            signer: p.reach(&["approve"], &["certificates.k8s.io"], &["signers"]),
            hooks: p.reach(
                &["create", "update", "patch"],
                &["admissionregistration.k8s.io"],
                &[
                    "mutatingwebhookconfigurations",
                    "validatingwebhookconfigurations",
                ],
            ),
            pv: p.reach(&["create"], &[""], &["persistentvolumes"]),
            patch_pods: p.reach(&["patch", "update"], &[""], &["pods"]),
            exec_pods: p.reach(&["create", "get"], &[""], &["pods/exec", "pods/attach"]),
            ephemeral_containers: p.reach(
                &["patch", "update"],
                &[""],
                &["pods/ephemeralcontainers"],
            ),
            cm: if eks {
                p.reach(&["update", "patch"], &[""], &["configmaps"])
            } else {
                Reach::default()
            },
            create_secrets: p.reach(&["create"], &[""], &["secrets"]),
            bound_escalations: bound_escalations(p),
        }
    }
}

/// The roles `p` is bound to that it may also `escalate` and `update`/`patch`: it adds any rule to
/// them, without `bind` or binding rights, and gains it where the binding holds.
fn bound_escalations(p: &Permissions) -> Vec<(Option<String>, String, String)> {
    const RBAC: &[&str] = &["rbac.authorization.k8s.io"];
    let esc_cr = p.reach(&["escalate"], RBAC, &["clusterroles"]);
    let esc_r = p.reach(&["escalate"], RBAC, &["roles"]);
    if esc_cr.is_empty() && esc_r.is_empty() {
        return Vec::new();
    }
    let write_cr = p.reach(&["update", "patch"], RBAC, &["clusterroles"]);
    let write_r = p.reach(&["update", "patch"], RBAC, &["roles"]);
    let mut out = Vec::new();
    for g in &p.grants {
        let ok = if let Some(name) = g.role.strip_prefix("ClusterRole/") {
            // A ClusterRole is cluster-scoped: only cluster-wide grants reach it.
            esc_cr.covers("", name)
                && write_cr.covers("", name)
                && esc_cr.cluster.is_some()
                && write_cr.cluster.is_some()
        } else if let Some((ns, name)) =
            g.role.strip_prefix("Role/").and_then(|r| r.split_once('/'))
        {
            esc_r.covers(ns, name) && write_r.covers(ns, name)
        } else {
            false
        };
        if ok {
            out.push((
                g.namespace.as_deref().map(str::to_string),
                g.role.to_string(),
                g.binding.to_string(),
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Adds the edges one permission set gives to vertex `v`. Called once per vertex at most: the
/// edges to existing pods are added without checking for duplicates.
pub fn add_for(ctx: &mut Ctx<'_>, v: VertexId, p: &Permissions) {
    let r = Reaches::of(p, ctx.eks);
    apply(ctx, v, &r);
}

/// Adds the edges that what a permission set reaches gives to vertex `v`.
fn apply(ctx: &mut Ctx<'_>, v: VertexId, r: &Reaches) {
    let inv = ctx.inv;
    let admin_crs = ctx.admin_cluster_roles.clone();
    let admin = ctx.cluster_admin();
    if r.wildcard_admin {
        ctx.g.edge(v, admin, Technique::RbacWildcardAdmin, None);
        return;
    }
    let namespaces = ctx.namespaces.clone();
    let patch_ns = &r.patch_ns;

    // Pod creation and controller writes: every SA and Secret of the namespace, and a node.
    for (reach, tech) in [
        (&r.create_pods, Technique::RbacCreatePods),
        (&r.patch_workloads, Technique::RbacPatchWorkloads),
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
            } else if patch_ns.covers(ns, ns) {
                // A namespace's own object is in its namespace for RBAC: a Role there that
                // allows patching `namespaces` relabels it, as a ClusterRole does.
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
        (&r.patch_pods, Technique::RbacPatchPods),
        (&r.exec_pods, Technique::RbacExecPods),
        (&r.ephemeral_containers, Technique::RbacEphemeralContainers),
    ];
    for (reach, tech) in pod_reaches {
        if reach.is_empty() {
            continue;
        }
        // Only here are edges of these techniques made, once per subject (the caller's
        // promise), namespace and pod vertex: no check against the graph's other edges is
        // needed. Pods of one vertex (a name captured twice) sort next to each other.
        for ns in reach.namespaces_in(&namespaces) {
            let all = reach.all_in(ns);
            let mut last = None;
            for &i in inv.pods_in(ns) {
                let pod = &inv.pods[i];
                if all || reach.covers(ns, &pod.metadata.name) {
                    let t = ctx.pod(i);
                    if last != Some(t) {
                        ctx.g.edge_once(v, t, tech);
                        last = Some(t);
                    }
                }
            }
        }
    }

    // Coder agent tokens readable from pod or deployment specs.
    let read_pods = &r.read_pods;
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
    let secrets = &r.secrets;
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
    let tokens = &r.tokens;
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

    // A minted token Secret: create one annotated with any service account, read the token back.
    mint_token_secrets(ctx, v, &r.create_secrets, &r.secrets);

    // Impersonation: users and groups are cluster-scoped requests, so only cluster grants count.
    let users = &r.users;
    let groups = &r.groups;
    let sas = &r.sas;
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
    let write_crb = &r.write_crb;
    let write_rb = &r.write_rb;
    let bind_cr = &r.bind_cr;
    let bind_r = &r.bind_r;
    let esc_cr = &r.esc_cr;
    let esc_r = &r.esc_r;
    let write_cr = &r.write_cr;
    let write_r = &r.write_r;
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

    escalate_bound_roles(
        ctx,
        v,
        &r.bound_escalations,
        cluster_bind || cluster_escalate,
    );

    // Cluster-scoped escalations.
    let nodes_proxy = &r.nodes_proxy;
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
    let csr_create = &r.csr_create;
    let csr_approve = &r.csr_approve;
    let signer = &r.signer;
    if csr_create.cluster.is_some() && csr_approve.cluster.is_some() && signer.cluster.is_some() {
        ctx.g.edge(v, admin, Technique::RbacCsrApprove, None);
    }
    let hooks = &r.hooks;
    if hooks.cluster.is_some() {
        ctx.g.edge(v, admin, Technique::RbacAdmissionWebhook, None);
    }
    let pv = &r.pv;
    if pv.cluster.is_some() {
        let any = ctx.any_node();
        ctx.g
            .edge(v, any, Technique::RbacCreatePersistentVolume, None);
    }
    if ctx.eks {
        let cm = &r.cm;
        if cm.covers("kube-system", "aws-auth") {
            ctx.g.edge(v, admin, Technique::RbacAwsAuth, None);
        }
    }
}

/// `create` on Secrets (any name: `create` requests cannot be limited by resourceNames) plus a way
/// to read the new Secret back (`get`/`list`/`watch` on every Secret of the namespace, or on a name
/// no Secret holds yet): a Secret of type `kubernetes.io/service-account-token` annotated with any
/// service account of the namespace is filled with that account's token by the control plane.
fn mint_token_secrets(ctx: &mut Ctx<'_>, v: VertexId, create: &Reach, read: &Reach) {
    if create.is_empty() || read.is_empty() {
        return;
    }
    let namespaces = ctx.namespaces.clone();
    for ns in create.namespaces_in(&namespaces) {
        if !create.all_in(ns) {
            continue;
        }
        let existing = ctx.secrets_in(ns);
        let free_name = read
            .cluster
            .iter()
            .chain(read.namespaces.get(ns))
            .any(|names| {
                names
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|x| !existing.contains(x)))
            });
        if !free_name {
            continue;
        }
        for sa in ctx.useful_sas_in(ns).iter() {
            let t = ctx.sa(ns, sa);
            ctx.g.edge(
                v,
                t,
                Technique::RbacMintTokenSecret,
                Some(
                    "creates a `kubernetes.io/service-account-token` Secret for it and reads it"
                        .into(),
                ),
            );
        }
    }
}

/// Roles the subject is bound to and may `escalate` and `update`/`patch`: it writes `*` into them
/// and holds it where the binding holds (cluster-wide: cluster admin; in a namespace: its admin).
/// Not where `rbac-bind-roles` or `rbac-escalate-roles` already lead there (`admin_already`: to
/// cluster admin).
fn escalate_bound_roles(
    ctx: &mut Ctx<'_>,
    v: VertexId,
    bound: &[(Option<String>, String, String)],
    admin_already: bool,
) {
    for (ns, role, binding) in bound {
        let to = match ns {
            _ if admin_already => continue,
            None => ctx.cluster_admin(),
            Some(ns) => {
                let reached = ctx
                    .g
                    .get(&format!("Virtual/namespace-admin/{ns}"))
                    .is_some_and(|hub| ctx.g.out_edges(v).any(|(t, _)| t == hub));
                if reached {
                    continue;
                }
                namespace_admin(ctx, ns)
            }
        };
        ctx.g.edge(
            v,
            to,
            Technique::RbacEscalateBoundRole,
            Some(format!(
                "adds rules to `{role}`, bound to it by `{binding}`"
            )),
        );
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::inventory::Inventory;
    use crate::report::Analysis;

    /// Edges to existing pods skip the duplicate check: a pod captured twice, and grants that
    /// reach it by two bindings and by name and by namespace, still give one edge per technique.
    #[test]
    fn pod_edges_are_made_once_per_subject_pod_and_technique() {
        let pod = || {
            (
                "Pod".to_string(),
                json!({"metadata": {"name": "p", "namespace": "a"},
                       "spec": {"containers": [{"name": "c", "image": "x"}]}}),
            )
        };
        let role = |name: &str, names: serde_json::Value| {
            (
                "Role".to_string(),
                json!({"metadata": {"name": name, "namespace": "a"},
                       "rules": [{"apiGroups": [""], "resources": ["pods/exec", "pods"],
                                  "verbs": ["create", "patch"], "resourceNames": names}]}),
            )
        };
        let binding = |name: &str, role: &str| {
            (
                "RoleBinding".to_string(),
                json!({"metadata": {"name": name, "namespace": "a"},
                       "roleRef": {"kind": "Role", "name": role},
                       "subjects": [{"kind": "User", "name": "dev"}]}),
            )
        };
        let inv = Inventory::from_objects(vec![
            pod(),
            pod(),
            role("all", json!([])),
            role("named", json!(["p"])),
            binding("b1", "all"),
            binding("b2", "named"),
        ]);
        let a = Analysis::build(&inv);
        let edges: Vec<(String, &str)> = a
            .graph
            .edges_from("User/dev")
            .into_iter()
            .filter(|(to, _)| to == "Pod/a/p")
            .collect();
        assert_eq!(
            edges,
            [
                ("Pod/a/p".to_string(), "rbac-exec-pods"),
                ("Pod/a/p".to_string(), "rbac-patch-pods"),
            ]
        );
    }
}
