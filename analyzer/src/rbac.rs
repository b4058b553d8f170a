//! Effective RBAC permissions per subject: aggregation rules resolved, wildcards, resourceNames,
//! subresources and group membership (`system:authenticated`, `system:serviceaccounts`,
//! `system:serviceaccounts:NS`, `system:nodes`). Computed once; techniques query it.

pub mod bootstrap;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::inventory::{Binding, Inventory, PolicyRule, Role, Subject};

/// One grant: a role's rules, cluster-wide or in one namespace, and the binding that gave it.
#[derive(Debug, Clone)]
pub struct Grant {
    /// `None` for a ClusterRoleBinding, the namespace for a RoleBinding.
    pub namespace: Option<Arc<str>>,
    /// The rules.
    pub rules: Arc<[PolicyRule]>,
    /// `ClusterRoleBinding/name` or `RoleBinding/ns/name`.
    pub binding: Arc<str>,
    /// `ClusterRole/name` or `Role/ns/name`.
    pub role: Arc<str>,
}

/// Where a permission holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Cluster-wide access (`None` = none; `Some(None)` = every name; `Some(Some(names))`).
    pub cluster: Option<Option<BTreeSet<String>>>,
    /// Per namespace, same encoding.
    pub namespaces: BTreeMap<String, Option<BTreeSet<String>>>,
}

impl Reach {
    /// Whether nothing is reachable.
    pub fn is_empty(&self) -> bool {
        self.cluster.is_none() && self.namespaces.is_empty()
    }

    /// Whether every object of `ns` is covered (any name).
    pub fn all_in(&self, ns: &str) -> bool {
        matches!(self.cluster, Some(None)) || matches!(self.namespaces.get(ns), Some(None))
    }

    /// Whether the object `name` in `ns` (or cluster-scoped when `ns` is empty) is covered.
    pub fn covers(&self, ns: &str, name: &str) -> bool {
        let hit = |a: &Option<BTreeSet<String>>| a.as_ref().is_none_or(|s| s.contains(name));
        self.cluster.as_ref().is_some_and(hit) || self.namespaces.get(ns).is_some_and(hit)
    }

    /// Whether cluster-wide access without name restriction is held.
    pub fn cluster_wide(&self) -> bool {
        matches!(self.cluster, Some(None))
    }

    /// The namespaces covered (every one of `all` when cluster-wide).
    pub fn namespaces_in<'a>(&'a self, all: &'a [String]) -> Vec<&'a str> {
        if self.cluster.is_some() {
            all.iter().map(String::as_str).collect()
        } else {
            self.namespaces.keys().map(String::as_str).collect()
        }
    }

    fn add(&mut self, ns: Option<&str>, names: &[String]) {
        let slot = match ns {
            None => &mut self.cluster,
            Some(ns) => {
                let e = self.namespaces.entry(ns.to_string());
                match e {
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(if names.is_empty() {
                            None
                        } else {
                            Some(names.iter().cloned().collect())
                        });
                        return;
                    }
                    std::collections::btree_map::Entry::Occupied(mut o) => {
                        merge(o.get_mut(), names);
                        return;
                    }
                }
            }
        };
        match slot {
            None => {
                *slot = Some(if names.is_empty() {
                    None
                } else {
                    Some(names.iter().cloned().collect())
                })
            }
            Some(existing) => merge(existing, names),
        }
    }
}

fn merge(existing: &mut Option<BTreeSet<String>>, names: &[String]) {
    if names.is_empty() {
        *existing = None;
    } else if let Some(set) = existing {
        set.extend(names.iter().cloned());
    }
}

/// A subject's effective grants (its own and its groups').
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    /// The grants.
    pub grants: Vec<Grant>,
}

