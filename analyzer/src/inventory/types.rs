//! The object types the analysis reads: small serde types with every field optional.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

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
    /// Windows options (`hostProcess`), the containers' default.
    pub windows_options: Option<WindowsOptions>,
}

/// Windows security options of a pod or container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WindowsOptions {
    /// `hostProcess`: the container runs as a process on the Windows host.
    pub host_process: Option<bool>,
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
    /// Windows options (`hostProcess`).
    pub windows_options: Option<WindowsOptions>,
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
