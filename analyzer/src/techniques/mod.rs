//! Techniques: each family reads the inventory and adds edges to the trust graph, each edge naming
//! its technique code. The order matters only in one way: edges into service accounts and groups are
//! added after RBAC edges, so that a pod links to its service account only when that account can do
//! something (a pod whose token leads nowhere has no outgoing edge).

pub mod coder;
pub mod escape;
pub mod identity;
pub mod network;
pub mod rbac;
pub mod registry;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::coder::CoderFacts;
use crate::graph::{ANY_NODE, CLUSTER_ADMIN, TrustGraph, VertexId, VertexKind};
use crate::inventory::{Inventory, Pod, pod_ref};
use crate::rbac::Rbac;

/// Shared state while edges are added.
pub struct Ctx<'a> {
    /// The inventory.
    pub inv: &'a Inventory,
    /// Effective RBAC.
    pub rbac: &'a Rbac,
    /// Coder facts.
    pub coder: &'a CoderFacts,
    /// The graph being built.
    pub g: TrustGraph,
    /// Every namespace name.
    pub namespaces: Arc<[String]>,
    /// Service-account names per namespace (from objects, pods and bindings).
    pub sas_by_ns: BTreeMap<String, Arc<[String]>>,
    /// Secret names per namespace.
    pub secrets_by_ns: BTreeMap<String, Arc<[String]>>,
    /// Extra crown jewels asked for (references or prefixes ending in `*`).
    pub extra_jewels: Vec<String>,
    /// Whether the implicit service-account groups hold any grant.
    sa_groups_granted: bool,
    /// Workspace pods whose spec carries a literal `CODER_AGENT_TOKEN`, per namespace.
    pub agent_token_pods: BTreeMap<String, Vec<usize>>,
    /// ClusterRoles granting `*` on `*` in `*` (aggregation resolved).
    pub admin_cluster_roles: std::sync::Arc<std::collections::BTreeSet<String>>,
    /// Whether the cluster is EKS (an `aws-auth` ConfigMap or an `aws://` node).
    pub eks: bool,
    /// The `aws-auth` ConfigMap's data (looked up once; [`Inventory::aws_auth`] scans).
    pub aws_auth: Option<&'a serde_json::Value>,
    /// Vertex of each pod once made (by inventory index).
    pod_ids: Vec<Option<VertexId>>,
    /// Per namespace, the service accounts whose edges can lead anywhere ([`Ctx::sa_useful`]).
    useful_sas: std::collections::HashMap<String, Arc<[String]>>,
    /// Per namespace, the Secrets whose edges can matter ([`Ctx::secret_useful`]).
    useful_secrets: std::collections::HashMap<String, Arc<[String]>>,
}

impl<'a> Ctx<'a> {
    fn new(inv: &'a Inventory, rbac: &'a Rbac, coder: &'a CoderFacts) -> Self {
        let mut sas: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &inv.service_accounts {
            sas.entry(s.metadata.namespace.clone())
                .or_default()
                .push(s.metadata.name.clone());
        }
        for p in &inv.pods {
            sas.entry(p.metadata.namespace.clone())
                .or_default()
                .push(p.service_account().to_string());
        }
        for s in &rbac.named_subjects {
            if let Some(rest) = s.strip_prefix("ServiceAccount/")
                && let Some((ns, name)) = rest.split_once('/')
            {
                sas.entry(ns.to_string())
                    .or_default()
                    .push(name.to_string());
            }
        }
        for v in sas.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut agent_token_pods: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &coder.workspace_pods {
            let pod = &inv.pods[i];
            let literal = pod.all_containers().any(|c| {
                c.env
                    .iter()
                    .any(|e| e.name == "CODER_AGENT_TOKEN" && e.value.is_some())
            });
            if literal {
                agent_token_pods
                    .entry(pod.metadata.namespace.clone())
                    .or_default()
                    .push(i);
            }
        }
        let mut secrets: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &inv.secrets {
            secrets
                .entry(s.metadata.namespace.clone())
                .or_default()
                .push(s.metadata.name.clone());
        }
        let admin_cluster_roles = inv
            .cluster_roles
            .iter()
            .map(|r| r.metadata.name.clone())
            .filter(|n| {
                rbac.cluster_role(n).is_some_and(|rules| {
                    rules.iter().any(|r| {
                        r.verbs.iter().any(|v| v == "*")
                            && r.api_groups.iter().any(|v| v == "*")
                            && r.resources.iter().any(|v| v == "*")
                            && r.resource_names.is_empty()
                    })
                })
            })
            .collect();
        let sa_groups_granted = ["Group/system:serviceaccounts", "Group/system:authenticated"]
            .iter()
            .any(|g| !rbac.direct(g).is_empty());
        let aws_auth = inv.aws_auth();
        Ctx {
            extra_jewels: Vec::new(),
            sa_groups_granted,
            admin_cluster_roles: std::sync::Arc::new(admin_cluster_roles),
            inv,
            rbac,
            coder,
            g: TrustGraph::new(),
            namespaces: Arc::from(inv.namespace_names()),
            sas_by_ns: sas.into_iter().map(|(k, v)| (k, Arc::from(v))).collect(),
            secrets_by_ns: secrets
                .into_iter()
                .map(|(k, v)| (k, Arc::from(v)))
                .collect(),
            agent_token_pods,
            pod_ids: vec![None; inv.pods.len()],
            aws_auth,
            eks: aws_auth.is_some()
                || inv.nodes.iter().any(|n| {
                    n.spec
                        .provider_id
                        .as_deref()
                        .is_some_and(|p| p.starts_with("aws://"))
                }),
            useful_sas: Default::default(),
            useful_secrets: Default::default(),
        }
    }

