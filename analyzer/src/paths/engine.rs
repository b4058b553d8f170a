//! The search engine: the graph flattened into adjacency arrays, a label-setting Dijkstra by
//! (cost, hops) with a bucket frontier that is exact under the hop limit, and the parallel runs over
//! groups of entries with identical outgoing edges.
//!
//! Why labels: with a hop limit, the cheapest route to a vertex may be too long to go on from,
//! while a dearer, shorter one still reaches a target in time. A search over (vertex, hops)
//! states is exact; this one keeps, per vertex, only the labels no other label beats on both cost
//! and hops (its Pareto front), which is the same answer for far less work. Labels are popped in
//! (cost, hops) order, so a popped label is beaten exactly when a label already settled at its
//! vertex has no more hops: one number per vertex decides it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::catalog::Technique;
use crate::graph::CLUSTER_ADMIN;
use crate::graph::{Fx, TrustGraph, VertexId};

use super::*;

/// Flattened adjacency.
pub(super) struct Csr {
    /// The largest edge cost.
    pub(super) max_cost: u32,
    pub(super) offsets: Vec<u32>,
    pub(super) from: Vec<u32>,
    pub(super) to: Vec<u32>,
    pub(super) cost: Vec<u32>,
    pub(super) tech: Vec<Technique>,
    /// The graph's edge index of each edge (for its cause).
    pub(super) id: Vec<u32>,
}

impl Csr {
    pub(super) fn build(g: &TrustGraph) -> Csr {
        Csr::build_without(g, None)
    }

    /// The adjacency without the edges `removed` marks (by graph edge index).
    pub(super) fn build_without(g: &TrustGraph, removed: Option<&[bool]>) -> Csr {
        let n = g.vertex_count();
        let mut csr = Csr {
            max_cost: 0,
            offsets: Vec::with_capacity(n + 1),
            from: Vec::with_capacity(g.edge_count()),
            to: Vec::with_capacity(g.edge_count()),
            cost: Vec::with_capacity(g.edge_count()),
            tech: Vec::with_capacity(g.edge_count()),
            id: Vec::with_capacity(g.edge_count()),
        };
        let mut buf: Vec<(u32, Technique, u32)> = Vec::new();
        for v in g.vertices() {
            csr.offsets.push(csr.to.len() as u32);
            buf.clear();
            buf.extend(
                g.out_edges_indexed(v)
                    .filter(|(_, i, _)| removed.is_none_or(|r| !r[*i]))
                    .map(|(t, i, e)| (t.index() as u32, e.technique, i as u32)),
            );
            buf.sort();
            for &(t, tech, i) in &buf {
                csr.from.push(v.index() as u32);
                csr.to.push(t);
                csr.cost.push(tech.cost());
                csr.tech.push(tech);
                csr.id.push(i);
            }
        }
        csr.offsets.push(csr.to.len() as u32);
        csr.max_cost = csr.cost.iter().copied().max().unwrap_or(0);
        csr
    }

    pub(super) fn edges(&self, v: u32) -> std::ops::Range<usize> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }
}

pub(super) const NONE: u32 = u32::MAX;

/// The search's hop limit for `max_hops` (one below `u16::MAX`, so a hop count never overflows).
pub(super) fn hop_limit(max_hops: usize) -> u16 {
    max_hops.min(u16::MAX as usize - 1) as u16
}

/// (cost, hops, vertex, label) packed so that the integer order is the tuple order (one comparison
/// per heap step instead of four).
pub(super) fn heap_key(d: u32, h: u16, v: u32, label: u32) -> u128 {
    ((d as u128) << 80) | ((h as u128) << 64) | ((v as u128) << 32) | label as u128
}

/// A worker's state borrowed from a pool, returned when dropped.
pub(super) struct Pooled<'a, T> {
    pub(super) item: Option<T>,
    pub(super) pool: &'a Mutex<Vec<T>>,
}

impl<'a, T> Pooled<'a, T> {
    /// The last state returned to the pool, or a new one from `make`.
    pub(super) fn take(pool: &'a Mutex<Vec<T>>, make: impl FnOnce() -> T) -> Pooled<'a, T> {
        let item = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(make);
        Pooled {
            item: Some(item),
            pool,
        }
    }

    /// The state (always there until dropped).
    pub(super) fn get(&mut self) -> Option<&mut T> {
        self.item.as_mut()
    }
}

impl<T> Drop for Pooled<'_, T> {
    fn drop(&mut self) {
        if let Some(item) = self.item.take() {
            let mut p = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            p.push(item);
        }
    }
}