impl Permissions {
    /// Where any of `verbs` on any of `resources` (each `resource` or `resource/subresource`) in any
    /// of `groups` is allowed.
    pub fn reach(&self, verbs: &[&str], groups: &[&str], resources: &[&str]) -> Reach {
        let mut reach = Reach::default();
        // Grants share rule lists (every binding of `edit` holds the same `Arc`): each list is
        // matched once, by address.
        let mut matched: HashMap<usize, Vec<usize>> = HashMap::new();
        for g in &self.grants {
            let hits = matched.entry(g.rules.as_ptr() as usize).or_insert_with(|| {
                g.rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| rule_matches(rule, verbs, groups, resources))
                    .map(|(i, _)| i)
                    .collect()
            });
            for &i in hits.iter() {
                reach.add(g.namespace.as_deref(), &g.rules[i].resource_names);
            }
        }
        reach
    }

    /// Whether the subject holds `*` on `*` in `*` cluster-wide.
    pub fn is_wildcard_admin(&self) -> bool {
        self.grants.iter().any(|g| {
            g.namespace.is_none()
                && g.rules.iter().any(|r| {
                    r.verbs.iter().any(|v| v == "*")
                        && r.api_groups.iter().any(|v| v == "*")
                        && r.resources.iter().any(|v| v == "*")
                        && r.resource_names.is_empty()
                })
        })
    }

    /// Whether the subject holds anything beyond discovery and self-review.
    pub fn is_empty(&self) -> bool {
        self.grants.iter().all(|g| g.rules.is_empty())
    }
}

/// Whether a rule allows one of `verbs` on one of `resources` in one of `groups`.
pub fn rule_matches(
    rule: &PolicyRule,
    verbs: &[&str],
    groups: &[&str],
    resources: &[&str],
) -> bool {
    let verb_ok = rule
        .verbs
        .iter()
        .any(|v| v == "*" || verbs.contains(&v.as_str()));
    if !verb_ok {
        return false;
    }
    let group_ok = rule
        .api_groups
        .iter()
        .any(|g| g == "*" || groups.contains(&g.as_str()));
    if !group_ok {
        return false;
    }
    rule.resources.iter().any(|r| {
        resources.iter().any(|want| {
            if r == "*" || r == want {
                return true;
            }
            // `pods/*` covers every subresource of pods; `*/scale` every resource's scale.
            match (r.split_once('/'), want.split_once('/')) {
                (Some((rr, "*")), Some((wr, _))) => rr == wr,
                (Some(("*", rs)), Some((_, ws))) => rs == ws,
                _ => false,
            }
        })
    })
}

/// Effective RBAC of the whole cluster.
#[derive(Debug, Default)]
pub struct Rbac {
    by_subject: HashMap<String, Vec<Grant>>,
    /// Every subject named in a binding, as `User/x`, `Group/x`, `ServiceAccount/ns/x`, sorted.
    pub named_subjects: Vec<String>,
    /// Bindings whose role is missing from the snapshot.
    pub dangling_bindings: Vec<String>,
    /// Built-in roles bound but missing from the snapshot, taken from [`bootstrap`]
    /// (`ClusterRole/NAME`, `Role/NS/NAME`), sorted.
    pub assumed_roles: Vec<String>,
    cluster_roles: HashMap<String, Arc<[PolicyRule]>>,
}

/// The subject key of a binding subject (`User/x`, `Group/x`, `ServiceAccount/ns/x`).
pub fn subject_key(s: &Subject, binding_ns: &str) -> Option<String> {
    match s.kind.as_str() {
        "User" => Some(format!("User/{}", s.name)),
        "Group" => Some(format!("Group/{}", s.name)),
        "ServiceAccount" => {
            let ns = s
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_ns);
            Some(format!("ServiceAccount/{ns}/{}", s.name))
        }
        _ => None,
    }
}

