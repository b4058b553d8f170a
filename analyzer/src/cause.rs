//! Edge causes: for every edge of the trust graph, the object and field a person would change to
//! remove it (the controller, not the pod; the binding or the custom role's rule, not the subject;
//! the Service, the Namespace's policies, the Coder setting). Many edges share a cause, which is what
//! makes a short fix plan possible (see `fixplan`).
//!
//! Causes are derived centrally, from the technique, the edge's endpoints and detail, with the
//! inventory and RBAC at hand, so techniques need not name them. Every technique has a rule here
//! ([`has_rule`]); a test fails for a technique without one. Edges a configuration change cannot
//! remove (a kubelet's identity, a Coder owner's control of templates) get an *inherent* cause: it is
//! reported, never proposed as a fix.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::catalog::Technique;
use crate::graph::{Fx, TrustGraph};
use crate::inventory::{Inventory, Pod, pod_ref};
use crate::rbac::{Rbac, rule_matches};

/// What to change to remove an edge: an object and one of its fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct Cause {
    /// The object reference (`DaemonSet/kube-system/x`, `RoleBinding/ns/b`, `Namespace/ns`,
    /// `Coder/settings`).
    pub object: String,
    /// The field, as a path into the object (`spec.template.spec.containers[c].securityContext.privileged`).
    pub field: String,
}

impl Cause {
    fn new(object: impl Into<String>, field: impl Into<String>) -> Cause {
        Cause {
            object: object.into(),
            field: field.into(),
        }
    }

    /// The stable key of this cause: `OBJECT#FIELD` (what `--assume-fixed` takes).
    pub fn key(&self) -> String {
        format!("{}#{}", self.object, self.field)
    }
}

/// An id into [`EdgeCauses`].
pub type CauseId = u32;

/// The causes of every edge of one graph.
#[derive(Debug, Default)]
pub struct EdgeCauses {
    /// Cause per graph edge (by edge index).
    of_edge: Vec<CauseId>,
    causes: Vec<Cause>,
    /// Whether a change can remove the cause (inherent causes cannot).
    fixable: Vec<bool>,
    /// For a cause that needs several changes (two bindings grant the same right): its parts.
    parts: Vec<Vec<CauseId>>,
    by_key: HashMap<String, CauseId, Fx>,
}

