//! Loading a snapshot into an [`Inventory`]: one thread reads and splits the archive into batches
//! of lines while the others parse them into the typed objects.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use coder_sec_model::archive::{LineError, append_line};
use coder_sec_model::{ReadLimits, SnapshotReader};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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

impl Inventory {
    /// Loads a snapshot. One thread reads (decompresses, checks and splits the archive into
    /// batches of lines) while the others parse the previous batch into the typed objects.
    pub fn load(path: &Path, limits: ReadLimits) -> Result<Inventory, InventoryError> {
        use rayon::prelude::*;
        let wrap = |source| InventoryError::Archive {
            path: path.to_path_buf(),
            source,
        };
        let reader = SnapshotReader::open(path, limits).map_err(wrap)?;
        // Each batch goes straight into its place: no list of every parsed object is ever held.
        let mut loader = Loader::default();
        let mut coder_files = BTreeMap::new();
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
                                    .map(|&(a, b)| parse_bytes(batch.kind, &batch.buf[a..b]))
                                    .collect()
                            },
                            || previous.into_iter().for_each(|p| loader.absorb(p)),
                        );
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
        let (manifest, _mismatches) = match read {
            Ok(result) => result.map_err(wrap)?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut inv = loader.finish();
        inv.manifest = Some(manifest);
        inv.coder_files = coder_files;
        Ok(inv)
    }
}

/// The state files [`Inventory::load`] reads, by path prefix: the Coder API's answers and the
/// capturing identity's rules. The capture's own summaries (`coder/deployments.json`, the workspace
/// summary, Helm records) restate objects the analysis reads from the kinds, so they are skipped.
pub const STATE_READ: &[&str] = &["coder/api/", "identity/"];

/// Lines of one kind, read and not yet parsed: one buffer, and where each line lies in it.
struct Batch {
    kind: &'static str,
    buf: Vec<u8>,
    lines: Vec<(usize, usize)>,
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
) -> Result<
    (Manifest, Vec<coder_sec_model::archive::Mismatch>),
    coder_sec_model::archive::ArchiveError,
> {
    let max_line = limits.max_line_bytes;
    let gone = || "the loader stopped".to_string();
    reader.read_entries(|info, r| {
        let Some(kind) = info.kind else {
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
                kind: kind.kind,
                buf: Vec::new(),
                lines: Vec::new(),
            });
            b.kind = kind.kind;
            b.buf.clear();
            b.lines.clear();
            b
        };
        let mut batch = fresh();
        let mut seen = 0usize;
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
            if batch.buf[start..].iter().all(u8::is_ascii_whitespace) {
                batch.buf.truncate(start);
                continue;
            }
            batch.lines.push((start, batch.buf.len()));
            seen += 1;
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
            Parsed::Ignored => {}
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
    Ignored,
}

const KNOWN_KINDS: &[&str] = &[
    "Namespace",
    "Node",
    "Pod",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "Service",
    "Ingress",
    "NetworkPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ResourceQuota",
    "LimitRange",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

pub(super) fn known_kind(kind: &str) -> Option<&'static str> {
    KNOWN_KINDS.iter().copied().find(|k| *k == kind)
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
fn parse_from(kind: &'static str, source: impl Source) -> Option<Parsed> {
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

/// Parses one JSON line: straight into the typed object (the common case), or through a `Value`
/// with `null`s dropped when that fails.
pub(super) fn parse_bytes(kind: &'static str, bytes: &[u8]) -> Parsed {
    parse_from(kind, bytes)
        .or_else(|| parse_from(kind, serde_json::from_slice::<Value>(bytes).ok()?))
        .unwrap_or(Parsed::Failed(kind))
}

/// Parses one object given as a `Value`.
pub(super) fn parse_one(kind: &'static str, v: Value) -> Parsed {
    parse_from(kind, v).unwrap_or(Parsed::Failed(kind))
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
