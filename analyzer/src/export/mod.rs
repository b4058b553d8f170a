//! Graph export: the trust graph, or the part of it between two vertices, or one attack path, for
//! tools people already run: BloodHound OpenGraph JSON ([`opengraph`]) for a graph engine, and
//! Graphviz DOT ([`dot`]) for a picture.

pub mod dot;
pub mod opengraph;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::graph::{TrustGraph, VertexId, VertexKind};
use crate::paths::AttackPath;

/// A selection that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// `--from` or `--to` names no vertex of the graph.
    #[error("`{reference}` is not a vertex of the trust graph")]
    UnknownVertex {
        /// The reference given.
        reference: String,
    },
    /// `--path` names no attack path of the report.
    #[error("the report has no attack path `{id}`")]
    UnknownPath {
        /// The id given.
        id: String,
    },
}

/// A vertex of an exported graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node {
    /// The object reference (`Pod/ns/name`).
    pub reference: String,
    /// What it stands for.
    pub kind: VertexKind,
}

/// An edge of an exported graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link {
    /// From (a reference).
    pub from: String,
    /// To (a reference).
    pub to: String,
    /// The technique code.
    pub technique: crate::catalog::Technique,
    /// What made the edge, where the graph says.
    pub detail: Option<String>,
}

/// A graph to export: vertices and edges sorted by reference, every edge between listed vertices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subgraph {
    /// The vertices.
    pub nodes: Vec<Node>,
    /// The edges.
    pub links: Vec<Link>,
}

fn reach(g: &TrustGraph, start: VertexId, forward: bool) -> BTreeSet<VertexId> {
    // Incoming edges by target, built once for a backward walk.
    let mut incoming: BTreeMap<VertexId, Vec<VertexId>> = BTreeMap::new();
    if !forward {
        for v in g.vertices() {
            for (t, _) in g.out_edges(v) {
                incoming.entry(t).or_default().push(v);
            }
        }
    }
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        let next: Vec<VertexId> = if forward {
            g.out_edges(v).map(|(t, _)| t).collect()
        } else {
            incoming.get(&v).cloned().unwrap_or_default()
        };
        for n in next {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    seen
}

fn lookup(g: &TrustGraph, reference: &str) -> Result<VertexId, ExportError> {
    g.get(reference).ok_or_else(|| ExportError::UnknownVertex {
        reference: reference.to_string(),
    })
}

/// The vertices reachable from `from` (when given) that reach `to` (when given), and the edges
/// among them; the whole graph when neither is given.
pub fn select(
    g: &TrustGraph,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Subgraph, ExportError> {
    let forward = from
        .map(|r| lookup(g, r).map(|v| reach(g, v, true)))
        .transpose()?;
    let backward = to
        .map(|r| lookup(g, r).map(|v| reach(g, v, false)))
        .transpose()?;
    let keep = |v: &VertexId| {
        forward.as_ref().is_none_or(|f| f.contains(v))
            && backward.as_ref().is_none_or(|b| b.contains(v))
    };
    let chosen: BTreeSet<VertexId> = g.vertices().filter(keep).collect();
    let mut sub = Subgraph::default();
    for &v in &chosen {
        let vx = g.vertex_at(v);
        sub.nodes.push(Node {
            reference: vx.reference.clone(),
            kind: vx.kind,
        });
        for (t, e) in g.out_edges(v) {
            if chosen.contains(&t) {
                sub.links.push(Link {
                    from: vx.reference.clone(),
                    to: g.reference(t).to_string(),
                    technique: e.technique,
                    detail: g.detail(e).map(str::to_string),
                });
            }
        }
    }
    sub.nodes.sort();
    sub.links.sort();
    sub.links.dedup();
    Ok(sub)
}

/// The steps of one attack path as a graph (vertex kinds and edge details from `g`).
pub fn path(g: &TrustGraph, p: &AttackPath) -> Subgraph {
    let mut sub = Subgraph::default();
    let mut seen = BTreeSet::new();
    let kind_of = |r: &str| g.get(r).map(|v| g.vertex_at(v).kind);
    for s in &p.steps {
        for r in [&s.from, &s.to] {
            if seen.insert(r.clone()) {
                sub.nodes.push(Node {
                    reference: r.clone(),
                    kind: kind_of(r).unwrap_or(VertexKind::Virtual),
                });
            }
        }
        let detail = g.get(&s.from).and_then(|f| {
            g.out_edges(f)
                .find(|(t, e)| g.reference(*t) == s.to && e.technique == s.technique)
                .and_then(|(_, e)| g.detail(e).map(str::to_string))
        });
        sub.links.push(Link {
            from: s.from.clone(),
            to: s.to.clone(),
            technique: s.technique,
            detail,
        });
    }
    sub.nodes.sort();
    sub
}

/// A vertex kind's name in CamelCase (`ServiceAccount`).
pub fn kind_name(k: VertexKind) -> &'static str {
    match k {
        VertexKind::User => "User",
        VertexKind::Group => "Group",
        VertexKind::ServiceAccount => "ServiceAccount",
        VertexKind::Pod => "Pod",
        VertexKind::Node => "Node",
        VertexKind::Volume => "Volume",
        VertexKind::Secret => "Secret",
        VertexKind::CloudRole => "CloudRole",
        VertexKind::Registry => "Registry",
        VertexKind::Coder => "Coder",
        VertexKind::GitProvider => "GitProvider",
        VertexKind::Oidc => "Oidc",
        VertexKind::Exposure => "Exposure",
        VertexKind::Virtual => "Virtual",
    }
}

/// The namespace of a `Kind/namespace/name` reference of a namespaced kind, if it is one.
pub fn namespace_of(reference: &str, kind: VertexKind) -> Option<&str> {
    let namespaced = matches!(
        kind,
        VertexKind::ServiceAccount | VertexKind::Pod | VertexKind::Secret | VertexKind::Volume
    );
    let mut parts = reference.split('/');
    let (_, ns, _) = (parts.next()?, parts.next()?, parts.next()?);
    namespaced.then_some(ns)
}
