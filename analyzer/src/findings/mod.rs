//! Findings: the checks that are not paths, one module per seed area. A finding is data (a code, a
//! severity, the objects), never an error.

pub mod external;
pub mod networking;
pub mod nodes;
pub mod roles;
pub mod shared;
pub mod snapshot;
pub mod storage;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::catalog::{Area, FindingCode};
use crate::coder::CoderFacts;
use crate::graph::TrustGraph;
use crate::inventory::Inventory;
use crate::rbac::Rbac;
use crate::seed::SeedBullet;
use crate::severity::Severity;

/// One finding.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable code.
    pub code: FindingCode,
    /// Severity.
    pub severity: Severity,
    /// One line for people.
    pub title: String,
    /// The seed bullet.
    pub seed_bullet: SeedBullet,
    /// Seed area.
    pub area: Area,
    /// Object references concerned, sorted; every one of them (no placeholder).
    pub objects: Vec<String>,
    /// The same objects, each with its part: the `source` of what the finding describes (the pod
    /// that connects, the object that is misconfigured) or its `destination` (the pod connected
    /// to).
    pub object_roles: Vec<FindingObject>,
    /// When the check tested a sample rather than every object: exactly the objects it tested
    /// (absent when it tested every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sampled: Vec<String>,
    /// What to change.
    pub remediation: &'static str,
}

/// One object of a finding and its part in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct FindingObject {
    /// The object reference.
    pub object: String,
    /// Its part.
    pub role: ObjectRole,
}

/// An object's part in a finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectRole {
    /// Where what the finding describes starts, or what is misconfigured.
    Source,
    /// What is reached.
    Destination,
}

impl Finding {
    /// A finding with the catalog's remediation and seed bullet.
    pub fn new(
        code: FindingCode,
        severity: Severity,
        title: impl Into<String>,
        objects: impl IntoIterator<Item = String>,
    ) -> Finding {
        let info = code.info();
        let mut objects: Vec<String> = objects.into_iter().collect();
        objects.sort();
        objects.dedup();
        let object_roles = objects
            .iter()
            .map(|o| FindingObject {
                object: o.clone(),
                role: ObjectRole::Source,
            })
            .collect();
        Finding {
            code,
            severity,
            title: title.into(),
            seed_bullet: info.seed,
            area: info.area,
            objects,
            object_roles,
            sampled: Vec::new(),
            remediation: info.remediation,
        }
    }

    /// Records that the check tested only these objects (see [`Finding::sampled`]).
    pub fn with_sample(mut self, tested: impl IntoIterator<Item = String>) -> Finding {
        self.sampled = complete(tested.into_iter().collect());
        self
    }

    /// Marks these objects as destinations (added to the objects where missing).
    pub fn with_destinations(mut self, destinations: impl IntoIterator<Item = String>) -> Finding {
        for d in destinations {
            match self.objects.binary_search(&d) {
                Ok(i) => self.object_roles[i].role = ObjectRole::Destination,
                Err(i) => {
                    self.object_roles.insert(
                        i,
                        FindingObject {
                            object: d.clone(),
                            role: ObjectRole::Destination,
                        },
                    );
                    self.objects.insert(i, d);
                }
            }
        }
        self
    }
}

/// What the checks read.
pub struct Input<'a> {
    /// Inventory.
    pub inv: &'a Inventory,
    /// RBAC.
    pub rbac: &'a Rbac,
    /// Coder.
    pub coder: &'a CoderFacts,
    /// The trust graph, once built (the checks that read it are [`graph_checks`]).
    pub graph: Option<&'a TrustGraph>,
    /// "Now" for certificate and end-of-life checks: the snapshot's capture time (Unix seconds).
    pub now: Option<i64>,
    /// Cache of [`Input::workspace_namespaces`].
    pub workspace_ns: std::sync::OnceLock<BTreeSet<String>>,
}

impl Input<'_> {
    /// Namespaces holding workspaces: where workspace pods run, and where coderd creates pods.
    pub fn workspace_namespaces(&self) -> &BTreeSet<String> {
        self.workspace_ns
            .get_or_init(|| self.compute_workspace_namespaces())
    }

    fn compute_workspace_namespaces(&self) -> BTreeSet<String> {
        let mut set = self.coder.workspace_namespaces.clone();
        for sa in &self.coder.coderd_service_accounts {
            let p = self.rbac.effective(sa);
            let reach = p.reach(&["create"], &[""], &["pods"]);
            let all = self.inv.namespace_names();
            for ns in reach.namespaces_in(&all) {
                if reach.cluster.is_none() {
                    set.insert(ns.to_string());
                }
            }
        }
        set
    }
}

/// Runs every check; findings sorted by severity (worst first), area, code, title.
pub fn run(input: &Input<'_>) -> Vec<Finding> {
    let mut out = checks(input);
    out.extend(graph_checks(input));
    sorted(out)
}

/// Runs the checks that do not read the trust graph, in parallel (they can run while it is
/// built), in check order.
pub fn checks(input: &Input<'_>) -> Vec<Finding> {
    use rayon::prelude::*;
    type Check = fn(&Input<'_>, &mut Vec<Finding>);
    const CHECKS: [Check; 7] = [
        storage::check,
        networking::check,
        roles::check,
        nodes::check,
        shared::check,
        external::check,
        snapshot::check,
    ];
    CHECKS
        .par_iter()
        .map(|check| {
            let mut found = Vec::new();
            check(input, &mut found);
            found
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// Runs the checks that read the trust graph (none without one).
pub fn graph_checks(input: &Input<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    networking::check_graph(input, &mut out);
    roles::check_graph(input, &mut out);
    out
}

/// Sorts findings by severity (worst first), area, code, title.
pub fn sorted(mut out: Vec<Finding>) -> Vec<Finding> {
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.area.cmp(&b.area))
            .then(a.code.cmp(&b.code))
            .then(a.title.cmp(&b.title))
    });
    out
}

/// `Kind/ns/name`.
pub fn nref(kind: &str, ns: &str, name: &str) -> String {
    format!("{kind}/{ns}/{name}")
}

/// A finding's object list, complete: sorted and deduplicated (presenters cap what they show; the
/// JSON report holds every object).
pub fn complete(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}
