//! The loaded snapshot, typed and indexed. Built once; everything after it borrows.
//!
//! Objects are read into small serde types that keep only what the analysis uses, with every field
//! optional: an object whose shape is odd is counted in [`Inventory::unparsed`], never fatal. Pod
//! controllers with no captured pod (a `helm template` render, a scaled-down deployment) stand in for
//! their future pods as template pods.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use coder_sec_model::archive::{LineError, append_line};
use coder_sec_model::{Manifest, ReadLimits, SnapshotReader};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The archive could not be opened or read.
    #[error("cannot read snapshot `{path}`")]
    Archive {
        /// The snapshot.
        path: PathBuf,
        /// The cause.
        #[source]
        source: coder_sec_model::archive::ArchiveError,
    },
}

/// Object metadata.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    /// Name.
    pub name: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Owners.
    pub owner_references: Vec<OwnerRef>,
}

/// An owner reference.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OwnerRef {
    /// Owner kind.
    pub kind: String,
    /// Owner name.
    pub name: String,
}

/// A label selector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Exact labels.
    pub match_labels: BTreeMap<String, String>,
    /// Expressions.
    pub match_expressions: Vec<SelectorRequirement>,
}

/// One selector expression.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// Values.
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Whether the selector matches `labels` (an empty selector matches everything).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// [`LabelSelector::matches`] against labels looked up by `label` (labels with defaults, with
    /// no map built).
    pub fn matches_with<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| label(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|e| {
                let have = label(&e.key);
                match e.operator.as_str() {
                    "In" => have.is_some_and(|v| e.values.iter().any(|x| x == v)),
                    "NotIn" => have.is_none_or(|v| !e.values.iter().any(|x| x == v)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }
}

/// A namespace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Namespace {
    /// Metadata.
    pub metadata: Meta,
}

impl Namespace {
    /// The Pod Security `enforce` level, if labelled.
    pub fn psa_enforce(&self) -> Option<&str> {
        self.metadata
            .labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str)
    }
}

/// A node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Node {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: NodeSpec,
    /// Status.
    pub status: NodeStatus,
}

/// Node spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSpec {
    /// Pod CIDR.
    #[serde(rename = "podCIDR")]
    pub pod_cidr: Option<String>,
    /// Cloud provider id (`aws:///zone/i-...`).
    #[serde(rename = "providerID")]
    pub provider_id: Option<String>,
    /// Cordoned.
    pub unschedulable: bool,
}

/// Node status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStatus {
    /// Versions.
    pub node_info: NodeInfo,
    /// Capacity.
    pub capacity: BTreeMap<String, Value>,
}

/// Node versions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeInfo {
    /// Kubelet version (`v1.29.3-eks-...`).
    pub kubelet_version: String,
}

/// A pod spec (also the template of controllers).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    /// Node the pod is bound to.
    pub node_name: Option<String>,
    /// Service account.
    pub service_account_name: Option<String>,
    /// Deprecated alias of `serviceAccountName`.
    pub service_account: Option<String>,
    /// Token automount.
    pub automount_service_account_token: Option<bool>,
    /// Host PID namespace.
    #[serde(rename = "hostPID")]
    pub host_pid: bool,
    /// Host network.
    pub host_network: bool,
    /// Host IPC.
    #[serde(rename = "hostIPC")]
    pub host_ipc: bool,
    /// Containers share one process namespace (`shareProcessNamespace`).
    pub share_process_namespace: bool,
    /// Pod security context.
    pub security_context: PodSecurityContext,
    /// Containers.
    pub containers: Vec<Container>,
    /// Init containers.
    pub init_containers: Vec<Container>,
    /// Ephemeral containers.
    pub ephemeral_containers: Vec<Container>,
    /// Volumes.
    pub volumes: Vec<Volume>,
    /// Pull secrets.
    pub image_pull_secrets: Vec<NameRef>,
}

/// `{name: ...}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NameRef {
    /// Name.
    pub name: String,
}

