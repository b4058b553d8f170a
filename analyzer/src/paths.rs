//! Attack paths: from every entry point, in parallel, the cheapest path (Dijkstra over technique
//! costs, pruned at a hop limit) to every reachable crown jewel; then minimal paths only, grouped.
//!
//! Built for scale: the graph is flattened once into compressed adjacency arrays; entry points with
//! identical outgoing edges are searched once; each rayon worker reuses one scratch buffer (stamped,
//! so nothing is cleared between searches); `Virtual/cluster-admin` is never expanded (everything
//! past it merely extends the path to it).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::Technique;
use crate::graph::{Fx, TrustGraph, VertexId};
use crate::techniques::CLUSTER_ADMIN;

/// How valuable a crown jewel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Registries and the like.
    Medium = 1,
    /// Nodes, cloud roles, Git providers, other users' workspaces, TLS keys.
    High = 2,
    /// Cluster admin, the Coder database and its credential, coderd and its SA, Coder owners.
    Critical = 3,
}

/// How many people stand at an entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Breadth {
    /// A named user, group or role holder.
    Named = 1,
    /// Every authenticated user, every Coder user, every workspace, shared-cluster tenants.
    Broad = 2,
    /// Anyone on the network (anonymous, exposures, open sign-up).
    Internet = 3,
}

