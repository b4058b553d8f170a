//! Attack paths: from every entry point, in parallel, the cheapest path (Dijkstra over technique
//! costs, pruned at a hop limit) to every reachable crown jewel; then minimal paths only, grouped.
//!
//! Built for scale: the graph is flattened once into compressed adjacency arrays; entry points with
//! identical outgoing edges are searched once; each rayon worker reuses one scratch buffer (stamped,
//! so nothing is cleared between searches); `Virtual/cluster-admin` is never expanded (everything
//! past it merely extends the path to it).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::Technique;
use crate::cause::{Cause, EdgeCauses};
use crate::graph::{Fx, TrustGraph, VertexId};
use crate::severity::{Breadth, Severity, Tier, path_severity_with_steps};

mod engine;
mod grouping;
pub mod query;
pub mod select;

use engine::*;
pub use grouping::target_class;
use grouping::*;

/// An entry point.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The vertex.
    pub vertex: VertexId,
    /// Its breadth.
    pub breadth: Breadth,
    /// The label entries are grouped under (`Pod/ns/*` for pods, the reference otherwise).
    pub class: String,
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct Step {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Technique code.
    pub technique: Technique,
    /// What to change to remove this step (the example's edge), when causes were derived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

/// What a search takes besides the graph, entries and jewels.
#[derive(Default, Clone, Copy)]
pub struct SearchOptions<'a> {
    /// Jewels that make no other path non-minimal (those only the extra crown jewels make, see
    /// [`select::extra_only_jewels`]).
    pub transparent: Option<&'a BTreeSet<VertexId>>,
    /// Edges left out, by graph edge index (`--assume-fixed`).
    pub removed: Option<&'a [bool]>,
    /// The causes of the edges, to name on each step.
    pub causes: Option<&'a EdgeCauses>,
    /// Other tenants' jewels (see [`select::tenant_jewels`]): never targets of their own
    /// namespace, and reached past the nodes they share.
    pub tenants: Option<&'a BTreeSet<VertexId>>,
    /// Per vertex, whether it is on Coder's side (see [`select::coder_side`]): only paths from
    /// there reach tenants' jewels. `None`: every source is.
    pub coder_side: Option<&'a [bool]>,
    /// With `causes`: weigh each cause by the critical and high paths it lies on ([`find_scored`]).
    pub score: bool,
    /// Count the paths by severity without building them ([`find_scored`] returns no paths).
    pub count_only: bool,
}

/// How much of the critical and high paths a cause lies on: report paths (groups) whose example
/// runs through one of its edges, critical then high, and entry–target pairs of critical and of
/// high paths through one of its edges (`[groups critical, groups high, pairs critical, pairs
/// high]`); and the technique of its edges that sorts first.
pub type CauseWeights = HashMap<crate::cause::CauseId, ([u64; 4], Technique), Fx>;

/// A group of minimal paths with the same steps.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AttackPath {
    /// `AP-001`, in report order.
    pub id: String,
    /// Severity.
    pub severity: Severity,
    /// The entry (a pattern such as `Pod/ns/*` when several entries share the steps).
    pub entry: String,
    /// The crown jewel.
    pub target: String,
    /// Tier of the target.
    pub tier: Tier,
    /// Breadth of the entry.
    pub breadth: Breadth,
    /// Sum of technique costs.
    pub cost: u32,
    /// Number of entry points sharing these steps (the length of `entries`).
    pub count: usize,
    /// Up to five of them.
    pub examples: Vec<String>,
    /// Every one of them, in reference order.
    pub entries: Vec<String>,
    /// Number of crown jewels reached by these steps (several pods of one namespace: `Pod/ns/*`;
    /// the length of `targets`).
    pub target_count: usize,
    /// Up to five of them.
    pub target_examples: Vec<String>,
    /// Every one of them, in reference order.
    pub targets: Vec<String>,
    /// The steps (the first `from` is the entry).
    pub steps: Vec<Step>,
}

