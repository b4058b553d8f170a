//! Path queries (`coder-sec paths`): the cheapest path from each source to each target within the
//! hop limit, minimal or not (through other entry points and jewels too), cheapest first. Only the
//! sources are searched (forward), or, when the targets are fewer, only the targets (backward over
//! reversed edges): a query does not run the report's search from every entry point.

use rayon::prelude::*;

use super::engine::*;
use super::*;

/// One path a query found: edges as graph edge indices, from the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPath {
    /// The source.
    pub entry: VertexId,
    /// The target.
    pub target: VertexId,
    /// Sum of the technique costs.
    pub cost: u32,
    /// The edges, as graph edge indices, from `entry` to `target`.
    pub edges: Vec<usize>,
}

/// The cheapest path (cost, then hops) within `max_hops` from every source to every target it
/// reaches, sorted by (cost, hops, entry reference, target reference); at most `max`.
pub fn query(
    g: &TrustGraph,
    sources: &[VertexId],
    targets: &[VertexId],
    max_hops: usize,
    max: usize,
) -> Vec<QueryPath> {
    let backward = targets.len() < sources.len();
    let csr = if backward {
        Csr::build(g).reversed()
    } else {
        Csr::build(g)
    };
    let n = g.vertex_count();
    let (from_set, to_set) = if backward {
        (targets, sources)
    } else {
        (sources, targets)
    };
    let mut tier = vec![0u8; n];
    for v in to_set {
        tier[v.index()] = Tier::High as u8;
    }
    let terminal: Vec<bool> = (0..n)
        .map(|i| g.reference(VertexId::new(i)) == crate::graph::CLUSTER_ADMIN)
        .collect();
    let useful = leads_to_jewels(&csr, &tier);
    let m = Marks {
        block: vec![0; n],
        tenant: vec![false; n],
        node_like: vec![false; n],
        ns: vec![NONE; n],
        tier,
        breadth: vec![0; n],
        terminal,
        prune: false,
        portal: None,
        useful,
        useful_base: Vec::new(),
        coder_side: Vec::new(),
    };
    let hops = hop_limit(max_hops);
    let mut found: Vec<(u32, u16, QueryPath)> = from_set
        .par_iter()
        .map_init(
            || Scratch::new(n),
            |s, &src| {
                let si = src.index() as u32;
                search(&csr, si, 0, false, false, hops, &m, s);
                let mut out = Vec::new();
                for &t in &s.reached {
                    let slot = &s.slot[t as usize];
                    let mut edges = Vec::new();
                    s.path_to_label(slot.label, &mut edges);
                    let (entry, target, mut ids): (VertexId, VertexId, Vec<usize>) = (
                        src,
                        VertexId::new(t as usize),
                        edges.iter().map(|&x| csr.id[x as usize] as usize).collect(),
                    );
                    let (entry, target) = if backward {
                        ids.reverse();
                        (target, entry)
                    } else {
                        (entry, target)
                    };
                    // A backward search does not expand cluster-admin; a path may still start
                    // there (it is the source), which the forward search allows as well.
                    out.push((
                        slot.dist,
                        slot.hops,
                        QueryPath {
                            entry,
                            target,
                            cost: slot.dist,
                            edges: ids,
                        },
                    ));
                }
                out
            },
        )
        .flatten()
        .collect();
    found.sort_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| g.reference(a.2.entry).cmp(g.reference(b.2.entry)))
            .then_with(|| g.reference(a.2.target).cmp(g.reference(b.2.target)))
    });
    found.dedup_by(|a, b| a.2.entry == b.2.entry && a.2.target == b.2.target);
    found.truncate(max);
    found.into_iter().map(|(_, _, p)| p).collect()
}

impl Csr {
    /// The same edges, reversed (for searches from the targets back).
    pub(super) fn reversed(self) -> Csr {
        let n = self.offsets.len() - 1;
        let mut order: Vec<usize> = (0..self.to.len()).collect();
        order.sort_by_key(|&e| (self.to[e], self.from[e], self.tech[e]));
        let mut offsets = vec![0u32; n + 1];
        for &t in &self.to {
            offsets[t as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Csr {
            max_cost: self.max_cost,
            offsets,
            from: order.iter().map(|&e| self.to[e]).collect(),
            to: order.iter().map(|&e| self.from[e]).collect(),
            cost: order.iter().map(|&e| self.cost[e]).collect(),
            tech: order.iter().map(|&e| self.tech[e]).collect(),
            id: order.iter().map(|&e| self.id[e]).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::VertexKind;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Forward and backward queries agree, and both agree with `cheapest_costs` (the report
        /// engine without pruning) at every hop limit.
        #[test]
        fn forward_and_backward_queries_agree(
            n in 3usize..20,
            raw_edges in proptest::collection::vec((0usize..20, 0usize..20, 0usize..64), 0..60),
            src_mask in proptest::collection::vec(any::<bool>(), 20),
            dst_mask in proptest::collection::vec(any::<bool>(), 20),
            max_hops in 1usize..8,
        ) {
            let mut g = TrustGraph::new();
            let ids: Vec<VertexId> = (0..n).map(|i| g.vertex(VertexKind::Pod, format!("Pod/x/{i:02}"))).collect();
            for (a, b, t) in raw_edges {
                if a < n && b < n {
                    g.edge(ids[a], ids[b], Technique::ALL[t % Technique::ALL.len()], None);
                }
            }
            let src: Vec<VertexId> = (0..n).filter(|i| src_mask[*i]).map(|i| ids[i]).collect();
            let dst: Vec<VertexId> = (0..n).filter(|i| dst_mask[*i]).map(|i| ids[i]).collect();
            let costs = |v: Vec<QueryPath>| -> BTreeMap<(String, String), u32> {
                v.into_iter()
                    .map(|p| ((g.reference(p.entry).to_string(), g.reference(p.target).to_string()), p.cost))
                    .collect()
            };
            // One source against many targets searches forward; many against one, backward.
            let mut want = cheapest_costs(&g, &src, &dst, max_hops);
            // Queries also report a source that is itself a target? No: a path has a step.
            want.retain(|(e, t), _| e != t);
            let mut fwd = BTreeMap::new();
            for &s in &src {
                fwd.extend(costs(query(&g, &[s], &dst, max_hops, usize::MAX)));
            }
            let mut bwd = BTreeMap::new();
            for &d in &dst {
                bwd.extend(costs(query(&g, &src, &[d], max_hops, usize::MAX)));
            }
            // cheapest_costs leaves out a group member's paths through itself; queries search
            // each source alone, so compare on what cheapest_costs reports.
            for (k, c) in &want {
                prop_assert_eq!(fwd.get(k), Some(c));
                prop_assert_eq!(bwd.get(k), Some(c));
            }
            prop_assert_eq!(fwd, bwd);
        }
    }
}
