//! Loading a snapshot into an [`Inventory`]: one thread reads and splits the archive into batches
//! of lines while the others parse them into the typed objects.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use coder_sec_model::archive::{LineError, Mismatch, ReadOutcome, append_line};
use coder_sec_model::format::BlindSpot as ManifestBlindSpot;
use coder_sec_model::{KINDS, KindSpec, ReadLimits, SnapshotReader};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawPod {
    metadata: Meta,
    spec: PodSpec,
    status: RawPodStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawPodStatus {
    phase: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct RawWorkload {
    kind: String,
    metadata: Meta,
    spec: WorkloadSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WorkloadSpec {
    selector: Option<LabelSelector>,
    template: Option<PodTemplate>,
    job_template: Option<JobTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct JobTemplate {
    spec: WorkloadSpec2,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct WorkloadSpec2 {
    template: Option<PodTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct PodTemplate {
    metadata: Meta,
    spec: PodSpec,
}

/// What `--ignore-integrity` put in a report: that the snapshot's integrity checks were not
/// enforced, and every problem they found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct IntegrityNote {
    /// Always true: the analysis went on whatever the checks found.
    pub ignored: bool,
    /// Each problem, naming its file (and line) where it has one.
    pub problems: Vec<String>,
}

impl IntegrityNote {
    /// The note for an analysis that ignored `problems`.
    pub fn ignored(problems: &[Mismatch]) -> Self {
        IntegrityNote {
            ignored: true,
            problems: problems.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A snapshot loaded with its integrity problems, for callers that decide what to do with them.
#[derive(Debug)]
pub struct Loaded {
    /// The inventory; lines that were not objects of their kind are left out.
    pub inventory: Inventory,
    /// Every difference between the archive and its manifest, and every line of a kind's file that
    /// is not one of its objects; empty when the snapshot is sound.
    pub problems: Vec<Mismatch>,
    /// The archive's compressed size.
    pub archive_bytes: u64,
}

/// Lines of kinds' files that are not objects of their kind: the first few of each file one by
/// one, the rest counted.
#[derive(Default)]
struct LineProblems {
    listed: Vec<Mismatch>,
    /// Archive path → (bad lines, the first line not listed).
    counts: BTreeMap<String, (u64, u64)>,
}

impl LineProblems {
    /// Lines of one file listed one by one; more are counted in one last problem.
    const PER_FILE: u64 = 10;

    fn record(&mut self, kind: &KindSpec, line: u64, reason: &str) {
        let path = kind.archive_path();
        let seen = self.counts.entry(path.clone()).or_insert((0, 0));
        seen.0 += 1;
        if seen.0 <= Self::PER_FILE {
            self.listed.push(Mismatch::Line {
                path,
                line,
                reason: reason.to_string(),
            });
        } else if seen.0 == Self::PER_FILE + 1 {
            seen.1 = line;
        }
    }

    fn finish(mut self) -> Vec<Mismatch> {
        for (path, (n, first)) in self.counts {
            if n > Self::PER_FILE {
                self.listed.push(Mismatch::Line {
                    path,
                    line: first,
                    reason: format!(
                        "and {} more lines from here on that are not objects of the kind",
                        n - Self::PER_FILE
                    ),
                });
            }
        }
        self.listed
    }
}

impl Inventory {
    /// Loads a snapshot and refuses it, naming each file, when any file differs from the manifest
    /// (hash, size, object count, missing or unlisted), a line of a kind's file is not one of its
    /// objects, or the archive's content checksum fails.
    pub fn load(path: &Path, limits: ReadLimits) -> Result<Inventory, InventoryError> {
        let loaded = Inventory::load_checked(path, limits)?;
        if !loaded.problems.is_empty() {
            return Err(InventoryError::Integrity {
                path: path.to_path_buf(),
                problems: loaded.problems,
            });
        }
        Ok(loaded.inventory)
    }

    /// Loads a snapshot and returns its integrity problems beside it (`--ignore-integrity`). One
    /// thread reads (decompresses, checks and splits the archive into batches of lines) while the
    /// others parse the previous batch into the typed objects.
    pub fn load_checked(path: &Path, limits: ReadLimits) -> Result<Loaded, InventoryError> {
        use rayon::prelude::*;
        let wrap = |source| InventoryError::Archive {
            path: path.to_path_buf(),
            source,
        };
        let reader = SnapshotReader::open(path, limits).map_err(wrap)?;
        // Each batch goes straight into its place: no list of every parsed object is ever held.
        let mut loader = Loader::default();
        let mut coder_files = BTreeMap::new();
        let mut line_problems = LineProblems::default();
        let (batches, received) = std::sync::mpsc::sync_channel::<Read>(2);
        // Parsed batches' buffers go back to the reader, so their pages are not faulted in again.
        let (spent, recycled) = std::sync::mpsc::channel::<Batch>();
        let read = std::thread::scope(|scope| {
            let reading = scope.spawn(move || read_batches(reader, limits, batches, recycled));
            // A batch is put in place while the next one is parsed.
            let mut parsed: Vec<Parsed> = Vec::new();
            for item in received {
                match item {
                    Read::Lines(batch) => {
                        let previous = std::mem::take(&mut parsed);
                        let loader = &mut loader;
                        (parsed, ()) = rayon::join(
                            || {
                                batch
                                    .lines
                                    .par_iter()
                                    .map(|&(a, b, _)| parse_line(batch.kind, &batch.buf[a..b]))
                                    .collect()
                            },
                            || previous.into_iter().for_each(|p| loader.absorb(p)),
                        );
                        for (i, p) in parsed.iter().enumerate() {
                            if let Parsed::Corrupt(reason) = p {
                                line_problems.record(batch.kind, batch.lines[i].2, reason);
                            }
                        }
                        // The reader may be done already; the buffer is then simply dropped.
                        let _ = spent.send(batch);
                    }
                    Read::State(path, bytes) => {
                        let value = parse_state_file(&path, &bytes);
                        coder_files.insert(path, value);
                    }
                }
            }
            parsed.into_iter().for_each(|p| loader.absorb(p));
            reading.join()
        });
        let ReadOutcome {
            mut manifest,
            mismatches,
            archive_bytes,
        } = match read {
            Ok(result) => result.map_err(wrap)?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut problems = mismatches;
        problems.extend(line_problems.finish());
        manifest.blind_spots.extend(unmodelled_policies(&manifest));
        let mut inv = loader.finish();
        inv.manifest = Some(manifest);
        inv.coder_files = coder_files;
        Ok(Loaded {
            inventory: inv,
            problems,
            archive_bytes,
        })
    }
}

/// Network policy kinds of add-ons (Cilium, Calico) that the analysis does not model: their
/// presence means pods may be isolated, or opened, in ways the network findings do not see.
const UNMODELLED_POLICIES: &[(&str, &str)] = &[
    ("cilium.io", "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("crd.projectcalico.org", "NetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
];

/// A blind spot for each unmodelled policy kind the snapshot holds objects of.
fn unmodelled_policies(manifest: &Manifest) -> Vec<ManifestBlindSpot> {
    manifest
        .kinds
        .iter()
        .filter(|k| {
            k.count > 0
                && UNMODELLED_POLICIES
                    .iter()
                    .any(|(g, kind)| k.group == *g && k.kind == *kind)
        })
        .map(|k| ManifestBlindSpot {
            subject: k.label(),
            reason: format!(
                "{} objects present; the analyzer does not model this add-on's policies",
                k.count
            ),
            hides: "network boundaries these policies draw: the network findings and paths treat \
                    pods as Kubernetes NetworkPolicies alone allow, which may be wrong either way"
                .to_string(),
        })
        .collect()
}

/// The state files [`Inventory::load`] reads, by path prefix: the Coder API's answers and the
/// capturing identity's rules. The capture's own summaries (`coder/deployments.json`, the workspace
/// summary, Helm records) restate objects the analysis reads from the kinds, so they are skipped.
pub const STATE_READ: &[&str] = &["coder/api/", "identity/"];

/// Lines of one kind, read and not yet parsed: one buffer, and where each line lies in it.
struct Batch {
    kind: &'static KindSpec,
    buf: Vec<u8>,
    /// Start, end and 1-based line number of each line.
    lines: Vec<(usize, usize, u64)>,
}

impl Batch {
    /// Lines per batch at most.
    const LINES: usize = 4096;
    /// Bytes per batch from which it is sent (a line is never split).
    const BYTES: usize = 8 << 20;

    fn is_full(&self) -> bool {
        self.lines.len() >= Self::LINES || self.buf.len() >= Self::BYTES
    }
}

/// What the reading thread hands over.
enum Read {
    /// Lines of a kind's file.
    Lines(Batch),
    /// A state file the analysis reads (see [`STATE_READ`]): its path and bytes.
    State(String, Vec<u8>),
}

/// Reads every entry of the archive into batches of lines and state files, sent to `out`;
/// buffers come back through `recycled`. Stops early (with an error) when nobody receives.
fn read_batches(
    reader: SnapshotReader,
    limits: ReadLimits,
    out: std::sync::mpsc::SyncSender<Read>,
    recycled: std::sync::mpsc::Receiver<Batch>,
) -> Result<ReadOutcome, coder_sec_model::archive::ArchiveError> {
    let max_line = limits.max_line_bytes;
    let gone = || "the loader stopped".to_string();
    reader.stream(|info, r| {
        // A kind's file the manifest does not list is a mismatch, and is not read.
        let Some(kind) = info.kind.filter(|_| info.listed) else {
            if STATE_READ.iter().any(|p| info.path.starts_with(p)) {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(r, &mut buf).map_err(|e| e.to_string())?;
                out.send(Read::State(info.path.clone(), buf))
                    .map_err(|_| gone())?;
            }
            return Ok(());
        };
        let fresh = || {
            let mut b = recycled.try_recv().unwrap_or(Batch {
                kind,
                buf: Vec::new(),
                lines: Vec::new(),
            });
            b.kind = kind;
            b.buf.clear();
            b.lines.clear();
            b
        };
        let mut batch = fresh();
        let mut seen = 0u64;
        loop {
            let start = batch.buf.len();
            let n = match append_line(r, max_line, &mut batch.buf) {
                Ok(n) => n,
                Err(LineError::Io(e)) => return Err(e.to_string()),
                Err(LineError::TooLong) => {
                    return Err(format!(
                        "`{}`: line {} is longer than {max_line} bytes",
                        info.path,
                        seen + 1
                    ));
                }
            };
            if n == 0 {
                break;
            }
            seen += 1;
            if batch.buf[start..].iter().all(u8::is_ascii_whitespace) {
                batch.buf.truncate(start);
                continue;
            }
            batch.lines.push((start, batch.buf.len(), seen));
            if batch.is_full() {
                let full = std::mem::replace(&mut batch, fresh());
                out.send(Read::Lines(full)).map_err(|_| gone())?;
            }
        }
        if !batch.lines.is_empty() {
            out.send(Read::Lines(batch)).map_err(|_| gone())?;
        }
        Ok(())
    })
}

/// Puts parsed objects in their places as they come, dropping at once what the analysis never
/// reads: controllers owned by another controller (their template is their owner's) and controllers
/// whose pods are in (they stand for nothing). Controllers whose pods were not captured stand in for
/// them, one template pod each.
#[derive(Default)]
pub(super) struct Loader {
    inv: Inventory,
    /// Controllers with no pod seen yet; decided once every pod is in.
    workloads: Vec<RawWorkload>,
    /// Indices of `inv.pods` by namespace, for the first `indexed` pods.
    pods_by_ns: HashMap<String, Vec<usize>>,
    indexed: usize,
}

impl Loader {
    pub(super) fn absorb(&mut self, p: Parsed) {
        let inv = &mut self.inv;
        match p {
            Parsed::Namespace(x) => inv.namespaces.push(x),
            Parsed::Node(x) => inv.nodes.push(x),
            Parsed::Pod(x) => inv.pods.push(*x),
            Parsed::ServiceAccount(x) => inv.service_accounts.push(x),
            Parsed::Secret(x) => inv.secrets.push(x),
            Parsed::ConfigMap(x) => inv.config_maps.push(x),
            Parsed::Service(x) => inv.services.push(x),
            Parsed::Ingress(x) => inv.ingresses.push(x),
            Parsed::NetworkPolicy(x) => inv.network_policies.push(x),
            Parsed::Role(x) => inv.roles.push(x),
            Parsed::ClusterRole(x) => inv.cluster_roles.push(x),
            Parsed::RoleBinding(x) => inv.role_bindings.push(x),
            Parsed::ClusterRoleBinding(x) => inv.cluster_role_bindings.push(x),
            Parsed::ResourceQuota(x) => inv.resource_quotas.push(x),
            Parsed::LimitRange(x) => inv.limit_ranges.push(x),
            Parsed::StorageClass(x) => inv.storage_classes.push(x),
            Parsed::PersistentVolume(x) => inv.persistent_volumes.push(x),
            Parsed::PersistentVolumeClaim(x) => inv.persistent_volume_claims.push(x),
            Parsed::Webhook => inv.webhook_configurations += 1,
            Parsed::Workload(w) => {
                let owned = w
                    .metadata
                    .owner_references
                    .iter()
                    .any(|o| is_controlling_owner(&o.kind));
                // Pods only ever add matches, so a controller with a pod now has one at the end.
                if !owned && !self.has_pods(&w) {
                    self.workloads.push(*w);
                }
            }
            Parsed::Failed(kind) => *inv.unparsed.entry(kind.to_string()).or_default() += 1,
            Parsed::Corrupt(_) | Parsed::Ignored => {}
        }
    }

    /// The controller's pod template.
    fn template(w: &RawWorkload) -> Option<&PodTemplate> {
        w.spec.template.as_ref().or_else(|| {
            w.spec
                .job_template
                .as_ref()
                .and_then(|j| j.spec.template.as_ref())
        })
    }

    /// Whether a captured pod of the controller's namespace matches its selector (or, without one,
    /// its template's labels). A controller without a template counts as having pods: it stands
    /// for nothing.
    fn has_pods(&mut self, w: &RawWorkload) -> bool {
        for (i, p) in self.inv.pods.iter().enumerate().skip(self.indexed) {
            self.pods_by_ns
                .entry(p.metadata.namespace.clone())
                .or_default()
                .push(i);
        }
        self.indexed = self.inv.pods.len();
        let Some(template) = Self::template(w) else {
            return true;
        };
        let default;
        let selector = match &w.spec.selector {
            Some(s) => s,
            None => {
                default = LabelSelector {
                    match_labels: template.metadata.labels.clone(),
                    match_expressions: Vec::new(),
                };
                &default
            }
        };
        !selector.match_labels.is_empty()
            && self
                .pods_by_ns
                .get(w.metadata.namespace.as_str())
                .is_some_and(|list| {
                    list.iter()
                        .any(|&i| selector.matches(&self.inv.pods[i].metadata.labels))
                })
    }

    pub(super) fn finish(mut self) -> Inventory {
        let workloads = std::mem::take(&mut self.workloads);
        let mut templates = Vec::new();
        for w in workloads {
            if self.has_pods(&w) {
                continue;
            }
            let RawWorkload {
                kind,
                metadata: owner,
                spec,
            } = w;
            let Some(template) = spec
                .template
                .or_else(|| spec.job_template.and_then(|j| j.spec.template))
            else {
                continue;
            };
            let mut metadata = template.metadata;
            metadata.name = owner.name.clone();
            metadata.namespace = owner.namespace.clone();
            for (k, v) in owner.labels {
                metadata.labels.entry(k).or_insert(v);
            }
            templates.push(Pod {
                metadata,
                spec: template.spec,
                phase: None,
                template_of: Some(format!("{kind}/{}/{}", owner.namespace, owner.name)),
            });
        }
        let mut inv = self.inv;
        inv.pods.extend(templates);
        inv.sort_and_index();
        inv
    }
}

/// One parsed object.
pub(super) enum Parsed {
    Namespace(Namespace),
    Node(Node),
    Pod(Box<Pod>),
    ServiceAccount(ServiceAccount),
    Secret(Secret),
    ConfigMap(ConfigMap),
    Service(Service),
    Ingress(Ingress),
    NetworkPolicy(NetworkPolicy),
    Role(Role),
    ClusterRole(Role),
    RoleBinding(Binding),
    ClusterRoleBinding(Binding),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
    StorageClass(StorageClass),
    PersistentVolume(PersistentVolume),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Webhook,
    Workload(Box<RawWorkload>),
    Failed(&'static str),
    /// A line that is not an object of its file's kind, and why.
    Corrupt(&'static str),
    Ignored,
}

/// The kinds the analysis reads, by API group and kind: a Calico `NetworkPolicy`
/// (`crd.projectcalico.org`) is not a Kubernetes one.
const KNOWN_KINDS: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "Pod"),
    ("", "ServiceAccount"),
    ("", "Secret"),
    ("", "ConfigMap"),
    ("", "Service"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("storage.k8s.io", "StorageClass"),
    ("", "PersistentVolume"),
    ("", "PersistentVolumeClaim"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("apps", "Deployment"),
    ("apps", "DaemonSet"),
    ("apps", "StatefulSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "ReplicationController"),
];

/// The Kubernetes kind the analysis reads under this bare kind name (tests and other front ends that
/// give kinds without their group).
pub(super) fn known_kind(kind: &str) -> Option<&'static KindSpec> {
    let (group, kind) = KNOWN_KINDS.iter().find(|(_, k)| *k == kind)?;
    KINDS.iter().find(|k| k.group == *group && k.kind == *kind)
}

/// Whether the analysis reads objects of this kind.
fn reads(spec: &KindSpec) -> bool {
    KNOWN_KINDS
        .iter()
        .any(|(g, k)| *g == spec.group && *k == spec.kind)
}

/// A kind as callers name it: its table entry, or a bare Kubernetes kind name (tests).
pub(super) trait KindKey {
    /// The table entry, if the analysis reads the kind.
    fn spec(self) -> Option<&'static KindSpec>;
}

impl KindKey for &'static KindSpec {
    fn spec(self) -> Option<&'static KindSpec> {
        Some(self).filter(|s| reads(s))
    }
}

impl KindKey for &str {
    fn spec(self) -> Option<&'static KindSpec> {
        known_kind(self)
    }
}

/// Where one object's JSON comes from: a snapshot line, or a `Value` (tests, other front ends).
trait Source {
    /// The object as `T`, or `None` where it does not fit.
    fn typed<T: DeserializeOwned>(self) -> Option<T>;
    /// The kinds of the object's owners (nothing else is read), or `None` where they do not fit.
    fn owners(&self) -> Option<Vec<String>>;
}

impl Source for &[u8] {
    fn typed<T: DeserializeOwned>(self) -> Option<T> {
        serde_json::from_slice(self).ok()
    }

    fn owners(&self) -> Option<Vec<String>> {
        #[derive(Deserialize)]
        struct Object {
            #[serde(default)]
            metadata: Metadata,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Metadata {
            #[serde(default)]
            owner_references: Vec<Owner>,
        }
        #[derive(Deserialize)]
        struct Owner {
            kind: String,
        }
        let o: Object = serde_json::from_slice(self).ok()?;
        Some(
            o.metadata
                .owner_references
                .into_iter()
                .map(|r| r.kind)
                .collect(),
        )
    }
}

impl Source for Value {
    fn typed<T: DeserializeOwned>(mut self) -> Option<T> {
        strip_nulls(&mut self);
        serde_json::from_value(self).ok()
    }

    fn owners(&self) -> Option<Vec<String>> {
        let refs = self.get("metadata")?.get("ownerReferences")?.as_array()?;
        refs.iter()
            .map(|r| Some(r.get("kind")?.as_str()?.to_string()))
            .collect()
    }
}

/// Whether an owner of this kind makes a controller stand for nothing: its pod template is the
/// owner's (a ReplicaSet's Deployment, a Job's CronJob).
fn is_controlling_owner(kind: &str) -> bool {
    matches!(kind, "Deployment" | "CronJob")
}

/// Whether any of the owner kinds is a controlling one ([`is_controlling_owner`]).
fn owned_by_controller(owners: &[String]) -> bool {
    owners.iter().any(|k| is_controlling_owner(k))
}

/// Parses one object of a kind the analysis reads (others are ignored); `None` where it does not
/// fit its type.
fn parse_from(spec: &'static KindSpec, source: impl Source) -> Option<Parsed> {
    if !reads(spec) {
        return Some(Parsed::Ignored);
    }
    let kind = spec.kind;
    Some(match kind {
        "Namespace" => Parsed::Namespace(source.typed()?),
        "Node" => Parsed::Node(source.typed()?),
        "Pod" => {
            let p: RawPod = source.typed()?;
            Parsed::Pod(Box::new(Pod {
                metadata: p.metadata,
                spec: p.spec,
                phase: p.status.phase,
                template_of: None,
            }))
        }
        "ServiceAccount" => Parsed::ServiceAccount(source.typed()?),
        "Secret" => Parsed::Secret(source.typed()?),
        "ConfigMap" => Parsed::ConfigMap(source.typed()?),
        "Service" => Parsed::Service(source.typed()?),
        "Ingress" => Parsed::Ingress(source.typed()?),
        "NetworkPolicy" => Parsed::NetworkPolicy(source.typed()?),
        "Role" => Parsed::Role(source.typed()?),
        "ClusterRole" => Parsed::ClusterRole(source.typed()?),
        "RoleBinding" => Parsed::RoleBinding(source.typed()?),
        "ClusterRoleBinding" => Parsed::ClusterRoleBinding(source.typed()?),
        "ResourceQuota" => Parsed::ResourceQuota(source.typed()?),
        "LimitRange" => Parsed::LimitRange(source.typed()?),
        "StorageClass" => Parsed::StorageClass(source.typed()?),
        "PersistentVolume" => Parsed::PersistentVolume(source.typed()?),
        "PersistentVolumeClaim" => Parsed::PersistentVolumeClaim(source.typed()?),
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => Parsed::Webhook,
        "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "ReplicaSet"
        | "Job"
        | "CronJob"
        | "ReplicationController" => {
            if kind == "ReplicaSet" || kind == "Job" {
                // Most are owned by a Deployment or CronJob and stand for nothing: only their
                // owner references are read first.
                if let Some(owners) = source.owners()
                    && owned_by_controller(&owners)
                {
                    return Some(Parsed::Ignored);
                }
            }
            let mut w: RawWorkload = source.typed()?;
            w.kind = kind.to_string();
            Parsed::Workload(Box::new(w))
        }
        _ => Parsed::Ignored,
    })
}

/// Parses one line of a kind's file: straight into the typed object (the common case), or through
/// a `Value` with `null`s dropped when that fails. A line that is not JSON, is nested deeper than
/// serde_json's limit (128, the format's), or is not an object of `spec`'s group and kind is
/// [`Parsed::Corrupt`]; an object of the kind whose fields do not fit is [`Parsed::Failed`].
pub(super) fn parse_line(spec: &'static KindSpec, bytes: &[u8]) -> Parsed {
    // serde skips unknown fields without a depth limit: the limit is checked here first.
    if nested_deeper_than(bytes, MAX_DEPTH) {
        return Parsed::Corrupt(TOO_DEEP);
    }
    let header = quick_header(bytes);
    if let Some((api_version, kind)) = header
        && !is_kind(spec, api_version, kind)
    {
        return Parsed::Corrupt(OTHER_KIND);
    }
    if header.is_some()
        && let Some(p) = parse_from(spec, bytes)
    {
        return p;
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => {
            return Parsed::Corrupt(TOO_DEEP);
        }
        Err(_) => return Parsed::Corrupt("not JSON"),
    };
    let Some(object) = value.as_object() else {
        return Parsed::Corrupt("not a JSON object");
    };
    let field = |name: &str| object.get(name).and_then(Value::as_str);
    match (field("apiVersion"), field("kind")) {
        (Some(api_version), Some(kind)) => {
            if !is_kind(spec, api_version.as_bytes(), kind.as_bytes()) {
                return Parsed::Corrupt(OTHER_KIND);
            }
        }
        _ => return Parsed::Corrupt("an object without `apiVersion` and `kind`"),
    }
    if header.is_none()
        && let Some(p) = parse_from(spec, bytes)
    {
        return p;
    }
    parse_from(spec, value).unwrap_or(Parsed::Failed(spec.kind))
}

const OTHER_KIND: &str = "an object of another kind";

/// How deep JSON may nest in a snapshot (docs/snapshot-format.md; serde_json's own limit).
const MAX_DEPTH: usize = 128;
const TOO_DEEP: &str = "JSON nested deeper than 128 levels";

/// Whether arrays and objects in `json` nest deeper than `max` (brackets inside strings do not count).
fn nested_deeper_than(json: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Whether `apiVersion` and `kind` name `spec` (any version of its group).
fn is_kind(spec: &KindSpec, api_version: &[u8], kind: &[u8]) -> bool {
    let Ok(api_version) = std::str::from_utf8(api_version) else {
        return false;
    };
    let (group, _) = coder_sec_model::kinds::split_api_version(api_version);
    group == spec.group && kind == spec.kind.as_bytes()
}

/// `apiVersion` and `kind` read from where writers put them, without parsing the line: first
/// (`{"apiVersion":"…","kind":"…",…`, as import writes) or last (`…,"apiVersion":"…","kind":"…"}`,
/// as capture writes). `None` when they are elsewhere; callers trust the answer only for a line
/// that then parses.
fn quick_header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    /// The string at the start of `s` up to its closing quote (no escapes), and what follows it.
    fn string(s: &[u8]) -> Option<(&[u8], &[u8])> {
        let end = s.iter().position(|&b| b == b'"' || b == b'\\')?;
        (s[end] == b'"').then(|| (&s[..end], &s[end + 1..]))
    }
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let line = &line[..end];
    if let Some(rest) = line.strip_prefix(br#"{"apiVersion":""#) {
        let (api_version, rest) = string(rest)?;
        let rest = rest.strip_prefix(br#","kind":""#)?;
        let (kind, rest) = string(rest)?;
        return matches!(rest.first(), Some(b',' | b'}')).then_some((api_version, kind));
    }
    // From the end: `,"apiVersion":"A","kind":"K"}`.
    let body = line.strip_suffix(br#""}"#)?;
    let k_start = body.iter().rposition(|&b| b == b'"')?;
    let kind = &body[k_start + 1..];
    let before = body[..k_start].strip_suffix(br#","kind":"#)?;
    let before = before.strip_suffix(b"\"")?;
    let a_start = before.iter().rposition(|&b| b == b'"')?;
    let api_version = &before[a_start + 1..];
    before[..a_start].strip_suffix(br#","apiVersion":"#)?;
    if kind.contains(&b'\\') || api_version.contains(&b'\\') {
        return None;
    }
    Some((api_version, kind))
}

/// Parses one object of a bare kind name given as JSON bytes (tests).
#[cfg(test)]
pub(super) fn parse_bytes(kind: &str, bytes: &[u8]) -> Parsed {
    match kind.spec() {
        Some(spec) => parse_from(spec, bytes)
            .or_else(|| parse_from(spec, serde_json::from_slice::<Value>(bytes).ok()?))
            .unwrap_or(Parsed::Failed(spec.kind)),
        None => Parsed::Ignored,
    }
}

/// Parses one object given as a `Value`.
pub(super) fn parse_one(kind: impl KindKey, v: Value) -> Parsed {
    match kind.spec() {
        Some(spec) => parse_from(spec, v).unwrap_or(Parsed::Failed(spec.kind)),
        None => Parsed::Ignored,
    }
}

/// Drops `null` members (`ports: null` in Helm renders), so absent and null read the same.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Parses a `coder/…` or `identity/…` file: JSON, or JSON Lines (`.jsonl`, or JSON that does not
/// parse as one document) as an array of the lines that parse.
pub fn parse_state_file(path: &str, bytes: &[u8]) -> Value {
    let lines = || {
        Value::Array(
            bytes
                .split(|b| *b == b'\n')
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect(),
        )
    };
    if path.ends_with(".jsonl") {
        return lines();
    }
    serde_json::from_slice::<Value>(bytes).unwrap_or_else(|_| lines())
}
