//! Nodes and pod placement: three node pools (system, general, workspaces), EKS-style names, IPs,
//! pod CIDRs and provider IDs, a kubelet version or two behind, and at most 110 pods per node.

use serde_json::{Value, json};

use crate::objects::meta;
use crate::rng::Rng;
use crate::size::SizeTargets;

/// Pods a node accepts (the Kubernetes limit).
pub const MAX_PODS_PER_NODE: u8 = 110;

/// The current kubelet version of most nodes.
pub const KUBELET_CURRENT: &str = "v1.30.4-eks-a737599";
/// One minor behind (a node group mid-upgrade).
pub const KUBELET_BEHIND: &str = "v1.29.8-eks-cd6a1b5";
/// Three minors behind (a forgotten node group).
pub const KUBELET_STALE: &str = "v1.27.9-eks-5e0fdde";

/// A node pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// System add-ons, coderd.
    System,
    /// Tenant workloads.
    General,
    /// Coder workspaces.
    Workspaces,
}

/// Where a pod goes.
#[derive(Debug, Clone, Copy)]
pub enum Placement {
    /// Any node of a pool with room (falling back to any node with room).
    Pool(Pool),
    /// This node.
    Node(usize),
}

/// Where a pod landed.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Node index.
    pub node: usize,
    /// Node name.
    pub node_name: String,
    /// Node IP.
    pub host_ip: String,
    /// Pod IP (the node IP for host-network pods).
    pub pod_ip: String,
}

/// The nodes of the cluster and how full each is.
#[derive(Debug)]
pub struct Nodes {
    used: Vec<u8>,
    system: usize,
    workspaces: usize,
}