/// Severity of a path or finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Parses `critical|high|medium|low`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The severity of a path: `2 × tier + breadth`, minus one when the path costs more than 10 and
/// another past 20; ≥ 8 critical, ≥ 6 high, ≥ 4 medium, else low. A path that needs an exploit
/// (an `exposure-*` step) is at most high: see [`path_severity_with_steps`].
pub fn path_severity(tier: Tier, breadth: Breadth, cost: u32) -> Severity {
    let mut score = 2 * tier as i32 + breadth as i32;
    if cost > 10 {
        score -= 1;
    }
    if cost > 20 {
        score -= 1;
    }
    match score {
        s if s >= 8 => Severity::Critical,
        s if s >= 6 => Severity::High,
        s if s >= 4 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// [`path_severity`], capped at high when a step needs an exploit of the exposed application.
pub fn path_severity_with_steps(
    tier: Tier,
    breadth: Breadth,
    cost: u32,
    techniques: &[Technique],
) -> Severity {
    let s = path_severity(tier, breadth, cost);
    if techniques.iter().any(|t| t.needs_exploit()) {
        s.min(Severity::High)
    } else {
        s
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Step {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Technique code.
    pub technique: Technique,
}

/// A group of minimal paths with the same steps.
#[derive(Debug, Clone, Serialize)]
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
    /// Number of entry points sharing these steps.
    pub count: usize,
    /// Up to five of them.
    pub examples: Vec<String>,
    /// Number of crown jewels reached by these steps (several pods of one namespace: `Pod/ns/*`).
    pub target_count: usize,
    /// Up to five of them.
    pub target_examples: Vec<String>,
    /// The steps (the first `from` is the entry).
    pub steps: Vec<Step>,
}

/// Flattened adjacency.
struct Csr {
    /// The largest edge cost.
    max_cost: u32,
    offsets: Vec<u32>,
    from: Vec<u32>,
    to: Vec<u32>,
    cost: Vec<u32>,
    tech: Vec<Technique>,
}

impl Csr {
    fn build(g: &TrustGraph) -> Csr {
        let n = g.vertex_count();
        let mut csr = Csr {
            max_cost: 0,
            offsets: Vec::with_capacity(n + 1),
            from: Vec::with_capacity(g.edge_count()),
            to: Vec::with_capacity(g.edge_count()),
            cost: Vec::with_capacity(g.edge_count()),
            tech: Vec::with_capacity(g.edge_count()),
        };
        let mut buf: Vec<(u32, Technique)> = Vec::new();
        for v in g.vertices() {
            csr.offsets.push(csr.to.len() as u32);
            buf.clear();
            buf.extend(g.out_edges(v).map(|(t, e)| (t.index() as u32, e.technique)));
            buf.sort();
            for &(t, tech) in &buf {
                csr.from.push(v.index() as u32);
                csr.to.push(t);
                csr.cost.push(tech.cost());
                csr.tech.push(tech);
            }
        }
        csr.offsets.push(csr.to.len() as u32);
        csr.max_cost = csr.cost.iter().copied().max().unwrap_or(0);
        csr
    }

    fn edges(&self, v: u32) -> std::ops::Range<usize> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }
}

const NONE: u32 = u32::MAX;

/// The search's hop limit for `max_hops` (one below `u16::MAX`, so a hop count never overflows).
fn hop_limit(max_hops: usize) -> u16 {
    max_hops.min(u16::MAX as usize - 1) as u16
}

/// (cost, hops, vertex) packed so that the integer order is the tuple order (one comparison per
/// heap step instead of three).
fn heap_key(d: u32, h: u16, v: u32) -> u128 {
    ((d as u128) << 48) | ((h as u128) << 32) | v as u128
}

/// A worker's state borrowed from a pool, returned when dropped.
struct Pooled<'a, T> {
    item: Option<T>,
    pool: &'a Mutex<Vec<T>>,
}

impl<'a, T> Pooled<'a, T> {
    /// The last state returned to the pool, or a new one from `make`.
    fn take(pool: &'a Mutex<Vec<T>>, make: impl FnOnce() -> T) -> Pooled<'a, T> {
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
    fn get(&mut self) -> Option<&mut T> {
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
struct Slot {
    stamp: u16,
    hops: u16,
    dist: u32,
    prev: u32,
    done: bool,
    via_jewel: bool,
    /// The highest jewel tier strictly between the source and this vertex on its path (0: none).
    max_tier: u8,
}

/// The search frontier, popped in (cost, hops, vertex) order. Costs are small integers and hops
/// are bounded, so where there are few enough (cost, hops) pairs each gets a bucket instead of a
/// place in a binary heap: a bucket is sorted by vertex once, when the search reaches it, and
/// nothing is pushed into it after (every step adds a hop), so the order is the heap's exactly.
struct Frontier {
    /// Keys from [`heap_key`]: smallest (cost, hops, vertex) first (when buckets would be too many).
    heap: BinaryHeap<Reverse<u128>>,
    /// Vertices by `cost × width + hops`.
    buckets: Vec<Vec<u32>>,
    use_buckets: bool,
    /// Hop limit + 1.
    width: usize,
    /// The bucket being popped (sorted, largest vertex first).
    cur: usize,
    /// Vertices in the buckets.
    len: usize,
}

impl Frontier {
    /// The most buckets kept (beyond, the heap is used).
    const MAX_BUCKETS: usize = 1 << 16;

    fn new() -> Frontier {
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
    fn reset(&mut self, max_cost: u32, max_hops: u16) {
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
        self.use_buckets = needed <= Self::MAX_BUCKETS;
        if self.use_buckets && self.buckets.len() < needed {
            self.buckets.resize_with(needed, Vec::new);
        }
        self.cur = 0;
    }

    fn push(&mut self, d: u32, h: u16, v: u32) {
        if self.use_buckets {
            self.buckets[d as usize * self.width + h as usize].push(v);
            self.len += 1;
        } else {
            self.heap.push(Reverse(heap_key(d, h, v)));
        }
    }

    fn pop(&mut self) -> Option<(u32, u16, u32)> {
        if !self.use_buckets {
            let Reverse(key) = self.heap.pop()?;
            return Some(((key >> 48) as u32, (key >> 32) as u16, key as u32));
        }
        if self.len == 0 {
            return None;
        }
        loop {
            if let Some(v) = self.buckets[self.cur].pop() {
                self.len -= 1;
                let (d, h) = (self.cur / self.width, self.cur % self.width);
                return Some((d as u32, h as u16, v));
            }
            self.cur += 1;
            self.buckets[self.cur].sort_unstable_by(|a, b| b.cmp(a));
        }
    }
}

/// Per-worker search state, reused across searches.
struct Scratch {
    generation: u16,
    slot: Vec<Slot>,
    frontier: Frontier,
    reached: Vec<u32>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            generation: 0,
            slot: vec![
                Slot {
                    stamp: 0,
                    dist: 0,
                    prev: NONE,
                    hops: 0,
                    done: false,
                    via_jewel: false,
                    max_tier: 0,
                };
                n
            ],
            frontier: Frontier::new(),
            reached: Vec::new(),
        }
    }

    /// Appends the path the last search found to `t` (edge indices from the source) to `buf`.
    fn path_to(&self, csr: &Csr, t: u32, buf: &mut Vec<u32>) {
        let start = buf.len();
        let mut v = t;
        while self.slot[v as usize].prev != NONE {
            let e = self.slot[v as usize].prev;
            buf.push(e);
            v = csr.from[e as usize];
        }
        buf[start..].reverse();
    }

    fn touch(&mut self, v: u32) {
        let generation = self.generation;
        let slot = &mut self.slot[v as usize];
        if slot.stamp != generation {
            *slot = Slot {
                stamp: generation,
                dist: u32::MAX,
                prev: NONE,
                hops: u16::MAX,
                done: false,
                via_jewel: false,
                max_tier: 0,
            };
        }
    }
}

/// What the search knows about vertices (indexed by vertex).
struct Marks {
    /// Tier of a crown jewel (0: not a jewel).
    tier: Vec<u8>,
    /// Breadth of an entry point (0: not an entry).
    breadth: Vec<u8>,
    /// Never expanded (`Virtual/cluster-admin`).
    terminal: Vec<bool>,
    /// Whether minimal-path pruning applies (off for the plain cost comparison).
    prune: bool,
    /// `Virtual/any-node`, searched once: entry searches stop there and take its results.
    portal: Option<u32>,
    /// Whether a vertex is a jewel or leads to one: a search never steps onto any other vertex,
    /// since nothing it reports can lie beyond it (see [`leads_to_jewels`]).
    useful: Vec<bool>,
}

/// What the portal vertex reaches: (critical jewel, cost, hops, edges from the portal).
type PortalPaths = Vec<(u32, u32, u16, Vec<u32>)>;

/// Dijkstra from `src` by (cost, hops). A settled vertex is not expanded past `max_hops`, when it is
/// terminal, a critical jewel (everything beyond merely extends the path to it), or an entry point at
/// least as broad as the source reached before any jewel (its own path is reported instead). Fills
/// `s.reached` with every settled jewel; with `only_minimal`, only with those whose path passes no
/// jewel of their tier or higher (the grouping would drop the others: the path to them merely
/// extends the path to that jewel).
#[allow(clippy::too_many_arguments)]
fn search(
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
    s.touch(src);
    s.slot[src as usize].dist = 0;
    s.slot[src as usize].hops = 0;
    s.slot[src as usize].via_jewel = src_via_jewel;
    s.frontier.push(0, 0, src);
    while let Some((d, h, v)) = s.frontier.pop() {
        let vi = v as usize;
        if s.slot[vi].done || d != s.slot[vi].dist || h != s.slot[vi].hops {
            continue;
        }
        s.slot[vi].done = true;
        if v != src {
            if m.tier[vi] > 0 && !(only_minimal && s.slot[vi].max_tier >= m.tier[vi]) {
                s.reached.push(v);
            }
            let stop = m.terminal[vi]
                || (m.prune && m.portal == Some(v))
                || (m.prune
                    && (m.tier[vi] >= Tier::Critical as u8
                        || (m.breadth[vi] >= src_breadth && !s.slot[vi].via_jewel)));
            if stop {
                continue;
            }
        }
        if h >= max_hops {
            continue;
        }
        let via = s.slot[vi].via_jewel || (v != src && m.tier[vi] > 0);
        let max_tier = if v == src {
            0
        } else {
            s.slot[vi].max_tier.max(m.tier[vi])
        };
        for e in csr.edges(v) {
            let t = csr.to[e];
            if !m.useful[t as usize] {
                continue;
            }
            s.touch(t);
            let ti = t as usize;
            if s.slot[ti].done {
                continue;
            }
            let nd = d.saturating_add(csr.cost[e]);
            let nh = h + 1;
            if (nd, nh) < (s.slot[ti].dist, s.slot[ti].hops) {
                s.slot[ti].dist = nd;
                s.slot[ti].hops = nh;
                s.slot[ti].prev = e as u32;
                s.slot[ti].via_jewel = via;
                s.slot[ti].max_tier = max_tier;
                s.frontier.push(nd, nh, t);
            }
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: [`run_groups`] splits the work as badly as it can (see there).
    static ADVERSE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One jewel a search reached: the entries searched together, the group's place in search order,
/// the target, the cost and the edge indices from the source.
struct Hit<'a> {
    group: &'a [usize],
    order: u32,
    target: u32,
    cost: u32,
    edges: &'a [u32],
    /// Whether the edges but the last are the previous hit's (same worker, same search).
    same_prefix: bool,
}

impl Hit<'_> {
    /// The steps: (vertex reached, technique) per edge.
    fn steps(&self, csr: &Csr) -> Vec<(u32, Technique)> {
        self.edges
            .iter()
            .map(|&x| (csr.to[x as usize], csr.tech[x as usize]))
            .collect()
    }
}

/// A worker's state: its search scratch, its share of the results and reused buffers.
struct Worker<A> {
    scratch: Scratch,
    acc: A,
    edges: Vec<u32>,
    /// The vertex before the last target and the path to it (this search's).
    parent: u32,
    prefix: Vec<u32>,
    portal_only: Vec<u32>,
    via_portal: HashMap<u32, (u32, usize), Fx>,
}

/// Searches every group of entries with identical outgoing edges once, in parallel, and hands each
/// reached jewel to `visit` with the worker's own accumulator (made by `init`): nothing is
/// collected between the searches and the grouping, and no worker waits for another. Returns the
/// accumulators, to be merged (a result must not depend on which worker saw which group: `Hit::order`
/// breaks ties).
fn run_groups<A: Send>(
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
    type Signature = (Breadth, Option<u32>, Vec<(u32, Technique)>);
    let mut by_sig: HashMap<Signature, Vec<usize>, Fx> = HashMap::default();
    for (k, e) in entries.iter().enumerate() {
        let v = e.vertex.index() as u32;
        let sig: Vec<(u32, Technique)> = csr.edges(v).map(|x| (csr.to[x], csr.tech[x])).collect();
        if sig.is_empty() {
            continue;
        }
        let alone = (m.tier[v as usize] > 0).then_some(v);
        by_sig.entry((e.breadth, alone, sig)).or_default().push(k);
    }
    let mut groups: Vec<Vec<usize>> = by_sig.into_values().collect();
    for grp in &mut groups {
        grp.sort_by_key(|&k| entries[k].vertex.index());
    }
    groups.sort_by_key(|grp| entries[grp[0]].vertex.index());
    let hops = hop_limit(max_hops);
    if std::env::var_os("CODER_SEC_TIMINGS").is_some() {
        eprintln!(
            "timing: {} entry points in {} searches",
            entries.len(),
            groups.len()
        );
    }
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
    };
    let one = |w: &mut Worker<A>, order: usize, grp: &[usize]| {
        let first = &entries[grp[0]];
        let src = first.vertex.index() as u32;
        let s = &mut w.scratch;
        search(csr, src, first.breadth as u8, false, m.prune, hops, m, s);
        // Through the portal: its own paths, appended to the path to it, where cheaper than
        // the direct one (every portal target is a jewel, so it was reached directly exactly
        // when it was settled here).
        w.via_portal.clear();
        w.portal_only.clear();
        w.parent = NONE;
        let mut portal_at = None;
        if let Some(p) = m.portal {
            let pi = p as usize;
            if p != src && s.slot[pi].stamp == s.generation && s.slot[pi].done {
                let (pd, ph) = (s.slot[pi].dist, s.slot[pi].hops);
                portal_at = Some(p);
                for (i, (t, c, h, _)) in portal.iter().enumerate() {
                    if *t == src || ph.saturating_add(*h) > hops {
                        continue;
                    }
                    let ti = *t as usize;
                    let total = (pd.saturating_add(*c), ph + *h);
                    let direct = s.slot[ti].stamp == s.generation && s.slot[ti].done;
                    if !direct {
                        w.portal_only.push(*t);
                    }
                    if !direct || total < (s.slot[ti].dist, s.slot[ti].hops) {
                        w.via_portal.insert(*t, (total.0, i));
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
                (Some(&(c, i)), Some(p)) => {
                    s.path_to(csr, p, &mut w.edges);
                    w.edges.extend_from_slice(&portal[i].3);
                    w.parent = NONE;
                    (c, false)
                }
                _ => {
                    // Targets met one after another often share the vertex before them (the
                    // pods behind one hub): the path to it is walked once.
                    let last = s.slot[t as usize].prev;
                    let mut same = false;
                    if last == NONE {
                        w.parent = NONE;
                    } else {
                        let parent = csr.from[last as usize];
                        same = parent == w.parent;
                        if !same {
                            w.prefix.clear();
                            s.path_to(csr, parent, &mut w.prefix);
                            w.parent = parent;
                        }
                        w.edges.extend_from_slice(&w.prefix);
                        w.edges.push(last);
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

fn marks(
    g: &TrustGraph,
    csr: &Csr,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    prune: bool,
) -> Marks {
    let n = g.vertex_count();
    let mut m = Marks {
        tier: vec![0; n],
        breadth: vec![0; n],
        terminal: (0..n)
            .map(|i| g.reference(VertexId::new(i)) == CLUSTER_ADMIN)
            .collect(),
        prune,
        portal: None,
        useful: Vec::new(),
    };
    for (v, t) in jewels {
        m.tier[v.index()] = *t as u8;
    }
    for e in entries {
        let b = &mut m.breadth[e.vertex.index()];
        *b = (*b).max(e.breadth as u8);
    }
    m.useful = leads_to_jewels(csr, &m.tier);
    m
}

/// Marks every vertex that is a jewel or has a path to one (a walk back along the edges from
/// every jewel). Leaving the others out of a search changes nothing it reports: no path to a
/// jewel passes through them, and the order in which the rest is settled stays the same.
fn leads_to_jewels(csr: &Csr, tier: &[u8]) -> Vec<bool> {
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
    let m = marks(g, &csr, &entries, &jewels, false);
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

/// The class a target is grouped under: namespaced objects by kind and namespace (`Pod/ns/*`,
/// `Secret/ns/*`), nodes, cloud roles, registries and Git providers by kind (`Node/*`), the rest
/// (virtual and Coder vertices) alone.
pub fn target_class(reference: &str) -> String {
    let (kind, rest) = reference.split_once('/').unwrap_or((reference, ""));
    match kind {
        "Node" | "CloudRole" | "Registry" | "GitProvider" => format!("{kind}/*"),
        "Virtual" | "Coder" | "OIDC" | "Exposure" | "User" | "Group" => reference.to_string(),
        _ => match rest.split_once('/') {
            Some((ns, _)) => format!("{kind}/{ns}/*"),
            None => reference.to_string(),
        },
    }
}

/// The technique sequence of a path, as grouping compares it: packed into one integer when the path
/// is short (one byte per step, never zero), spelled out otherwise.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Shape {
    Packed(u128),
    Long(Box<[Technique]>),
}

// A technique's number plus one fits a byte.
const _: () = assert!(Technique::ALL.len() < u8::MAX as usize);

impl Shape {
    fn of(edges: &[u32], csr: &Csr) -> Shape {
        if edges.len() < 16 {
            let key = edges.iter().fold(0u128, |k, &x| {
                (k << 8) | (csr.tech[x as usize] as u8 as u128 + 1)
            });
            Shape::Packed(key)
        } else {
            Shape::Long(edges.iter().map(|&x| csr.tech[x as usize]).collect())
        }
    }
}

/// A path group's key: (technique sequence, target class, tier, entry class).
type GroupKey = (Shape, u32, Tier, u32);

/// What a path's edges but the last decide for every target behind them.
struct PrefixState {
    /// Their technique sequence.
    shape: Shape,
    /// The highest jewel tier among the vertices they reach (0: none).
    max_tier: u8,
    /// Whether one of those vertices is an entry at least as broad as the source, met before any
    /// jewel.
    blocked: bool,
}

impl PrefixState {
    fn of(prefix: &[u32], breadth: Breadth, csr: &Csr, m: &Marks) -> PrefixState {
        let mut state = PrefixState {
            shape: Shape::of(prefix, csr),
            max_tier: 0,
            blocked: false,
        };
        for &x in prefix {
            let v = csr.to[x as usize] as usize;
            state.blocked |= state.max_tier == 0 && m.breadth[v] >= breadth as u8;
            state.max_tier = state.max_tier.max(m.tier[v]);
        }
        state
    }
}

impl Default for PrefixState {
    fn default() -> PrefixState {
        PrefixState {
            shape: Shape::Packed(0),
            max_tier: 0,
            blocked: false,
        }
    }
}

/// One worker's path groups, with what consecutive hits share kept at hand.
#[derive(Default)]
struct Grouping {
    index: HashMap<GroupKey, u32, Fx>,
    groups: Vec<(GroupKey, Acc)>,
    /// The last key looked up and its place.
    last: Option<(GroupKey, u32)>,
    /// What the last hit's edges but the last decide (see [`Hit::same_prefix`]).
    state: PrefixState,
}

/// One path group as it accumulates.
struct Acc {
    cost: u32,
    tier: Tier,
    breadth: Breadth,
    /// Entry vertices.
    members: IdSet,
    /// Target vertices.
    targets: IdSet,
    /// The example: the cheapest path, then the first target in reference order, then the first
    /// search in search order: (target, search order, steps).
    example: (u32, u32, Vec<(u32, Technique)>),
}

impl Acc {
    /// Whether an example (cost, target, search order) comes before this group's: cheaper, then
    /// the target first in reference order (`rank`), then the earlier search. Ranks are looked up
    /// only on a tie in cost.
    fn beaten_by(&self, cost: u32, target: u32, order: u32, rank: &[u32]) -> bool {
        cost < self.cost
            || (cost == self.cost
                && (rank[target as usize], order) < (rank[self.example.0 as usize], self.example.1))
    }

    /// Takes in what another worker gathered for the same group.
    fn merge(&mut self, other: Acc, rank: &[u32], n: usize) {
        if self.beaten_by(other.cost, other.example.0, other.example.1, rank) {
            self.cost = other.cost;
            self.example = other.example;
        }
        self.breadth = self.breadth.max(other.breadth);
        self.members.union(other.members, n);
        self.targets.union(other.targets, n);
    }
}

/// A set of vertex ids filled by many repeated inserts (the same entry recurs for every target of
/// its group, the same target for every entry): a list that skips an immediate repeat and is sorted
/// and deduplicated each time it has doubled, then, once it holds many distinct ids, a bitset over
/// all vertices (so a set of 20,000 workspace pods met from 5,000 entries is not sorted again and
/// again).
enum IdSet {
    List { items: Vec<u32>, compact: usize },
    Bits(Vec<u64>),
}

impl IdSet {
    /// Distinct ids from which a list becomes a bitset (a bitset costs a bit per vertex).
    const BITS_FROM: usize = 1024;

    fn new() -> IdSet {
        IdSet::List {
            items: Vec::new(),
            compact: 0,
        }
    }

    /// Adds `x`, one of `n` vertices.
    #[inline]
    fn insert(&mut self, x: u32, n: usize) {
        match self {
            IdSet::Bits(bits) => bits[x as usize / 64] |= 1 << (x % 64),
            IdSet::List { items, compact } => {
                if items.last() == Some(&x) {
                    return;
                }
                items.push(x);
                if items.len() >= (*compact * 2).max(4096) {
                    items.sort_unstable();
                    items.dedup();
                    *compact = items.len();
                    if *compact >= Self::BITS_FROM {
                        let mut bits = vec![0u64; n.div_ceil(64)];
                        for &i in items.iter() {
                            bits[i as usize / 64] |= 1 << (i % 64);
                        }
                        *self = IdSet::Bits(bits);
                    }
                }
            }
        }
    }

    /// Adds every id of `other`.
    fn union(&mut self, other: IdSet, n: usize) {
        match (self, other) {
            (IdSet::Bits(a), IdSet::Bits(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x |= y),
            (me, other) => other.into_vec().into_iter().for_each(|x| me.insert(x, n)),
        }
    }

    /// The distinct ids, in id order.
    fn into_vec(self) -> Vec<u32> {
        match self {
            IdSet::List { mut items, .. } => {
                items.sort_unstable();
                items.dedup();
                items
            }
            IdSet::Bits(bits) => bits
                .iter()
                .enumerate()
                .flat_map(|(w, &word)| {
                    (0..64u32)
                        .filter(move |b| word & (1 << b) != 0)
                        .map(move |b| w as u32 * 64 + b)
                })
                .collect(),
        }
    }
}

/// Finds, filters and groups attack paths.
pub fn find(
    g: &TrustGraph,
    entries: &[Entry],
    jewels: &BTreeMap<VertexId, Tier>,
    max_hops: usize,
) -> Vec<AttackPath> {
    let csr = Csr::build(g);
    let mut m = marks(g, &csr, entries, jewels, true);
    // `Virtual/any-node` leads to every node and pod: search past it once, keep only critical
    // jewels (a path through it to anything less is not minimal), and let entry searches stop there.
    let portal: PortalPaths = match g.get(crate::techniques::ANY_NODE) {
        Some(v) => {
            let p = v.index() as u32;
            let mut s = Scratch::new(g.vertex_count());
            let hops = hop_limit(max_hops);
            search(&csr, p, 0, true, false, hops, &m, &mut s);
            let reached = std::mem::take(&mut s.reached);
            m.portal = Some(p);
            reached
                .into_iter()
                .filter(|&t| m.tier[t as usize] >= Tier::Critical as u8)
                .map(|t| {
                    let mut edges = Vec::new();
                    s.path_to(&csr, t, &mut edges);
                    (t, s.slot[t as usize].dist, s.slot[t as usize].hops, edges)
                })
                .collect()
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
        if w.state.max_tier >= t_tier as u8 || w.state.blocked {
            return;
        }
        let shape = match (&w.state.shape, h.edges.len() < 16) {
            (Shape::Packed(k), true) => {
                Shape::Packed((k << 8) | (csr.tech[last as usize] as u8 as u128 + 1))
            }
            _ => Shape::of(h.edges, &csr),
        };
        let class = target_class_of[t as usize];
        for (i, &k) in h.group.iter().enumerate() {
            let entry = &entries[k];
            let e = entry.vertex.index() as u32;
            // The searched entry (the first) is never on its own paths.
            if i > 0 && (t == e || prefix.iter().any(|&x| csr.to[x as usize] == e)) {
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
            let refs: Vec<String> = members.iter().take(5).map(reference).collect();
            let mut targets = a.targets.into_vec();
            targets.sort_unstable_by_key(|&t| rank[t as usize]);
            let count = members.len();
            let target_count = targets.len();
            let targets: Vec<String> = targets.iter().take(5).map(reference).collect();
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
                .map(|(i, &(to, tech))| {
                    let to = if i == last {
                        target.clone()
                    } else {
                        g.reference(VertexId::new(to as usize)).to_string()
                    };
                    Step {
                        from: std::mem::replace(&mut from, to.clone()),
                        to,
                        technique: tech,
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
                target_count,
                target_examples: targets,
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
    paths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::VertexKind;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn parallel_engine_matches_plain_search(
            n in 2usize..30,
            raw_edges in proptest::collection::vec((0usize..30, 0usize..30, 0usize..8), 0..90),
            entry_mask in proptest::collection::vec(any::<bool>(), 30),
            jewel_mask in proptest::collection::vec(any::<bool>(), 30),
        ) {
            let mut g = TrustGraph::new();
            let ids: Vec<VertexId> = (0..n).map(|i| g.vertex(VertexKind::Pod, format!("Pod/x/{i:02}"))).collect();
            for (a, b, t) in raw_edges {
                if a < n && b < n {
                    g.edge(ids[a], ids[b], Technique::ALL[t % Technique::ALL.len()], None);
                }
            }
            let entries: Vec<VertexId> = (0..n).filter(|i| entry_mask[*i]).map(|i| ids[i]).collect();
            let jewels: Vec<VertexId> = (0..n).filter(|i| jewel_mask[*i]).map(|i| ids[i]).collect();
            let jewel_refs: BTreeSet<String> = jewels.iter().map(|j| g.reference(*j).to_string()).collect();
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

    #[test]
    fn severity_model() {
        assert_eq!(
            path_severity(Tier::Critical, Breadth::Broad, 5),
            Severity::Critical
        );
        assert_eq!(
            path_severity(Tier::Critical, Breadth::Named, 5),
            Severity::High
        );
        assert_eq!(path_severity(Tier::High, Breadth::Named, 30), Severity::Low);
        assert_eq!(
            path_severity(Tier::Medium, Breadth::Internet, 3),
            Severity::Medium
        );
    }
}
