//! The trust graph: vertices are principals and assets (object references as strings), edges are
//! techniques. A newtype over petgraph with private fields and a map from reference to index.
//!
//! Reference forms (documented in `docs/analysis.md`): `Kind/namespace/name` for namespaced objects,
//! `Kind/name` for cluster-scoped ones, `User/NAME`, `Group/NAME`, `ServiceAccount/ns/name`,
//! `CloudRole/ID`, `Registry/HOST`, `GitProvider/ID`, `OIDC/ISSUER`, `Exposure/Service/ns/name`,
//! `Exposure/Ingress/ns/name`, `Coder/any-user`, `Coder/template-author`, `Coder/owner`,
//! `Coder/database`, `Coder/new-workspace/NS`, `Coder/agent-tokens/NS`, `Virtual/cluster-admin`, `Virtual/any-node`,
//! `Virtual/namespace-admin/NS`, `Volume/NS/POD/VOLUME` (a pod's hostPath volume; `POD` is
//! `KIND:NAME` for a template pod); a workload with no captured pod is its controller
//! (`Deployment/ns/name`).

use std::collections::{HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use crate::catalog::Technique;

/// The reference of the crown jewel "cluster-admin equivalent".
pub const CLUSTER_ADMIN: &str = "Virtual/cluster-admin";
/// The reference of "any schedulable node" (unscheduled pods, pods an attacker creates).
pub const ANY_NODE: &str = "Virtual/any-node";

/// The names of Coder's principal and asset vertices.
pub mod coder_vertices {
    /// `Coder/any-user`.
    pub const ANY_USER: &str = "Coder/any-user";
    /// `Coder/template-author`.
    pub const TEMPLATE_AUTHOR: &str = "Coder/template-author";
    /// `Coder/owner`.
    pub const OWNER: &str = "Coder/owner";
    /// `Coder/database`.
    pub const DATABASE: &str = "Coder/database";
    /// The Git SSH key Coder generates per user.
    pub const GIT_SSH_KEY: &str = "GitProvider/git-ssh-key";
}

/// What a vertex stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VertexKind {
    /// A Kubernetes user.
    User,
    /// A Kubernetes group.
    Group,
    /// A service account.
    ServiceAccount,
    /// A pod (or a controller's template pod).
    Pod,
    /// A node.
    Node,
    /// A hostPath volume of one pod that an escape leaves from (`Volume/NS/POD/VOLUME`).
    Volume,
    /// A Secret.
    Secret,
    /// A cloud identity.
    CloudRole,
    /// A container registry.
    Registry,
    /// A Coder principal or the Coder database.
    Coder,
    /// A Git provider (external auth).
    GitProvider,
    /// An OIDC identity provider.
    Oidc,
    /// A network exposure.
    Exposure,
    /// A virtual vertex (cluster-admin, any node, namespace admin).
    Virtual,
}

/// A vertex.
#[derive(Debug, Clone)]
pub struct Vertex {
    /// Kind.
    pub kind: VertexKind,
    /// The object reference string.
    pub reference: String,
}

/// An edge: a technique, with an optional detail (container, volume, binding) that
/// [`TrustGraph::detail`] reads. Kept to eight bytes: a large cluster has millions of edges, and
/// few of them carry a detail.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    /// The technique.
    pub technique: Technique,
    /// The detail's place in the graph's detail list ([`NO_DETAIL`]: none).
    detail: u32,
}

/// [`Edge::detail`] of an edge without one.
const NO_DETAIL: u32 = u32::MAX;

/// A graph error.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// An edge names a vertex that does not exist.
    #[error("edge names unknown vertex `{reference}`")]
    Dangling {
        /// The reference.
        reference: String,
    },
}

/// The hasher of the analyzer's internal maps: rustc-hash's Fx (keys are references and index
/// triples, never attacker-chosen in a way that matters for an offline run; iteration order is never
/// used).
pub(crate) type Fx = rustc_hash::FxBuildHasher;

/// The trust graph.
#[derive(Debug, Default)]
pub struct TrustGraph {
    graph: DiGraph<Vertex, Edge>,
    index: HashMap<String, NodeIndex, Fx>,
    seen: HashSet<(NodeIndex, NodeIndex, Technique), Fx>,
    /// What made an edge, for the edges that say (`Edge::detail` indexes it).
    details: Vec<String>,
}

/// A vertex id (stable within one graph).
pub type VertexId = NodeIndex;

