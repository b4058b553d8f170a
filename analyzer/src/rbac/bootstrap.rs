//! Kubernetes' built-in roles, as the API server's bootstrap policy creates them on every cluster
//! (label `kubernetes.io/bootstrapping: rbac-defaults`). A snapshot made from `helm template` output
//! or a partial kubectl dump often binds `admin`, `view` or `system:auth-delegator` without holding
//! the role itself: [`crate::rbac::Rbac::build`] then takes the definition from here, and says so
//! (the roles are listed as assumed in the report's blind spots).
//!
//! Written from the Kubernetes RBAC documentation, in a compact form of our own: each rule lists
//! verbs, API groups and resources (or non-resource URLs). The aggregated roles keep their
//! aggregation rule, so that their effective rules come from the `system:aggregate-to-*` roles here
//! and from any role of the snapshot carrying the aggregation label. A test compares every role
//! with Kubernetes' own bootstrap policy (v1.20) rule by rule, so the two cannot drift.

use std::collections::BTreeMap;

use crate::inventory::{AggregationRule, LabelSelector, Meta, PolicyRule, Role};

/// One rule of a built-in role.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRule {
    /// Verbs.
    pub verbs: &'static [&'static str],
    /// API groups (`""` is the core group).
    pub groups: &'static [&'static str],
    /// Resources (`resource/subresource`).
    pub resources: &'static [&'static str],
    /// Non-resource URLs (when `groups` and `resources` are empty).
    pub urls: &'static [&'static str],
    /// Resource names (empty: any).
    pub names: &'static [&'static str],
}

/// A built-in role.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRole {
    /// Its name.
    pub name: &'static str,
    /// `None` for a ClusterRole, the namespace of a Role.
    pub namespace: Option<&'static str>,
    /// Labels beside `kubernetes.io/bootstrapping` (the aggregation labels).
    pub labels: &'static [(&'static str, &'static str)],
    /// The label value `true` of the aggregation rule's selector, for aggregated roles.
    pub aggregates: Option<&'static str>,
    /// Its own rules (none for aggregated roles).
    pub rules: &'static [BuiltinRule],
}

const fn r(
    verbs: &'static [&'static str],
    groups: &'static [&'static str],
    resources: &'static [&'static str],
) -> BuiltinRule {
    BuiltinRule {
        verbs,
        groups,
        resources,
        urls: &[],
        names: &[],
    }
}

const fn urls(verbs: &'static [&'static str], urls: &'static [&'static str]) -> BuiltinRule {
    BuiltinRule {
        verbs,
        groups: &[],
        resources: &[],
        urls,
        names: &[],
    }
}

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const ALL_RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const AGG_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const AGG_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const AGG_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

