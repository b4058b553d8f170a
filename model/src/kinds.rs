//! The table of Kubernetes kinds a snapshot may hold, and where each lives in the archive.

/// One Kubernetes resource kind that coder-sec captures, imports and analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSpec {
    /// API group; `""` for the core group.
    pub group: &'static str,
    /// Preferred API version within the group.
    pub version: &'static str,
    /// The `kind` field of objects of this kind.
    pub kind: &'static str,
    /// The plural resource name used in URLs (`pods`).
    pub plural: &'static str,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
    /// Whether the kind comes from an add-on (CRD) that the capture only lists when discovery offers it.
    pub optional: bool,
}

impl KindSpec {
    /// `apiVersion` as written in objects: `v1` for core, `GROUP/VERSION` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Path of this kind's JSON Lines file inside a snapshot archive.
    pub fn archive_path(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            self.group
        };
        format!("resources/{group}/{}/{}.jsonl", self.version, self.plural)
    }

    /// The API path that lists this kind, cluster-wide or in one namespace.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        let prefix = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{prefix}/namespaces/{ns}/{}", self.plural),
            _ => format!("{prefix}/{}", self.plural),
        }
    }

    /// A short human label: `pods`, `deployments.apps`.
    pub fn label(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// Where objects of a kind live.
#[derive(Clone, Copy)]
enum Scope {
    Namespaced,
    Cluster,
}

/// Whether a kind is built in or comes from an add-on.
#[derive(Clone, Copy)]
enum Origin {
    BuiltIn,
    AddOn,
}

use Origin::{AddOn, BuiltIn};
use Scope::{Cluster, Namespaced};

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    scope: Scope,
    origin: Origin,
) -> KindSpec {
    KindSpec {
        group,
        version,
        kind,
        plural,
        namespaced: matches!(scope, Scope::Namespaced),
        optional: matches!(origin, Origin::AddOn),
    }
}

/// Every kind a snapshot may hold, in the order they are captured and written.
#[rustfmt::skip]
pub const KINDS: &[KindSpec] = &[
    kind("", "v1", "Namespace", "namespaces", Cluster, BuiltIn),
    kind("", "v1", "Node", "nodes", Cluster, BuiltIn),
    kind("", "v1", "Pod", "pods", Namespaced, BuiltIn),
    kind("", "v1", "ServiceAccount", "serviceaccounts", Namespaced, BuiltIn),
    kind("", "v1", "Secret", "secrets", Namespaced, BuiltIn),
    kind("", "v1", "ConfigMap", "configmaps", Namespaced, BuiltIn),
    kind("", "v1", "Service", "services", Namespaced, BuiltIn),
    kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", Namespaced, BuiltIn),
    kind("", "v1", "PersistentVolume", "persistentvolumes", Cluster, BuiltIn),
    kind("", "v1", "ResourceQuota", "resourcequotas", Namespaced, BuiltIn),
    kind("", "v1", "LimitRange", "limitranges", Namespaced, BuiltIn),
    kind("", "v1", "ReplicationController", "replicationcontrollers", Namespaced, BuiltIn),
    kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", Namespaced, BuiltIn),
    kind("apps", "v1", "Deployment", "deployments", Namespaced, BuiltIn),
    kind("apps", "v1", "DaemonSet", "daemonsets", Namespaced, BuiltIn),
    kind("apps", "v1", "StatefulSet", "statefulsets", Namespaced, BuiltIn),
    kind("apps", "v1", "ReplicaSet", "replicasets", Namespaced, BuiltIn),
    kind("batch", "v1", "Job", "jobs", Namespaced, BuiltIn),
    kind("batch", "v1", "CronJob", "cronjobs", Namespaced, BuiltIn),
    kind("rbac.authorization.k8s.io", "v1", "Role", "roles", Namespaced, BuiltIn),
    kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", Namespaced, BuiltIn),
    kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", Cluster, BuiltIn),
    kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", Cluster, BuiltIn),
    kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", Namespaced, BuiltIn),
    kind("networking.k8s.io", "v1", "Ingress", "ingresses", Namespaced, BuiltIn),
    kind("networking.k8s.io", "v1", "IngressClass", "ingressclasses", Cluster, BuiltIn),
    kind("storage.k8s.io", "v1", "StorageClass", "storageclasses", Cluster, BuiltIn),
    kind("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", Cluster, BuiltIn),
    kind("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", Cluster, BuiltIn),
    kind("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", Cluster, BuiltIn),
    kind("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", Cluster, BuiltIn),
    kind("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", Cluster, BuiltIn),
    kind("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", Cluster, BuiltIn),
    kind("cert-manager.io", "v1", "Certificate", "certificates", Namespaced, AddOn),
    kind("security.istio.io", "v1", "PeerAuthentication", "peerauthentications", Namespaced, AddOn),
    kind("cilium.io", "v2", "CiliumNetworkPolicy", "ciliumnetworkpolicies", Namespaced, AddOn),
    kind("cilium.io", "v2", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", Cluster, AddOn),
    kind("crd.projectcalico.org", "v1", "NetworkPolicy", "networkpolicies", Namespaced, AddOn),
    kind("crd.projectcalico.org", "v1", "GlobalNetworkPolicy", "globalnetworkpolicies", Cluster, AddOn),
];

/// Splits an `apiVersion` into group and version (`apps/v1` → (`apps`, `v1`), `v1` → (``, `v1`)).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// Finds the kind of an object from its `apiVersion` and `kind`. Any version of a known group and kind
/// matches, since older servers serve the same objects under older versions.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static KindSpec> {
    let (group, _) = split_api_version(api_version);
    KINDS.iter().find(|k| k.group == group && k.kind == kind)
}

/// Finds a kind by group and plural resource name.
pub fn lookup_plural(group: &str, plural: &str) -> Option<&'static KindSpec> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.plural == plural)
}

/// Finds a kind by its archive path.
pub fn lookup_path(path: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.archive_path() == path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn paths_and_keys_are_unique() {
        let paths: HashSet<_> = KINDS.iter().map(|k| k.archive_path()).collect();
        assert_eq!(paths.len(), KINDS.len());
        let keys: HashSet<_> = KINDS.iter().map(|k| (k.group, k.kind)).collect();
        assert_eq!(keys.len(), KINDS.len());
    }

    #[test]
    fn lookup_ignores_version() {
        assert_eq!(
            lookup("apps/v1beta2", "Deployment").unwrap().plural,
            "deployments"
        );
        assert_eq!(
            lookup("v1", "Pod").unwrap().archive_path(),
            "resources/core/v1/pods.jsonl"
        );
        assert!(lookup("example.com/v1", "Widget").is_none());
        let calico = lookup("crd.projectcalico.org/v1", "NetworkPolicy").unwrap();
        assert_eq!(calico.group, "crd.projectcalico.org");
    }

    #[test]
    fn list_paths() {
        let pods = lookup("v1", "Pod").unwrap();
        assert_eq!(pods.list_path(None), "/api/v1/pods");
        assert_eq!(pods.list_path(Some("a")), "/api/v1/namespaces/a/pods");
        let crb = lookup("rbac.authorization.k8s.io/v1", "ClusterRoleBinding").unwrap();
        assert_eq!(
            crb.list_path(Some("a")),
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
        );
    }
}