impl Nodes {
    /// Sizes the pools for `targets`: a few system nodes, enough workspace nodes for the workspaces at
    /// about 90 per node, the rest general.
    pub fn plan(t: &SizeTargets) -> Self {
        let n = t.nodes as usize;
        let system = (n / 25).max(2).min(n / 4).max(1);
        let workspaces = (t.workspaces as usize)
            .div_ceil(90)
            .max(1)
            .min(n / 2)
            .max(1);
        Nodes {
            used: vec![0; n],
            system,
            workspaces,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.used.len()
    }

    /// The index range of a pool.
    pub fn pool(&self, pool: Pool) -> std::ops::Range<usize> {
        let n = self.len();
        match pool {
            Pool::System => 0..self.system,
            Pool::Workspaces => self.system..self.system + self.workspaces,
            Pool::General => (self.system + self.workspaces).min(n)..n,
        }
    }

    /// The pool of node `i`.
    pub fn pool_of(&self, i: usize) -> Pool {
        if i < self.system {
            Pool::System
        } else if i < self.system + self.workspaces {
            Pool::Workspaces
        } else {
            Pool::General
        }
    }

    /// Node name (`ip-10-0-1-10.ec2.internal`).
    pub fn name(&self, i: usize) -> String {
        let (a, b) = Self::octets(i);
        format!("ip-10-0-{a}-{b}.ec2.internal")
    }

    /// Node IP.
    pub fn ip(&self, i: usize) -> String {
        let (a, b) = Self::octets(i);
        format!("10.0.{a}.{b}")
    }

    fn octets(i: usize) -> (usize, usize) {
        (1 + i / 200, 10 + i % 200)
    }

    fn pod_cidr(i: usize) -> (usize, usize) {
        (64 + i / 256, i % 256)
    }

    /// Places a pod.
    pub fn place(&mut self, rng: &mut Rng, placement: Placement, host_network: bool) -> Placed {
        let node = match placement {
            Placement::Node(i) => i,
            Placement::Pool(pool) => self.find(rng, pool),
        };
        self.used[node] = self.used[node].saturating_add(1);
        let slot = self.used[node];
        let (c, d) = Self::pod_cidr(node);
        let host_ip = self.ip(node);
        let pod_ip = if host_network {
            host_ip.clone()
        } else {
            format!("10.{c}.{d}.{slot}")
        };
        Placed {
            node,
            node_name: self.name(node),
            host_ip,
            pod_ip,
        }
    }

    /// A node with room: a random start in the pool, probing forward; then the other pools, the
    /// (tainted) workspace pool last.
    fn find(&self, rng: &mut Rng, pool: Pool) -> usize {
        let order = match pool {
            Pool::General => [Pool::General, Pool::System, Pool::Workspaces],
            Pool::System => [Pool::System, Pool::General, Pool::Workspaces],
            Pool::Workspaces => [Pool::Workspaces, Pool::General, Pool::System],
        };
        for p in order {
            let r = self.pool(p);
            let len = r.end - r.start;
            if len == 0 {
                continue;
            }
            let start = rng.index(len);
            for k in 0..len {
                let i = r.start + (start + k) % len;
                if self.used[i] < MAX_PODS_PER_NODE {
                    return i;
                }
            }
        }
        // The targets never ask for more pods than the nodes hold; keep going rather than fail.
        rng.index(self.len())
    }

    /// The Node object for node `i`.
    pub fn object(&self, rng: &mut Rng, i: usize) -> Value {
        let zone = ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3];
        let pool = self.pool_of(i);
        let (group, instance, cpu, mem) = match pool {
            Pool::System => ("system", "m6i.xlarge", "4", "16"),
            Pool::Workspaces => ("workspaces", "m6i.8xlarge", "32", "128"),
            Pool::General => {
                if i.is_multiple_of(7) {
                    ("general-memory", "r6i.4xlarge", "16", "128")
                } else {
                    ("general", "m6i.4xlarge", "16", "64")
                }
            }
        };
        // Mostly current; a few nodes one minor behind; one node group long forgotten.
        let roll = rng.unit();
        let kubelet = if i == self.len() - 1 || roll < 0.005 {
            KUBELET_STALE
        } else if roll < 0.04 {
            KUBELET_BEHIND
        } else {
            KUBELET_CURRENT
        };
        let (runtime, kernel) = if kubelet == KUBELET_STALE {
            ("containerd://1.6.19", "5.10.198-187.748.amzn2.x86_64")
        } else {
            ("containerd://1.7.11", "5.10.205-195.807.amzn2.x86_64")
        };
        let name = self.name(i);
        let (c, d) = Self::pod_cidr(i);
        let cidr = format!("10.{c}.{d}.0/24");
        let labels = json!({
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": instance,
            "topology.kubernetes.io/region": "us-east-1",
            "topology.kubernetes.io/zone": zone,
            "eks.amazonaws.com/nodegroup": group,
            "eks.amazonaws.com/capacityType": if pool == Pool::General && i.is_multiple_of(5) { "SPOT" } else { "ON_DEMAND" },
        });
        let annotations = json!({
            "alpha.kubernetes.io/provided-node-ip": self.ip(i),
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        });
        let mut spec = json!({
            "podCIDR": cidr,
            "podCIDRs": [cidr],
            "providerID": format!("aws:///{zone}/i-0{}", rng.hex(16)),
        });
        if pool == Pool::Workspaces {
            spec["taints"] =
                json!([{"key": "coder.com/workspaces", "value": "true", "effect": "NoSchedule"}]);
        }
        let max = MAX_PODS_PER_NODE.to_string();
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": meta(rng, &name, None, labels, annotations),
            "spec": spec,
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": self.ip(i)},
                    {"type": "InternalDNS", "address": name},
                    {"type": "Hostname", "address": name},
                ],
                "allocatable": {"cpu": format!("{}m", cpu.parse::<u32>().unwrap_or(4) * 1000 - 90), "memory": format!("{mem}Gi"), "pods": max, "ephemeral-storage": "95551679124"},
                "capacity": {"cpu": cpu, "memory": format!("{mem}Gi"), "pods": max, "ephemeral-storage": "104845292Ki"},
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": rng.uuid(),
                    "containerRuntimeVersion": runtime,
                    "kernelVersion": kernel,
                    "kubeProxyVersion": kubelet,
                    "kubeletVersion": kubelet,
                    "machineID": rng.hex(32),
                    "operatingSystem": "linux",
                    "osImage": "Amazon Linux 2",
                    "systemUUID": format!("ec2{}", &rng.uuid()[3..]),
                },
            },
        })
    }
}