impl Rbac {
    /// Resolves roles and bindings of the inventory.
    pub fn build(inv: &Inventory) -> Rbac {
        let (extra_cluster_roles, extra_roles, assumed_roles) = assumed_builtins(inv);
        let cluster_roles = if extra_cluster_roles.is_empty() {
            resolve_cluster_roles(&inv.cluster_roles)
        } else {
            let mut all = inv.cluster_roles.clone();
            all.extend(extra_cluster_roles);
            resolve_cluster_roles(&all)
        };
        let roles: HashMap<(String, String), Arc<[PolicyRule]>> = inv
            .roles
            .iter()
            .chain(&extra_roles)
            .map(|r| {
                (
                    (r.metadata.namespace.clone(), r.metadata.name.clone()),
                    Arc::from(r.rules.clone().unwrap_or_default()),
                )
            })
            .collect();
        let mut rbac = Rbac {
            cluster_roles,
            assumed_roles,
            ..Rbac::default()
        };
        let mut named = BTreeSet::new();
        let mut add = |b: &Binding, cluster: bool, rbac: &mut Rbac| {
            let ns = &b.metadata.namespace;
            let (rules, role) = match b.role_ref.kind.as_str() {
                "ClusterRole" => (
                    rbac.cluster_roles.get(&b.role_ref.name).cloned(),
                    format!("ClusterRole/{}", b.role_ref.name),
                ),
                "Role" if !cluster => (
                    roles.get(&(ns.clone(), b.role_ref.name.clone())).cloned(),
                    format!("Role/{ns}/{}", b.role_ref.name),
                ),
                _ => (None, format!("{}/{}", b.role_ref.kind, b.role_ref.name)),
            };
            let binding: Arc<str> = if cluster {
                Arc::from(format!("ClusterRoleBinding/{}", b.metadata.name))
            } else {
                Arc::from(format!("RoleBinding/{ns}/{}", b.metadata.name))
            };
            let Some(rules) = rules else {
                rbac.dangling_bindings.push(binding.to_string());
                return;
            };
            let grant = Grant {
                namespace: (!cluster).then(|| Arc::from(ns.as_str())),
                rules,
                binding,
                role: Arc::from(role),
            };
            for s in b.subjects.iter().flatten() {
                if let Some(key) = subject_key(s, ns) {
                    named.insert(key.clone());
                    rbac.by_subject.entry(key).or_default().push(grant.clone());
                }
            }
        };
        for b in &inv.cluster_role_bindings {
            add(b, true, &mut rbac);
        }
        for b in &inv.role_bindings {
            add(b, false, &mut rbac);
        }
        rbac.named_subjects = named.into_iter().collect();
        rbac.dangling_bindings.sort();
        rbac
    }

    /// The resolved rules of a ClusterRole.
    pub fn cluster_role(&self, name: &str) -> Option<&[PolicyRule]> {
        self.cluster_roles.get(name).map(|r| &r[..])
    }

    /// Grants bound directly to one subject key.
    pub fn direct(&self, key: &str) -> &[Grant] {
        self.by_subject.get(key).map_or(&[], Vec::as_slice)
    }

    /// Effective permissions of a subject key with its implicit groups.
    pub fn effective(&self, key: &str) -> Permissions {
        let mut keys: Vec<String> = vec![key.to_string()];
        if let Some(rest) = key.strip_prefix("ServiceAccount/") {
            let ns = rest.split('/').next().unwrap_or("");
            keys.push("Group/system:serviceaccounts".into());
            keys.push(format!("Group/system:serviceaccounts:{ns}"));
            keys.push("Group/system:authenticated".into());
        } else if key == "User/system:anonymous" {
            keys.push("Group/system:unauthenticated".into());
        } else if let Some(node) = key.strip_prefix("User/system:node:") {
            let _ = node;
            keys.push("Group/system:nodes".into());
            keys.push("Group/system:authenticated".into());
        } else if key.starts_with("User/") {
            keys.push("Group/system:authenticated".into());
        }
        let grants = keys
            .iter()
            .flat_map(|k| self.direct(k).iter().cloned())
            .collect();
        Permissions { grants }
    }
}