    /// The service accounts of a namespace that pass [`Ctx::sa_useful`], in name order (computed
    /// once per namespace; `extra_jewels` must be set before the first call).
    pub fn useful_sas_in(&mut self, ns: &str) -> Arc<[String]> {
        if let Some(v) = self.useful_sas.get(ns) {
            return v.clone();
        }
        let v: Arc<[String]> = self
            .sas_in(ns)
            .iter()
            .filter(|sa| self.sa_useful(ns, sa))
            .cloned()
            .collect();
        self.useful_sas.insert(ns.to_string(), v.clone());
        v
    }

    /// The Secrets of a namespace that pass [`Ctx::secret_useful`], in name order (computed once per
    /// namespace).
    pub fn useful_secrets_in(&mut self, ns: &str) -> Arc<[String]> {
        if let Some(v) = self.useful_secrets.get(ns) {
            return v.clone();
        }
        let v: Arc<[String]> = self
            .secrets_in(ns)
            .iter()
            .filter(|s| self.secret_useful(ns, s))
            .cloned()
            .collect();
        self.useful_secrets.insert(ns.to_string(), v.clone());
        v
    }

    /// Whether edges into this service account can lead anywhere: it (or its groups) holds grants, it
    /// has a cloud identity, it is coderd's, or it was named a crown jewel. Edges into accounts that
    /// lead nowhere are not added (they would only weigh on the search).
    pub fn sa_useful(&self, ns: &str, name: &str) -> bool {
        let key = format!("ServiceAccount/{ns}/{name}");
        self.sa_groups_granted
            || !self.rbac.direct(&key).is_empty()
            || !self
                .rbac
                .direct(&format!("Group/system:serviceaccounts:{ns}"))
                .is_empty()
            || self.coder.coderd_service_accounts.contains(&key)
            || self.inv.service_account(ns, name).is_some_and(|s| {
                s.metadata.annotations.keys().any(|k| {
                    matches!(
                        k.as_str(),
                        "eks.amazonaws.com/role-arn"
                            | "iam.gke.io/gcp-service-account"
                            | "azure.workload.identity/client-id"
                    )
                })
            })
            || self.is_extra_jewel(&key)
    }

    /// Whether edges into this Secret can matter: a token, registry credential, coderd's Secrets
    /// (database, TLS, client secrets), or a named crown jewel.
    pub fn secret_useful(&self, ns: &str, name: &str) -> bool {
        let key = (ns.to_string(), name.to_string());
        self.coder.coderd_secrets.contains(&key)
            || self.coder.db_secret.as_ref() == Some(&key)
            || self.inv.secret(ns, name).is_some_and(|s| {
                matches!(
                    s.kind.as_str(),
                    "kubernetes.io/service-account-token"
                        | "kubernetes.io/dockerconfigjson"
                        | "kubernetes.io/dockercfg"
                        | "kubernetes.io/tls"
                )
            })
            || self.is_extra_jewel(&format!("Secret/{ns}/{name}"))
    }

    fn is_extra_jewel(&self, reference: &str) -> bool {
        self.extra_jewels.iter().any(|j| match j.strip_suffix('*') {
            Some(prefix) => reference.starts_with(prefix),
            None => reference == j,
        })
    }

