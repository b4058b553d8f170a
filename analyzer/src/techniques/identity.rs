//! Workload identity: pods → their service accounts and Secrets, token Secrets → service accounts,
//! nodes → their pods and the Node-authorizer identity, group membership, service accounts → cloud
//! roles (IRSA, GKE, Azure), nodes and pods → the node's cloud role through the metadata endpoint, and
//! `kube-system/aws-auth` mappings.

use serde_json::Value;

use crate::catalog::Technique;
use crate::graph::{VertexId, VertexKind};

use super::Ctx;

/// The metadata endpoint address.
pub const METADATA_IP: [u8; 4] = [169, 254, 169, 254];

/// Service accounts → cloud roles; aws-auth; group membership. Runs after RBAC so membership edges
/// are added only towards groups that hold something.
pub fn add_cloud_and_groups(ctx: &mut Ctx<'_>) {
    let inv = ctx.inv;
    for sa in &inv.service_accounts {
        let ann = &sa.metadata.annotations;
        let (ns, name) = (&sa.metadata.namespace, &sa.metadata.name);
        for (key, tech) in [
            ("eks.amazonaws.com/role-arn", Technique::WorkloadIdentityAws),
            (
                "iam.gke.io/gcp-service-account",
                Technique::WorkloadIdentityGcp,
            ),
            (
                "azure.workload.identity/client-id",
                Technique::WorkloadIdentityAzure,
            ),
        ] {
            if let Some(id) = ann.get(key).filter(|v| !v.is_empty()) {
                let from = ctx.sa(ns, name);
                let to = ctx
                    .g
                    .vertex(VertexKind::CloudRole, format!("CloudRole/{id}"));
                ctx.g
                    .edge(from, to, tech, Some(format!("annotation `{key}`")));
            }
        }
    }
    if let Some(aws) = inv.aws_auth() {
        for (list, key) in [("mapRoles", "rolearn"), ("mapUsers", "userarn")] {
            for m in aws
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(arn) = m.get(key).and_then(Value::as_str) else {
                    continue;
                };
                let from = ctx
                    .g
                    .vertex(VertexKind::CloudRole, format!("CloudRole/{arn}"));
                if let Some(user) = m.get("username").and_then(Value::as_str)
                    && !user.contains("{{")
                {
                    let to = ctx.g.vertex(VertexKind::User, format!("User/{user}"));
                    ctx.g.edge(from, to, Technique::AwsAuthMapping, None);
                }
                for g in m
                    .get("groups")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(g) = g.as_str() {
                        let to = ctx.g.vertex(VertexKind::Group, format!("Group/{g}"));
                        ctx.g.edge(from, to, Technique::AwsAuthMapping, None);
                    }
                }
            }
        }
    }
    // Membership: only towards groups that can do something.
    let useful = |ctx: &Ctx<'_>, g: &str| ctx.g.get(g).is_some_and(|v| ctx.g.has_out_edges(v));
    let authenticated = "Group/system:authenticated";
    let all_sas = "Group/system:serviceaccounts";
    for (ns, names) in ctx.sas_by_ns.clone() {
        let ns_group = format!("Group/system:serviceaccounts:{ns}");
        for g in [authenticated, all_sas, ns_group.as_str()] {
            if useful(ctx, g) {
                let to = ctx.g.get(g).expect("checked");
                for n in names.iter() {
                    let from = ctx.sa(&ns, n);
                    ctx.g.edge(from, to, Technique::GroupMember, None);
                }
            }
        }
    }
    if useful(ctx, authenticated) {
        let to = ctx.g.get(authenticated).expect("checked");
        for u in ctx.rbac.named_subjects.clone() {
            if u.starts_with("User/") && u != "User/system:anonymous" {
                let from = ctx.subject(&u);
                ctx.g.edge(from, to, Technique::GroupMember, None);
            }
        }
    }
    let anon = ctx.g.vertex(VertexKind::User, "User/system:anonymous");
    if useful(ctx, "Group/system:unauthenticated") {
        let to = ctx.g.get("Group/system:unauthenticated").expect("checked");
        ctx.g.edge(anon, to, Technique::GroupMember, None);
    }
}

