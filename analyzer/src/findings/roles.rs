//! Kubernetes roles: who is cluster-admin equivalent, coderd's permissions beyond the chart's and its
//! pod-create reach, bindings to broad groups, cloud mappings.

use crate::catalog::{FindingCode, Technique};
use crate::graph::CLUSTER_ADMIN;
use crate::graph::VertexKind;
use crate::rbac::rule_matches;
use crate::severity::Severity;

use super::{Finding, Input, complete};

/// Roles every cluster binds to broad groups; not findings.
const DISCOVERY_ROLES: &[&str] = &[
    "system:basic-user",
    "system:discovery",
    "system:public-info-viewer",
    "system:service-account-issuer-discovery",
];

/// What the Helm chart's Role grants: pods, PVCs (core) and deployments (apps).
fn within_chart(rule: &crate::inventory::PolicyRule) -> bool {
    let chart_resources: &[(&str, &str)] = &[
        ("", "pods"),
        ("", "persistentvolumeclaims"),
        ("apps", "deployments"),
    ];
    let verbs = [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    rule.verbs.iter().all(|v| verbs.contains(&v.as_str()))
        && rule.api_groups.iter().all(|g| g != "*")
        && rule.resources.iter().all(|r| {
            rule.api_groups
                .iter()
                .any(|g| chart_resources.contains(&(g.as_str(), r.as_str())))
        })
}

/// Runs the role checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    // coderd.
    for sa in &input.coder.coderd_service_accounts {
        let perms = input.rbac.effective(sa);
        let mut extra = Vec::new();
        let mut dangerous = false;
        for grant in &perms.grants {
            for rule in grant.rules.iter() {
                if rule.resources.is_empty() || within_chart(rule) {
                    continue;
                }
                if DISCOVERY_ROLES.iter().any(|r| grant.role.ends_with(r)) {
                    continue;
                }
                dangerous |= rule_matches(
                    rule,
                    &["get", "list", "create", "*"],
                    &[""],
                    &["secrets", "pods/exec"],
                ) || rule.verbs.iter().any(|v| v == "*");
                extra.push(format!(
                    "{} via {} ({})",
                    rule.resources.join(","),
                    grant.binding,
                    rule.verbs.join(",")
                ));
            }
        }
        if !extra.is_empty() {
            let mut objs = vec![sa.clone()];
            objs.extend(complete(extra));
            out.push(Finding::new(
                FindingCode::CoderdExtraPermissions,
                if dangerous {
                    Severity::High
                } else {
                    Severity::Medium
                },
                if input.coder.v1 {
                    format!(
                        "coderd's service account `{sa}` holds permissions beyond the v2 chart's Role (Coder v1's chart Role itself reads and writes Secrets and execs into pods: whatever reaches coderd or its token reaches every workspace)"
                    )
                } else {
                    format!(
                        "coderd's service account `{sa}` holds permissions beyond the chart's Role"
                    )
                },
                objs,
            ));
        }
        let reach = perms.reach(&["create"], &[""], &["pods"]);
        let all = inv.namespace_names();
        let namespaces: Vec<&str> = reach.namespaces_in(&all);
        if !namespaces.is_empty() {
            let holds_db = input
                .coder
                .db_secret
                .as_ref()
                .is_some_and(|(ns, _)| namespaces.contains(&ns.as_str()));
            let mut objs = vec![sa.clone()];
            objs.extend(namespaces.iter().map(|n| format!("Namespace/{n}")));
            out.push(Finding::new(
                FindingCode::CoderdPodCreateReach,
                if holds_db || reach.cluster.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!(
                    "coderd can create pods in {}: template authors run any pod spec there{}",
                    if reach.cluster.is_some() {
                        "every namespace".to_string()
                    } else {
                        namespaces.join(", ")
                    },
                    if holds_db {
                        ", next to the database credential"
                    } else {
                        ""
                    }
                ),
                objs,
            ));
        }
    }
    // Broad groups.
    let broad = [
        "system:authenticated",
        "system:unauthenticated",
        "system:anonymous",
        "system:serviceaccounts",
    ];
    let mut hits = Vec::new();
    for (cluster, list) in [
        (true, &inv.cluster_role_bindings),
        (false, &inv.role_bindings),
    ] {
        for b in list {
            if DISCOVERY_ROLES.contains(&b.role_ref.name.as_str()) {
                continue;
            }
            for s in b.subjects.iter().flatten() {
                if broad.contains(&s.name.as_str()) {
                    let r = if cluster {
                        format!("ClusterRoleBinding/{}", b.metadata.name)
                    } else {
                        format!("RoleBinding/{}/{}", b.metadata.namespace, b.metadata.name)
                    };
                    hits.push(format!("{r} → {} {}", s.kind, s.name));
                }
            }
        }
    }
    if !hits.is_empty() {
        out.push(Finding::new(
            FindingCode::BroadGroupBinding,
            Severity::High,
            format!("{} bindings grant roles to broad groups", hits.len()),
            complete(hits),
        ));
    }
}

/// The checks that read the trust graph: subjects that are cluster-admin equivalent, and cloud
/// identity mappings.
pub fn check_graph(input: &Input<'_>, out: &mut Vec<Finding>) {
    let Some(g) = input.graph else {
        return;
    };
    // Cluster-admin equivalents: everything with an edge straight into Virtual/cluster-admin.
    if let Some(admin) = g.get(CLUSTER_ADMIN) {
        let mut subjects = Vec::new();
        for v in g.vertices() {
            let mut how: Vec<&str> = g
                .out_edges(v)
                .filter(|(t, _)| *t == admin)
                .map(|(_, e)| e.technique.code())
                .collect();
            how.sort();
            if !how.is_empty() {
                subjects.push(format!("{} ({})", g.reference(v), how.join(", ")));
            }
        }
        let non_system = subjects
            .iter()
            .any(|s| !s.contains("system:") && !s.starts_with("Group/system:masters"));
        if !subjects.is_empty() {
            out.push(Finding::new(
                FindingCode::ClusterAdminSubjects,
                if non_system {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                format!("{} subjects are cluster-admin equivalent", subjects.len()),
                complete(subjects),
            ));
        }
    }
    // Cloud mappings.
    let mut cloud = Vec::new();
    for v in g.vertices() {
        for (t, e) in g.out_edges(v) {
            if matches!(
                e.technique,
                Technique::AwsAuthMapping
                    | Technique::WorkloadIdentityAws
                    | Technique::WorkloadIdentityGcp
                    | Technique::WorkloadIdentityAzure
            ) {
                cloud.push(format!("{} → {}", g.reference(v), g.reference(t)));
            }
        }
    }
    if !cloud.is_empty() {
        let masters = g.vertices().any(|v| {
            g.vertex_at(v).kind == VertexKind::CloudRole
                && g.out_edges(v)
                    .any(|(t, _)| g.reference(t) == "Group/system:masters")
        });
        out.push(Finding::new(
            FindingCode::CloudControlPlaneAccess,
            if masters {
                Severity::High
            } else {
                Severity::Low
            },
            format!(
                "{} cloud identity mappings cross the cluster boundary",
                cloud.len()
            ),
            complete(cloud),
        ));
    }
}