/// Every built-in role the analyzer may assume, by name.
pub const ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        name: "cluster-admin",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])],
    },
    BuiltinRole {
        name: "admin",
        namespace: None,
        labels: &[],
        aggregates: Some(AGG_ADMIN),
        rules: &[],
    },
    BuiltinRole {
        name: "edit",
        namespace: None,
        labels: &[(AGG_ADMIN, "true")],
        aggregates: Some(AGG_EDIT),
        rules: &[],
    },
    BuiltinRole {
        name: "view",
        namespace: None,
        labels: &[(AGG_EDIT, "true")],
        aggregates: Some(AGG_VIEW),
        rules: &[],
    },
    BuiltinRole {
        name: "system:aggregate-to-admin",
        namespace: None,
        labels: &[(AGG_ADMIN, "true")],
        aggregates: None,
        rules: &[
            r(
                &["create"],
                &["authorization.k8s.io"],
                &["localsubjectaccessreviews"],
            ),
            r(
                ALL_RW,
                &["rbac.authorization.k8s.io"],
                &["roles", "rolebindings"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:aggregate-to-edit",
        namespace: None,
        labels: &[(AGG_EDIT, "true")],
        aggregates: None,
        rules: &[
            // Reading Secrets and opening streams into pods and services.
            r(
                READ,
                &[""],
                &[
                    "secrets",
                    "pods/attach",
                    "pods/exec",
                    "pods/portforward",
                    "pods/proxy",
                    "services/proxy",
                ],
            ),
            r(&["impersonate"], &[""], &["serviceaccounts"]),
            r(
                WRITE,
                &[""],
                &[
                    "pods",
                    "pods/attach",
                    "pods/exec",
                    "pods/portforward",
                    "pods/proxy",
                ],
            ),
            r(
                WRITE,
                &[""],
                &[
                    "configmaps",
                    "endpoints",
                    "persistentvolumeclaims",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "secrets",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                ],
            ),
            r(
                WRITE,
                &["apps"],
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/scale",
                    "statefulsets",
                    "statefulsets/scale",
                ],
            ),
            r(WRITE, &["autoscaling"], &["horizontalpodautoscalers"]),
            r(WRITE, &["batch"], &["jobs", "cronjobs"]),
            r(
                WRITE,
                &["extensions"],
                &[
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "ingresses",
                    "networkpolicies",
                    "replicasets",
                    "replicasets/scale",
                    "replicationcontrollers/scale",
                ],
            ),
            r(WRITE, &["policy"], &["poddisruptionbudgets"]),
            r(
                WRITE,
                &["networking.k8s.io"],
                &["ingresses", "networkpolicies"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:aggregate-to-view",
        namespace: None,
        labels: &[(AGG_VIEW, "true")],
        aggregates: None,
        rules: &[
            r(
                READ,
                &[""],
                &[
                    "configmaps",
                    "endpoints",
                    "persistentvolumeclaims",
                    "persistentvolumeclaims/status",
                    "pods",
                    "pods/log",
                    "pods/status",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "replicationcontrollers/status",
                    "serviceaccounts",
                    "services",
                    "services/status",
                    "bindings",
                    "events",
                    "limitranges",
                    "namespaces",
                    "namespaces/status",
                    "resourcequotas",
                    "resourcequotas/status",
                ],
            ),
            r(
                READ,
                &["apps"],
                &[
                    "controllerrevisions",
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "statefulsets",
                    "statefulsets/scale",
                    "statefulsets/status",
                ],
            ),
            r(
                READ,
                &["autoscaling"],
                &[
                    "horizontalpodautoscalers",
                    "horizontalpodautoscalers/status",
                ],
            ),
            r(
                READ,
                &["batch"],
                &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
            ),
            r(
                READ,
                &["extensions"],
                &[
                    "daemonsets",
                    "daemonsets/status",
                    "deployments",
                    "deployments/scale",
                    "deployments/status",
                    "ingresses",
                    "ingresses/status",
                    "networkpolicies",
                    "replicasets",
                    "replicasets/scale",
                    "replicasets/status",
                    "replicationcontrollers/scale",
                ],
            ),
            r(
                READ,
                &["policy"],
                &["poddisruptionbudgets", "poddisruptionbudgets/status"],
            ),
            r(
                READ,
                &["networking.k8s.io"],
                &["ingresses", "ingresses/status", "networkpolicies"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:auth-delegator",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(&["create"], &["authentication.k8s.io"], &["tokenreviews"]),
            r(
                &["create"],
                &["authorization.k8s.io"],
                &["subjectaccessreviews"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:basic-user",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(
            &["create"],
            &["authorization.k8s.io"],
            &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        )],
    },
    BuiltinRole {
        name: "system:discovery",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[urls(
            &["get"],
            &[
                "/api",
                "/api/*",
                "/apis",
                "/apis/*",
                "/healthz",
                "/livez",
                "/openapi",
                "/openapi/*",
                "/readyz",
                "/version",
                "/version/",
            ],
        )],
    },
    BuiltinRole {
        name: "system:public-info-viewer",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[urls(
            &["get"],
            &["/healthz", "/livez", "/readyz", "/version", "/version/"],
        )],
    },
    BuiltinRole {
        name: "system:monitoring",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[urls(
            &["get"],
            &[
                "/healthz",
                "/healthz/*",
                "/livez",
                "/livez/*",
                "/metrics",
                "/readyz",
                "/readyz/*",
            ],
        )],
    },
    BuiltinRole {
        name: "system:service-account-issuer-discovery",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[urls(
            &["get"],
            &["/.well-known/openid-configuration", "/openid/v1/jwks"],
        )],
    },
    BuiltinRole {
        name: "system:heapster",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(READ, &[""], &["events", "namespaces", "nodes", "pods"]),
            r(READ, &["extensions"], &["deployments"]),
        ],
    },
    BuiltinRole {
        name: "system:kube-dns",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(&["list", "watch"], &[""], &["endpoints", "services"])],
    },
    BuiltinRole {
        name: "system:node-proxier",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(&["list", "watch"], &[""], &["endpoints", "services"]),
            r(READ, &[""], &["nodes"]),
            r(
                &["create", "patch", "update"],
                &["", "events.k8s.io"],
                &["events"],
            ),
            r(
                &["list", "watch"],
                &["discovery.k8s.io"],
                &["endpointslices"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:kubelet-api-admin",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(&["get", "list", "watch", "proxy"], &[""], &["nodes"]),
            r(
                &["*"],
                &[""],
                &[
                    "nodes/log",
                    "nodes/metrics",
                    "nodes/proxy",
                    "nodes/spec",
                    "nodes/stats",
                ],
            ),
        ],
    },
    BuiltinRole {
        name: "system:node-bootstrapper",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(
            &["create", "get", "list", "watch"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests"],
        )],
    },
    BuiltinRole {
        name: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(
            &["create"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests/nodeclient"],
        )],
    },
    BuiltinRole {
        name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[r(
            &["create"],
            &["certificates.k8s.io"],
            &["certificatesigningrequests/selfnodeclient"],
        )],
    },
    BuiltinRole {
        name: "system:persistent-volume-provisioner",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(
                &["create", "delete", "get", "list", "watch"],
                &[""],
                &["persistentvolumes"],
            ),
            r(
                &["get", "list", "update", "watch"],
                &[""],
                &["persistentvolumeclaims"],
            ),
            r(READ, &["storage.k8s.io"], &["storageclasses"]),
            r(&["watch"], &[""], &["events"]),
            r(
                &["create", "patch", "update"],
                &["", "events.k8s.io"],
                &["events"],
            ),
        ],
    },
    BuiltinRole {
        name: "system:volume-scheduler",
        namespace: None,
        labels: &[],
        aggregates: None,
        rules: &[
            r(
                &["get", "list", "patch", "update", "watch"],
                &[""],
                &["persistentvolumes", "persistentvolumeclaims"],
            ),
            r(READ, &["storage.k8s.io"], &["storageclasses"]),
        ],
    },
    BuiltinRole {
        name: "extension-apiserver-authentication-reader",
        namespace: Some("kube-system"),
        labels: &[],
        aggregates: None,
        rules: &[BuiltinRule {
            verbs: READ,
            groups: &[""],
            resources: &["configmaps"],
            urls: &[],
            names: &["extension-apiserver-authentication"],
        }],
    },
];

/// The built-in role of that name in that namespace (`None`: a ClusterRole).
pub fn find(namespace: Option<&str>, name: &str) -> Option<&'static BuiltinRole> {
    ROLES
        .iter()
        .find(|r| r.name == name && r.namespace == namespace)
}

impl BuiltinRole {
    /// The role as an inventory object (label `kubernetes.io/bootstrapping: rbac-defaults`).
    pub fn to_role(&self) -> Role {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut labels: BTreeMap<String, String> = self
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.insert(
            "kubernetes.io/bootstrapping".to_string(),
            "rbac-defaults".to_string(),
        );
        Role {
            metadata: Meta {
                name: self.name.to_string(),
                namespace: self.namespace.unwrap_or_default().to_string(),
                labels,
                ..Meta::default()
            },
            rules: Some(
                self.rules
                    .iter()
                    .map(|r| PolicyRule {
                        verbs: owned(r.verbs),
                        api_groups: owned(r.groups),
                        resources: owned(r.resources),
                        resource_names: owned(r.names),
                        non_resource_urls: owned(r.urls),
                    })
                    .collect(),
            ),
            aggregation_rule: self.aggregates.map(|label| AggregationRule {
                cluster_role_selectors: vec![LabelSelector {
                    match_labels: [(label.to_string(), "true".to_string())].into(),
                    ..LabelSelector::default()
                }],
            }),
        }
    }

    /// The built-in ClusterRoles an aggregated role takes rules from (its selector's label), and
    /// theirs in turn.
    pub fn aggregated_from(&self) -> Vec<&'static BuiltinRole> {
        let mut out: Vec<&'static BuiltinRole> = Vec::new();
        let mut todo: Vec<&str> = self.aggregates.into_iter().collect();
        while let Some(label) = todo.pop() {
            for r in ROLES {
                if r.namespace.is_none()
                    && r.labels.iter().any(|(k, v)| *k == label && *v == "true")
                    && !out.iter().any(|o| o.name == r.name)
                {
                    out.push(r);
                    todo.extend(r.aggregates);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_aggregation_closes() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROLES {
            assert!(seen.insert((r.namespace, r.name)), "{}", r.name);
        }
        let admin = find(None, "admin").unwrap();
        let from: Vec<&str> = admin.aggregated_from().iter().map(|r| r.name).collect();
        for want in [
            "edit",
            "view",
            "system:aggregate-to-admin",
            "system:aggregate-to-edit",
            "system:aggregate-to-view",
        ] {
            assert!(from.contains(&want), "{from:?}");
        }
    }
}