impl TrustGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// The vertex for `reference`, added if new.
    pub fn vertex(&mut self, kind: VertexKind, reference: impl Into<String>) -> VertexId {
        let reference = reference.into();
        if let Some(i) = self.index.get(&reference) {
            return *i;
        }
        let i = self.graph.add_node(Vertex {
            kind,
            reference: reference.clone(),
        });
        self.index.insert(reference, i);
        i
    }

    /// Adds an edge between two existing vertices (once per technique).
    pub fn edge(
        &mut self,
        from: VertexId,
        to: VertexId,
        technique: Technique,
        detail: Option<String>,
    ) {
        if from == to || !self.seen.insert((from, to, technique)) {
            return;
        }
        let detail = match detail {
            Some(text) => {
                self.details.push(text);
                self.details.len() as u32 - 1
            }
            None => NO_DETAIL,
        };
        self.graph.add_edge(from, to, Edge { technique, detail });
    }

    /// Adds an edge without checking whether it is already there: for the caller that knows it
    /// makes each such edge once and that nothing else makes edges with `technique` (a subject's
    /// grants on the pods of a namespace: millions of edges on a large cluster, each checked
    /// against every other for nothing). Carries no detail.
    pub(crate) fn edge_once(&mut self, from: VertexId, to: VertexId, technique: Technique) {
        if from != to {
            self.graph.add_edge(
                from,
                to,
                Edge {
                    technique,
                    detail: NO_DETAIL,
                },
            );
        }
    }

    /// What made an edge (`container dev: hostPath /`), for people, where it says.
    pub fn detail(&self, e: &Edge) -> Option<&str> {
        self.details.get(e.detail as usize).map(String::as_str)
    }

    /// Adds an edge by references; both vertices must exist.
    pub fn edge_by_ref(
        &mut self,
        from: &str,
        to: &str,
        technique: Technique,
        detail: Option<String>,
    ) -> Result<(), GraphError> {
        let f = self.get(from).ok_or_else(|| GraphError::Dangling {
            reference: from.to_string(),
        })?;
        let t = self.get(to).ok_or_else(|| GraphError::Dangling {
            reference: to.to_string(),
        })?;
        self.edge(f, t, technique, detail);
        Ok(())
    }

    /// The vertex id of a reference.
    pub fn get(&self, reference: &str) -> Option<VertexId> {
        self.index.get(reference).copied()
    }

    /// A vertex.
    pub fn vertex_at(&self, id: VertexId) -> &Vertex {
        &self.graph[id]
    }

    /// The reference of a vertex.
    pub fn reference(&self, id: VertexId) -> &str {
        &self.graph[id].reference
    }

    /// Number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Every vertex id.
    pub fn vertices(&self) -> impl Iterator<Item = VertexId> + '_ {
        self.graph.node_indices()
    }

    /// Outgoing edges of a vertex: (target, edge).
    pub fn out_edges(&self, id: VertexId) -> impl Iterator<Item = (VertexId, &Edge)> + '_ {
        self.graph.edges(id).map(|e| (e.target(), e.weight()))
    }

    /// Outgoing edges of a vertex with their edge index: (target, edge index, edge).
    pub fn out_edges_indexed(
        &self,
        id: VertexId,
    ) -> impl Iterator<Item = (VertexId, usize, &Edge)> + '_ {
        self.graph
            .edges(id)
            .map(|e| (e.target(), e.id().index(), e.weight()))
    }

    /// Every edge in edge-index order: (source, target, edge, detail).
    pub fn edge_list(
        &self,
    ) -> impl Iterator<Item = (VertexId, VertexId, &Edge, Option<&str>)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (e.source(), e.target(), e.weight(), self.detail(e.weight())))
    }

    /// One edge by index: (source, target, edge, detail).
    pub fn edge_at(&self, i: usize) -> Option<(VertexId, VertexId, &Edge, Option<&str>)> {
        let e = petgraph::graph::EdgeIndex::new(i);
        let (f, t) = self.graph.edge_endpoints(e)?;
        let w = self.graph.edge_weight(e)?;
        Some((f, t, w, self.detail(w)))
    }

    /// Whether a vertex has outgoing edges.
    pub fn has_out_edges(&self, id: VertexId) -> bool {
        self.graph.edges(id).next().is_some()
    }

    /// Outgoing edges of a reference as sorted `(target reference, technique code)` pairs (tests,
    /// explanations).
    pub fn edges_from(&self, reference: &str) -> Vec<(String, &'static str)> {
        let Some(id) = self.get(reference) else {
            return Vec::new();
        };
        let mut v: Vec<(String, &'static str)> = self
            .out_edges(id)
            .map(|(t, e)| (self.reference(t).to_string(), e.technique.code()))
            .collect();
        v.sort();
        v
    }

    /// Every edge as `(from, to, technique)` references, sorted.
    pub fn all_edges(&self) -> Vec<(String, String, &'static str)> {
        let mut v: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.reference(e.source()).to_string(),
                    self.reference(e.target()).to_string(),
                    e.weight().technique.code(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertices_are_unique_and_edges_deduplicated() {
        let mut g = TrustGraph::new();
        let a = g.vertex(VertexKind::Pod, "Pod/a/b");
        let a2 = g.vertex(VertexKind::Pod, "Pod/a/b");
        assert_eq!(a, a2);
        let n = g.vertex(VertexKind::Node, "Node/n");
        g.edge(a, n, Technique::EscapePrivileged, None);
        g.edge(a, n, Technique::EscapePrivileged, None);
        assert_eq!(g.edge_count(), 1);
        assert!(
            g.edge_by_ref("Pod/a/b", "Node/x", Technique::EscapePrivileged, None)
                .is_err()
        );
    }
}
