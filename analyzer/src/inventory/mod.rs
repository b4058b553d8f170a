//! The loaded snapshot, typed and indexed. Built once; everything after it borrows.
//!
//! Objects are read into small serde types that keep only what the analysis uses, with every field
//! optional: an object whose shape is odd is counted in [`Inventory::unparsed`], never fatal. Pod
//! controllers with no captured pod (a `helm template` render, a scaled-down deployment) stand in for
//! their future pods as template pods.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use coder_sec_model::Manifest;
use serde_json::Value;

mod load;
mod types;

pub use load::{IntegrityNote, Loaded, STATE_READ, parse_state_file};
pub use types::*;

use load::{Loader, Parsed, known_kind, parse_one};

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The archive could not be opened or read.
    #[error("cannot read snapshot `{path}`")]
    Archive {
        /// The snapshot.
        path: PathBuf,
        /// The cause.
        #[source]
        source: coder_sec_model::archive::ArchiveError,
    },
    /// Files of the snapshot differ from its manifest, or lines of a kind's file are not its objects.
    #[error(
        "`{}` does not match its manifest ({} problem{}):\n  {}",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Integrity {
        /// The snapshot.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<coder_sec_model::archive::Mismatch>,
    },
}

/// Everything the analysis reads, indexed.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The snapshot's manifest.
    pub manifest: Option<Manifest>,
    /// Namespaces.
    pub namespaces: Vec<Namespace>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Pods, then template pods of controllers without pods.
    pub pods: Vec<Pod>,
    /// Service accounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// Secrets.
    pub secrets: Vec<Secret>,
    /// ConfigMaps.
    pub config_maps: Vec<ConfigMap>,
    /// Services.
    pub services: Vec<Service>,
    /// Ingresses.
    pub ingresses: Vec<Ingress>,
    /// NetworkPolicies.
    pub network_policies: Vec<NetworkPolicy>,
    /// Roles.
    pub roles: Vec<Role>,
    /// ClusterRoles.
    pub cluster_roles: Vec<Role>,
    /// RoleBindings.
    pub role_bindings: Vec<Binding>,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: Vec<Binding>,
    /// ResourceQuotas.
    pub resource_quotas: Vec<ResourceQuota>,
    /// LimitRanges.
    pub limit_ranges: Vec<LimitRange>,
    /// StorageClasses.
    pub storage_classes: Vec<StorageClass>,
    /// PersistentVolumes.
    pub persistent_volumes: Vec<PersistentVolume>,
    /// PersistentVolumeClaims.
    pub persistent_volume_claims: Vec<PersistentVolumeClaim>,
    /// Number of admission webhook configurations.
    pub webhook_configurations: usize,
    /// Optional state files the analysis reads (see [`STATE_READ`]), parsed JSON or JSON Lines (as
    /// an array).
    pub coder_files: BTreeMap<String, Value>,
    /// Objects whose shape could not be read, by kind. ReplicaSets and Jobs owned by a Deployment
    /// or CronJob are not read past their owner references, so they are never counted here.
    pub unparsed: BTreeMap<String, u64>,
    pods_by_ns: HashMap<String, Vec<usize>>,
    policies_by_ns: HashMap<String, Vec<usize>>,
    pods_by_node: HashMap<String, Vec<usize>>,
    sa_index: HashMap<(String, String), usize>,
    secret_index: HashMap<(String, String), usize>,
    ns_index: HashMap<String, usize>,
    node_index: HashMap<String, usize>,
}

impl Inventory {
    /// Frees the inventory on every core: a large one is millions of small allocations, and
    /// freeing them one after another takes a noticeable part of an analysis.
    pub fn drop_in_parallel(mut self) {
        use rayon::prelude::*;
        fn all<T: Send>(v: Vec<T>) {
            v.into_par_iter().with_min_len(1024).for_each(drop);
        }
        let pods = std::mem::take(&mut self.pods);
        let rest = (
            std::mem::take(&mut self.role_bindings),
            std::mem::take(&mut self.service_accounts),
            std::mem::take(&mut self.persistent_volumes),
            std::mem::take(&mut self.persistent_volume_claims),
            std::mem::take(&mut self.secrets),
            std::mem::take(&mut self.config_maps),
        );
        rayon::join(
            || all(pods),
            || {
                all(rest.0);
                all(rest.1);
                all(rest.2);
                all(rest.3);
                all(rest.4);
                all(rest.5);
                drop(self);
            },
        );
    }