/// How a technique's edges get their cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// A field of the source pod's spec (its controller's template).
    SourcePod(PodField),
    /// A field of the target pod's spec.
    TargetPod(PodField),
    /// The hostPath volume the edge leaves from or goes to.
    HostPath,
    /// The grant that gives the source subject the right.
    Rbac(&'static [&'static str], &'static [&'static str]),
    /// A field of the source object itself.
    SourceField(&'static str),
    /// The Service or Ingress behind an exposure (or the hostPort of a pod).
    Exposure,
    /// The `aws-auth` ConfigMap's mapping of the source role.
    AwsAuth,
    /// A Coder setting, from the edge's detail.
    CoderSetting,
    /// A named Coder setting (a Helm value, a coderd environment variable).
    Setting(&'static str),
    /// The pod reaches the metadata endpoint: its hostNetwork, or its namespace's egress policy.
    Metadata,
    /// Nothing in the cluster's configuration: the field names what it is.
    Inherent(&'static str),
}

/// Which field of a pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodField {
    Privileged,
    HostPid,
    Capability(&'static str),
    ServiceAccountToken,
    SecretRef,
    TokenVolume,
    AgentTokenEnv,
    RegistryEnv,
    Placement,
    WindowsHostProcess,
}

const CREATE: &[&str] = &["create"];
const WRITE: &[&str] = &["patch", "update"];
const READ: &[&str] = &["get", "list", "watch"];
const CONTROLLERS: &[&str] = &[
    "pods",
    "replicationcontrollers",
    "deployments",
    "replicasets",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
];

/// The rule of a technique, `None` for a technique this module does not know yet (a test fails).
fn rule(t: Technique) -> Option<Rule> {
    use PodField as F;
    use Technique as T;
    Some(match t {
        T::EscapePrivileged => Rule::SourcePod(F::Privileged),
        T::EscapeNsenter => Rule::SourcePod(F::HostPid),
        T::EscapeSysModule => Rule::SourcePod(F::Capability("SYS_MODULE")),
        T::EscapePtrace => Rule::SourcePod(F::Capability("SYS_PTRACE")),
        T::EscapeHostPidEnviron => Rule::SourcePod(F::HostPid),
        T::EscapeSysAdmin => Rule::SourcePod(F::Capability("SYS_ADMIN")),
        T::EscapeDacReadSearch => Rule::SourcePod(F::Capability("DAC_READ_SEARCH")),
        T::EscapeWindowsHostProcess => Rule::SourcePod(F::WindowsHostProcess),
        T::NodeControlPlane => Rule::Inherent("control-plane node (self-managed cluster)"),
        T::PodHostPath
        | T::EscapeCorePattern
        | T::EscapeVarLogSymlink
        | T::EscapeHostRead
        | T::EscapeHostWrite
        | T::EscapeKubeletPodsDir
        | T::EscapeRuntimeSocket => Rule::HostPath,
        T::NodePodAccess => Rule::TargetPod(F::Placement),
        T::NodeKubeletIdentity => Rule::Inherent("kubelet credentials"),
        T::NodeSchedule => Rule::Inherent("scheduling"),
        T::GroupMember => Rule::Inherent("group membership"),
        T::PodServiceAccount => Rule::SourcePod(F::ServiceAccountToken),
        T::PodTokenVolume => Rule::SourcePod(F::TokenVolume),
        T::PodSecret => Rule::SourcePod(F::SecretRef),
        T::SecretServiceAccountToken => {
            Rule::SourceField("type (kubernetes.io/service-account-token)")
        }
        T::WorkloadIdentityAws | T::WorkloadIdentityGcp | T::WorkloadIdentityAzure => {
            Rule::SourceField("metadata.annotations")
        }
        T::MetadataEndpoint => Rule::Metadata,
        T::NodeInstanceRole => Rule::Inherent("instance profile"),
        T::AwsAuthMapping => Rule::AwsAuth,
        T::SystemMasters => Rule::Inherent("system:masters"),
        T::RbacWildcardAdmin => Rule::Rbac(&["*"], &["*"]),
        T::RbacCreatePods | T::RbacCreatePrivilegedPod => Rule::Rbac(CREATE, CONTROLLERS),
        T::RbacPatchWorkloads => Rule::Rbac(WRITE, CONTROLLERS),
        T::RbacPatchPods => Rule::Rbac(WRITE, &["pods"]),
        T::RbacExecPods => Rule::Rbac(&["create", "get"], &["pods/exec", "pods/attach"]),
        T::RbacEphemeralContainers => Rule::Rbac(WRITE, &["pods/ephemeralcontainers"]),
        T::RbacReadSecrets => Rule::Rbac(READ, &["secrets"]),
        T::RbacServiceAccountToken => Rule::Rbac(CREATE, &["serviceaccounts/token"]),
        T::RbacBindRoles => Rule::Rbac(
            &["bind", "create", "update", "patch"],
            &[
                "clusterroles",
                "roles",
                "clusterrolebindings",
                "rolebindings",
            ],
        ),
        T::RbacEscalateRoles => Rule::Rbac(
            &["escalate", "create", "update", "patch"],
            &["clusterroles", "roles"],
        ),
        T::RbacEscalateBoundRole => {
            Rule::Rbac(&["escalate", "update", "patch"], &["clusterroles", "roles"])
        }
        T::RbacMintTokenSecret => Rule::Rbac(CREATE, &["secrets"]),
        T::RbacImpersonate => Rule::Rbac(&["impersonate"], &["users", "groups", "serviceaccounts"]),
        T::RbacNodesProxy => Rule::Rbac(&["get", "create"], &["nodes/proxy"]),
        T::RbacCsrApprove => Rule::Rbac(
            &["create", "update", "approve"],
            &[
                "certificatesigningrequests",
                "certificatesigningrequests/approval",
                "signers",
            ],
        ),
        T::RbacAdmissionWebhook => Rule::Rbac(
            &["create", "update", "patch"],
            &[
                "mutatingwebhookconfigurations",
                "validatingwebhookconfigurations",
            ],
        ),
        T::RbacCreatePersistentVolume => Rule::Rbac(CREATE, &["persistentvolumes"]),
        T::RbacPatchNamespacePsa => Rule::Rbac(WRITE, &["namespaces"]),
        T::RbacAwsAuth => Rule::Rbac(WRITE, &["configmaps"]),
        T::RbacReadAgentToken => Rule::Rbac(READ, &["pods", "deployments", "secrets"]),
        T::CoderAgentToken => Rule::TargetPod(F::AgentTokenEnv),
        T::NamespaceAdminControl => Rule::Inherent("namespace administration"),
        T::ExposureService | T::ExposureIngress => Rule::Exposure,
        T::CoderOpenSignup => Rule::CoderSetting,
        T::CoderAdminPassword => {
            Rule::SourceField("data (the super-admin password, SUPER_ADMIN_PASSWORD)")
        }
        T::CoderDevUrl => Rule::Setting("DEVURL_HOST (coderd.devurlsHost)"),
        T::CoderCreateWorkspace => Rule::Inherent("workspace creation"),
        T::CoderTemplateProvisioner => Rule::Inherent("template provisioning"),
        T::CoderOwnerWorkspaceAccess => Rule::Inherent("owner access"),
        T::CoderOwnerTemplates => Rule::Inherent("owner role"),
        T::CoderDbCredential => Rule::Inherent("database credential"),
        T::CoderDbOwner => Rule::Inherent("database contents"),
        T::CoderDbOauthTokens => Rule::Inherent("stored OAuth tokens"),
        T::CoderAgentGitCredentials => Rule::Inherent("workspace Git credentials"),
        T::SecretRegistryCredential => Rule::SourceField("data[.dockerconfigjson]"),
        T::EnvRegistryCredential => Rule::SourcePod(PodField::RegistryEnv),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// Whether a technique has a cause rule (every technique must: a test checks).
pub fn has_rule(t: Technique) -> bool {
    rule(t).is_some()
}

/// Every API group a technique's RBAC requirement may name.
const GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "rbac.authorization.k8s.io",
    "certificates.k8s.io",
    "admissionregistration.k8s.io",
];

/// ClusterRoles Kubernetes ships: their rules are not what a person changes, the binding is.
fn built_in_role(role: &str) -> bool {
    match role.strip_prefix("ClusterRole/") {
        Some(name) => {
            name.starts_with("system:")
                || matches!(name, "cluster-admin" | "admin" | "edit" | "view")
        }
        None => false,
    }
}

/// The namespace of a namespaced reference (`Kind/ns/name`), `None` for the rest.
fn ref_namespace(r: &str) -> Option<&str> {
    let (kind, rest) = r.split_once('/')?;
    match kind {
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
        "Virtual" => rest.strip_prefix("namespace-admin/"),
        "Coder" => rest
            .strip_prefix("agent-tokens/")
            .or_else(|| rest.strip_prefix("new-workspace/")),
        _ => None,
    }
}

/// (subject, technique, target namespace).
type RbacKey = (String, Technique, Option<String>);

struct Deriver<'a> {
    inv: &'a Inventory,
    rbac: &'a Rbac,
    /// Pod index by pod reference (controller reference for template pods).
    pods: HashMap<String, usize, Fx>,
    /// RBAC causes by (subject, technique, target namespace).
    rbac_memo: HashMap<RbacKey, (Cause, Vec<Cause>), Fx>,
}

impl Deriver<'_> {
    /// The object a pod's spec is changed in, and the path to the pod spec in it.
    fn pod_object(&self, p: &Pod) -> (String, &'static str) {
        let ns = &p.metadata.namespace;
        if let Some(t) = &p.template_of {
            let prefix = if t.starts_with("CronJob/") {
                "spec.jobTemplate.spec.template.spec."
            } else {
                "spec.template.spec."
            };
            return (t.clone(), prefix);
        }
        match p.metadata.owner_references.first() {
            Some(o) if o.kind == "ReplicaSet" => {
                // `NAME-HASH`: the label says the hash; without it, a suffix in the alphabet
                // Kubernetes writes hashes in.
                let deployment = match p.metadata.labels.get("pod-template-hash") {
                    Some(h) => o.name.strip_suffix(&format!("-{h}")),
                    None => o.name.rsplit_once('-').and_then(|(d, h)| {
                        ((5..=10).contains(&h.len())
                            && h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)))
                        .then_some(d)
                    }),
                };
                match deployment {
                    Some(d) => (format!("Deployment/{ns}/{d}"), "spec.template.spec."),
                    None => (format!("ReplicaSet/{ns}/{}", o.name), "spec.template.spec."),
                }
            }
            Some(o) if !o.kind.is_empty() && o.kind != "Node" => {
                (format!("{}/{ns}/{}", o.kind, o.name), "spec.template.spec.")
            }
            _ => (format!("Pod/{ns}/{}", p.metadata.name), "spec."),
        }
    }

    fn pod(&self, reference: &str) -> Option<&Pod> {
        self.pods.get(reference).map(|&i| &self.inv.pods[i])
    }

    /// The pod and volume name of `Volume/NS/POD/VOLUME`.
    fn volume(&self, reference: &str) -> Option<(&Pod, String)> {
        let rest = reference.strip_prefix("Volume/")?;
        let (ns, rest) = rest.split_once('/')?;
        let (pod, volume) = rest.split_once('/')?;
        let pod_ref = match pod.split_once(':') {
            Some((kind, name)) => format!("{kind}/{ns}/{name}"),
            None => format!("Pod/{ns}/{pod}"),
        };
        Some((self.pod(&pod_ref)?, volume.to_string()))
    }

    /// A field of a pod's spec in the object it is changed in; `other` is the edge's other end.
    fn pod_field(
        &self,
        pod_ref_: &str,
        field: PodField,
        detail: Option<&str>,
        other: &str,
    ) -> Cause {
        let Some(p) = self.pod(pod_ref_) else {
            return Cause::new(pod_ref_, "spec");
        };
        let (object, prefix) = self.pod_object(p);
        let container = detail
            .and_then(|d| d.split('`').nth(1))
            .unwrap_or("*")
            .to_string();
        let field = match field {
            PodField::Privileged => {
                format!("{prefix}containers[{container}].securityContext.privileged")
            }
            PodField::HostPid => format!("{prefix}hostPID"),
            PodField::Capability(cap) => {
                format!("{prefix}containers[{container}].securityContext.capabilities.add[{cap}]")
            }
            PodField::ServiceAccountToken => format!("{prefix}automountServiceAccountToken"),
            PodField::SecretRef => match detail {
                Some("env" | "envFrom") => {
                    format!("{prefix}containers[*].{}[{other}]", detail.unwrap_or("env"))
                }
                _ => format!("{prefix}volumes[{other}]"),
            },
            PodField::TokenVolume => format!("{prefix}volumes (projected token)"),
            PodField::AgentTokenEnv => format!("{prefix}containers[*].env[CODER_AGENT_TOKEN]"),
            PodField::RegistryEnv => format!("{prefix}containers[{container}].env"),
            PodField::Placement => format!("{prefix}nodeSelector"),
            PodField::WindowsHostProcess => format!(
                "{prefix}containers[{container}].securityContext.windowsOptions.hostProcess"
            ),
        };
        Cause::new(object, field)
    }

    /// The grant (binding, or a custom role's rule) that gives `subject` the right, and, when
    /// several do, all of them.
    fn rbac_cause(
        &mut self,
        subject: &str,
        t: Technique,
        target_ns: Option<&str>,
        verbs: &[&str],
        resources: &[&str],
    ) -> (Cause, Vec<Cause>) {
        let key = (subject.to_string(), t, target_ns.map(str::to_string));
        if let Some(c) = self.rbac_memo.get(&key) {
            return c.clone();
        }
        let perms = self.rbac.effective(subject);
        let mut found: BTreeSet<Cause> = BTreeSet::new();
        for g in &perms.grants {
            let covers = match (&g.namespace, target_ns) {
                (None, _) => true,
                (Some(ns), Some(t)) => &**ns == t,
                (Some(_), None) => true,
            };
            if !covers {
                continue;
            }
            let Some(i) = g
                .rules
                .iter()
                .position(|r| rule_matches(r, verbs, GROUPS, resources))
            else {
                continue;
            };
            let role = &*g.role;
            let (s_kind, s_name) = subject.split_once('/').unwrap_or(("", subject));
            found.insert(if built_in_role(role) {
                Cause::new(&*g.binding, format!("subjects[{s_kind}:{s_name}]"))
            } else {
                Cause::new(role, format!("rules[{i}]"))
            });
        }
        let result = match found.len() {
            0 => (Cause::new(subject, "RBAC permissions"), Vec::new()),
            1 => match found.pop_first() {
                Some(c) => (c, Vec::new()),
                None => (Cause::new(subject, "RBAC permissions"), Vec::new()),
            },
            _ => {
                let parts: Vec<Cause> = found.into_iter().collect();
                let keys: Vec<String> = parts.iter().map(Cause::key).collect();
                (
                    Cause::new(subject, format!("RBAC grants {}", keys.join(" + "))),
                    parts,
                )
            }
        };
        self.rbac_memo.insert(key, result.clone());
        result
    }

    /// The cause of one edge and, for a cause needing several changes, its parts; whether a change
    /// can remove it.
    fn derive(
        &mut self,
        t: Technique,
        from: &str,
        to: &str,
        detail: Option<&str>,
    ) -> (Cause, Vec<Cause>, bool) {
        let Some(rule) = rule(t) else {
            return (
                Cause::new(from, format!("technique {}", t.code())),
                Vec::new(),
                false,
            );
        };
        let simple = |c: Cause| (c, Vec::new(), true);
        // A pod someone may create in a namespace (a new workspace) has no spec yet: what stops
        // its escapes is the namespace's Pod Security level.
        if let Some(ns) = from.strip_prefix("Coder/new-workspace/")
            && matches!(rule, Rule::SourcePod(_) | Rule::HostPath)
        {
            return simple(Cause::new(
                format!("Namespace/{ns}"),
                "metadata.labels[pod-security.kubernetes.io/enforce]",
            ));
        }
        match rule {
            Rule::SourcePod(f) => simple(self.pod_field(from, f, detail, to)),
            Rule::TargetPod(f) => simple(self.pod_field(to, f, detail, from)),
            Rule::HostPath => {
                let vol = if from.starts_with("Volume/") {
                    from
                } else {
                    to
                };
                match self.volume(vol) {
                    Some((p, name)) => {
                        let (object, prefix) = self.pod_object(p);
                        simple(Cause::new(
                            object,
                            format!("{prefix}volumes[{name}].hostPath"),
                        ))
                    }
                    None => simple(Cause::new(vol, "hostPath")),
                }
            }
            Rule::Rbac(verbs, resources) => {
                let (c, parts) = self.rbac_cause(from, t, ref_namespace(to), verbs, resources);
                (c, parts, true)
            }
            Rule::SourceField(field) => {
                let field = match (field, detail) {
                    ("metadata.annotations", Some(d)) => match d.split('`').nth(1) {
                        Some(k) => format!("metadata.annotations[{k}]"),
                        None => field.to_string(),
                    },
                    _ => field.to_string(),
                };
                simple(Cause::new(from, field))
            }
            Rule::Exposure => {
                if let Some(rest) = from.strip_prefix("Exposure/HostPort/") {
                    // `Exposure/HostPort/NS/POD/PORT`: the container's hostPort.
                    let mut it = rest.splitn(3, '/');
                    let (ns, pod) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
                    let c = self.pod_field(
                        &format!("Pod/{ns}/{pod}"),
                        PodField::RegistryEnv,
                        detail,
                        to,
                    );
                    let field = c.field.replace(".env", ".ports.hostPort");
                    simple(Cause::new(c.object, field))
                } else if let Some(r) = from.strip_prefix("Exposure/Service/") {
                    simple(Cause::new(format!("Service/{r}"), "spec.type"))
                } else if let Some(r) = from.strip_prefix("Exposure/Ingress/") {
                    simple(Cause::new(format!("Ingress/{r}"), "spec.rules"))
                } else {
                    simple(Cause::new(from, "exposure"))
                }
            }
            Rule::AwsAuth => {
                let id = from.strip_prefix("CloudRole/").unwrap_or(from);
                let section = if id.contains(":user/") {
                    "mapUsers"
                } else {
                    "mapRoles"
                };
                simple(Cause::new(
                    "ConfigMap/kube-system/aws-auth",
                    format!("data.{section}[{id}]"),
                ))
            }
            Rule::CoderSetting => {
                let setting = match detail {
                    Some(d) if d.contains("GitHub") => "CODER_OAUTH2_GITHUB_ALLOW_EVERYONE",
                    Some(d) if d.contains("OIDC") => "CODER_OIDC_ALLOW_SIGNUPS",
                    _ if from.starts_with("OIDC/") => "CODER_OIDC_ALLOW_SIGNUPS",
                    _ => "password sign-up (first user, CODER_DISABLE_PASSWORD_AUTH)",
                };
                simple(Cause::new("Coder/settings", setting))
            }
            Rule::Setting(name) => simple(Cause::new("Coder/settings", name)),
            Rule::Metadata => {
                if detail == Some("hostNetwork") {
                    let mut c = self.pod_field(from, PodField::HostPid, None, to);
                    c.field = c.field.replace("hostPID", "hostNetwork");
                    simple(c)
                } else {
                    let ns = ref_namespace(from).unwrap_or("?");
                    simple(Cause::new(
                        format!("Namespace/{ns}"),
                        "NetworkPolicy egress to 169.254.169.254",
                    ))
                }
            }
            Rule::Inherent(what) => (Cause::new(from, what), Vec::new(), false),
        }
    }
}