/// The cloud identity a node's instance metadata hands out, if the node runs in a cloud.
fn node_cloud_roles(ctx: &mut Ctx<'_>, provider_id: Option<&str>) -> Vec<VertexId> {
    let Some(pid) = provider_id else {
        return Vec::new();
    };
    let provider = pid.split("://").next().unwrap_or("");
    if !matches!(provider, "aws" | "gce" | "azure") {
        return Vec::new();
    }
    let mut out = Vec::new();
    if provider == "aws"
        && let Some(aws) = ctx.aws_auth
    {
        {
            for m in aws
                .get("mapRoles")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let node_role = m
                    .get("groups")
                    .and_then(Value::as_array)
                    .is_some_and(|g| g.iter().any(|g| g.as_str() == Some("system:nodes")));
                if let (true, Some(arn)) = (node_role, m.get("rolearn").and_then(Value::as_str)) {
                    out.push(
                        ctx.g
                            .vertex(VertexKind::CloudRole, format!("CloudRole/{arn}")),
                    );
                }
            }
        }
    }
    if out.is_empty() {
        out.push(ctx.g.vertex(
            VertexKind::CloudRole,
            format!("CloudRole/node-instance/{provider}"),
        ));
    }
    out
}

/// Whether the control plane is a cloud provider's (EKS: an `aws-auth` ConfigMap or EKS node
/// labels; GKE, AKS: their node labels): its nodes are not in the cluster, whatever a node's labels
/// say. Nodes on a cloud's VMs alone (`aws://` provider ids) do not make it managed: kubeadm runs
/// there too.
fn managed_control_plane(ctx: &Ctx<'_>) -> bool {
    ctx.aws_auth.is_some()
        || ctx.inv.nodes.iter().any(|n| {
            n.metadata.labels.keys().any(|k| {
                k.starts_with("eks.amazonaws.com/")
                    || k.starts_with("cloud.google.com/gke-")
                    || k.starts_with("kubernetes.azure.com/")
            })
        })
}

/// Why a node of a self-managed cluster is a control-plane node (its role label, or the static
/// pods of the API server or etcd the kubelet runs from `/etc/kubernetes/manifests`), or `None`.
fn control_plane(inv: &crate::inventory::Inventory, n: &crate::inventory::Node) -> Option<String> {
    for label in [
        "node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master",
    ] {
        if n.metadata.labels.contains_key(label) {
            return Some(format!("control-plane node (label `{label}`)"));
        }
    }
    inv.pods_on(&n.metadata.name).iter().find_map(|&i| {
        let p = &inv.pods[i];
        let static_pod = p
            .metadata
            .annotations
            .contains_key("kubernetes.io/config.mirror")
            || p.metadata.owner_references.iter().any(|o| o.kind == "Node");
        let component = p
            .metadata
            .labels
            .get("component")
            .map(String::as_str)
            .unwrap_or("");
        (static_pod && matches!(component, "kube-apiserver" | "etcd"))
            .then(|| format!("control-plane node (static pod `{}`)", p.metadata.name))
    })
}

