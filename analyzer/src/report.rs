//! The report: pure and serialisable. [`Report::generate`] runs the whole analysis over an inventory;
//! presenters in `present/` render it.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::Area;
use crate::cause::EdgeCauses;
use crate::coder::CoderFacts;
use crate::findings::snapshot::BlindSpot;
use crate::findings::{self, Finding, Input};
use crate::fingerprint::Fingerprinted;
use crate::fixplan::{self, PlanInput};
pub use crate::fixplan::{Fix, PathCounts, PathDelta};
use crate::graph::{TrustGraph, VertexId};
use crate::inventory::{Inventory, pod_ref};
use crate::paths::{self, AttackPath};
use crate::rbac::Rbac;
use crate::seed::SeedBullet;
use crate::severity::{Severity, Tier};
use crate::suppress::Suppressed;
use crate::techniques;
use crate::timings::Timer;

/// The JSON report's format version. 2.0: every key is snake_case (`format_version`, was
/// `format-version`); paths and findings carry a `fingerprint`; `suppressed` and
/// `suppression_warnings` list what a suppressions file hid; `baseline` (with `--baseline`) what
/// changed since an earlier report.
pub const REPORT_FORMAT_VERSION: &str = "2.0";

/// What the analysis is asked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Extra crown jewels: references, or prefixes ending in `*`.
    pub crown_jewels: Vec<String>,
    /// Hop limit of the path search.
    pub max_hops: usize,
    /// Cause keys taken as fixed (`--assume-fixed`): their edges are left out of the search. Keys
    /// that name no cause are ignored here (the command line refuses them first).
    pub assume_fixed: Vec<String>,
    /// Whether to compute the fix plan (it re-runs the search once per fix).
    pub fix_plan: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            crown_jewels: Vec::new(),
            max_hops: 10,
            assume_fixed: Vec::new(),
            fix_plan: true,
        }
    }
}

/// The snapshot in a few numbers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SnapshotSummary {
    /// `capture` or `import`.
    pub source: Option<String>,
    /// Capture time.
    pub captured_at: Option<String>,
    /// Snapshot format version.
    pub format_version: Option<String>,
    /// Server version where known.
    pub server_version: Option<String>,
    /// Platform guess.
    pub platform: Option<String>,
    /// Objects per kind as analysed.
    pub objects: BTreeMap<String, usize>,
    /// Coder as detected.
    pub coder: CoderSummary,
    /// Size of the trust graph.
    pub graph: GraphSummary,
}

/// Coder detection.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CoderSummary {
    /// Whether coderd or a provisioner was found.
    pub detected: bool,
    /// coderd pods (or template pods of its Deployment).
    pub coderd: Vec<String>,
    /// coderd's service accounts.
    pub service_accounts: Vec<String>,
    /// Provisioner pods.
    pub provisioners: Vec<String>,
    /// Workspace namespaces.
    pub workspace_namespaces: Vec<String>,
    /// Number of workspace pods.
    pub workspace_pods: usize,
    /// The Secret behind `CODER_PG_CONNECTION_URL`.
    pub database_secret: Option<String>,
    /// Whether the Coder API was captured.
    pub api_captured: bool,
}

/// Graph size.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GraphSummary {
    /// Vertices.
    pub vertices: usize,
    /// Edges.
    pub edges: usize,
    /// Entry points searched.
    pub entry_points: usize,
    /// Crown jewels.
    pub crown_jewels: usize,
}

/// Coverage status of one seed bullet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageStatus {
    /// A finding or path names it.
    Finding,
    /// Its checks ran and found nothing.
    Checked,
    /// No snapshot can show it.
    NotObservable,
}

/// One row of the seed coverage table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SeedCoverage {
    /// Stable id.
    pub id: &'static str,
    /// Section path.
    pub section: &'static str,
    /// The bullet.
    pub bullet: &'static str,
    /// Status.
    pub status: CoverageStatus,
    /// Why this status.
    pub why: String,
    /// Who owns it, for `not-observable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'static str>,
    /// Technique codes that check it.
    pub techniques: Vec<&'static str>,
    /// Finding codes that check it.
    pub findings: Vec<&'static str>,
}

/// Counts by severity.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Counts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
}

impl Counts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
        }
    }
}