/// The causes of some edges only (by graph edge index), for a query's few paths.
pub fn causes_of(
    g: &TrustGraph,
    inv: &Inventory,
    rbac: &Rbac,
    edges: impl IntoIterator<Item = usize>,
) -> HashMap<usize, Cause, Fx> {
    let mut d = Deriver::new(inv, rbac);
    let mut out: HashMap<usize, Cause, Fx> = HashMap::default();
    for i in edges {
        if out.contains_key(&i) {
            continue;
        }
        if let Some((f, t, e, detail)) = g.edge_at(i) {
            out.insert(i, d.edge(g, f, t, e, detail).0);
        }
    }
    out
}

impl<'a> Deriver<'a> {
    fn new(inv: &'a Inventory, rbac: &'a Rbac) -> Deriver<'a> {
        Deriver {
            inv,
            rbac,
            pods: inv
                .pods
                .iter()
                .enumerate()
                .map(|(i, p)| (pod_ref(p), i))
                .collect(),
            rbac_memo: HashMap::default(),
        }
    }

    /// The cause of one graph edge (see [`Deriver::derive`]); a projected-token volume's
    /// service-account edge stands for the pod's token volume.
    fn edge(
        &mut self,
        g: &TrustGraph,
        from: crate::graph::VertexId,
        to: crate::graph::VertexId,
        e: &crate::graph::Edge,
        detail: Option<&str>,
    ) -> (Cause, Vec<Cause>, bool) {
        let (f, t) = (g.reference(from), g.reference(to));
        if e.technique == Technique::PodServiceAccount && f.starts_with("Volume/") {
            return match self.volume(f) {
                Some((p, name)) => {
                    let (object, prefix) = self.pod_object(p);
                    (
                        Cause::new(object, format!("{prefix}volumes[{name}].projected")),
                        Vec::new(),
                        true,
                    )
                }
                None => (Cause::new(f, "projected"), Vec::new(), true),
            };
        }
        self.derive(e.technique, f, t, detail)
    }
}

