//! A guess at the platform from `/version`'s `gitVersion`, a node's labels and `providerID`, and the
//! API groups served.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// What one node says about the platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// `spec.providerID`.
    pub provider_id: Option<String>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `status.nodeInfo.kubeletVersion`.
    pub kubelet_version: Option<String>,
}

impl NodeFacts {
    /// Reads the facts from a Node object.
    pub fn from_node(node: &Value) -> Self {
        let labels = node
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        NodeFacts {
            provider_id: node
                .pointer("/spec/providerID")
                .and_then(Value::as_str)
                .map(str::to_string),
            labels,
            kubelet_version: node
                .pointer("/status/nodeInfo/kubeletVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

/// Guesses the platform: `openshift`, `eks`, `gke`, `aks`, `k3s`, `rke2`, `kind`, `minikube`, or
/// `None` when nothing is telling.
pub fn guess_platform(
    git_version: Option<&str>,
    node: Option<&NodeFacts>,
    groups: &BTreeSet<String>,
) -> Option<&'static str> {
    let version = git_version.unwrap_or("");
    let kubelet = node
        .and_then(|n| n.kubelet_version.as_deref())
        .unwrap_or("");
    let provider = node.and_then(|n| n.provider_id.as_deref()).unwrap_or("");
    let has_label =
        |prefix: &str| node.is_some_and(|n| n.labels.keys().any(|k| k.starts_with(prefix)));
    let versions = [version, kubelet];
    if groups.contains("config.openshift.io")
        || groups.contains("route.openshift.io")
        || has_label("node.openshift.io/")
    {
        return Some("openshift");
    }
    if versions.iter().any(|v| v.contains("-eks-"))
        || provider.starts_with("aws://")
        || has_label("eks.amazonaws.com/")
        || has_label("alpha.eksctl.io/")
    {
        return Some("eks");
    }
    if versions.iter().any(|v| v.contains("-gke."))
        || provider.starts_with("gce://")
        || has_label("cloud.google.com/gke-")
    {
        return Some("gke");
    }
    if provider.starts_with("azure://") || has_label("kubernetes.azure.com/") {
        return Some("aks");
    }
    if versions.iter().any(|v| v.contains("+k3s")) || provider.starts_with("k3s://") {
        return Some("k3s");
    }
    if versions.iter().any(|v| v.contains("+rke2")) {
        return Some("rke2");
    }
    if provider.starts_with("kind://") {
        return Some("kind");
    }
    if has_label("minikube.k8s.io/") {
        return Some("minikube");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(value: Value) -> NodeFacts {
        NodeFacts::from_node(&value)
    }

    #[test]
    fn platforms() {
        let none = BTreeSet::new();
        assert_eq!(
            guess_platform(Some("v1.30.4-eks-a737599"), None, &none),
            Some("eks")
        );
        assert_eq!(
            guess_platform(Some("v1.30.5-gke.1014001"), None, &none),
            Some("gke")
        );
        assert_eq!(
            guess_platform(Some("v1.31.1+k3s1"), None, &none),
            Some("k3s")
        );
        assert_eq!(
            guess_platform(Some("v1.31.1+rke2r1"), None, &none),
            Some("rke2")
        );
        assert_eq!(guess_platform(Some("v1.32.0"), None, &none), None);

        let aks = node(
            json!({"metadata": {"labels": {"kubernetes.azure.com/cluster": "MC_x"}},
            "spec": {"providerID": "azure:///subscriptions/x"}}),
        );
        assert_eq!(
            guess_platform(Some("v1.30.3"), Some(&aks), &none),
            Some("aks")
        );
        let kind = node(json!({"spec": {"providerID": "kind://docker/kind/kind-control-plane"}}));
        assert_eq!(
            guess_platform(Some("v1.32.2"), Some(&kind), &none),
            Some("kind")
        );
        let mk = node(json!({"metadata": {"labels": {"minikube.k8s.io/name": "minikube"}}}));
        assert_eq!(
            guess_platform(Some("v1.32.0"), Some(&mk), &none),
            Some("minikube")
        );
        let eks = node(json!({"spec": {"providerID": "aws:///us-east-1a/i-0abc"}}));
        assert_eq!(
            guess_platform(Some("v1.32.0"), Some(&eks), &none),
            Some("eks")
        );
        let k3s = node(json!({"status": {"nodeInfo": {"kubeletVersion": "v1.30.2+k3s2"}}}));
        assert_eq!(
            guess_platform(Some("v1.30.2"), Some(&k3s), &none),
            Some("k3s")
        );

        let os = BTreeSet::from(["route.openshift.io".to_string()]);
        assert_eq!(
            guess_platform(Some("v1.29.6+aef6b5b"), None, &os),
            Some("openshift")
        );
    }
}