/// The cheapest cost from each entry to each reachable jewel, with no minimal-path pruning (for
/// tests: the parallel engine against a plain search).
pub fn cheapest_costs(
    g: &TrustGraph,
    entries: &[VertexId],
    jewels: &[VertexId],
    max_hops: usize,
) -> BTreeMap<(String, String), u32> {
    let csr = Csr::build(g);
    let entries: Vec<Entry> = entries
        .iter()
        .map(|&v| Entry {
            vertex: v,
            breadth: Breadth::Named,
            class: g.reference(v).to_string(),
        })
        .collect();
    let jewels: BTreeMap<VertexId, Tier> = jewels.iter().map(|j| (*j, Tier::High)).collect();
    let m = marks(
        g,
        &csr,
        &entries,
        &jewels,
        &BTreeSet::new(),
        &BTreeSet::new(),
        None,
        false,
    );
    let parts = run_groups(
        &csr,
        &entries,
        &m,
        max_hops,
        &Vec::new(),
        BTreeMap::new,
        |out: &mut BTreeMap<(String, String), u32>, h: &Hit| {
            for &k in h.group {
                let e = entries[k].vertex.index() as u32;
                if h.target == e || h.edges.iter().skip(1).any(|&x| csr.from[x as usize] == e) {
                    continue;
                }
                out.insert(
                    (
                        g.reference(entries[k].vertex).to_string(),
                        g.reference(VertexId::new(h.target as usize)).to_string(),
                    ),
                    h.cost,
                );
            }
        },
    );
    // An entry is searched in one group, and a search reaches a target once: keys never collide.
    parts.into_iter().flatten().collect()
}

/// Finds, filters and groups attack paths.
pub fn find(
    g: &TrustGraph,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    max_hops: usize,
) -> Vec<AttackPath> {
    find_with(g, entries, jewels, max_hops, SearchOptions::default())
}

/// [`find`] with options: transparent jewels, removed edges, causes on the steps.
pub fn find_with(
    g: &TrustGraph,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    max_hops: usize,
    options: SearchOptions<'_>,
) -> Vec<AttackPath> {
    find_scored(g, entries, jewels, max_hops, options).0
}

/// Paths by severity: critical, high, medium, low.
pub type SeverityCounts = [usize; 4];