/// Pods → SA, Secrets; token Secrets → SA; nodes → pods, identity, cloud; metadata endpoint.
pub fn add_pods_and_nodes(ctx: &mut Ctx<'_>) {
    let inv = ctx.inv;
    // Token Secrets.
    for s in &inv.secrets {
        if s.kind != "kubernetes.io/service-account-token" {
            continue;
        }
        let sa_name = s
            .metadata
            .annotations
            .get("kubernetes.io/service-account.name")
            .cloned()
            .or_else(|| {
                s.redacted
                    .get("serviceAccount")
                    .and_then(|v| v.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        if let Some(sa) = sa_name {
            let from = ctx.secret(&s.metadata.namespace, &s.metadata.name);
            let to = ctx.sa(&s.metadata.namespace, &sa);
            ctx.g
                .edge(from, to, Technique::SecretServiceAccountToken, None);
        }
    }
    // Nodes.
    let any = ctx.any_node();
    let nodes_group = "Group/system:nodes";
    let cloud_nodes: Vec<bool> = inv
        .nodes
        .iter()
        .map(|n| {
            n.spec.provider_id.as_deref().is_some_and(|p| {
                p.starts_with("aws://") || p.starts_with("gce://") || p.starts_with("azure://")
            })
        })
        .collect();
    let mut any_node_roles: Vec<VertexId> = Vec::new();
    let managed = managed_control_plane(ctx);
    for n in &inv.nodes {
        let name = &n.metadata.name;
        let nv = ctx.g.vertex(VertexKind::Node, format!("Node/{name}"));
        if !managed && let Some(why) = control_plane(inv, n) {
            let admin = ctx.cluster_admin();
            ctx.g.edge(
                nv,
                admin,
                Technique::NodeControlPlane,
                Some(format!(
                    "{why}: `/etc/kubernetes` holds `admin.conf` and the cluster CA's key"
                )),
            );
        }
        if !n.spec.unschedulable {
            ctx.g.edge(any, nv, Technique::NodeSchedule, None);
        }
        for &i in inv.pods_on(name) {
            if inv.pods[i].finished() {
                continue;
            }
            let pv = ctx.pod(i);
            ctx.g.edge(nv, pv, Technique::NodePodAccess, None);
        }
        for key in [nodes_group.to_string(), format!("User/system:node:{name}")] {
            if !ctx.rbac.direct(&key).is_empty() {
                ctx.subject(&key);
            }
            if let Some(gv) = ctx.g.get(&key) {
                ctx.g.edge(nv, gv, Technique::NodeKubeletIdentity, None);
            }
        }
        for r in node_cloud_roles(ctx, n.spec.provider_id.as_deref()) {
            ctx.g.edge(nv, r, Technique::NodeInstanceRole, None);
            if !any_node_roles.contains(&r) {
                any_node_roles.push(r);
            }
        }
    }
    if let Some(gv) = ctx.g.get(nodes_group).filter(|v| ctx.g.has_out_edges(*v)) {
        ctx.g.edge(any, gv, Technique::NodeKubeletIdentity, None);
    }
    let all_cloud = !cloud_nodes.is_empty() && cloud_nodes.iter().all(|c| *c);
    if all_cloud {
        for r in &any_node_roles {
            ctx.g.edge(any, *r, Technique::NodeInstanceRole, None);
        }
    }
    // Pods.
    for (i, p) in inv.pods.iter().enumerate() {
        if p.finished() {
            continue;
        }
        let ns = &p.metadata.namespace;
        let pv = ctx.pod(i);
        if p.spec.node_name.as_deref().is_none_or(str::is_empty) {
            ctx.g.edge(
                any,
                pv,
                Technique::NodePodAccess,
                Some("unscheduled or template pod".into()),
            );
        }
        if ctx.mounts_token(p) {
            let key = format!("ServiceAccount/{ns}/{}", p.service_account());
            let jewel = ctx.coder.coderd_service_accounts.contains(&key);
            if jewel {
                ctx.subject(&key);
            }
            if let Some(sv) = ctx.g.get(&key).filter(|v| jewel || ctx.g.has_out_edges(*v)) {
                // A projected token volume the spec declares is a vertex on the way
                // (docs/analysis.md); the `kube-api-access-*` one admission gives every pod is not
                // (a vertex and a hop for nearly every pod, and no new conclusion).
                let declared = p.spec.volumes.iter().find_map(|v| {
                    if v.name.starts_with("kube-api-access-") {
                        return None;
                    }
                    let token = v
                        .projected
                        .as_ref()?
                        .sources
                        .iter()
                        .find_map(|s| s.service_account_token.as_ref())?;
                    Some((v.name.as_str(), token))
                });
                let from = match declared {
                    Some((name, token)) => {
                        let audience = token
                            .get("audience")
                            .and_then(|a| a.as_str())
                            .unwrap_or("the API server");
                        let detail = format!("projected serviceAccountToken for {audience}");
                        ctx.token_volume(i, name, detail)
                    }
                    None => pv,
                };
                ctx.g.edge(from, sv, Technique::PodServiceAccount, None);
            }
        }
        let mut secrets: Vec<(String, &'static str)> = Vec::new();
        for v in &p.spec.volumes {
            if let Some(s) = &v.secret {
                secrets.push((s.secret_name.clone(), "volume"));
            }
            if let Some(pr) = &v.projected {
                for src in &pr.sources {
                    if let Some(s) = &src.secret {
                        secrets.push((s.name.clone(), "projected volume"));
                    }
                }
            }
        }
        for c in p.all_containers() {
            for e in &c.env {
                if let Some(r) = e
                    .value_from
                    .as_ref()
                    .and_then(|v| v.secret_key_ref.as_ref())
                {
                    secrets.push((r.name.clone(), "env"));
                }
            }
            for e in &c.env_from {
                if let Some(r) = &e.secret_ref {
                    secrets.push((r.name.clone(), "envFrom"));
                }
            }
        }
        secrets.sort();
        secrets.dedup_by(|a, b| a.0 == b.0);
        for (s, how) in secrets {
            if s.is_empty() {
                continue;
            }
            let sv = ctx.secret(ns, &s);
            ctx.g
                .edge(pv, sv, Technique::PodSecret, Some(how.to_string()));
        }
        // Metadata endpoint.
        let node_cloud = match p.spec.node_name.as_deref() {
            Some(n) => inv
                .node(n)
                .map(|node| node.spec.provider_id.clone())
                .unwrap_or(None),
            None if all_cloud => inv.nodes.first().and_then(|n| n.spec.provider_id.clone()),
            None => None,
        };
        if node_cloud.is_some()
            && (p.spec.host_network || crate::netpol::egress_allowed(inv, p, METADATA_IP, 80))
        {
            let roles = match p.spec.node_name.as_deref() {
                Some(_) => node_cloud_roles(ctx, node_cloud.as_deref()),
                None => any_node_roles.clone(),
            };
            for r in roles {
                let how = if p.spec.host_network {
                    "hostNetwork"
                } else {
                    "no egress NetworkPolicy blocks 169.254.169.254"
                };
                ctx.g
                    .edge(pv, r, Technique::MetadataEndpoint, Some(how.into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::catalog::Technique;
    use crate::inventory::Inventory;
    use crate::report::Analysis;

    /// A projected token volume the spec declares is a vertex between the pod and its service
    /// account; the `kube-api-access-*` one admission adds to every pod is not.
    #[test]
    fn projected_token_volume_is_a_vertex_on_the_way_to_the_service_account() {
        let token = json!([{"serviceAccountToken": {"path": "token", "audience": "vault"}}]);
        let pod = |name: &str, volume: &str| {
            (
                "Pod".to_string(),
                json!({"metadata": {"name": name, "namespace": "a"},
                       "spec": {"serviceAccountName": "bot", "nodeName": "n1",
                                "containers": [{"name": "c", "image": "x@sha256:0"}],
                                "volumes": [{"name": volume, "projected": {"sources": token}}]}}),
            )
        };
        let inv = Inventory::from_objects(vec![
            pod("custom", "vault-token"),
            pod("injected", "kube-api-access-x1y2z"),
            (
                "Secret".into(),
                json!({"metadata": {"name": "tls", "namespace": "a"}, "type": "kubernetes.io/tls"}),
            ),
            (
                "Role".into(),
                json!({"metadata": {"name": "r", "namespace": "a"},
                       "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}),
            ),
            (
                "RoleBinding".into(),
                json!({"metadata": {"name": "b", "namespace": "a"},
                       "roleRef": {"kind": "Role", "name": "r"},
                       "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "a"}]}),
            ),
        ]);
        let a = Analysis::build(&inv);
        let g = &a.graph;
        let reaches = |from: &str, technique: Technique, to: &str| {
            let v = g.get(from).unwrap();
            g.out_edges(v)
                .find(|(t, e)| e.technique == technique && g.reference(*t) == to)
                .map(|(_, e)| g.detail(e).map(str::to_string))
        };
        let volume = "Volume/a/custom/vault-token";
        assert_eq!(
            reaches("Pod/a/custom", Technique::PodTokenVolume, volume),
            Some(Some("projected serviceAccountToken for vault".into()))
        );
        assert!(reaches(volume, Technique::PodServiceAccount, "ServiceAccount/a/bot").is_some());
        assert!(
            reaches(
                "Pod/a/custom",
                Technique::PodServiceAccount,
                "ServiceAccount/a/bot"
            )
            .is_none()
        );
        assert!(
            reaches(
                "Pod/a/injected",
                Technique::PodServiceAccount,
                "ServiceAccount/a/bot"
            )
            .is_some()
        );
        assert!(g.get("Volume/a/injected/kube-api-access-x1y2z").is_none());
    }
}
