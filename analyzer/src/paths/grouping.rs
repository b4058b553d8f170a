//! Grouping found paths: paths with the same technique sequence, target class, tier and entry
//! class become one report entry, with their entries and targets as sets.

use std::collections::HashMap;

use crate::catalog::Technique;
use crate::graph::Fx;

use super::engine::*;
use super::*;

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
pub(super) enum Shape {
    Packed(u128),
    Long(Box<[Technique]>),
}

// A technique's number plus one fits a byte.
const _: () = assert!(Technique::ALL.len() < u8::MAX as usize);

impl Shape {
    pub(super) fn of(edges: &[u32], csr: &Csr) -> Shape {
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
pub(super) type GroupKey = (Shape, u32, Tier, u32);

/// What a path's edges but the last decide for every target behind them.
pub(super) struct PrefixState {
    /// Their technique sequence.
    pub(super) shape: Shape,
    /// The highest jewel tier among the vertices they reach (0: none).
    pub(super) max_tier: u8,
    /// The same, nodes left out (for tenants' jewels, see [`Marks::tenant`]).
    pub(super) max_tier_t: u8,
    /// Whether one of those vertices is an entry at least as broad as the source, met before any
    /// jewel.
    pub(super) blocked: bool,
}

impl PrefixState {
    pub(super) fn of(prefix: &[u32], breadth: Breadth, csr: &Csr, m: &Marks) -> PrefixState {
        let mut state = PrefixState {
            shape: Shape::of(prefix, csr),
            max_tier: 0,
            max_tier_t: 0,
            blocked: false,
        };
        for &x in prefix {
            let v = csr.to[x as usize] as usize;
            state.blocked |= state.max_tier == 0 && m.breadth[v] >= breadth as u8;
            state.max_tier = state.max_tier.max(m.block[v]);
            if !m.node_like[v] {
                state.max_tier_t = state.max_tier_t.max(m.block[v]);
            }
        }
        state
    }
}

impl Default for PrefixState {
    fn default() -> PrefixState {
        PrefixState {
            shape: Shape::Packed(0),
            max_tier: 0,
            max_tier_t: 0,
            blocked: false,
        }
    }
}

/// One worker's path groups, with what consecutive hits share kept at hand.
#[derive(Default)]
pub(super) struct Grouping {
    pub(super) index: HashMap<GroupKey, u32, Fx>,
    pub(super) groups: Vec<(GroupKey, Acc)>,
    /// The last key looked up and its place.
    pub(super) last: Option<(GroupKey, u32)>,
    /// What the last hit's edges but the last decide (see [`Hit::same_prefix`]).
    pub(super) state: PrefixState,
    /// When scoring: per edge (of the search's adjacency), the critical and high pairs whose path
    /// runs through it (turned into [`CauseWeights`] once the searches are done: a counter per edge
    /// is far cheaper than a map per hit).
    pub(super) edge_weights: Vec<[u32; 2]>,
}

/// One path group as it accumulates.
pub(super) struct Acc {
    pub(super) cost: u32,
    pub(super) tier: Tier,
    pub(super) breadth: Breadth,
    /// Entry vertices.
    pub(super) members: IdSet,
    /// Target vertices.
    pub(super) targets: IdSet,
    /// The example: the cheapest path, then the first target in reference order, then the first
    /// search in search order: (target, search order, steps).
    pub(super) example: (u32, u32, Vec<(u32, Technique, u32)>),
}

impl Acc {
    /// Whether an example (cost, target, search order) comes before this group's: cheaper, then
    /// the target first in reference order (`rank`), then the earlier search. Ranks are looked up
    /// only on a tie in cost.
    pub(super) fn beaten_by(&self, cost: u32, target: u32, order: u32, rank: &[u32]) -> bool {
        cost < self.cost
            || (cost == self.cost
                && (rank[target as usize], order) < (rank[self.example.0 as usize], self.example.1))
    }

    /// Takes in what another worker gathered for the same group.
    pub(super) fn merge(&mut self, other: Acc, rank: &[u32], n: usize) {
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
pub(super) enum IdSet {
    List { items: Vec<u32>, compact: usize },
    Bits(Vec<u64>),
}

impl IdSet {
    /// Distinct ids from which a list becomes a bitset (a bitset costs a bit per vertex).
    const BITS_FROM: usize = 1024;

    pub(super) fn new() -> IdSet {
        IdSet::List {
            items: Vec::new(),
            compact: 0,
        }
    }

    /// Adds `x`, one of `n` vertices.
    #[inline]
    pub(super) fn insert(&mut self, x: u32, n: usize) {
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
    pub(super) fn union(&mut self, other: IdSet, n: usize) {
        match (self, other) {
            (IdSet::Bits(a), IdSet::Bits(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x |= y),
            (me, other) => other.into_vec().into_iter().for_each(|x| me.insert(x, n)),
        }
    }

    /// The distinct ids, in id order.
    pub(super) fn into_vec(self) -> Vec<u32> {
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