/// [`find_with`], and, when `options.score` and `options.causes` are set, the weight of each cause
/// (every entry–target pair of a critical or high path, before grouping, counts on each cause of
/// its edges).
pub fn find_scored(
    g: &TrustGraph,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    max_hops: usize,
    options: SearchOptions<'_>,
) -> (Vec<AttackPath>, CauseWeights, SeverityCounts) {
    let scoring = options.causes.filter(|_| options.score);
    let csr = Csr::build_without(g, options.removed);
    let none = BTreeSet::new();
    let transparent = options.transparent.unwrap_or(&none);
    let tenants = options.tenants.unwrap_or(&none);
    let mut m = marks(
        g,
        &csr,
        entries,
        jewels,
        transparent,
        tenants,
        options.coder_side,
        true,
    );
    // `Virtual/any-node` leads to every node and pod: search past it once, keep only critical
    // jewels (a path through it to anything less is not minimal), and let entry searches stop there.
    let portal: PortalPaths = match g.get(crate::graph::ANY_NODE) {
        Some(v) => {
            let p = v.index() as u32;
            let mut s = Scratch::new(g.vertex_count());
            let hops = hop_limit(max_hops);
            search(&csr, p, 0, true, false, hops, &m, &mut s);
            m.portal = Some(p);
            // Every settled label of each critical jewel (its Pareto front, cheapest first), the
            // jewels in the order they were reached.
            let mut fronts: HashMap<u32, Vec<u32>, Fx> = HashMap::default();
            for &l in &s.settled {
                let t = s.labels[l as usize].v;
                if t != p && m.tier[t as usize] >= Tier::Critical as u8 {
                    fronts.entry(t).or_default().push(l);
                }
            }
            let mut out: PortalPaths = Vec::new();
            for &t in &s.reached {
                for &l in fronts.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
                    let mut edges = Vec::new();
                    s.path_to_label(l, &mut edges);
                    let x = &s.labels[l as usize];
                    out.push((t, x.dist, x.hops, edges));
                }
            }
            out
        }
        None => Vec::new(),
    };

    // (techniques, target class, tier, entry class) → entries and targets; the steps shown are the
    // cheapest example's (then the first target by reference). Classes by number, computed before
    // the searches: every target is a jewel.
    let mut class_ids: HashMap<&str, u32> = HashMap::new();
    let mut class_names: Vec<&str> = Vec::new();
    let entry_class: Vec<u32> = entries
        .iter()
        .map(|e| {
            *class_ids.entry(e.class.as_str()).or_insert_with(|| {
                class_names.push(e.class.as_str());
                class_names.len() as u32 - 1
            })
        })
        .collect();
    let mut target_class_of: Vec<u32> = vec![NONE; g.vertex_count()];
    let mut target_class_ids: HashMap<String, u32, Fx> = HashMap::default();
    let mut target_class_names: Vec<String> = Vec::new();
    for (v, class) in target_class_of.iter_mut().enumerate() {
        if m.tier[v] == 0 {
            continue;
        }
        let name = target_class(g.reference(VertexId::new(v)));
        let next = target_class_names.len() as u32;
        *class = *target_class_ids.entry(name.clone()).or_insert(next);
        if *class == next {
            target_class_names.push(name);
        }
    }
    // Each vertex's position in reference order (references are unique): examples compare by it,
    // members and targets sort by it.
    let mut by_ref: Vec<u32> = (0..g.vertex_count() as u32).collect();
    by_ref.par_sort_unstable_by(|a, b| {
        g.reference(VertexId::new(*a as usize))
            .cmp(g.reference(VertexId::new(*b as usize)))
    });
    let mut rank = vec![0u32; by_ref.len()];
    for (i, v) in by_ref.into_iter().enumerate() {
        rank[v as usize] = i as u32;
    }
    let n = g.vertex_count();
    let visit = |w: &mut Grouping, h: &Hit| {
        let t = h.target;
        let t_tier = match m.tier[t as usize] {
            3 => Tier::Critical,
            2 => Tier::High,
            _ => Tier::Medium,
        };
        let Some((&last, prefix)) = h.edges.split_last() else {
            return;
        };
        if !h.same_prefix {
            w.state = PrefixState::of(prefix, entries[h.group[0]].breadth, &csr, &m);
        }
        if prefix.is_empty() && csr.tech[last as usize].is_own_asset() {
            return;
        }
        // Minimal: no intermediate jewel at least as valuable, no intermediate entry at least as
        // broad reached before any jewel (its own path is reported), no cycle through the entry.
        // Members of a group share their breadth, so only the cycle check is per member.
        let tenant = m.tenant[t as usize];
        let passed = if tenant {
            w.state.max_tier_t
        } else {
            w.state.max_tier
        };
        if passed >= t_tier as u8 || w.state.blocked {
            return;
        }
        let shape = match (&w.state.shape, h.edges.len() < 16) {
            (Shape::Packed(k), true) => {
                Shape::Packed((k << 8) | (csr.tech[last as usize] as u8 as u128 + 1))
            }
            _ => Shape::of(h.edges, &csr),
        };
        let class = target_class_of[t as usize];
        let mut counted = 0u64;
        for (i, &k) in h.group.iter().enumerate() {
            let entry = &entries[k];
            let e = entry.vertex.index() as u32;
            // The searched entry (the first) is never on its own paths.
            if i > 0 && (t == e || prefix.iter().any(|&x| csr.to[x as usize] == e)) {
                continue;
            }
            // A tenant's jewels are no target for its own pods and accounts.
            if tenant && m.ns[t as usize] != NONE && m.ns[t as usize] == m.ns[e as usize] {
                continue;
            }
            let key = (shape.clone(), class, t_tier, entry_class[k]);
            let at = match &w.last {
                Some((k, at)) if *k == key => *at,
                _ => {
                    let next = w.groups.len() as u32;
                    let at = *w.index.entry(key.clone()).or_insert(next);
                    if at == next {
                        w.groups.push((
                            key.clone(),
                            Acc {
                                cost: h.cost,
                                tier: t_tier,
                                breadth: entry.breadth,
                                members: IdSet::new(),
                                targets: IdSet::new(),
                                example: (t, h.order, h.steps(&csr)),
                            },
                        ));
                    }
                    w.last = Some((key, at));
                    at
                }
            };
            let slot = &mut w.groups[at as usize].1;
            if slot.beaten_by(h.cost, t, h.order, &rank) {
                slot.cost = h.cost;
                slot.example = (t, h.order, h.steps(&csr));
            }
            slot.breadth = slot.breadth.max(entry.breadth);
            slot.members.insert(e, n);
            slot.targets.insert(t, n);
            counted += 1;
        }
        // Weigh the edges of this path by the pairs it stands for (critical and high only).
        if scoring.is_some() {
            let exploit = h
                .edges
                .iter()
                .any(|&x| csr.tech[x as usize].needs_exploit());
            let mut sev =
                crate::severity::path_severity(t_tier, entries[h.group[0]].breadth, h.cost);
            if exploit {
                sev = sev.min(Severity::High);
            }
            let slot = match sev {
                Severity::Critical => 0,
                Severity::High => 1,
                _ => 2,
            };
            if slot < 2 && counted > 0 {
                if w.edge_weights.is_empty() {
                    w.edge_weights = vec![[0, 0]; csr.to.len()];
                }
                let add = counted.min(u32::MAX as u64) as u32;
                for &x in h.edges {
                    let e = &mut w.edge_weights[x as usize][slot];
                    *e = e.saturating_add(add);
                }
            }
        }
    };
    let parts = run_groups(
        &csr,
        entries,
        &m,
        max_hops,
        &portal,
        Grouping::default,
        visit,
    );
    let mut acc: HashMap<GroupKey, Acc, Fx> = HashMap::default();
    let mut weights: CauseWeights = HashMap::default();
    let mut edge_weights: Vec<[u64; 2]> = Vec::new();
    for part in &parts {
        if part.edge_weights.is_empty() {
            continue;
        }
        if edge_weights.is_empty() {
            edge_weights = vec![[0, 0]; part.edge_weights.len()];
        }
        for (sum, w) in edge_weights.iter_mut().zip(&part.edge_weights) {
            sum[0] += w[0] as u64;
            sum[1] += w[1] as u64;
        }
    }
    if let Some(causes) = scoring {
        for (x, w) in edge_weights.iter().enumerate() {
            if w[0] + w[1] == 0 {
                continue;
            }
            let c = causes.of_edge(csr.id[x] as usize);
            let e = weights.entry(c).or_insert(([0; 4], csr.tech[x]));
            e.0[2] += w[0];
            e.0[3] += w[1];
            e.1 = e.1.min(csr.tech[x]);
        }
    }
    for part in parts {
        for (key, a) in part.groups {
            match acc.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut slot) => {
                    slot.get_mut().merge(a, &rank, n)
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(a);
                }
            }
        }
    }
    if let Some(causes) = scoring {
        // What the plan counts are report paths: each critical or high group weighs on the causes
        // of its example's edges (each cause once per group).
        for a in acc.values() {
            let techniques: Vec<Technique> = a.example.2.iter().map(|s| s.1).collect();
            let slot = match path_severity_with_steps(a.tier, a.breadth, a.cost, &techniques) {
                Severity::Critical => 0,
                Severity::High => 1,
                _ => continue,
            };
            let mut seen: Vec<crate::cause::CauseId> = Vec::new();
            for &(_, t, edge) in &a.example.2 {
                let c = causes.of_edge(edge as usize);
                if seen.contains(&c) {
                    continue;
                }
                seen.push(c);
                let e = weights.entry(c).or_insert(([0; 4], t));
                e.0[slot] += 1;
                e.1 = e.1.min(t);
            }
        }
    }
    if options.count_only {
        // The report's severities, without building its paths (the fix plan's runs).
        let mut counts = [0usize; 4];
        for a in acc.values() {
            let techniques: Vec<Technique> = a.example.2.iter().map(|s| s.1).collect();
            let sev = path_severity_with_steps(a.tier, a.breadth, a.cost, &techniques);
            counts[3 - sev as usize] += 1;
        }
        return (Vec::new(), weights, counts);
    }
    let groups: Vec<(GroupKey, Acc)> = acc.into_iter().collect();
    let mut paths: Vec<AttackPath> = groups
        .into_par_iter()
        .map(|((_, target_class, _, c), a)| {
            let class = class_names[c as usize].to_string();
            let target_class = target_class_names[target_class as usize].clone();
            // Sorted by reference (through `rank`), deduplicated.
            let mut members = a.members.into_vec();
            members.sort_unstable_by_key(|&v| rank[v as usize]);
            let reference = |v: &u32| g.reference(VertexId::new(*v as usize)).to_string();
            let all_entries: Vec<String> = members.iter().map(reference).collect();
            let refs: Vec<String> = all_entries.iter().take(5).cloned().collect();
            let mut targets = a.targets.into_vec();
            targets.sort_unstable_by_key(|&t| rank[t as usize]);
            let count = members.len();
            let target_count = targets.len();
            let all_targets: Vec<String> = targets.iter().map(reference).collect();
            let targets: Vec<String> = all_targets.iter().take(5).cloned().collect();
            let entry = if count == 1 { refs[0].clone() } else { class };
            let target = if target_count == 1 {
                targets[0].to_string()
            } else {
                target_class
            };
            let techniques: Vec<Technique> = a.example.2.iter().map(|s| s.1).collect();
            let last = a.example.2.len().saturating_sub(1);
            let mut from = entry.clone();
            let steps: Vec<Step> = a
                .example
                .2
                .iter()
                .enumerate()
                .map(|(i, &(to, tech, edge))| {
                    let to = if i == last {
                        target.clone()
                    } else {
                        g.reference(VertexId::new(to as usize)).to_string()
                    };
                    Step {
                        from: std::mem::replace(&mut from, to.clone()),
                        to,
                        technique: tech,
                        cause: options
                            .causes
                            .map(|c| c.get(c.of_edge(edge as usize)).clone()),
                    }
                })
                .collect();
            AttackPath {
                id: String::new(),
                severity: path_severity_with_steps(a.tier, a.breadth, a.cost, &techniques),
                entry,
                target,
                tier: a.tier,
                breadth: a.breadth,
                cost: a.cost,
                count,
                examples: refs,
                entries: all_entries,
                target_count,
                target_examples: targets,
                targets: all_targets,
                steps,
            }
        })
        .collect();
    paths.par_sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.cost.cmp(&b.cost))
            .then(a.entry.cmp(&b.entry))
            .then(a.target.cmp(&b.target))
            .then(a.steps.cmp(&b.steps))
            // Groups that tie on all of the above still come out in one order.
            .then(a.tier.cmp(&b.tier))
            .then(a.breadth.cmp(&b.breadth))
            .then(a.count.cmp(&b.count))
            .then(a.target_count.cmp(&b.target_count))
            .then(a.examples.cmp(&b.examples))
            .then(a.target_examples.cmp(&b.target_examples))
    });
    for (i, p) in paths.iter_mut().enumerate() {
        p.id = format!("AP-{:03}", i + 1);
    }
    let mut counts = [0usize; 4];
    for p in &paths {
        counts[3 - p.severity as usize] += 1;
    }
    (paths, weights, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::VertexKind;
    use proptest::prelude::*;
    use std::cmp::Reverse;
    use std::collections::BTreeSet;
    use std::collections::BinaryHeap;

    /// A plain sequential Dijkstra over the edge list, one entry at a time.
    fn plain(g: &TrustGraph, entry: VertexId, jewels: &BTreeSet<String>) -> BTreeMap<String, u32> {
        let edges = g.all_edges();
        let mut dist: BTreeMap<String, u32> = BTreeMap::new();
        let mut heap = BinaryHeap::new();
        let start = g.reference(entry).to_string();
        dist.insert(start.clone(), 0);
        heap.push(Reverse((0u32, start.clone())));
        while let Some(Reverse((d, v))) = heap.pop() {
            if dist.get(&v).is_some_and(|&x| x < d) {
                continue;
            }
            for (f, t, code) in &edges {
                if *f != v {
                    continue;
                }
                let nd = d + Technique::from_code(code).unwrap().cost();
                if dist.get(t).is_none_or(|&x| nd < x) {
                    dist.insert(t.clone(), nd);
                    heap.push(Reverse((nd, t.clone())));
                }
            }
        }
        dist.into_iter()
            .filter(|(k, _)| jewels.contains(k) && *k != start)
            .collect()
    }

    /// A graph of `n` pod vertices with the generated edges (techniques by index), and the entries
    /// and jewels the masks pick (jewels also by reference).
    fn random_graph(
        n: usize,
        raw_edges: Vec<(usize, usize, usize)>,
        entry_mask: &[bool],
        jewel_mask: &[bool],
    ) -> (TrustGraph, Vec<VertexId>, Vec<VertexId>, BTreeSet<String>) {
        let mut g = TrustGraph::new();
        let ids: Vec<VertexId> = (0..n)
            .map(|i| g.vertex(VertexKind::Pod, format!("Pod/x/{i:02}")))
            .collect();
        for (a, b, t) in raw_edges {
            if a < n && b < n {
                g.edge(
                    ids[a],
                    ids[b],
                    Technique::ALL[t % Technique::ALL.len()],
                    None,
                );
            }
        }
        let entries: Vec<VertexId> = (0..n).filter(|i| entry_mask[*i]).map(|i| ids[i]).collect();
        let jewels: Vec<VertexId> = (0..n).filter(|i| jewel_mask[*i]).map(|i| ids[i]).collect();
        let jewel_refs = jewels.iter().map(|j| g.reference(*j).to_string()).collect();
        (g, entries, jewels, jewel_refs)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parallel_engine_matches_plain_search(
            n in 2usize..30,
            raw_edges in proptest::collection::vec((0usize..30, 0usize..30, 0usize..8), 0..90),
            entry_mask in proptest::collection::vec(any::<bool>(), 30),
            jewel_mask in proptest::collection::vec(any::<bool>(), 30),
        ) {
            let (g, entries, jewels, jewel_refs) = random_graph(n, raw_edges, &entry_mask, &jewel_mask);
            let got = cheapest_costs(&g, &entries, &jewels, 1000);
            let mut want = BTreeMap::new();
            for &e in &entries {
                for (t, c) in plain(&g, e, &jewel_refs) {
                    want.insert((g.reference(e).to_string(), t), c);
                }
            }
            prop_assert_eq!(got, want);
        }
    }

    /// A hop-aware brute force: the cheapest walk of at most `max_hops` edges from `entry` to each
    /// jewel, by rounds of relaxation over the edge list (round k knows every walk of k edges).
    fn brute_force(
        g: &TrustGraph,
        entry: VertexId,
        jewels: &BTreeSet<String>,
        max_hops: usize,
    ) -> BTreeMap<String, u32> {
        let edges = g.all_edges();
        let start = g.reference(entry).to_string();
        let mut best: BTreeMap<String, u32> = BTreeMap::from([(start.clone(), 0)]);
        for _ in 0..max_hops {
            let mut next = best.clone();
            for (f, t, code) in &edges {
                if let Some(&d) = best.get(f) {
                    let nd = d + Technique::from_code(code).unwrap().cost();
                    if next.get(t).is_none_or(|&x| nd < x) {
                        next.insert(t.clone(), nd);
                    }
                }
            }
            best = next;
        }
        best.into_iter()
            .filter(|(k, _)| jewels.contains(k) && *k != start)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(192))]
        /// The hop limit is exact: at every limit from 2 to 10, on the bucket frontier production
        /// uses and on the heap, the engine finds what a brute force over walks of that many edges
        /// finds. Costs mix 0 to 8 so that cheap long routes compete with dear short ones.
        #[test]
        fn hop_limit_is_exact(
            n in 3usize..24,
            raw_edges in proptest::collection::vec((0usize..24, 0usize..24, 0usize..64), 0..80),
            entry_mask in proptest::collection::vec(any::<bool>(), 24),
            jewel_mask in proptest::collection::vec(any::<bool>(), 24),
            heap in any::<bool>(),
        ) {
            let (g, entries, jewels, jewel_refs) = random_graph(n, raw_edges, &entry_mask, &jewel_mask);
            engine::FORCE_HEAP.with(|f| f.set(heap));
            for max_hops in 2..=10 {
                let got = cheapest_costs(&g, &entries, &jewels, max_hops);
                let mut want = BTreeMap::new();
                for &e in &entries {
                    for (t, c) in brute_force(&g, e, &jewel_refs, max_hops) {
                        want.insert((g.reference(e).to_string(), t), c);
                    }
                }
                prop_assert_eq!(got, want, "max_hops {}", max_hops);
            }
            engine::FORCE_HEAP.with(|f| f.set(false));
        }
    }

    /// The case the issue names: at `--max-hops 2`, a cheap two-hop route to a service account
    /// hid the dearer one-hop route from which it reaches cluster-admin in time.
    #[test]
    fn cheaper_longer_route_does_not_hide_a_shorter_path() {
        let mut g = TrustGraph::new();
        let user = g.vertex(VertexKind::User, "User/alice");
        let a = g.vertex(VertexKind::ServiceAccount, "ServiceAccount/x/a");
        let sa = g.vertex(VertexKind::ServiceAccount, "ServiceAccount/x/sa");
        let admin = g.vertex(VertexKind::Virtual, crate::graph::CLUSTER_ADMIN);
        // Cheap, two hops: alice → a → sa.
        g.edge(user, a, Technique::RbacImpersonate, None);
        g.edge(a, sa, Technique::RbacImpersonate, None);
        g.edge(sa, admin, Technique::RbacWildcardAdmin, None);
        assert_eq!(
            cheapest_costs(&g, &[user], &[admin], 2),
            BTreeMap::new(),
            "no two-hop path yet"
        );
        assert_eq!(cheapest_costs(&g, &[user], &[admin], 3).len(), 1);
        // One extra right: alice reaches sa directly, dearer than the two-step chain.
        let dear = Technique::ALL
            .iter()
            .copied()
            .filter(|t| t.cost() > 2 * Technique::RbacImpersonate.cost())
            .min_by_key(|t| t.cost())
            .expect("a technique dearer than two impersonations");
        g.edge(user, sa, dear, None);
        let got = cheapest_costs(&g, &[user], &[admin], 2);
        assert_eq!(
            got.get(&(
                "User/alice".to_string(),
                crate::graph::CLUSTER_ADMIN.to_string()
            )),
            Some(&(dear.cost() + Technique::RbacWildcardAdmin.cost())),
            "{got:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Workers gather path groups in any order; the merged report must not show it.
        #[test]
        fn grouping_does_not_depend_on_how_work_is_split(
            n in 4usize..40,
            raw_edges in proptest::collection::vec((0usize..40, 0usize..40, 0usize..2), 0..160),
            roles in proptest::collection::vec(0u8..8, 40),
        ) {
            // Few techniques and sparse entries and jewels: many paths tie on cost, shape and
            // target, which is where a split could show.
            let mut g = TrustGraph::new();
            let ids: Vec<VertexId> = (0..n)
                .map(|i| g.vertex(VertexKind::Pod, format!("Pod/ns{}/{i:02}", i % 2)))
                .collect();
            for (a, b, t) in raw_edges {
                if a < n && b < n {
                    g.edge(ids[a], ids[b], [Technique::RbacExecPods, Technique::RbacPatchPods][t], None);
                }
            }
            let entries: Vec<Entry> = (0..n)
                .filter(|i| roles[*i] < 2)
                .map(|i| Entry {
                    vertex: ids[i],
                    breadth: [Breadth::Named, Breadth::Broad][roles[i] as usize],
                    class: format!("Pod/ns{}/*", i % 2),
                })
                .collect();
            let jewels: BTreeMap<VertexId, Tier> = (0..n)
                .filter(|i| (2..4).contains(&roles[*i]))
                .map(|i| (ids[i], [Tier::High, Tier::Critical][roles[i] as usize - 2]))
                .collect();
            let run = |adverse: bool| {
                ADVERSE.with(|a| a.set(adverse));
                let paths = find(&g, &entries, &jewels, 6);
                ADVERSE.with(|a| a.set(false));
                serde_json::to_string(&paths).unwrap()
            };
            prop_assert_eq!(run(false), run(true));
        }
    }
}