/// The built-in roles that bindings of the inventory name but the inventory lacks (with the
/// built-in ClusterRoles an aggregated one takes its rules from, where also absent): (ClusterRoles,
/// Roles, their references sorted).
fn assumed_builtins(inv: &Inventory) -> (Vec<Role>, Vec<Role>, Vec<String>) {
    let present_cr: BTreeSet<&str> = inv
        .cluster_roles
        .iter()
        .map(|r| r.metadata.name.as_str())
        .collect();
    let present_r: BTreeSet<(&str, &str)> = inv
        .roles
        .iter()
        .map(|r| (r.metadata.namespace.as_str(), r.metadata.name.as_str()))
        .collect();
    let mut cluster: BTreeMap<&str, &bootstrap::BuiltinRole> = BTreeMap::new();
    let mut namespaced: BTreeMap<(&str, &str), &bootstrap::BuiltinRole> = BTreeMap::new();
    let bindings = inv
        .cluster_role_bindings
        .iter()
        .map(|b| (b, true))
        .chain(inv.role_bindings.iter().map(|b| (b, false)));
    for (b, cluster_binding) in bindings {
        let name = b.role_ref.name.as_str();
        match b.role_ref.kind.as_str() {
            "ClusterRole" if !present_cr.contains(name) => {
                if let Some(role) = bootstrap::find(None, name) {
                    cluster.insert(role.name, role);
                    for from in role.aggregated_from() {
                        if !present_cr.contains(from.name) {
                            cluster.insert(from.name, from);
                        }
                    }
                }
            }
            "Role" if !cluster_binding => {
                let ns = b.metadata.namespace.as_str();
                if !present_r.contains(&(ns, name))
                    && let Some(role) = bootstrap::find(Some(ns), name)
                {
                    namespaced.insert((ns, role.name), role);
                }
            }
            _ => {}
        }
    }
    let mut assumed: Vec<String> = cluster
        .keys()
        .map(|n| format!("ClusterRole/{n}"))
        .chain(namespaced.keys().map(|(ns, n)| format!("Role/{ns}/{n}")))
        .collect();
    assumed.sort();
    (
        cluster.values().map(|r| r.to_role()).collect(),
        namespaced.values().map(|r| r.to_role()).collect(),
        assumed,
    )
}

/// ClusterRoles with aggregation rules resolved (to a fixpoint, so chains work).
fn resolve_cluster_roles(roles: &[Role]) -> HashMap<String, Arc<[PolicyRule]>> {
    let mut rules: HashMap<String, Vec<PolicyRule>> = roles
        .iter()
        .map(|r| (r.metadata.name.clone(), r.rules.clone().unwrap_or_default()))
        .collect();
    for _ in 0..4 {
        let mut changed = false;
        for r in roles {
            let Some(agg) = &r.aggregation_rule else {
                continue;
            };
            let mut add: Vec<PolicyRule> = Vec::new();
            for other in roles {
                if other.metadata.name == r.metadata.name {
                    continue;
                }
                if agg
                    .cluster_role_selectors
                    .iter()
                    .any(|s| !is_empty_selector(s) && s.matches(&other.metadata.labels))
                {
                    add.extend(rules.get(&other.metadata.name).cloned().unwrap_or_default());
                }
            }
            let mine = rules.entry(r.metadata.name.clone()).or_default();
            for rule in add {
                if !mine.contains(&rule) {
                    mine.push(rule);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    rules.into_iter().map(|(k, v)| (k, Arc::from(v))).collect()
}

fn is_empty_selector(s: &crate::inventory::LabelSelector) -> bool {
    s.match_labels.is_empty() && s.match_expressions.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], res: &[&str], names: &[&str]) -> PolicyRule {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(res),
            resource_names: v(names),
            non_resource_urls: vec![],
        }
    }

    #[test]
    fn matching_rules() {
        let r = rule(&["create"], &["apps"], &["deployments"], &[]);
        assert!(rule_matches(&r, &["create"], &["apps"], &["deployments"]));
        assert!(!rule_matches(&r, &["create"], &[""], &["deployments"]));
        let r = rule(&["*"], &[""], &["pods/*"], &[]);
        assert!(rule_matches(&r, &["create"], &[""], &["pods/exec"]));
        assert!(!rule_matches(&r, &["create"], &[""], &["pods"]));
    }

    #[test]
    fn reach_honours_names() {
        let p = Permissions {
            grants: vec![Grant {
                namespace: Some(Arc::from("a")),
                rules: Arc::from(vec![rule(&["get"], &[""], &["secrets"], &["one"])]),
                binding: Arc::from("RoleBinding/a/b"),
                role: Arc::from("Role/a/r"),
            }],
        };
        let r = p.reach(&["get"], &[""], &["secrets"]);
        assert!(r.covers("a", "one"));
        assert!(!r.covers("a", "two"));
        assert!(!r.all_in("a"));
        assert!(!r.covers("b", "one"));
    }
}