    /// Adds a `coder/…` or `identity/…` file as [`Inventory::load`] reads it (tests, other front
    /// ends).
    pub fn add_state_file(&mut self, path: &str, bytes: &[u8]) {
        self.coder_files
            .insert(path.to_string(), parse_state_file(path, bytes));
    }

    /// Builds an inventory from `(kind, object)` pairs (tests, other front ends).
    pub fn from_objects(objects: impl IntoIterator<Item = (String, Value)>) -> Inventory {
        let mut loader = Loader::default();
        for (k, v) in objects {
            loader.absorb(match known_kind(&k) {
                Some(kind) => parse_one(kind, v),
                None => Parsed::Ignored,
            });
        }
        loader.finish()
    }

    fn sort_and_index(&mut self) {
        fn key(m: &Meta) -> (&str, &str) {
            (&m.namespace, &m.name)
        }
        macro_rules! sort_by_meta {
            ($($list:ident),*) => {
                $(self.$list.sort_by(|a, b| key(&a.metadata).cmp(&key(&b.metadata)));)*
            };
        }
        sort_by_meta!(
            namespaces,
            nodes,
            service_accounts,
            secrets,
            services,
            ingresses,
            network_policies,
            roles,
            cluster_roles,
            role_bindings,
            cluster_role_bindings
        );
        self.pods.sort_by(|a, b| {
            (key(&a.metadata), &a.template_of).cmp(&(key(&b.metadata), &b.template_of))
        });
        for (i, p) in self.pods.iter().enumerate() {
            self.pods_by_ns
                .entry(p.metadata.namespace.clone())
                .or_default()
                .push(i);
            if let Some(n) = &p.spec.node_name {
                self.pods_by_node.entry(n.clone()).or_default().push(i);
            }
        }
        for (i, n) in self.network_policies.iter().enumerate() {
            self.policies_by_ns
                .entry(n.metadata.namespace.clone())
                .or_default()
                .push(i);
        }
        for (i, s) in self.service_accounts.iter().enumerate() {
            self.sa_index
                .insert((s.metadata.namespace.clone(), s.metadata.name.clone()), i);
        }
        for (i, s) in self.secrets.iter().enumerate() {
            self.secret_index
                .insert((s.metadata.namespace.clone(), s.metadata.name.clone()), i);
        }
        for (i, n) in self.namespaces.iter().enumerate() {
            self.ns_index.insert(n.metadata.name.clone(), i);
        }
        for (i, n) in self.nodes.iter().enumerate() {
            self.node_index.insert(n.metadata.name.clone(), i);
        }
    }

    /// Indexes of the pods of a namespace.
    pub fn pods_in(&self, ns: &str) -> &[usize] {
        self.pods_by_ns.get(ns).map_or(&[], Vec::as_slice)
    }

