//! What the analysis loses when a kind cannot be read (forbidden or failed in a capture, absent from
//! an import): the `hides` text of blind spots, one table for capture and import.

use crate::kinds::KindSpec;

/// What an unreadable kind hides from the analysis.
pub fn hides(spec: &KindSpec) -> &'static str {
    match (spec.group, spec.plural) {
        ("", "secrets") => {
            "secret types, TLS facts, Helm release values (Coder chart config), service-account token secrets, registry credentials"
        }
        ("", "configmaps") => {
            "configuration files (including Coder settings passed through ConfigMaps)"
        }
        ("", "pods") => {
            "running workloads: privileged pods, host mounts, service accounts in use, Coder workspace pods and agent tokens in env"
        }
        ("", "serviceaccounts") => {
            "service accounts, their token automount and cloud identity annotations"
        }
        ("", "nodes") => "nodes: platform, kubelet versions, cloud instance identity",
        ("", "namespaces") => "namespace labels (Pod Security admission levels)",
        ("", "services") | ("discovery.k8s.io", _) => "network exposure (LoadBalancers, NodePorts)",
        ("", "persistentvolumeclaims") | ("", "persistentvolumes") => {
            "volumes: workspace home folders, host-path volumes"
        }
        ("apps", _) | ("batch", _) | ("", "replicationcontrollers") => {
            "workload templates: who can run what, Coder deployments and workspaces"
        }
        ("rbac.authorization.k8s.io", _) => {
            "RBAC: who may do what; attack paths through permissions"
        }
        ("networking.k8s.io", "networkpolicies")
        | ("cilium.io", _)
        | ("crd.projectcalico.org", _) => {
            "network policies: which pods can reach coderd, the database, the cloud metadata endpoint"
        }
        ("networking.k8s.io", _) => "ingress exposure and TLS termination",
        ("admissionregistration.k8s.io", _) => {
            "admission webhooks and policies that could block or mutate workloads"
        }
        ("certificates.k8s.io", _) => "certificate signing requests (node and client credentials)",
        ("cert-manager.io", _) => "certificates managed by cert-manager",
        ("security.istio.io", _) => "mesh mTLS policy",
        ("", "resourcequotas") | ("", "limitranges") => {
            "quotas and limit ranges: storage and denial-of-service limits"
        }
        ("storage.k8s.io", _) => "storage classes: how workspace volumes are provisioned",
        ("node.k8s.io", _) => {
            "runtime classes: sandboxed runtimes that make container escapes harder"
        }
        _ => "objects of this kind",
    }
}

#[cfg(test)]
mod tests {
    use crate::KINDS;

    #[test]
    fn every_kind_says_what_it_hides() {
        for spec in KINDS {
            assert_ne!(
                super::hides(spec),
                "objects of this kind",
                "{}",
                spec.label()
            );
        }
    }
}