/// One vertex's search state (kept together: a search step touches all of it).
#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub(super) stamp: u16,
    /// Hops of the best label pushed so far (in (cost, hops) order); once `done`, of the first
    /// settled label, the vertex's cheapest path within the hop limit.
    pub(super) hops: u16,
    /// Cost of that label.
    pub(super) dist: u32,
    /// The fewest hops of a settled label (`u16::MAX`: none yet): a later label with no fewer
    /// hops is beaten (it costs no less, since labels settle in cost order).
    pub(super) min_hops: u16,
    /// The first settled label ([`NONE`] before).
    pub(super) label: u32,
    /// Whether a label has settled.
    pub(super) done: bool,
}

/// One (vertex, cost, hops) state of a search and how it was reached.
#[derive(Clone, Copy)]
pub(super) struct Label {
    pub(super) v: u32,
    /// The label it extends ([`NONE`] at the source).
    pub(super) prev: u32,
    /// The edge from `prev`'s vertex ([`NONE`] at the source).
    pub(super) edge: u32,
    pub(super) dist: u32,
    pub(super) hops: u16,
    /// Whether its path passes a jewel strictly between the source and `v`.
    pub(super) via_jewel: bool,
    /// The highest jewel tier strictly between the source and `v` on its path (0: none).
    pub(super) max_tier: u8,
    /// The same, nodes left out: what makes a path to a tenant's jewel not minimal (a workspace
    /// that escapes to a node shared with a tenant shows the path on to the tenant).
    pub(super) max_tier_t: u8,
}

/// The search frontier of labels, popped in (cost, hops, vertex, label) order. Costs are small
/// integers and hops are bounded, so where there are few enough (cost, hops) pairs each gets a
/// bucket instead of a place in a binary heap: a bucket is sorted by (vertex, label) once, when the
/// search reaches it, and nothing is pushed into it after (every step adds a hop), so the order is
/// the heap's exactly.
pub(super) struct Frontier {
    /// Keys from [`heap_key`]: smallest (cost, hops, vertex, label) first (when buckets would be
    /// too many).
    pub(super) heap: BinaryHeap<Reverse<u128>>,
    /// `vertex << 32 | label` by `cost × width + hops`.
    pub(super) buckets: Vec<Vec<u64>>,
    pub(super) use_buckets: bool,
    /// Hop limit + 1.
    pub(super) width: usize,
    /// The bucket being popped (sorted, largest vertex first).
    pub(super) cur: usize,
    /// Vertices in the buckets.
    pub(super) len: usize,
}

impl Frontier {
    /// The most buckets kept (beyond, the heap is used).
    const MAX_BUCKETS: usize = 1 << 16;

    pub(super) fn new() -> Frontier {
        Frontier {
            heap: BinaryHeap::new(),
            buckets: Vec::new(),
            use_buckets: false,
            width: 1,
            cur: 0,
            len: 0,
        }
    }

    /// Empties the frontier for a search with these bounds.
    pub(super) fn reset(&mut self, max_cost: u32, max_hops: u16) {
        self.heap.clear();
        if self.len > 0 {
            self.buckets.iter_mut().for_each(Vec::clear);
            self.len = 0;
        }
        self.width = max_hops as usize + 1;
        let needed = (max_cost as usize)
            .saturating_mul(max_hops as usize)
            .saturating_add(1)
            .saturating_mul(self.width);
        self.use_buckets = needed <= Self::MAX_BUCKETS && !force_heap();
        if self.use_buckets && self.buckets.len() < needed {
            self.buckets.resize_with(needed, Vec::new);
        }
        self.cur = 0;
    }

    pub(super) fn push(&mut self, d: u32, h: u16, v: u32, label: u32) {
        if self.use_buckets {
            self.buckets[d as usize * self.width + h as usize]
                .push(((v as u64) << 32) | label as u64);
            self.len += 1;
        } else {
            self.heap.push(Reverse(heap_key(d, h, v, label)));
        }
    }