/// The report.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    /// Report format version (`MAJOR.MINOR`).
    pub format_version: &'static str,
    /// Set when `--ignore-integrity` analysed the snapshot whatever its integrity checks found:
    /// the problems they found. Absent when the checks were enforced (and so passed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<crate::inventory::IntegrityNote>,
    /// The snapshot.
    pub snapshot: SnapshotSummary,
    /// Counts of paths and findings by severity.
    pub summary: BTreeMap<&'static str, Counts>,
    /// The fix plan: the fewest changes found that close the critical paths, then the high ones,
    /// in order, each with what it closes (see `docs/analysis.md`).
    pub fix_plan: Vec<Fix>,
    /// Attack paths, worst first, each with its fingerprint.
    pub attack_paths: Vec<Fingerprinted<AttackPath>>,
    /// Findings, worst first, each with its fingerprint.
    pub findings: Vec<Fingerprinted<Finding>>,
    /// What the snapshot could not show.
    pub blind_spots: Vec<BlindSpot>,
    /// Every leaf bullet of the seed page.
    pub seed_coverage: Vec<SeedCoverage>,
    /// Seconds the fix plan took (benchmarks; never serialised).
    #[serde(skip)]
    pub fix_plan_seconds: f64,
    /// Paths and findings hidden by a suppressions file (accepted risks), with the rule that hid
    /// each.
    pub suppressed: Vec<Suppressed>,
    /// Suppression rules that have expired (and no longer hide anything) or matched nothing.
    pub suppression_warnings: Vec<String>,
    /// With `analyze --baseline`: what is new, resolved and changed since the baseline report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::diff::Diff>,
}

/// Everything the analysis builds, for callers that want more than the report.
pub struct Analysis {
    /// RBAC.
    pub rbac: Rbac,
    /// Coder.
    pub coder: CoderFacts,
    /// The trust graph.
    pub graph: TrustGraph,
    /// The findings of the checks that do not read the graph ([`findings::checks`]), made while
    /// the graph was built.
    pub graph_free_findings: Vec<Finding>,
    /// The cause of every edge.
    pub causes: EdgeCauses,
}

impl Analysis {
    /// Builds RBAC, Coder facts and the graph.
    pub fn build(inv: &Inventory) -> Analysis {
        Analysis::build_for(inv, &Settings::default())
    }

    /// Builds RBAC, Coder facts and the graph, keeping edges into the settings' extra crown jewels.
    pub fn build_for(inv: &Inventory, settings: &Settings) -> Analysis {
        let t = Timer::start();
        let rbac = Rbac::build(inv);
        t.lap("rbac");
        let coder = CoderFacts::detect(inv);
        t.lap("coder detection");
        let input = Input {
            inv,
            rbac: &rbac,
            coder: &coder,
            graph: None,
            now: captured_at(inv),
            workspace_ns: Default::default(),
        };
        // The graph grows on one thread; the checks take the other cores meanwhile.
        let (graph, graph_free_findings) = rayon::join(
            || techniques::build_with(inv, &rbac, &coder, &settings.crown_jewels),
            || findings::checks(&input),
        );
        t.lap("graph (and the checks that do not read it)");
        drop(input);
        let causes = EdgeCauses::derive(&graph, inv, &rbac);
        t.lap("edge causes");
        Analysis {
            rbac,
            coder,
            graph,
            graph_free_findings,
            causes,
        }
    }
}

impl Report {
    /// Runs the analysis and builds the report.
    pub fn generate(inv: &Inventory, settings: &Settings) -> Report {
        let analysis = Analysis::build_for(inv, settings);
        Report::from_analysis(inv, &analysis, settings)
    }

    /// [`Report::generate`], dropping the inventory (the largest thing in memory) as soon as the
    /// report has taken what it needs from it, before the path search: the same report, a lower peak.
    pub fn generate_owned(inv: Inventory, settings: &Settings) -> Report {
        let analysis = Analysis::build_for(&inv, settings);
        let r = Report::from_analysis_owned(inv, &analysis, settings);
        let t = Timer::start();
        drop(analysis);
        t.lap("drop analysis");
        r
    }

    /// [`Report::from_analysis`], dropping the inventory before the path search (see
    /// [`Report::generate_owned`]).
    pub fn from_analysis_owned(inv: Inventory, a: &Analysis, settings: &Settings) -> Report {
        let gathered = Gathered::new(&inv, a, settings);
        let t = Timer::start();
        inv.drop_in_parallel();
        t.lap("drop inventory");
        gathered.into_report(a, settings)
    }