/// Pod security context.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSecurityContext {
    /// UID.
    pub run_as_user: Option<i64>,
    /// Non-root requirement.
    pub run_as_non_root: Option<bool>,
    /// AppArmor.
    pub app_armor_profile: Option<Profile>,
}

/// AppArmor or seccomp profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// `RuntimeDefault`, `Localhost`, `Unconfined`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    /// Name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Args.
    pub args: Vec<String>,
    /// Command.
    pub command: Vec<String>,
    /// Security context.
    pub security_context: ContainerSecurityContext,
    /// Mounts.
    pub volume_mounts: Vec<VolumeMount>,
    /// Env.
    pub env: Vec<EnvVar>,
    /// envFrom.
    pub env_from: Vec<EnvFrom>,
    /// Resources.
    pub resources: Resources,
    /// Ports.
    pub ports: Vec<ContainerPort>,
}

/// A container port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    /// Port in the container.
    pub container_port: Option<i64>,
    /// Port on the node.
    pub host_port: Option<i64>,
}

/// Container resources.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Resources {
    /// Limits.
    pub limits: BTreeMap<String, Value>,
}

/// Container security context.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerSecurityContext {
    /// Privileged.
    pub privileged: Option<bool>,
    /// Capabilities.
    pub capabilities: Capabilities,
    /// UID.
    pub run_as_user: Option<i64>,
    /// Non-root requirement.
    pub run_as_non_root: Option<bool>,
    /// AppArmor.
    pub app_armor_profile: Option<Profile>,
}

/// Capabilities.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Added.
    pub add: Vec<String>,
    /// Dropped.
    pub drop: Vec<String>,
}

/// A volume mount.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VolumeMount {
    /// Volume name.
    pub name: String,
    /// Path in the container.
    pub mount_path: String,
    /// Read-only.
    pub read_only: bool,
}

/// An env var.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Literal value (a redaction marker where the value was secret).
    pub value: Option<String>,
    /// Reference.
    pub value_from: Option<EnvSource>,
}

/// `valueFrom`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvSource {
    /// Secret key.
    pub secret_key_ref: Option<KeyRef>,
    /// ConfigMap key.
    pub config_map_key_ref: Option<KeyRef>,
}

/// A key of a Secret or ConfigMap.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KeyRef {
    /// Object name.
    pub name: String,
    /// Key.
    pub key: String,
}

/// `envFrom`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvFrom {
    /// Secret.
    pub secret_ref: Option<NameRef>,
    /// ConfigMap.
    pub config_map_ref: Option<NameRef>,
}

/// A volume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    /// Name.
    pub name: String,
    /// hostPath.
    pub host_path: Option<HostPath>,
    /// Secret volume.
    pub secret: Option<SecretVolume>,
    /// Projected volume.
    pub projected: Option<Projected>,
    /// PVC.
    pub persistent_volume_claim: Option<ClaimRef>,
}

/// hostPath.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HostPath {
    /// Path on the node.
    pub path: String,
}

/// Secret volume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretVolume {
    /// Secret name.
    pub secret_name: String,
}

/// Projected volume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Projected {
    /// Sources.
    pub sources: Vec<ProjectedSource>,
}

/// Projected source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProjectedSource {
    /// Secret.
    pub secret: Option<NameRef>,
    /// Token.
    pub service_account_token: Option<Value>,
}