    /// Service-account names of a namespace.
    pub fn sas_in(&self, ns: &str) -> Arc<[String]> {
        self.sas_by_ns
            .get(ns)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// Secret names of a namespace.
    pub fn secrets_in(&self, ns: &str) -> Arc<[String]> {
        self.secrets_by_ns
            .get(ns)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// The vertex of pod `i`.
    pub fn pod(&mut self, i: usize) -> VertexId {
        if let Some(v) = self.pod_ids[i] {
            return v;
        }
        let r = pod_ref(&self.inv.pods[i]);
        let v = self.g.vertex(VertexKind::Pod, r);
        self.pod_ids[i] = Some(v);
        v
    }

    /// The node a pod runs on (`Virtual/any-node` when unscheduled or a template).
    pub fn node_of(&mut self, p: &Pod) -> VertexId {
        match p.spec.node_name.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => self.g.vertex(VertexKind::Node, format!("Node/{n}")),
            None => self.any_node(),
        }
    }

    /// The vertex of hostPath volume `volume` of pod `i`, and the pod's `pod-host-path` edge into it
    /// (made on first use, so only volumes an escape leaves from become vertices).
    pub fn host_path_volume(&mut self, i: usize, volume: &str, path: &str) -> VertexId {
        self.volume(
            i,
            volume,
            crate::catalog::Technique::PodHostPath,
            format!("hostPath `{path}`"),
        )
    }

    /// The vertex of projected token volume `volume` of pod `i`, and the pod's `pod-token-volume`
    /// edge into it.
    pub fn token_volume(&mut self, i: usize, volume: &str, detail: String) -> VertexId {
        self.volume(i, volume, crate::catalog::Technique::PodTokenVolume, detail)
    }

    /// The vertex of volume `volume` of pod `i`, and the pod's `technique` edge into it.
    fn volume(
        &mut self,
        i: usize,
        volume: &str,
        technique: crate::catalog::Technique,
        detail: String,
    ) -> VertexId {
        let pv = self.pod(i);
        let vv = self.g.vertex(
            VertexKind::Volume,
            escape::volume_ref(&self.inv.pods[i], volume),
        );
        self.g.edge(pv, vv, technique, Some(detail));
        vv
    }

    /// `Virtual/any-node`.
    pub fn any_node(&mut self) -> VertexId {
        self.g.vertex(VertexKind::Virtual, ANY_NODE)
    }

    /// `Virtual/cluster-admin`.
    pub fn cluster_admin(&mut self) -> VertexId {
        self.g.vertex(VertexKind::Virtual, CLUSTER_ADMIN)
    }

    /// A service account vertex.
    pub fn sa(&mut self, ns: &str, name: &str) -> VertexId {
        self.g.vertex(
            VertexKind::ServiceAccount,
            format!("ServiceAccount/{ns}/{name}"),
        )
    }

    /// A Secret vertex.
    pub fn secret(&mut self, ns: &str, name: &str) -> VertexId {
        self.g
            .vertex(VertexKind::Secret, format!("Secret/{ns}/{name}"))
    }

    /// A subject vertex from its key (`User/x`, `Group/x`, `ServiceAccount/ns/x`).
    pub fn subject(&mut self, key: &str) -> VertexId {
        let kind = if key.starts_with("User/") {
            VertexKind::User
        } else if key.starts_with("Group/") {
            VertexKind::Group
        } else {
            VertexKind::ServiceAccount
        };
        self.g.vertex(kind, key)
    }

    /// Whether Pod Security admits privileged pods in `ns` (no `enforce` label, or `privileged`).
    pub fn privileged_allowed(&self, ns: &str) -> bool {
        self.inv
            .namespace(ns)
            .and_then(|n| n.psa_enforce())
            .is_none_or(|l| l == "privileged")
    }

    /// Whether pod `p` mounts a token of its service account.
    pub fn mounts_token(&self, p: &Pod) -> bool {
        let projected = p.spec.volumes.iter().any(|v| {
            v.projected
                .as_ref()
                .is_some_and(|pr| pr.sources.iter().any(|s| s.service_account_token.is_some()))
        });
        if projected {
            return true;
        }
        match p.spec.automount_service_account_token {
            Some(b) => b,
            None => self
                .inv
                .service_account(&p.metadata.namespace, p.service_account())
                .and_then(|s| s.automount_service_account_token)
                .unwrap_or(true),
        }
    }
}

/// Builds the trust graph: every family adds its edges.
pub fn build(inv: &Inventory, rbac: &Rbac, coder_facts: &CoderFacts) -> TrustGraph {
    build_with(inv, rbac, coder_facts, &[])
}

/// [`build`], keeping edges into objects named as extra crown jewels even where they lead nowhere.
pub fn build_with(
    inv: &Inventory,
    rbac: &Rbac,
    coder_facts: &CoderFacts,
    extra_jewels: &[String],
) -> TrustGraph {
    let t = crate::timings::Timer::start();
    let mut ctx = Ctx::new(inv, rbac, coder_facts);
    ctx.extra_jewels = extra_jewels.to_vec();
    ctx.cluster_admin();
    t.lap("graph: context");
    rbac::add(&mut ctx);
    t.lap("graph: rbac");
    identity::add_cloud_and_groups(&mut ctx);
    registry::add(&mut ctx);
    coder::add_principals(&mut ctx);
    t.lap("graph: cloud, groups, registries, coder");
    identity::add_pods_and_nodes(&mut ctx);
    t.lap("graph: pods and nodes");
    escape::add(&mut ctx);
    t.lap("graph: escapes");
    network::add(&mut ctx);
    coder::add_workspaces(&mut ctx);
    t.lap("graph: exposures, workspaces");
    if crate::environment::timings_enabled() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for v in ctx.g.vertices() {
            for (_, e) in ctx.g.out_edges(v) {
                *counts.entry(e.technique.code()).or_default() += 1;
            }
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        for (code, n) in counts.iter().take(8) {
            tracing::info!(target: crate::environment::TIMINGS_TARGET, "timing: {n} edges {code}");
        }
    }
    ctx.g
}