    /// Builds the report from an analysis already made.
    pub fn from_analysis(inv: &Inventory, a: &Analysis, settings: &Settings) -> Report {
        Gathered::new(inv, a, settings).into_report(a, settings)
    }
    /// The worst severity among paths and findings, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.attack_paths
            .iter()
            .map(|p| p.severity)
            .chain(self.findings.iter().map(|f| f.severity))
            .max()
    }

    /// Recomputes `summary` from the paths and findings shown (after suppressions hid some).
    pub fn recount(&mut self) {
        let mut summary: BTreeMap<&'static str, Counts> = BTreeMap::new();
        for p in &self.attack_paths {
            summary.entry("attack_paths").or_default().add(p.severity);
        }
        for f in &self.findings {
            summary.entry("findings").or_default().add(f.severity);
        }
        summary.entry("attack_paths").or_default();
        summary.entry("findings").or_default();
        self.summary = summary;
    }

    /// Findings grouped by seed area, in area order.
    pub fn findings_by_area(&self) -> BTreeMap<Area, Vec<&Finding>> {
        let mut m: BTreeMap<Area, Vec<&Finding>> = BTreeMap::new();
        for f in &self.findings {
            m.entry(f.area).or_default().push(&f.item);
        }
        m
    }
}

/// Everything a report takes from the inventory, gathered before the path search so that the
/// inventory can be dropped first.
struct Gathered {
    entries: Vec<paths::Entry>,
    jewels: BTreeMap<VertexId, Tier>,
    /// Jewels only the extra crown jewels make.
    transparent: BTreeSet<VertexId>,
    /// Other tenants' jewels.
    tenants: BTreeSet<VertexId>,
    /// Per vertex, whether it is on Coder's side.
    coder_side: Vec<bool>,
    findings: Vec<Finding>,
    blind_spots: Vec<crate::findings::snapshot::BlindSpot>,
    snapshot: SnapshotSummary,
}

impl Gathered {
    fn new(inv: &Inventory, a: &Analysis, settings: &Settings) -> Gathered {
        let t = Timer::start();
        let entries = paths::select::entry_points(&a.graph, &a.rbac, &a.coder, inv);
        let jewels = paths::select::crown_jewels(&a.graph, &a.coder, inv, &settings.crown_jewels);
        let transparent =
            paths::select::extra_only_jewels(&a.graph, &a.coder, inv, &settings.crown_jewels);
        let tenants = paths::select::tenant_jewels(&a.graph, &a.coder);
        let coder_side = paths::select::coder_side(&a.graph, &a.coder);
        t.lap("entries and crown jewels");
        let input = Input {
            inv,
            rbac: &a.rbac,
            coder: &a.coder,
            graph: Some(&a.graph),
            now: captured_at(inv),
            workspace_ns: Default::default(),
        };
        let mut found = a.graph_free_findings.clone();
        found.extend(findings::graph_checks(&input));
        let findings = findings::sorted(found);
        t.lap("findings");
        let blind_spots = findings::snapshot::blind_spots(&input);
        let m = inv.manifest.as_ref();
        let mut objects = BTreeMap::new();
        for (k, n) in [
            ("Namespace", inv.namespaces.len()),
            ("Node", inv.nodes.len()),
            (
                "Pod",
                inv.pods.iter().filter(|p| p.template_of.is_none()).count(),
            ),
            (
                "TemplatePod",
                inv.pods.iter().filter(|p| p.template_of.is_some()).count(),
            ),
            ("ServiceAccount", inv.service_accounts.len()),
            ("Secret", inv.secrets.len()),
            ("Role", inv.roles.len()),
            ("ClusterRole", inv.cluster_roles.len()),
            ("RoleBinding", inv.role_bindings.len()),
            ("ClusterRoleBinding", inv.cluster_role_bindings.len()),
            ("NetworkPolicy", inv.network_policies.len()),
            ("Service", inv.services.len()),
            ("Ingress", inv.ingresses.len()),
        ] {
            objects.insert(k.to_string(), n);
        }
        let refs =
            |v: &[usize]| -> Vec<String> { v.iter().map(|&i| pod_ref(&inv.pods[i])).collect() };
        let snapshot = SnapshotSummary {
            source: m.map(|m| m.source.to_string()),
            captured_at: m.map(|m| m.captured_at.clone()),
            format_version: m.map(|m| m.format_version.clone()),
            server_version: m.and_then(|m| m.cluster.server_version.clone()),
            platform: m.and_then(|m| m.cluster.platform.clone()),
            objects,
            coder: CoderSummary {
                detected: a.coder.present(),
                coderd: refs(&a.coder.coderd_pods),
                service_accounts: a.coder.coderd_service_accounts.iter().cloned().collect(),
                provisioners: refs(&a.coder.provisioner_pods),
                workspace_namespaces: input.workspace_namespaces().iter().cloned().collect(),
                workspace_pods: a.coder.workspace_pods.len(),
                database_secret: a
                    .coder
                    .db_secret
                    .as_ref()
                    .map(|(ns, n)| format!("Secret/{ns}/{n}")),
                api_captured: a.coder.api_captured,
            },
            graph: GraphSummary {
                vertices: a.graph.vertex_count(),
                edges: a.graph.edge_count(),
                entry_points: entries.len(),
                crown_jewels: jewels.len(),
            },
        };
        Gathered {
            entries,
            jewels,
            transparent,
            tenants,
            coder_side,
            findings,
            blind_spots,
            snapshot,
        }
    }