/// PVC reference.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimRef {
    /// Claim name.
    pub claim_name: String,
}

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
struct RawWorkload {
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

/// A pod, or the template pod of a controller that has no captured pod.
#[derive(Debug, Clone, Default)]
pub struct Pod {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: PodSpec,
    /// Phase.
    pub phase: Option<String>,
    /// For a template pod: the controller (`Deployment/ns/name`).
    pub template_of: Option<String>,
}

impl Pod {
    /// The service account name (`default` when none is named).
    pub fn service_account(&self) -> &str {
        self.spec
            .service_account_name
            .as_deref()
            .or(self.spec.service_account.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    /// Every container: regular, init and ephemeral.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.spec
            .containers
            .iter()
            .chain(&self.spec.init_containers)
            .chain(&self.spec.ephemeral_containers)
    }

    /// Whether the pod has finished (its containers no longer run).
    pub fn finished(&self) -> bool {
        matches!(self.phase.as_deref(), Some("Succeeded" | "Failed"))
    }
}

/// A service account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Metadata.
    pub metadata: Meta,
    /// Token automount.
    pub automount_service_account_token: Option<bool>,
}

/// A Secret as the snapshot keeps it: no data, only key names and redaction facts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Secret {
    /// Metadata.
    pub metadata: Meta,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Redaction facts (`keys`, `tls`, `registries`, `serviceAccount`, `helmRelease`).
    pub redacted: Value,
    /// Key sizes (older redaction layout).
    pub data_sizes: BTreeMap<String, Value>,
}

impl Secret {
    /// Registry hosts of a dockerconfigjson Secret.
    pub fn registry_hosts(&self) -> Vec<String> {
        self.redacted
            .get("registries")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("host").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// TLS certificate facts, when the Secret holds a certificate.
    pub fn tls(&self) -> Option<&Value> {
        self.redacted.get("tls").filter(|v| !v.is_null())
    }
}

/// A ConfigMap (no data; the aws-auth mappings where present).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfigMap {
    /// Metadata.
    pub metadata: Meta,
    /// Redaction facts (`keys`, `awsAuth`).
    pub redacted: Value,
}

/// A Service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: ServiceSpec,
}

/// Service spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Selector.
    pub selector: BTreeMap<String, String>,
    /// Ports.
    pub ports: Vec<ServicePort>,
    /// Source ranges.
    pub load_balancer_source_ranges: Vec<String>,
}

/// Service port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    /// Name.
    pub name: Option<String>,
    /// Port.
    pub port: Option<i64>,
    /// Target port.
    pub target_port: Option<Value>,
}

/// An Ingress.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Ingress {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: IngressSpec,
}

/// Ingress spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressSpec {
    /// TLS.
    pub tls: Vec<IngressTls>,
    /// Rules.
    pub rules: Vec<IngressRule>,
    /// Default backend.
    pub default_backend: Option<IngressBackend>,
}

/// Ingress TLS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressTls {
    /// Hosts.
    pub hosts: Vec<String>,
    /// Secret.
    pub secret_name: Option<String>,
}

/// Ingress rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressRule {
    /// Host.
    pub host: Option<String>,
    /// HTTP paths.
    pub http: Option<IngressHttp>,
}

/// Ingress HTTP.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressHttp {
    /// Paths.
    pub paths: Vec<IngressPath>,
}

/// Ingress path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressPath {
    /// Backend.
    pub backend: IngressBackend,
}

/// Ingress backend.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressBackend {
    /// Service backend.
    pub service: Option<NameRef>,
}

impl Ingress {
    /// Names of the Services this Ingress routes to.
    pub fn backend_services(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .spec
            .rules
            .iter()
            .filter_map(|r| r.http.as_ref())
            .flat_map(|h| &h.paths)
            .filter_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()))
            .chain(
                self.spec
                    .default_backend
                    .as_ref()
                    .and_then(|b| b.service.as_ref().map(|s| s.name.clone())),
            )
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A NetworkPolicy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NetworkPolicy {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: NetworkPolicySpec,
}

/// NetworkPolicy spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// Selected pods.
    pub pod_selector: LabelSelector,
    /// `Ingress`, `Egress`.
    pub policy_types: Option<Vec<String>>,
    /// Ingress rules (`None` = absent).
    pub ingress: Option<Vec<NetworkPolicyRule>>,
    /// Egress rules.
    pub egress: Option<Vec<NetworkPolicyRule>>,
}

