//! Built-in roles: bound but missing roles take their built-in definitions (marked as assumed), and
//! those definitions match Kubernetes' own bootstrap policy (`$CODER_SEC_EXTERNAL_DATA/
//! k8s-bootstrap-rbac/`, v1.20) rule by rule.

use std::collections::{BTreeMap, BTreeSet};

use coder_sec_analyzer::inventory::{PolicyRule, Role};
use coder_sec_analyzer::rbac::bootstrap::{self, ROLES};
use coder_sec_model::manifests::load_file;

use super::support::{analyse, external, scenario_files, techniques_between};

/// One permission: (verb, API group, resource, resource name, non-resource URL).
type Tuple = (String, String, String, String, String);

fn tuples(rules: &[PolicyRule]) -> BTreeSet<Tuple> {
    let mut out = BTreeSet::new();
    let or_empty = |v: &[String]| -> Vec<String> {
        if v.is_empty() {
            vec![String::new()]
        } else {
            v.to_vec()
        }
    };
    for r in rules {
        for verb in &r.verbs {
            for url in &r.non_resource_urls {
                out.insert((verb.clone(), "".into(), "".into(), "".into(), url.clone()));
            }
            for group in &r.api_groups {
                for res in &r.resources {
                    for name in or_empty(&r.resource_names) {
                        out.insert((verb.clone(), group.clone(), res.clone(), name, "".into()));
                    }
                }
            }
        }
    }
    out
}

/// The effective permissions of ClusterRole `name` among `roles`: its rules and, for an aggregated
/// role, those of every role its selectors match, to a fixpoint.
fn effective(roles: &[Role], name: &str) -> BTreeSet<Tuple> {
    let by_name: BTreeMap<&str, &Role> = roles
        .iter()
        .map(|r| (r.metadata.name.as_str(), r))
        .collect();
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![name];
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        let Some(role) = by_name.get(n) else { continue };
        out.extend(tuples(role.rules.as_deref().unwrap_or_default()));
        for sel in role
            .aggregation_rule
            .iter()
            .flat_map(|a| &a.cluster_role_selectors)
        {
            for other in roles {
                if sel.matches(&other.metadata.labels) {
                    todo.push(other.metadata.name.as_str());
                }
            }
        }
    }
    out
}

fn upstream(dir: &std::path::Path, file: &str) -> Vec<Role> {
    load_file(&dir.join(file))
        .unwrap_or_else(|e| panic!("`{file}`: {e}"))
        .into_iter()
        .map(|d| serde_json::from_value(d.object).expect("an RBAC role"))
        .collect()
}

#[test]
fn built_in_roles_match_the_kubernetes_bootstrap_policy() {
    let Some(dir) = external("k8s-bootstrap-rbac") else {
        return;
    };
    let cluster = upstream(&dir, "cluster-roles.yaml");
    let namespaced = upstream(&dir, "namespace-roles.yaml");
    let ours: Vec<Role> = ROLES
        .iter()
        .filter(|r| r.namespace.is_none())
        .map(|r| r.to_role())
        .collect();
    let mut problems = Vec::new();
    for b in ROLES {
        let (theirs, mine) = match b.namespace {
            None => {
                let Some(up) = cluster.iter().find(|r| r.metadata.name == b.name) else {
                    problems.push(format!(
                        "ClusterRole `{}` is not in the bootstrap policy",
                        b.name
                    ));
                    continue;
                };
                // The same aggregation labels, so aggregation folds the same roles in.
                let agg = |r: &Role| -> BTreeMap<String, String> {
                    r.metadata
                        .labels
                        .iter()
                        .filter(|(k, _)| k.starts_with("rbac.authorization.k8s.io/aggregate-to-"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                };
                if agg(up) != agg(&b.to_role()) {
                    problems.push(format!(
                        "ClusterRole `{}`: aggregation labels differ",
                        b.name
                    ));
                }
                (effective(&cluster, b.name), effective(&ours, b.name))
            }
            Some(ns) => {
                let Some(up) = namespaced
                    .iter()
                    .find(|r| r.metadata.name == b.name && r.metadata.namespace == ns)
                else {
                    problems.push(format!(
                        "Role `{ns}/{}` is not in the bootstrap policy",
                        b.name
                    ));
                    continue;
                };
                (
                    tuples(up.rules.as_deref().unwrap_or_default()),
                    tuples(b.to_role().rules.as_deref().unwrap_or_default()),
                )
            }
        };
        for t in theirs.difference(&mine) {
            problems.push(format!("`{}` lacks {t:?}", b.name));
        }
        for t in mine.difference(&theirs) {
            problems.push(format!("`{}` adds {t:?}", b.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The comparison sees something: `admin` aggregates dozens of permissions.
    assert!(effective(&ours, "admin").len() > 100);
}

#[test]
fn bound_but_missing_built_in_roles_are_assumed_and_reported() {
    let a = analyse(&scenario_files("breadth"));
    assert_eq!(
        a.analysis.rbac.assumed_roles,
        [
            "ClusterRole/cluster-admin",
            "ClusterRole/edit",
            "ClusterRole/system:aggregate-to-edit",
            "ClusterRole/system:aggregate-to-view",
            "ClusterRole/view",
            "Role/kube-system/extension-apiserver-authentication-reader",
        ]
    );
    // `edit` in `tenants` creates pods there (no Pod Security): a node; `cluster-admin`: admin.
    assert!(
        techniques_between(&a, "User/dev", "Virtual/any-node")
            .contains(&"rbac-create-privileged-pod")
    );
    assert_eq!(
        techniques_between(&a, "Group/ops", "Virtual/cluster-admin"),
        vec!["rbac-wildcard-admin"]
    );
    // A name Kubernetes does not define stays a dangling binding.
    assert_eq!(
        a.analysis.rbac.dangling_bindings,
        ["ClusterRoleBinding/vendor-operator"]
    );
    let spot = a
        .report
        .blind_spots
        .iter()
        .find(|b| b.subject == "built-in roles")
        .expect("a blind spot names the assumed roles");
    assert!(spot.reason.contains("ClusterRole/edit"), "{}", spot.reason);
    assert!(bootstrap::find(None, "vendor-operator").is_none());
}
