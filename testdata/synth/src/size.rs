//! The three cluster sizes and the object counts each aims for.

use serde::Serialize;

/// A cluster size. `large` sits at the Kubernetes scalability thresholds (5,000 nodes, 150,000 pods,
/// 10,000 namespaces and services); `kubehound` matches the 25k-pod cluster KubeHound publishes
/// timings for; `small` is for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    /// 1,000 pods on 20 nodes.
    Small,
    /// 25,000 pods on 250 nodes.
    Kubehound,
    /// 150,000 pods on 5,000 nodes.
    Large,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 3] = [Size::Small, Size::Kubehound, Size::Large];

    /// The name used on the command line and in `expected.json`.
    pub fn name(&self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Kubehound => "kubehound",
            Size::Large => "large",
        }
    }

    /// The counts this size generates. The kinds listed here come out exactly at these numbers; the
    /// others (Deployments, ReplicaSets, Jobs, PVCs, ...) follow from them.
    pub fn targets(&self) -> SizeTargets {
        match self {
            Size::Small => SizeTargets {
                nodes: 20,
                namespaces: 70,
                pods: 1_000,
                workspaces: 130,
                workspace_namespaces: 2,
                services: 70,
                service_accounts: 270,
                roles: 140,
                role_bindings: 400,
                cluster_roles: 120,
                cluster_role_bindings: 100,
                network_policies: 70,
                secrets: 140,
                config_maps: 140,
                ingresses: 14,
            },
            Size::Kubehound => SizeTargets {
                nodes: 250,
                namespaces: 1_700,
                pods: 25_000,
                workspaces: 3_300,
                workspace_namespaces: 4,
                services: 1_700,
                service_accounts: 6_700,
                roles: 3_400,
                role_bindings: 10_000,
                cluster_roles: 400,
                cluster_role_bindings: 350,
                network_policies: 1_700,
                secrets: 3_400,
                config_maps: 3_400,
                ingresses: 340,
            },
            Size::Large => SizeTargets {
                nodes: 5_000,
                namespaces: 10_000,
                pods: 150_000,
                workspaces: 20_000,
                workspace_namespaces: 10,
                services: 10_000,
                service_accounts: 40_000,
                roles: 20_000,
                role_bindings: 60_000,
                cluster_roles: 2_000,
                cluster_role_bindings: 2_000,
                network_policies: 10_000,
                secrets: 20_000,
                config_maps: 20_000,
                ingresses: 2_000,
            },
        }
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The object counts of one size. Every field is generated exactly, planted paths included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SizeTargets {
    /// Nodes.
    pub nodes: u64,
    /// Namespaces (system, Coder, workspace and tenant namespaces).
    pub namespaces: u64,
    /// Pods, DaemonSet and workspace pods included.
    pub pods: u64,
    /// Coder workspaces: one pod and one home PVC each (all but one through a Deployment).
    pub workspaces: u64,
    /// Namespaces holding workspaces (`coder-ws-1` ...).
    pub workspace_namespaces: u64,
    /// Services.
    pub services: u64,
    /// ServiceAccounts (`default` in every namespace included).
    pub service_accounts: u64,
    /// Roles.
    pub roles: u64,
    /// RoleBindings.
    pub role_bindings: u64,
    /// ClusterRoles (bootstrap-like ones included).
    pub cluster_roles: u64,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: u64,
    /// NetworkPolicies.
    pub network_policies: u64,
    /// Secrets of every type.
    pub secrets: u64,
    /// ConfigMaps (`kube-root-ca.crt` in every namespace included).
    pub config_maps: u64,
    /// Ingresses.
    pub ingresses: u64,
}

impl SizeTargets {
    /// The exact count of a kind, by `kind` name, when this size fixes it.
    pub fn exact(&self, kind: &str) -> Option<u64> {
        Some(match kind {
            "Node" => self.nodes,
            "Namespace" => self.namespaces,
            "Pod" => self.pods,
            "Service" => self.services,
            "ServiceAccount" => self.service_accounts,
            "Role" => self.roles,
            "RoleBinding" => self.role_bindings,
            "ClusterRole" => self.cluster_roles,
            "ClusterRoleBinding" => self.cluster_role_bindings,
            "NetworkPolicy" => self.network_policies,
            "Secret" => self.secrets,
            "ConfigMap" => self.config_maps,
            "Ingress" => self.ingresses,
            _ => return None,
        })
    }
}