/// One ingress or egress rule (`from` or `to`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NetworkPolicyRule {
    /// Ingress peers.
    pub from: Option<Vec<NetworkPolicyPeer>>,
    /// Egress peers.
    pub to: Option<Vec<NetworkPolicyPeer>>,
    /// Ports.
    pub ports: Option<Vec<NetworkPolicyPort>>,
}

/// A peer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkPolicyPeer {
    /// Pods.
    pub pod_selector: Option<LabelSelector>,
    /// Namespaces.
    pub namespace_selector: Option<LabelSelector>,
    /// CIDR.
    pub ip_block: Option<IpBlock>,
}

/// ipBlock.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IpBlock {
    /// CIDR.
    pub cidr: String,
    /// Exceptions.
    pub except: Vec<String>,
}

/// A port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkPolicyPort {
    /// Port number or name.
    pub port: Option<Value>,
    /// End of a range.
    pub end_port: Option<i64>,
}

/// A Role or ClusterRole.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Role {
    /// Metadata.
    pub metadata: Meta,
    /// Rules.
    pub rules: Option<Vec<PolicyRule>>,
    /// Aggregation.
    pub aggregation_rule: Option<AggregationRule>,
}

/// Aggregation rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AggregationRule {
    /// Selectors.
    pub cluster_role_selectors: Vec<LabelSelector>,
}

/// A policy rule.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyRule {
    /// Verbs.
    pub verbs: Vec<String>,
    /// API groups.
    pub api_groups: Vec<String>,
    /// Resources.
    pub resources: Vec<String>,
    /// Names.
    pub resource_names: Vec<String>,
    /// URLs.
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Binding {
    /// Metadata.
    pub metadata: Meta,
    /// Role.
    pub role_ref: RoleRef,
    /// Subjects.
    pub subjects: Option<Vec<Subject>>,
}

/// roleRef.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RoleRef {
    /// `Role` or `ClusterRole`.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// A binding subject.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(default)]
pub struct Subject {
    /// `User`, `Group`, `ServiceAccount`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (service accounts).
    pub namespace: Option<String>,
}

/// A ResourceQuota.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceQuota {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: QuotaSpec,
}

/// Quota spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuotaSpec {
    /// Hard limits.
    pub hard: BTreeMap<String, Value>,
}

/// A LimitRange.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LimitRange {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: LimitRangeSpec,
}

/// LimitRange spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LimitRangeSpec {
    /// Limits.
    pub limits: Vec<LimitRangeItem>,
}

/// One limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LimitRangeItem {
    /// `Container`, `Pod`, `PersistentVolumeClaim`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Default limits.
    pub default: BTreeMap<String, Value>,
    /// Max.
    pub max: BTreeMap<String, Value>,
}

/// A StorageClass.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageClass {
    /// Metadata.
    pub metadata: Meta,
    /// Provisioner.
    pub provisioner: String,
    /// Parameters.
    pub parameters: BTreeMap<String, String>,
    /// Reclaim policy.
    pub reclaim_policy: Option<String>,
}

/// A PersistentVolume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersistentVolume {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: PvSpec,
}

/// PV spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvSpec {
    /// hostPath.
    pub host_path: Option<HostPath>,
    /// Reclaim policy.
    pub persistent_volume_reclaim_policy: Option<String>,
}

/// A PersistentVolumeClaim.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersistentVolumeClaim {
    /// Metadata.
    pub metadata: Meta,
    /// Spec.
    pub spec: PvcSpec,
}

/// PVC spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvcSpec {
    /// Storage class.
    pub storage_class_name: Option<String>,
}