    /// The next (cost, hops, vertex, label).
    pub(super) fn pop(&mut self) -> Option<(u32, u16, u32, u32)> {
        if !self.use_buckets {
            let Reverse(key) = self.heap.pop()?;
            return Some((
                (key >> 80) as u32,
                (key >> 64) as u16,
                (key >> 32) as u32,
                key as u32,
            ));
        }
        if self.len == 0 {
            return None;
        }
        loop {
            if let Some(x) = self.buckets[self.cur].pop() {
                self.len -= 1;
                let (d, h) = (self.cur / self.width, self.cur % self.width);
                return Some((d as u32, h as u16, (x >> 32) as u32, x as u32));
            }
            self.cur += 1;
            self.buckets[self.cur].sort_unstable_by(|a, b| b.cmp(a));
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: the frontier uses its binary heap even where buckets would do.
    pub(super) static FORCE_HEAP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the frontier must use its heap (tests only).
fn force_heap() -> bool {
    #[cfg(test)]
    {
        FORCE_HEAP.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        false
    }
}

/// Per-worker search state, reused across searches.
pub(super) struct Scratch {
    pub(super) generation: u16,
    pub(super) slot: Vec<Slot>,
    pub(super) frontier: Frontier,
    /// Jewels in the order their first label settled.
    pub(super) reached: Vec<u32>,
    /// Every label of the last search, pushed or settled.
    pub(super) labels: Vec<Label>,
    /// The labels the last search settled, in order.
    pub(super) settled: Vec<u32>,
}

impl Scratch {
    pub(super) fn new(n: usize) -> Scratch {
        Scratch {
            generation: 0,
            slot: vec![
                Slot {
                    stamp: 0,
                    dist: 0,
                    hops: 0,
                    min_hops: u16::MAX,
                    label: NONE,
                    done: false,
                };
                n
            ],
            frontier: Frontier::new(),
            reached: Vec::new(),
            labels: Vec::new(),
            settled: Vec::new(),
        }
    }

    /// Appends the path of a label (edge indices from the source) to `buf`.
    pub(super) fn path_to_label(&self, label: u32, buf: &mut Vec<u32>) {
        let start = buf.len();
        let mut l = label;
        while l != NONE {
            let x = &self.labels[l as usize];
            if x.edge == NONE {
                break;
            }
            buf.push(x.edge);
            l = x.prev;
        }
        buf[start..].reverse();
    }

    pub(super) fn touch(&mut self, v: u32) {
        let generation = self.generation;
        let slot = &mut self.slot[v as usize];
        if slot.stamp != generation {
            *slot = Slot {
                stamp: generation,
                dist: u32::MAX,
                hops: u16::MAX,
                min_hops: u16::MAX,
                label: NONE,
                done: false,
            };
        }
    }

    /// Whether the last search settled a label at `v`.
    pub(super) fn settled_at(&self, v: u32) -> bool {
        let slot = &self.slot[v as usize];
        slot.stamp == self.generation && slot.done
    }
}

/// What the search knows about vertices (indexed by vertex).
pub(super) struct Marks {
    /// Tier of a crown jewel (0: not a jewel).
    pub(super) tier: Vec<u8>,
    /// The tier by which a jewel makes paths through it not minimal: its tier, or 0 for a jewel
    /// only an extra crown jewel makes (adding a jewel never removes another path).
    pub(super) block: Vec<u8>,
    /// Breadth of an entry point (0: not an entry).
    pub(super) breadth: Vec<u8>,
    /// Never expanded (`Virtual/cluster-admin`).
    pub(super) terminal: Vec<bool>,
    /// Whether minimal-path pruning applies (off for the plain cost comparison).
    pub(super) prune: bool,
    /// Whether a jewel is another tenant's (a pod, service account or Secret of a namespace
    /// outside Coder and the system): a path to it is not made non-minimal by a node it passes,
    /// and it is no target for entries of its own namespace.
    pub(super) tenant: Vec<bool>,
    /// Nodes and `Virtual/any-node`.
    pub(super) node_like: Vec<bool>,
    /// The namespace of a namespaced vertex, by number ([`NONE`]: none).
    pub(super) ns: Vec<u32>,
    /// `Virtual/any-node`, searched once: entry searches stop there and take its results.
    pub(super) portal: Option<u32>,
    /// Whether a vertex is a jewel or leads to one: a search never steps onto any other vertex,
    /// since nothing it reports can lie beyond it (see [`leads_to_jewels`]).
    pub(super) useful: Vec<bool>,
    /// [`Marks::useful`] without tenants' jewels: what searches from sources that are not on
    /// Coder's side step onto (tenants' jewels are targets only for Coder's side).
    pub(super) useful_base: Vec<bool>,
    /// Whether a source is on Coder's side (workspace pods, Coder principals, Coder's namespaces):
    /// only their paths reach tenants' jewels.
    pub(super) coder_side: Vec<bool>,
}

/// What the portal vertex reaches: (critical jewel, cost, hops, edges from the portal), every
/// label of the jewel's Pareto front (cheapest first), jewels in the order they were reached.
pub(super) type PortalPaths = Vec<(u32, u32, u16, Vec<u32>)>;

/// Label-setting Dijkstra from `src` by (cost, hops), exact under the hop limit (see the module
/// comment). A settled label is not expanded past `max_hops`, nor when its vertex is terminal, a
/// critical jewel (everything beyond merely extends the path to it), or an entry point at least as
/// broad as the source reached before any jewel (its own path is reported instead). Fills
/// `s.reached` with every jewel whose first (cheapest) label settled; with `only_minimal`, only with
/// those whose path passes no jewel of their tier or higher (the grouping would drop the others: the
/// path to them merely extends the path to that jewel).
#[allow(clippy::too_many_arguments)]
pub(super) fn search(
    csr: &Csr,
    src: u32,
    src_breadth: u8,
    src_via_jewel: bool,
    only_minimal: bool,
    max_hops: u16,
    m: &Marks,
    s: &mut Scratch,
) {
    s.generation = s.generation.wrapping_add(1);
    if s.generation == 0 {
        s.slot.iter_mut().for_each(|x| x.stamp = 0);
        s.generation = 1;
    }
    s.frontier.reset(csr.max_cost, max_hops);
    s.reached.clear();
    // Tenants' jewels are targets for Coder's side only; other sources never step toward them.
    let to_tenants = m.coder_side.get(src as usize).copied().unwrap_or(true);
    let useful = if to_tenants || m.useful_base.is_empty() {
        &m.useful
    } else {
        &m.useful_base
    };
    s.labels.clear();
    s.settled.clear();
    s.touch(src);
    s.slot[src as usize].dist = 0;
    s.slot[src as usize].hops = 0;
    s.labels.push(Label {
        v: src,
        prev: NONE,
        edge: NONE,
        dist: 0,
        hops: 0,
        via_jewel: src_via_jewel,
        max_tier: 0,
        max_tier_t: 0,
    });
    s.frontier.push(0, 0, src, 0);
    while let Some((d, h, v, l)) = s.frontier.pop() {
        let vi = v as usize;
        // A settled label costs no more (labels settle in cost order) and has no more hops.
        if h >= s.slot[vi].min_hops {
            continue;
        }
        let first = !s.slot[vi].done;
        {
            let slot = &mut s.slot[vi];
            slot.min_hops = h;
            if first {
                slot.done = true;
                slot.label = l;
                slot.dist = d;
                slot.hops = h;
            }
        }
        s.settled.push(l);
        let label = s.labels[l as usize];
        if v != src {
            let passed = if m.tenant[vi] {
                label.max_tier_t
            } else {
                label.max_tier
            };
            if first
                && m.tier[vi] > 0
                && (to_tenants || !m.tenant[vi])
                && !(only_minimal && passed >= m.tier[vi])
            {
                s.reached.push(v);
            }
            let stop = m.terminal[vi]
                || (m.prune && m.portal == Some(v))
                || (m.prune
                    && (m.block[vi] >= Tier::Critical as u8
                        || (m.breadth[vi] >= src_breadth && !label.via_jewel)));
            if stop {
                continue;
            }
        }
        if h >= max_hops {
            continue;
        }
        let via = label.via_jewel || (v != src && m.block[vi] > 0);
        let (max_tier, max_tier_t) = if v == src {
            (0, 0)
        } else if m.node_like[vi] {
            (label.max_tier.max(m.block[vi]), label.max_tier_t)
        } else {
            (
                label.max_tier.max(m.block[vi]),
                label.max_tier_t.max(m.block[vi]),
            )
        };
        for e in csr.edges(v) {
            let t = csr.to[e];
            if !useful[t as usize] {
                continue;
            }
            s.touch(t);
            let ti = t as usize;
            let nd = d.saturating_add(csr.cost[e]);
            let nh = h + 1;
            let slot = &mut s.slot[ti];
            // Beaten by a settled label, or by the best pushed one (no dearer, no longer).
            if nh >= slot.min_hops || (slot.dist <= nd && slot.hops <= nh) {
                continue;
            }
            if !slot.done && (nd, nh) < (slot.dist, slot.hops) {
                slot.dist = nd;
                slot.hops = nh;
            }
            let next = s.labels.len() as u32;
            s.labels.push(Label {
                v: t,
                prev: l,
                edge: e as u32,
                dist: nd,
                hops: nh,
                via_jewel: via,
                max_tier,
                max_tier_t,
            });
            s.frontier.push(nd, nh, t, next);
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: [`run_groups`] splits the work as badly as it can (see there).
    pub(super) static ADVERSE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One jewel a search reached: the entries searched together, the group's place in search order,
/// the target, the cost and the edge indices from the source.
pub(super) struct Hit<'a> {
    pub(super) group: &'a [usize],
    pub(super) order: u32,
    pub(super) target: u32,
    pub(super) cost: u32,
    pub(super) edges: &'a [u32],
    /// Whether the edges but the last are the previous hit's (same worker, same search).
    pub(super) same_prefix: bool,
}

impl Hit<'_> {
    /// The steps: (vertex reached, technique, graph edge index) per edge.
    pub(super) fn steps(&self, csr: &Csr) -> Vec<(u32, Technique, u32)> {
        self.edges
            .iter()
            .map(|&x| (csr.to[x as usize], csr.tech[x as usize], csr.id[x as usize]))
            .collect()
    }
}

/// A worker's state: its search scratch, its share of the results and reused buffers.
pub(super) struct Worker<A> {
    pub(super) scratch: Scratch,
    pub(super) acc: A,
    pub(super) edges: Vec<u32>,
    /// The vertex before the last target and the path to it (this search's).
    pub(super) parent: u32,
    pub(super) prefix: Vec<u32>,
    pub(super) portal_only: Vec<u32>,
    /// Per portal target, the best way through the portal: (cost, hops, portal path index, label
    /// at the portal).
    pub(super) via_portal: HashMap<u32, (u32, u16, usize, u32), Fx>,
    /// The labels this search settled at the portal: (cost, hops, label).
    pub(super) portal_labels: Vec<(u32, u16, u32)>,
}

/// Searches every group of entries with identical outgoing edges once, in parallel, and hands each
/// reached jewel to `visit` with the worker's own accumulator (made by `init`): nothing is
/// collected between the searches and the grouping, and no worker waits for another. Returns the
/// accumulators, to be merged (a result must not depend on which worker saw which group: `Hit::order`
/// breaks ties).
pub(super) fn run_groups<A: Send>(
    csr: &Csr,
    entries: &[Entry],
    m: &Marks,
    max_hops: usize,
    portal: &PortalPaths,
    init: impl Fn() -> A + Sync,
    visit: impl Fn(&mut A, &Hit) + Sync,
) -> Vec<A> {
    let n = m.tier.len();
    // Entries with identical outgoing edges (and breadth) are searched once.
    // An entry that is also a jewel searches alone: a group's shared search never reaches its own
    // source as a target, though another member could.
    // A tenant's jewel that is an entry groups only within its namespace: members never target
    // their own namespace, so a shared search misses nothing for them.
    type Signature = (Breadth, Option<u32>, u32, bool, Vec<(u32, Technique)>);
    let mut by_sig: HashMap<Signature, Vec<usize>, Fx> = HashMap::default();
    for (k, e) in entries.iter().enumerate() {
        let v = e.vertex.index() as u32;
        let sig: Vec<(u32, Technique)> = csr.edges(v).map(|x| (csr.to[x], csr.tech[x])).collect();
        if sig.is_empty() {
            continue;
        }
        let tenant = m.tenant[v as usize];
        let alone = (m.tier[v as usize] > 0 && !tenant).then_some(v);
        let ns = if tenant { m.ns[v as usize] } else { NONE };
        by_sig
            .entry((
                e.breadth,
                alone,
                ns,
                m.coder_side.get(v as usize).copied().unwrap_or(true),
                sig,
            ))
            .or_default()
            .push(k);
    }
    let mut groups: Vec<Vec<usize>> = by_sig.into_values().collect();
    for grp in &mut groups {
        grp.sort_by_key(|&k| entries[k].vertex.index());
    }
    groups.sort_by_key(|grp| entries[grp[0]].vertex.index());
    let hops = hop_limit(max_hops);
    tracing::info!(
        target: crate::environment::TIMINGS_TARGET,
        "timing: {} entry points in {} searches",
        entries.len(),
        groups.len()
    );
    // Workers outlive rayon's splits (a pool): a fresh scratch would fault in its pages again, and
    // each accumulator is merged once at the end.
    let pool: Mutex<Vec<Worker<A>>> = Mutex::new(Vec::new());
    let make = || Worker {
        scratch: Scratch::new(n),
        acc: init(),
        edges: Vec::new(),
        parent: NONE,
        prefix: Vec::new(),
        portal_only: Vec::new(),
        via_portal: HashMap::default(),
        portal_labels: Vec::new(),
    };
    let one = |w: &mut Worker<A>, order: usize, grp: &[usize]| {
        let first = &entries[grp[0]];
        let src = first.vertex.index() as u32;
        let s = &mut w.scratch;
        search(csr, src, first.breadth as u8, false, m.prune, hops, m, s);
        // Through the portal: its own paths, appended to a path to it, where cheaper than the
        // direct one (every portal target is a jewel, so it was reached directly exactly when it
        // was settled here). Both sides keep their Pareto fronts: the best pair within the hop
        // limit is exact.
        w.via_portal.clear();
        w.portal_only.clear();
        w.portal_labels.clear();
        w.parent = NONE;
        let mut portal_at = false;
        if let Some(p) = m.portal
            && p != src
            && s.settled_at(p)
        {
            portal_at = true;
            w.portal_labels.extend(s.settled.iter().filter_map(|&l| {
                let x = &s.labels[l as usize];
                (x.v == p).then_some((x.dist, x.hops, l))
            }));
            let mut last_target = NONE;
            for (i, (t, c, h, _)) in portal.iter().enumerate() {
                if *t == src {
                    continue;
                }
                for &(pd, ph, pl) in &w.portal_labels {
                    if ph.saturating_add(*h) > hops {
                        continue;
                    }
                    let total = (pd.saturating_add(*c), ph + *h);
                    let direct = s.settled_at(*t);
                    if direct && total >= (s.slot[*t as usize].dist, s.slot[*t as usize].hops) {
                        continue;
                    }
                    let better = w
                        .via_portal
                        .get(t)
                        .is_none_or(|&(bc, bh, _, _)| total < (bc, bh));
                    if better {
                        w.via_portal.insert(*t, (total.0, total.1, i, pl));
                    }
                    if !direct && last_target != *t {
                        w.portal_only.push(*t);
                        last_target = *t;
                    }
                }
            }
        }
        for &t in s.reached.iter().chain(&w.portal_only) {
            w.edges.clear();
            let through_portal = if w.via_portal.is_empty() {
                None
            } else {
                w.via_portal.get(&t)
            };
            let (cost, same_prefix) = match (through_portal, portal_at) {
                (Some(&(c, _, i, pl)), true) => {
                    s.path_to_label(pl, &mut w.edges);
                    w.edges.extend_from_slice(&portal[i].3);
                    w.parent = NONE;
                    (c, false)
                }
                _ => {
                    // Targets met one after another often share the label before them (the
                    // pods behind one hub): the path to it is walked once.
                    let label = s.labels[s.slot[t as usize].label as usize];
                    let mut same = false;
                    if label.prev == NONE {
                        w.parent = NONE;
                    } else {
                        same = label.prev == w.parent;
                        if !same {
                            w.prefix.clear();
                            s.path_to_label(label.prev, &mut w.prefix);
                            w.parent = label.prev;
                        }
                        w.edges.extend_from_slice(&w.prefix);
                        w.edges.push(label.edge);
                    }
                    (s.slot[t as usize].dist, same)
                }
            };
            let hit = Hit {
                group: grp,
                order: order as u32,
                target: t,
                cost,
                edges: &w.edges,
                same_prefix,
            };
            visit(&mut w.acc, &hit);
        }
    };
    #[cfg(test)]
    if ADVERSE.with(std::cell::Cell::get) {
        // Two workers, even and odd groups, each taking its groups last first: the visit's and
        // the merge's tie-breaks must make up for any split.
        let mut workers = [make(), make()];
        for order in (0..groups.len()).rev() {
            one(&mut workers[order % 2], order, &groups[order]);
        }
        return workers.into_iter().map(|w| w.acc).collect();
    }
    groups.par_iter().enumerate().for_each_init(
        || Pooled::take(&pool, &make),
        |pooled, (order, grp)| {
            if let Some(w) = pooled.get() {
                one(w, order, grp);
            }
        },
    );
    pool.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|w| w.acc)
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn marks(
    g: &TrustGraph,
    csr: &Csr,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    transparent: &BTreeSet<VertexId>,
    tenants: &BTreeSet<VertexId>,
    coder_side: Option<&[bool]>,
    prune: bool,
) -> Marks {
    let n = g.vertex_count();
    let mut ns_ids: HashMap<&str, u32> = HashMap::new();
    let ns: Vec<u32> = (0..n)
        .map(|i| match namespace_of(g.reference(VertexId::new(i))) {
            Some(s) => {
                let next = ns_ids.len() as u32;
                *ns_ids.entry(s).or_insert(next)
            }
            None => NONE,
        })
        .collect();
    let mut m = Marks {
        tier: vec![0; n],
        block: Vec::new(),
        tenant: vec![false; n],
        node_like: (0..n)
            .map(|i| {
                let v = VertexId::new(i);
                g.vertex_at(v).kind == crate::graph::VertexKind::Node
                    || g.reference(v) == crate::graph::ANY_NODE
            })
            .collect(),
        ns,
        breadth: vec![0; n],
        terminal: (0..n)
            .map(|i| g.reference(VertexId::new(i)) == CLUSTER_ADMIN)
            .collect(),
        prune,
        portal: None,
        useful: Vec::new(),
        useful_base: Vec::new(),
        coder_side: coder_side.map(<[bool]>::to_vec).unwrap_or_default(),
    };
    for (v, t) in jewels {
        m.tier[v.index()] = *t as u8;
    }
    m.block = m.tier.clone();
    for v in transparent.iter().chain(tenants) {
        m.block[v.index()] = 0;
    }
    for v in tenants {
        if m.tier[v.index()] > 0 {
            m.tenant[v.index()] = true;
        }
    }
    for e in entries {
        let b = &mut m.breadth[e.vertex.index()];
        *b = (*b).max(e.breadth as u8);
    }
    m.useful = leads_to_jewels(csr, &m.tier);
    if !tenants.is_empty() {
        let base: Vec<u8> = m
            .tier
            .iter()
            .zip(&m.tenant)
            .map(|(&t, &tenant)| if tenant { 0 } else { t })
            .collect();
        m.useful_base = leads_to_jewels(csr, &base);
    }
    m
}

/// The namespace of `Kind/ns/name` for namespaced kinds (pods, their controllers, service
/// accounts, Secrets) and of exposures (`Exposure/Service/ns/name`), `None` for the rest.
pub(super) fn namespace_of(reference: &str) -> Option<&str> {
    let (kind, rest) = reference.split_once('/')?;
    match kind {
        "Exposure" => rest.split('/').nth(1),
        "Pod"
        | "Secret"
        | "ServiceAccount"
        | "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "CronJob"
        | "ReplicationController" => rest.split_once('/').map(|(ns, _)| ns),
        _ => None,
    }
}

/// Marks every vertex that is a jewel or has a path to one (a walk back along the edges from
/// every jewel). Leaving the others out of a search changes nothing it reports: no path to a
/// jewel passes through them, and the order in which the rest is settled stays the same.
pub(super) fn leads_to_jewels(csr: &Csr, tier: &[u8]) -> Vec<bool> {
    let n = tier.len();
    // Incoming edges by target, as compressed arrays.
    let mut offsets = vec![0u32; n + 1];
    for &t in &csr.to {
        offsets[t as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut sources = vec![0u32; csr.to.len()];
    for (e, &t) in csr.to.iter().enumerate() {
        sources[fill[t as usize] as usize] = csr.from[e];
        fill[t as usize] += 1;
    }
    let mut useful: Vec<bool> = tier.iter().map(|&t| t > 0).collect();
    let mut stack: Vec<u32> = (0..n as u32).filter(|&v| useful[v as usize]).collect();
    while let Some(v) = stack.pop() {
        let (a, b) = (
            offsets[v as usize] as usize,
            offsets[v as usize + 1] as usize,
        );
        for &f in &sources[a..b] {
            if !useful[f as usize] {
                useful[f as usize] = true;
                stack.push(f);
            }
        }
    }
    useful
}