    fn into_report(self, a: &Analysis, settings: &Settings) -> Report {
        let t = Timer::start();
        let Gathered {
            entries,
            jewels,
            transparent,
            tenants,
            coder_side,
            findings,
            blind_spots,
            snapshot,
        } = self;
        let assumed: Vec<_> = settings
            .assume_fixed
            .iter()
            .filter_map(|k| a.causes.find(k))
            .collect();
        let input = PlanInput {
            graph: &a.graph,
            entries: &entries,
            jewels: &jewels,
            transparent: &transparent,
            tenants: &tenants,
            coder_side: &coder_side,
            max_hops: settings.max_hops,
            causes: &a.causes,
        };
        let (attack_paths, weights, _) = input.run(&assumed, settings.fix_plan, false);
        t.lap("paths");
        let started = std::time::Instant::now();
        let fix_plan = if settings.fix_plan {
            fixplan::plan(&input, &assumed, (&attack_paths, &weights))
        } else {
            Vec::new()
        };
        let fix_plan_seconds = started.elapsed().as_secs_f64();
        drop(weights);
        t.lap("fix plan");
        let seed_coverage = coverage(&attack_paths, &findings);
        t.lap("coverage");
        let mut report = Report {
            format_version: REPORT_FORMAT_VERSION,
            integrity: None,
            snapshot,
            summary: BTreeMap::new(),
            fix_plan,
            attack_paths: attack_paths.into_iter().map(Fingerprinted::path).collect(),
            findings: findings.into_iter().map(Fingerprinted::finding).collect(),
            blind_spots,
            seed_coverage,
            fix_plan_seconds,
            suppressed: Vec::new(),
            suppression_warnings: Vec::new(),
            baseline: None,
        };
        report.recount();
        report
    }
}

/// "Now" for the checks: the snapshot's capture time (Unix seconds), when the manifest says.
fn captured_at(inv: &Inventory) -> Option<i64> {
    let m = inv.manifest.as_ref()?;
    let t = time::OffsetDateTime::parse(
        &m.captured_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Some(t.unix_timestamp())
}

fn coverage(paths: &[AttackPath], findings: &[Finding]) -> Vec<SeedCoverage> {
    SeedBullet::page()
        .map(|b| {
            let techniques: Vec<&'static str> = b.techniques().iter().map(|t| t.code()).collect();
            let codes: Vec<&'static str> = b.findings().iter().map(|f| f.code()).collect();
            let n_findings = findings.iter().filter(|f| f.seed_bullet == b).count();
            let n_paths = paths
                .iter()
                .filter(|p| p.steps.iter().any(|s| s.technique.info().seed == b))
                .count();
            let (status, why, owner) = if n_findings + n_paths > 0 {
                (
                    CoverageStatus::Finding,
                    format!("{n_findings} findings and {n_paths} attack paths name this bullet"),
                    None,
                )
            } else if !techniques.is_empty() || !codes.is_empty() {
                (
                    CoverageStatus::Checked,
                    format!(
                        "checked by {} techniques and {} finding checks; nothing found",
                        techniques.len(),
                        codes.len()
                    ),
                    None,
                )
            } else {
                let (why, owner) = b.unobservable().unwrap_or(("no check exists", "coder-sec"));
                (CoverageStatus::NotObservable, why.to_string(), Some(owner))
            };
            SeedCoverage {
                id: b.id(),
                section: b.section(),
                bullet: b.text(),
                status,
                why,
                owner,
                techniques,
                findings: codes,
            }
        })
        .collect()
}