impl EdgeCauses {
    /// Derives the cause of every edge of `g`.
    pub fn derive(g: &TrustGraph, inv: &Inventory, rbac: &Rbac) -> EdgeCauses {
        let mut d = Deriver::new(inv, rbac);
        let mut out = EdgeCauses::default();
        // Edges of one source, technique and target namespace share their RBAC cause (millions of
        // pod-level grant edges on a large cluster): looked up without allocating.
        let mut rbac_ids: HashMap<(u32, Technique, &str), CauseId, Fx> = HashMap::default();
        out.of_edge.reserve(g.edge_count());
        for (from, to, e, detail) in g.edge_list() {
            let memo_key = match rule(e.technique) {
                Some(Rule::Rbac(..)) => Some((
                    from.index() as u32,
                    e.technique,
                    ref_namespace(g.reference(to)).unwrap_or(""),
                )),
                _ => None,
            };
            if let Some(k) = memo_key
                && let Some(&id) = rbac_ids.get(&k)
            {
                out.of_edge.push(id);
                continue;
            }
            let (cause, parts, fixable) = d.edge(g, from, to, e, detail);
            let parts: Vec<CauseId> = parts
                .into_iter()
                .map(|c| out.intern(c, true, Vec::new()))
                .collect();
            let id = out.intern(cause, fixable, parts);
            if let Some(k) = memo_key {
                rbac_ids.insert(k, id);
            }
            out.of_edge.push(id);
        }
        out
    }

