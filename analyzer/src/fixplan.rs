//! The fix plan: an ordered list of causes (see [`crate::cause`]) whose removal closes the critical
//! paths first, then the high ones, each with what it closes, measured.
//!
//! Greedy weighted set cover, verified by re-running the search: at each step every fixable cause
//! is weighed by the entry–target pairs of the remaining critical paths (then high paths) whose
//! path runs through one of its edges; the heaviest is removed and the whole path search runs again
//! without its edges, so the counts the plan states are exactly what `analyze --assume-fixed` with
//! the same keys reports (paths re-route around a removed cause; the re-run sees it). A cause whose
//! removal closes no critical or high path is skipped at that step. The plan stops when no critical or high path
//! is left, after [`MAX_FIXES`] fixes, or after [`MAX_RUNS`] searches.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::cause::{Cause, CauseId, EdgeCauses};
use crate::graph::{TrustGraph, VertexId};
use crate::paths::{self, AttackPath, CauseWeights, Entry, SearchOptions};
use crate::severity::{Severity, Tier};

/// The most fixes a plan lists.
pub const MAX_FIXES: usize = 10;
/// The most path searches one plan runs (each costs about one report's search).
pub const MAX_RUNS: usize = 12;

/// Paths by severity, as the report's summary counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PathCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
}

impl PathCounts {
    /// Counts report paths by severity.
    pub fn of(paths: &[AttackPath]) -> PathCounts {
        let mut c = PathCounts::default();
        for p in paths {
            match p.severity {
                Severity::Critical => c.critical += 1,
                Severity::High => c.high += 1,
                Severity::Medium => c.medium += 1,
                Severity::Low => c.low += 1,
            }
        }
        c
    }

    /// The change from `self` to `after` (positive: closed; negative: re-routed paths that appeared
    /// at that severity).
    fn minus(self, after: PathCounts) -> PathDelta {
        let d = |a: usize, b: usize| a as i64 - b as i64;
        PathDelta {
            critical: d(self.critical, after.critical),
            high: d(self.high, after.high),
            medium: d(self.medium, after.medium),
            low: d(self.low, after.low),
        }
    }
}

/// Paths closed by a fix, by severity (negative where paths that re-route around it appear at
/// that severity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PathDelta {
    /// Critical.
    pub critical: i64,
    /// High.
    pub high: i64,
    /// Medium.
    pub medium: i64,
    /// Low.
    pub low: i64,
}

/// One row of the fix plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Fix {
    /// Stable key: the cause's `OBJECT#FIELD` (what `--assume-fixed` takes).
    pub key: String,
    /// One line for people.
    pub title: String,
    /// What to change.
    pub cause: Cause,
    /// How to change it (the catalog's remediation of the technique it enables).
    pub remediation: String,
    /// Paths this fix closes, given the fixes above it.
    pub removes: PathDelta,
    /// Paths left once this fix and those above it are made.
    pub remaining: PathCounts,
}

/// The search a plan repeats.
pub struct PlanInput<'a> {
    /// The graph.
    pub graph: &'a TrustGraph,
    /// Entry points.
    pub entries: &'a [Entry],
    /// Crown jewels.
    pub jewels: &'a BTreeMap<VertexId, Tier>,
    /// Jewels only `--crown-jewel` makes.
    pub transparent: &'a BTreeSet<VertexId>,
    /// Other tenants' jewels.
    pub tenants: &'a BTreeSet<VertexId>,
    /// Per vertex, whether it is on Coder's side.
    pub coder_side: &'a [bool],
    /// Hop limit.
    pub max_hops: usize,
    /// Edge causes.
    pub causes: &'a EdgeCauses,
}

impl PlanInput<'_> {
    /// Runs the search with the causes in `fixed` removed: the paths (none with `count_only`),
    /// the cause weights (with `score`) and the paths by severity.
    pub fn run(
        &self,
        fixed: &[CauseId],
        score: bool,
        count_only: bool,
    ) -> (Vec<AttackPath>, CauseWeights, PathCounts) {
        let removed = (!fixed.is_empty()).then(|| self.causes.removed_edges(fixed));
        let (paths, weights, c) = paths::find_scored(
            self.graph,
            self.entries,
            self.jewels,
            self.max_hops,
            SearchOptions {
                transparent: Some(self.transparent),
                removed: removed.as_deref(),
                causes: Some(self.causes),
                tenants: Some(self.tenants),
                coder_side: Some(self.coder_side),
                score,
                count_only,
            },
        );
        let counts = PathCounts {
            critical: c[0],
            high: c[1],
            medium: c[2],
            low: c[3],
        };
        (paths, weights, counts)
    }
}

/// Plans fixes on top of `assumed` (causes already taken as fixed), starting from the paths and
/// weights of that state.
pub fn plan(
    input: &PlanInput<'_>,
    assumed: &[CauseId],
    start: (&[AttackPath], &CauseWeights),
) -> Vec<Fix> {
    let mut fixed: Vec<CauseId> = assumed.to_vec();
    let mut counts = PathCounts::of(start.0);
    let mut weights: CauseWeights = start.1.clone();
    let mut skipped: HashSet<CauseId> = HashSet::new();
    let mut out = Vec::new();
    let mut runs = 0;
    while out.len() < MAX_FIXES && runs < MAX_RUNS && counts.critical + counts.high > 0 {
        // Heaviest on critical report paths, then critical pairs, then high paths, then high
        // pairs, then by key.
        let best = weights
            .iter()
            .filter(|(c, _)| {
                input.causes.fixable(**c) && !fixed.contains(c) && !skipped.contains(c)
            })
            .filter(|(_, (w, _))| w.iter().sum::<u64>() > 0)
            .max_by(|a, b| {
                let (wa, wb) = ((a.1).0, (b.1).0);
                (wa[0], wa[2], wa[1], wa[3])
                    .cmp(&(wb[0], wb[2], wb[1], wb[3]))
                    .then_with(|| {
                        input
                            .causes
                            .get(*b.0)
                            .key()
                            .cmp(&input.causes.get(*a.0).key())
                    })
            })
            .map(|(c, (_, t))| (*c, *t));
        let Some((cause, technique)) = best else {
            break;
        };
        fixed.push(cause);
        runs += 1;
        let (_, next_weights, after) = input.run(&fixed, true, true);
        if (after.critical, after.high) >= (counts.critical, counts.high) {
            // Closes nothing that matters (paths re-route around it): not a fix worth listing.
            fixed.pop();
            skipped.insert(cause);
            continue;
        }
        let c = input.causes.get(cause).clone();
        out.push(Fix {
            key: c.key(),
            title: format!("change `{}` of `{}`", c.field, c.object),
            remediation: technique.info().remediation.to_string(),
            removes: counts.minus(after),
            remaining: after,
            cause: c,
        });
        counts = after;
        weights = next_weights;
        // What closed nothing before may close something now: each step starts afresh, so the
        // plan from any row on is what a run with the rows above assumed fixed plans.
        skipped.clear();
    }
    out
}

/// Resolves `--assume-fixed` keys to causes; the keys that name no cause come back as errors,
/// each with up to three nearest keys.
pub fn resolve_keys(
    causes: &EdgeCauses,
    keys: &[String],
) -> Result<Vec<CauseId>, (String, Vec<String>)> {
    let mut out = Vec::new();
    for k in keys {
        match causes.find(k) {
            Some(c) => out.push(c),
            None => return Err((k.clone(), causes.nearest_keys(k, 3))),
        }
    }
    Ok(out)
}
