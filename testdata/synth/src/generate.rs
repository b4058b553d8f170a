//! The driver: plans the cluster, then streams it out part by part. Fixed parts come first (nodes,
//! cluster configuration, bootstrap RBAC, system namespaces, Coder, the planted paths); the tenant
//! namespaces then fill each counted kind up to the size's target, and cluster-wide RBAC last.
//! Memory holds the plan (pod counts per node, per-namespace budgets), never the objects.

use serde_json::{Value, json};

use crate::emit::Emitter;
use crate::nodes::{Nodes, Pool};
use crate::objects::meta;
use crate::planted::{self, Picks};
use crate::rng::Rng;
use crate::size::{Size, SizeTargets};
use crate::tenants::{self, Remaining};
use crate::{Summary, cluster, cluster_rbac, coder};

/// Cluster-wide state while generating: the size, the nodes and the next free Service IP.
pub struct Cluster {
    /// The size being generated.
    pub size: Size,
    /// Its targets.
    pub targets: SizeTargets,
    /// Nodes and their pod counts.
    pub nodes: Nodes,
    next_service: u32,
}

impl Cluster {
    fn new(size: Size) -> Self {
        let targets = size.targets();
        Cluster {
            size,
            targets,
            nodes: Nodes::plan(&targets),
            next_service: 100,
        }
    }

    /// A replica count by size.
    pub fn scale(&self, small: u32, kubehound: u32, large: u32) -> u32 {
        scale(self.size, small, kubehound, large)
    }

    /// A Service with the next free cluster IP.
    #[allow(clippy::too_many_arguments)]
    pub fn service(
        &mut self,
        rng: &mut Rng,
        ns: &str,
        name: &str,
        kind: &str,
        selector: Value,
        port: u32,
        target: &str,
    ) -> Value {
        let n = self.next_service;
        self.next_service += 1;
        let ip = format!("172.20.{}.{}", n / 250, n % 250 + 1);
        let mut port =
            json!({"name": "http", "port": port, "protocol": "TCP", "targetPort": target});
        if kind != "ClusterIP" {
            port["nodePort"] = (30_000 + n % 2_768).into();
        }
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(rng, name, Some(ns), json!({}), json!({})),
            "spec": {
                "type": kind,
                "clusterIP": ip,
                "clusterIPs": [ip],
                "selector": selector,
                "ports": [port],
                "sessionAffinity": "None",
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
            },
        })
    }
}

fn scale(size: Size, small: u32, kubehound: u32, large: u32) -> u32 {
    match size {
        Size::Small => small,
        Size::Kubehound => kubehound,
        Size::Large => large,
    }
}

/// Number of tenant namespaces of a size.
pub fn tenant_count(t: &SizeTargets) -> u64 {
    let fixed = cluster::SYSTEM_NAMESPACES.len() as u64 + 1 + t.workspace_namespaces.max(1);
    t.namespaces.saturating_sub(fixed)
}

fn pick_planted(seed: u64, cluster: &Cluster) -> Picks {
    let mut rng = Rng::new(seed, "planted-picks");
    let tenants = tenant_count(&cluster.targets).max(3);
    let mut chosen: Vec<u64> = Vec::new();
    while chosen.len() < 3 {
        let i = rng.below(tenants);
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    let general = cluster.nodes.pool(Pool::General);
    let node = if general.is_empty() {
        rng.index(cluster.nodes.len())
    } else {
        general.start + rng.index(general.len())
    };
    Picks {
        escape_ns: tenants::tenant_name(chosen[0]),
        admin_ns: tenants::tenant_name(chosen[1]),
        open_ns: tenants::tenant_name(chosen[2]),
        node,
        workspace_ns: rng.range(1, cluster.targets.workspace_namespaces.max(1)),
    }
}

/// Generates the cluster of `size` for `seed`, handing every object to `sink` in a fixed order.
/// The same size and seed always give the same objects in the same order. Objects are raw, as the API
/// server returns them (secrets included, fake); a snapshot writer must trim and redact them.
pub fn generate<E>(
    size: Size,
    seed: u64,
    sink: &mut dyn FnMut(Value) -> Result<(), E>,
) -> Result<Summary, E> {
    let mut cluster = Cluster::new(size);
    let t = cluster.targets;
    let mut out = Emitter::new(sink);
    let picks = pick_planted(seed, &cluster);

    cluster::emit_nodes(&mut out, &cluster.nodes, seed)?;
    let mut rng = Rng::new(seed, "cluster");
    cluster::emit_cluster_config(&mut out, &mut rng)?;
    cluster_rbac::emit_bootstrap_rbac(&mut out, &mut rng)?;
    let mut rng = Rng::new(seed, "system");
    cluster::emit_system(&mut out, &mut cluster.nodes, &mut rng, &move |a, b, c| {
        scale(size, a, b, c)
    })?;
    let mut rng = Rng::new(seed, "coder");
    let coder_info = coder::emit(&mut out, &mut cluster, &mut rng, picks.workspace_ns)?;
    let mut rng = Rng::new(seed, "planted");
    let planted = planted::emit(&mut out, &mut cluster, &mut rng, &picks, &coder_info)?;

    let left = |kind: &str, target: u64| target.saturating_sub(out.count(kind));
    let remaining = Remaining {
        namespaces: left("Namespace", t.namespaces),
        pods: left("Pod", t.pods),
        services: left("Service", t.services),
        service_accounts: left("ServiceAccount", t.service_accounts),
        roles: left("Role", t.roles),
        role_bindings: left("RoleBinding", t.role_bindings),
        network_policies: left("NetworkPolicy", t.network_policies),
        secrets: left("Secret", t.secrets),
        config_maps: left("ConfigMap", t.config_maps),
        ingresses: left("Ingress", t.ingresses),
    };
    tenants::emit(&mut out, &mut cluster, seed, remaining)?;

    let roles_left = t.cluster_roles.saturating_sub(out.count("ClusterRole"));
    let bindings_left = t
        .cluster_role_bindings
        .saturating_sub(out.count("ClusterRoleBinding"));
    let mut rng = Rng::new(seed, "cluster-rbac");
    let tenants = remaining.namespaces;
    cluster_rbac::fill_cluster_rbac(
        &mut out,
        &mut rng,
        roles_left,
        bindings_left,
        &tenants::tenant_name,
        tenants,
    )?;

    Ok(Summary {
        counts: out.into_counts(),
        planted,
    })
}