    fn intern(&mut self, c: Cause, fixable: bool, parts: Vec<CauseId>) -> CauseId {
        let key = c.key();
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        let id = self.causes.len() as CauseId;
        self.causes.push(c);
        self.fixable.push(fixable);
        self.parts.push(parts);
        self.by_key.insert(key, id);
        id
    }

    /// The cause of edge `e` (by graph edge index).
    pub fn of_edge(&self, e: usize) -> CauseId {
        self.of_edge[e]
    }

    /// A cause.
    pub fn get(&self, id: CauseId) -> &Cause {
        &self.causes[id as usize]
    }

    /// Whether a change can remove a cause.
    pub fn fixable(&self, id: CauseId) -> bool {
        self.fixable[id as usize]
    }

    /// The cause with this key.
    pub fn find(&self, key: &str) -> Option<CauseId> {
        self.by_key.get(key).copied()
    }

    /// Up to `k` cause keys nearest to `key` (fewest edits, then key order).
    pub fn nearest_keys(&self, key: &str, k: usize) -> Vec<String> {
        let mut scored: Vec<(usize, &str)> = self
            .by_key
            .keys()
            .map(|c| (crate::paths::select::edit_distance(key, c), c.as_str()))
            .collect();
        scored.sort_unstable();
        scored
            .into_iter()
            .take(k)
            .map(|(_, c)| c.to_string())
            .collect()
    }