    /// The NetworkPolicies of a namespace.
    pub fn policies_in<'a>(&'a self, ns: &str) -> impl Iterator<Item = &'a NetworkPolicy> + 'a {
        self.policies_by_ns
            .get(ns)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| &self.network_policies[i])
    }

    /// Indexes of the pods bound to a node.
    pub fn pods_on(&self, node: &str) -> &[usize] {
        self.pods_by_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// A service account by namespace and name.
    pub fn service_account(&self, ns: &str, name: &str) -> Option<&ServiceAccount> {
        self.sa_index
            .get(&(ns.to_string(), name.to_string()))
            .map(|i| &self.service_accounts[*i])
    }

    /// A Secret by namespace and name.
    pub fn secret(&self, ns: &str, name: &str) -> Option<&Secret> {
        self.secret_index
            .get(&(ns.to_string(), name.to_string()))
            .map(|i| &self.secrets[*i])
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.ns_index.get(name).map(|i| &self.namespaces[*i])
    }

    /// A Service by namespace and name (the first, as the list is sorted by both).
    pub fn service(&self, ns: &str, name: &str) -> Option<&Service> {
        fn key(s: &Service) -> (&str, &str) {
            (&s.metadata.namespace, &s.metadata.name)
        }
        let i = self.services.partition_point(|s| key(s) < (ns, name));
        self.services.get(i).filter(|s| key(s) == (ns, name))
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.node_index.get(name).map(|i| &self.nodes[*i])
    }

    /// Every namespace name that appears on any object, sorted (namespaces may be missing from an
    /// import).
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .namespaces
            .iter()
            .map(|n| n.metadata.name.clone())
            .chain(self.pods.iter().map(|p| p.metadata.namespace.clone()))
            .chain(
                self.service_accounts
                    .iter()
                    .map(|p| p.metadata.namespace.clone()),
            )
            .chain(self.secrets.iter().map(|p| p.metadata.namespace.clone()))
            .chain(self.roles.iter().map(|p| p.metadata.namespace.clone()))
            .chain(
                self.role_bindings
                    .iter()
                    .map(|p| p.metadata.namespace.clone()),
            )
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The ConfigMap `kube-system/aws-auth`'s mappings, if captured.
    pub fn aws_auth(&self) -> Option<&Value> {
        self.config_maps
            .iter()
            .find(|c| c.metadata.namespace == "kube-system" && c.metadata.name == "aws-auth")
            .map(|c| c.redacted.get("awsAuth").unwrap_or(&Value::Null))
    }
}

/// The object reference of a pod: `Pod/ns/name`, or the controller for a template pod.
pub fn pod_ref(p: &Pod) -> String {
    match &p.template_of {
        Some(t) => t.clone(),
        None => format!("Pod/{}/{}", p.metadata.namespace, p.metadata.name),
    }
}

#[cfg(test)]
mod tests {
    use super::load::parse_bytes;
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_shapes_are_counted_not_fatal() {
        let inv = Inventory::from_objects(vec![
            ("Pod".into(), json!({"metadata": {"name": 5}})),
            (
                "Pod".into(),
                json!({"metadata": {"name": "ok", "namespace": "a"}}),
            ),
        ]);
        assert_eq!(inv.pods.len(), 1);
        assert_eq!(inv.unparsed.get("Pod"), Some(&1));
    }

    #[test]
    fn owned_replica_sets_and_jobs_are_read_no_further_than_their_owners() {
        // As JSON lines (the load's path) and as values (other front ends) alike.
        let owned = br#"{"metadata": {"name": "rs", "namespace": "a", "ownerReferences": [{"kind": "Deployment", "name": "d"}]}, "spec": {"template": 5}}"#;
        let alone = br#"{"metadata": {"name": "rs2", "namespace": "a"}, "spec": {"template": 5}}"#;
        for (kind, bytes) in [("ReplicaSet", &owned[..]), ("Job", &owned[..])] {
            assert!(
                matches!(parse_bytes(kind, bytes), Parsed::Ignored),
                "{kind}"
            );
            let v: Value = serde_json::from_slice(bytes).unwrap();
            assert!(matches!(parse_one(kind, v), Parsed::Ignored), "{kind}");
        }
        // Not owned: read in full, and a bad shape is counted.
        assert!(matches!(
            parse_bytes("ReplicaSet", alone),
            Parsed::Failed(_)
        ));
        // A Deployment is never skipped on its owners.
        assert!(matches!(
            parse_bytes("Deployment", owned),
            Parsed::Failed(_)
        ));
    }

    #[test]
    fn controllers_without_pods_become_template_pods() {
        let dep = json!({"metadata": {"name": "coder", "namespace": "coder"},
            "spec": {"selector": {"matchLabels": {"app": "c"}},
                     "template": {"metadata": {"labels": {"app": "c"}},
                                  "spec": {"serviceAccountName": "coder", "containers": [{"name": "coder"}]}}}});
        let inv = Inventory::from_objects(vec![("Deployment".into(), dep.clone())]);
        assert_eq!(inv.pods.len(), 1);
        assert_eq!(pod_ref(&inv.pods[0]), "Deployment/coder/coder");
        let pod =
            json!({"metadata": {"name": "coder-1", "namespace": "coder", "labels": {"app": "c"}}});
        let inv = Inventory::from_objects(vec![("Deployment".into(), dep), ("Pod".into(), pod)]);
        assert_eq!(inv.pods.len(), 1);
    }
}