/// Everything the analysis reads, indexed.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The snapshot's manifest.
    pub manifest: Option<Manifest>,
    /// Namespaces.
    pub namespaces: Vec<Namespace>,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Pods, then template pods of controllers without pods.
    pub pods: Vec<Pod>,
    /// Service accounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// Secrets.
    pub secrets: Vec<Secret>,
    /// ConfigMaps.
    pub config_maps: Vec<ConfigMap>,
    /// Services.
    pub services: Vec<Service>,
    /// Ingresses.
    pub ingresses: Vec<Ingress>,
    /// NetworkPolicies.
    pub network_policies: Vec<NetworkPolicy>,
    /// Roles.
    pub roles: Vec<Role>,
    /// ClusterRoles.
    pub cluster_roles: Vec<Role>,
    /// RoleBindings.
    pub role_bindings: Vec<Binding>,
    /// ClusterRoleBindings.
    pub cluster_role_bindings: Vec<Binding>,
    /// ResourceQuotas.
    pub resource_quotas: Vec<ResourceQuota>,
    /// LimitRanges.
    pub limit_ranges: Vec<LimitRange>,
    /// StorageClasses.
    pub storage_classes: Vec<StorageClass>,
    /// PersistentVolumes.
    pub persistent_volumes: Vec<PersistentVolume>,
    /// PersistentVolumeClaims.
    pub persistent_volume_claims: Vec<PersistentVolumeClaim>,
    /// Number of admission webhook configurations.
    pub webhook_configurations: usize,
    /// Optional state files the analysis reads (see [`STATE_READ`]), parsed JSON or JSON Lines (as
    /// an array).
    pub coder_files: BTreeMap<String, Value>,
    /// Objects whose shape could not be read, by kind. ReplicaSets and Jobs owned by a Deployment
    /// or CronJob are not read past their owner references, so they are never counted here.
    pub unparsed: BTreeMap<String, u64>,
    pods_by_ns: HashMap<String, Vec<usize>>,
    policies_by_ns: HashMap<String, Vec<usize>>,
    pods_by_node: HashMap<String, Vec<usize>>,
    sa_index: HashMap<(String, String), usize>,
    secret_index: HashMap<(String, String), usize>,
    ns_index: HashMap<String, usize>,
    node_index: HashMap<String, usize>,
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

    /// Frees the inventory on every core: a large one is millions of small allocations, and
    /// freeing them one after another takes a noticeable part of an analysis.
    pub fn drop_in_parallel(mut self) {
        use rayon::prelude::*;
        fn all<T: Send>(v: Vec<T>) {
            v.into_par_iter().with_min_len(1024).for_each(drop);
        }
        let pods = std::mem::take(&mut self.pods);
        let rest = (
            std::mem::take(&mut self.role_bindings),
            std::mem::take(&mut self.service_accounts),
            std::mem::take(&mut self.persistent_volumes),
            std::mem::take(&mut self.persistent_volume_claims),
            std::mem::take(&mut self.secrets),
            std::mem::take(&mut self.config_maps),
        );
        rayon::join(
            || all(pods),
            || {
                all(rest.0);
                all(rest.1);
                all(rest.2);
                all(rest.3);
                all(rest.4);
                all(rest.5);
                drop(self);
            },
        );
    }

    /// Adds a `coder/…` or `identity/…` file as [`Inventory::load`] reads it (tests, other front
    /// ends).
    pub fn add_state_file(&mut self, path: &str, bytes: &[u8]) {
        self.coder_files
            .insert(path.to_string(), parse_state_file(path, bytes));
    }

    /// Builds an inventory from `(kind, object)` pairs (tests, other front ends).
    pub fn from_objects(objects: impl IntoIterator<Item = (String, Value)>) -> Inventory {
        let mut loader = Loader::default();
        for (k, v) in objects {
            loader.absorb(match known_kind(&k) {
                Some(kind) => parse_one(kind, v),
                None => Parsed::Ignored,
            });
        }
        loader.finish()
    }

    fn sort_and_index(&mut self) {
        fn key(m: &Meta) -> (&str, &str) {
            (&m.namespace, &m.name)
        }
        macro_rules! sort_by_meta {
            ($($list:ident),*) => {
                $(self.$list.sort_by(|a, b| key(&a.metadata).cmp(&key(&b.metadata)));)*
            };
        }
        sort_by_meta!(
            namespaces,
            nodes,
            service_accounts,
            secrets,
            services,
            ingresses,
            network_policies,
            roles,
            cluster_roles,
            role_bindings,
            cluster_role_bindings
        );
        self.pods.sort_by(|a, b| {
            (key(&a.metadata), &a.template_of).cmp(&(key(&b.metadata), &b.template_of))
        });
        for (i, p) in self.pods.iter().enumerate() {
            self.pods_by_ns
                .entry(p.metadata.namespace.clone())
                .or_default()
                .push(i);
            if let Some(n) = &p.spec.node_name {
                self.pods_by_node.entry(n.clone()).or_default().push(i);
            }
        }
        for (i, n) in self.network_policies.iter().enumerate() {
            self.policies_by_ns
                .entry(n.metadata.namespace.clone())
                .or_default()
                .push(i);
        }
        for (i, s) in self.service_accounts.iter().enumerate() {
            self.sa_index
                .insert((s.metadata.namespace.clone(), s.metadata.name.clone()), i);
        }
        for (i, s) in self.secrets.iter().enumerate() {
            self.secret_index
                .insert((s.metadata.namespace.clone(), s.metadata.name.clone()), i);
        }
        for (i, n) in self.namespaces.iter().enumerate() {
            self.ns_index.insert(n.metadata.name.clone(), i);
        }
        for (i, n) in self.nodes.iter().enumerate() {
            self.node_index.insert(n.metadata.name.clone(), i);
        }
    }

    /// Indexes of the pods of a namespace.
    pub fn pods_in(&self, ns: &str) -> &[usize] {
        self.pods_by_ns.get(ns).map_or(&[], Vec::as_slice)
    }

    /// The NetworkPolicies of a namespace.
    pub fn policies_in<'a>(&'a self, ns: &str) -> impl Iterator<Item = &'a NetworkPolicy> + 'a {
        self.policies_by_ns
            .get(ns)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&i| &self.network_policies[i])
    }

    /// Indexes of the pods bound to a node.
    pub fn pods_on(&self, node: &str) -> &[usize] {
        self.pods_by_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// A service account by namespace and name.
    pub fn service_account(&self, ns: &str, name: &str) -> Option<&ServiceAccount> {
        self.sa_index
            .get(&(ns.to_string(), name.to_string()))
            .map(|i| &self.service_accounts[*i])
    }

    /// A Secret by namespace and name.
    pub fn secret(&self, ns: &str, name: &str) -> Option<&Secret> {
        self.secret_index
            .get(&(ns.to_string(), name.to_string()))
            .map(|i| &self.secrets[*i])
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.ns_index.get(name).map(|i| &self.namespaces[*i])
    }

    /// A Service by namespace and name (the first, as the list is sorted by both).
    pub fn service(&self, ns: &str, name: &str) -> Option<&Service> {
        fn key(s: &Service) -> (&str, &str) {
            (&s.metadata.namespace, &s.metadata.name)
        }
        let i = self.services.partition_point(|s| key(s) < (ns, name));
        self.services.get(i).filter(|s| key(s) == (ns, name))
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.node_index.get(name).map(|i| &self.nodes[*i])
    }

    /// Every namespace name that appears on any object, sorted (namespaces may be missing from an
    /// import).
    pub fn namespace_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .namespaces
            .iter()
            .map(|n| n.metadata.name.clone())
            .chain(self.pods.iter().map(|p| p.metadata.namespace.clone()))
            .chain(
                self.service_accounts
                    .iter()
                    .map(|p| p.metadata.namespace.clone()),
            )
            .chain(self.secrets.iter().map(|p| p.metadata.namespace.clone()))
            .chain(self.roles.iter().map(|p| p.metadata.namespace.clone()))
            .chain(
                self.role_bindings
                    .iter()
                    .map(|p| p.metadata.namespace.clone()),
            )
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The ConfigMap `kube-system/aws-auth`'s mappings, if captured.
    pub fn aws_auth(&self) -> Option<&Value> {
        self.config_maps
            .iter()
            .find(|c| c.metadata.namespace == "kube-system" && c.metadata.name == "aws-auth")
            .map(|c| c.redacted.get("awsAuth").unwrap_or(&Value::Null))
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
struct Loader {
    inv: Inventory,
    /// Controllers with no pod seen yet; decided once every pod is in.
    workloads: Vec<RawWorkload>,
    /// Indices of `inv.pods` by namespace, for the first `indexed` pods.
    pods_by_ns: HashMap<String, Vec<usize>>,
    indexed: usize,
}

impl Loader {
    fn absorb(&mut self, p: Parsed) {
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

    fn finish(mut self) -> Inventory {
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
enum Parsed {
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

fn known_kind(kind: &str) -> Option<&'static str> {
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
fn parse_bytes(kind: &'static str, bytes: &[u8]) -> Parsed {
    parse_from(kind, bytes)
        .or_else(|| parse_from(kind, serde_json::from_slice::<Value>(bytes).ok()?))
        .unwrap_or(Parsed::Failed(kind))
}

/// Parses one object given as a `Value`.
fn parse_one(kind: &'static str, v: Value) -> Parsed {
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

/// The object reference of a pod: `Pod/ns/name`, or the controller for a template pod.
pub fn pod_ref(p: &Pod) -> String {
    match &p.template_of {
        Some(t) => t.clone(),
        None => format!("Pod/{}/{}", p.metadata.namespace, p.metadata.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_shapes_are_counted_not_fatal() {
        let inv = Inventory::from_objects(vec![
            ("Pod".into(), json!({"metadata": {"name": 5}})),
            (
                "Pod".into(),
                json!({"metadata": {"name": "ok", "namespace": "a"}}),
            ),
        ]);
        assert_eq!(inv.pods.len(), 1);
        assert_eq!(inv.unparsed.get("Pod"), Some(&1));
    }

    #[test]
    fn owned_replica_sets_and_jobs_are_read_no_further_than_their_owners() {
        // As JSON lines (the load's path) and as values (other front ends) alike.
        let owned = br#"{"metadata": {"name": "rs", "namespace": "a", "ownerReferences": [{"kind": "Deployment", "name": "d"}]}, "spec": {"template": 5}}"#;
        let alone = br#"{"metadata": {"name": "rs2", "namespace": "a"}, "spec": {"template": 5}}"#;
        for (kind, bytes) in [("ReplicaSet", &owned[..]), ("Job", &owned[..])] {
            assert!(
                matches!(parse_bytes(kind, bytes), Parsed::Ignored),
                "{kind}"
            );
            let v: Value = serde_json::from_slice(bytes).unwrap();
            assert!(matches!(parse_one(kind, v), Parsed::Ignored), "{kind}");
        }
        // Not owned: read in full, and a bad shape is counted.
        assert!(matches!(
            parse_bytes("ReplicaSet", alone),
            Parsed::Failed(_)
        ));
        // A Deployment is never skipped on its owners.
        assert!(matches!(
            parse_bytes("Deployment", owned),
            Parsed::Failed(_)
        ));
    }

    #[test]
    fn controllers_without_pods_become_template_pods() {
        let dep = json!({"metadata": {"name": "coder", "namespace": "coder"},
            "spec": {"selector": {"matchLabels": {"app": "c"}},
                     "template": {"metadata": {"labels": {"app": "c"}},
                                  "spec": {"serviceAccountName": "coder", "containers": [{"name": "coder"}]}}}});
        let inv = Inventory::from_objects(vec![("Deployment".into(), dep.clone())]);
        assert_eq!(inv.pods.len(), 1);
        assert_eq!(pod_ref(&inv.pods[0]), "Deployment/coder/coder");
        let pod =
            json!({"metadata": {"name": "coder-1", "namespace": "coder", "labels": {"app": "c"}}});
        let inv = Inventory::from_objects(vec![("Deployment".into(), dep), ("Pod".into(), pod)]);
        assert_eq!(inv.pods.len(), 1);
    }
}