    /// Number of distinct causes.
    pub fn len(&self) -> usize {
        self.causes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.causes.is_empty()
    }

    /// Which graph edges are gone once the causes in `fixed` are removed: an edge whose cause is
    /// fixed, or whose cause needs several changes that are all fixed. Indexed by edge.
    pub fn removed_edges(&self, fixed: &[CauseId]) -> Vec<bool> {
        let mut gone = vec![false; self.causes.len()];
        for &c in fixed {
            gone[c as usize] = true;
            for &p in &self.parts[c as usize] {
                gone[p as usize] = true;
            }
        }
        for (c, parts) in self.parts.iter().enumerate() {
            if !parts.is_empty() && parts.iter().all(|&p| gone[p as usize]) {
                gone[c] = true;
            }
        }
        self.of_edge.iter().map(|&c| gone[c as usize]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_technique_has_a_cause_rule() {
        let missing: Vec<&str> = Technique::ALL
            .iter()
            .filter(|t| !has_rule(**t))
            .map(|t| t.code())
            .collect();
        assert!(
            missing.is_empty(),
            "techniques without a cause rule in cause.rs: {missing:?}"
        );
    }

    /// The cause of each edge named by its source, target and technique.
    fn cause_of(a: &crate::report::Analysis, from: &str, to: &str, t: Technique) -> Cause {
        let g = &a.graph;
        let i = g
            .edge_list()
            .position(|(f, tt, e, _)| {
                g.reference(f) == from && g.reference(tt) == to && e.technique == t
            })
            .unwrap_or_else(|| panic!("no edge {from} -[{}]-> {to}", t.code()));
        a.causes.get(a.causes.of_edge(i)).clone()
    }

    #[test]
    fn causes_name_the_controller_the_grant_and_the_rule() {
        use serde_json::json;
        let obj = |kind: &str, v: serde_json::Value| (kind.to_string(), v);
        let inv = crate::inventory::Inventory::from_objects(vec![
            obj(
                "Pod",
                json!({
                "metadata": {"name": "web-7d9f8b6c5-x2x7q", "namespace": "a",
                             "labels": {"pod-template-hash": "7d9f8b6c5"},
                             "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d9f8b6c5"}]},
                "spec": {"nodeName": "n1", "serviceAccountName": "web",
                         "containers": [{"name": "app", "securityContext": {"privileged": true}}]}}),
            ),
            obj("Node", json!({"metadata": {"name": "n1"}})),
            obj(
                "ClusterRole",
                json!({"metadata": {"name": "edit"},
                "rules": [{"verbs": ["create"], "apiGroups": [""], "resources": ["pods/exec"]}]}),
            ),
            obj(
                "ClusterRole",
                json!({"metadata": {"name": "pod-exec"},
                "rules": [{"verbs": ["list"], "apiGroups": [""], "resources": ["configmaps"]},
                          {"verbs": ["create"], "apiGroups": [""], "resources": ["pods/exec"]}]}),
            ),
            obj(
                "RoleBinding",
                json!({"metadata": {"name": "devs-edit", "namespace": "a"},
                "roleRef": {"kind": "ClusterRole", "name": "edit"},
                "subjects": [{"kind": "User", "name": "dev"}]}),
            ),
            obj(
                "ClusterRoleBinding",
                json!({"metadata": {"name": "ops-exec"},
                "roleRef": {"kind": "ClusterRole", "name": "pod-exec"},
                "subjects": [{"kind": "User", "name": "ops"}]}),
            ),
        ]);
        let a = crate::report::Analysis::build(&inv);
        let pod = "Pod/a/web-7d9f8b6c5-x2x7q";
        assert_eq!(
            cause_of(&a, pod, "Node/n1", Technique::EscapePrivileged),
            Cause::new(
                "Deployment/a/web",
                "spec.template.spec.containers[app].securityContext.privileged"
            )
        );
        // A role Kubernetes ships: the binding; a custom role: its rule.
        assert_eq!(
            cause_of(&a, "User/dev", pod, Technique::RbacExecPods),
            Cause::new("RoleBinding/a/devs-edit", "subjects[User:dev]")
        );
        assert_eq!(
            cause_of(&a, "User/ops", pod, Technique::RbacExecPods),
            Cause::new("ClusterRole/pod-exec", "rules[1]")
        );
        // Removing a cause removes exactly its edges.
        let c = a.causes.find("ClusterRole/pod-exec#rules[1]").unwrap();
        let removed = a.causes.removed_edges(&[c]);
        for (i, (f, _, e, _)) in a.graph.edge_list().enumerate() {
            let expected =
                a.graph.reference(f) == "User/ops" && e.technique == Technique::RbacExecPods;
            assert_eq!(removed[i], expected, "edge {i}");
        }
    }

    #[test]
    fn keys_are_object_hash_field() {
        let c = Cause::new("DaemonSet/kube-system/x", "spec.template.spec.hostPID");
        assert_eq!(
            c.key(),
            "DaemonSet/kube-system/x#spec.template.spec.hostPID"
        );
    }
}
