//! The technique and finding catalog: every edge of the trust graph names a [`Technique`], every
//! non-path check a [`FindingCode`]. Each code is stable (kebab-case), carries a one-line
//! precondition or description, a remediation, the seed bullet it belongs to, a MITRE ATT&CK for
//! Containers id where one exists and, for techniques, the path cost used by the search.
//!
//! `docs/techniques.md` is generated from this table; a test fails when the two drift apart.

use serde::{Serialize, Serializer};

use crate::seed::SeedBullet;

/// The family of a technique: which module of `techniques/` adds its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Container escapes and host mounts (`techniques::escape`).
    Escape,
    /// Abuse of effective RBAC permissions (`techniques::rbac`).
    Rbac,
    /// Workload identity, tokens, nodes and cloud roles (`techniques::identity`).
    Identity,
    /// Exposures and network reach (`techniques::network`).
    Network,
    /// Coder principals, database, Git providers (`techniques::coder`).
    Coder,
    /// Container registries and pull credentials (`techniques::registry`).
    Registry,
}

/// Metadata of one technique.
#[derive(Debug, Clone, Copy)]
pub struct TechniqueInfo {
    /// Stable kebab-case code.
    pub code: &'static str,
    /// Family (module) that adds it.
    pub family: Family,
    /// The vertex kinds the edge goes between.
    pub edge: &'static str,
    /// One-line precondition.
    pub precondition: &'static str,
    /// What to change so the edge disappears.
    pub remediation: &'static str,
    /// The seed bullet the technique checks.
    pub seed: SeedBullet,
    /// MITRE ATT&CK for Containers technique id, where one exists.
    pub attack: Option<&'static str>,
    /// Path cost: the search prefers cheaper steps (1 = trivial, 10 = needs an exploit; 0 only for
    /// `pod-host-path`, which names the volume an escape uses rather than adding a step).
    pub cost: u32,
}

macro_rules! techniques {
    ($( $(#[$doc:meta])* $variant:ident = {
        code: $code:literal, family: $family:ident, edge: $edge:literal,
        precondition: $pre:literal, remediation: $rem:literal, seed: $seed:ident,
        attack: $attack:expr, cost: $cost:literal $(,)?
    } ),* $(,)?) => {
        /// Every technique the graph knows; each edge names one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Technique {
            $( $(#[$doc])* $variant, )*
        }

        impl Technique {
            /// Every technique, in catalog order.
            pub const ALL: &'static [Technique] = &[ $( Technique::$variant, )* ];

            /// This technique's metadata.
            pub fn info(self) -> &'static TechniqueInfo {
                match self {
                    $( Technique::$variant => &TechniqueInfo {
                        code: $code,
                        family: Family::$family,
                        edge: $edge,
                        precondition: $pre,
                        remediation: $rem,
                        seed: SeedBullet::$seed,
                        attack: $attack,
                        cost: $cost,
                    }, )*
                }
            }
        }
    };
}

techniques! {
    /// Privileged container: mount the host's disks or load modules.
    EscapePrivileged = { code: "escape-privileged", family: Escape, edge: "Pod → Node",
        precondition: "a container (init and ephemeral included) runs with `securityContext.privileged: true`",
        remediation: "drop `privileged`; enforce Pod Security `baseline` or `restricted` on the namespace",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 2 },
    /// Privileged container sharing the host PID namespace: `nsenter -t 1`.
    EscapeNsenter = { code: "escape-nsenter", family: Escape, edge: "Pod → Node",
        precondition: "a privileged container in a pod with `hostPID: true`",
        remediation: "drop `hostPID` and `privileged`; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 1 },
    /// CAP_SYS_MODULE: load a kernel module.
    EscapeSysModule = { code: "escape-sys-module", family: Escape, edge: "Pod → Node",
        precondition: "a container adds `SYS_MODULE` (or `ALL`) or is privileged",
        remediation: "drop added capabilities (`capabilities.drop: [ALL]`); enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 2 },
    /// CAP_SYS_PTRACE + CAP_SYS_ADMIN with hostPID: inject into a host process.
    EscapePtrace = { code: "escape-ptrace", family: Escape, edge: "Pod → Node",
        precondition: "a container adds `SYS_PTRACE` and `SYS_ADMIN` in a `hostPID` pod, not confined by an explicit AppArmor `RuntimeDefault`/`Localhost` profile",
        remediation: "drop `hostPID` and the capabilities; keep AppArmor/seccomp `RuntimeDefault`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 3 },
    /// A container mounts a hostPath volume: the step into the node's filesystem that the hostPath
    /// escapes leave from (cost 0: not an attacker's step of its own).
    PodHostPath = { code: "pod-host-path", family: Escape, edge: "Pod → Volume (hostPath)",
        precondition: "a container mounts a hostPath volume that one of the hostPath escapes below uses (the `Volume/NS/POD/VOLUME` vertex exists only then)",
        remediation: "remove the hostPath volume; enforce Pod Security `baseline` (no hostPath)",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 0 },
    /// Writable hostPath of `/proc/sys/kernel` (or above) as root: rewrite `core_pattern`.
    EscapeCorePattern = { code: "escape-core-pattern", family: Escape, edge: "Volume (hostPath) → Node",
        precondition: "a container mounts hostPath `/`, `/proc`, `/proc/sys` or `/proc/sys/kernel` writable and may run as root (uid 0 or unset without `runAsNonRoot`)",
        remediation: "remove the hostPath volume; set `runAsNonRoot: true`; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 3 },
    /// Writable hostPath of `/var/log` plus `pods/log` read: symlink to any host file.
    EscapeVarLogSymlink = { code: "escape-var-log-symlink", family: Escape, edge: "Volume (hostPath) → Node",
        precondition: "a container mounts hostPath `/`, `/var` or `/var/log` writable, may run as root, and its service account may `get pods/log`",
        remediation: "remove the hostPath volume or make it read-only; do not grant `pods/log` to that service account",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 4 },
    /// Readable sensitive host path: SSH keys, kubelet credentials, shadow file.
    EscapeHostRead = { code: "escape-host-read", family: Escape, edge: "Volume (hostPath) → Node",
        precondition: "a container mounts, read-only being enough, a hostPath at, under or above a host folder of credentials: `/etc/kubernetes`, `/etc/shadow`, `/etc/cni/net.d`, `/etc/rancher`, `/root/.kube`, `/root/.ssh`, `/home/<user>/.ssh` or `.kube`, `/var/lib/kubelet/pki`, `/var/lib/kubelet/kubeconfig`, `/var/lib/kubernetes`, `/var/lib/minikube/certs`, `/var/lib/rancher`, `/proc` but not `/proc/sys` (so `/`, `/etc`, `/var`, `/var/lib`, `/var/lib/kubelet`, `/root`, `/home` too)",
        remediation: "remove the hostPath volume; enforce Pod Security `baseline` (no hostPath)",
        seed: NodeUserAccess, attack: Some("T1552.001"), cost: 5 },
    /// Writable host path outside an allow-list: drop a cron job, a binary or a unit file.
    EscapeHostWrite = { code: "escape-host-write", family: Escape, edge: "Volume (hostPath) → Node",
        precondition: "a container mounts writable a hostPath off the allow-list (`/tmp`, `/var/tmp`, `/mnt/*`, `/dev/shm`, `/run/udev`, `/sys/kernel/debug`, `/var/log`) at, under or above a place the host runs code from as root (`/etc`, `/usr`, `/usr/src` for DKMS, `/bin`, `/sbin`, `/lib`, `/lib64`, `/boot`, `/root`, `/home`, `/opt/cni/bin`, `/var/spool/cron`, `/proc/sys`, `/sys/kernel`, `/sys/fs/cgroup`, `/var/lib/kubelet`, `/var/lib/containerd`, `/var/lib/docker`); the edge says which; a folder nothing on the host runs or trusts (`/data`) is not the node",
        remediation: "mount the hostPath `readOnly: true` or replace it with an emptyDir or a CSI volume",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 3 },
    /// hostPath at or above `/var/lib/kubelet/pods`: read co-located pods' projected tokens.
    EscapeKubeletPodsDir = { code: "escape-kubelet-pods-dir", family: Escape, edge: "Volume (hostPath) → ServiceAccount (co-located pods)",
        precondition: "a container mounts hostPath `/`, `/var`, `/var/lib`, `/var/lib/kubelet`, `/var/lib/kubelet/pods` or below, and another pod on the same node mounts its service-account token",
        remediation: "remove the hostPath volume; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1528"), cost: 2 },
    /// Container runtime socket: start a privileged container on the host.
    EscapeRuntimeSocket = { code: "escape-runtime-socket", family: Escape, edge: "Volume (hostPath) → Node",
        precondition: "a container mounts hostPath of a docker, containerd or cri-o socket (or the folder holding it: `/run`, `/var/run`, `/run/containerd`)",
        remediation: "remove the socket mount; build images with a rootless builder (kaniko, buildkit rootless, envbuilder) instead",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 1 },
    /// hostPID without privilege: the environment and root folder of co-located processes.
    EscapeHostPidEnviron = { code: "escape-host-pid-environ", family: Escape, edge: "Pod → Pod (co-located), Node",
        precondition: "a non-privileged container in a `hostPID` pod reads `/proc/PID/environ` and `/proc/PID/root` of the node's containers that run as the same uid (stated and equal, or both root) with no more capabilities than its own (agent tokens, coderd's env, mounted tokens); with `CAP_SYS_PTRACE` as root and no explicit AppArmor profile, every host process and `/proc/1/root`: the node",
        remediation: "drop `hostPID`; enforce Pod Security `baseline`; run workloads as distinct non-root uids",
        seed: NodeUserAccess, attack: Some("T1552.007"), cost: 3 },
    /// CAP_SYS_ADMIN alone: mount a cgroup v1 hierarchy and abuse `release_agent`.
    EscapeSysAdmin = { code: "escape-sys-admin", family: Escape, edge: "Pod → Node",
        precondition: "a non-privileged container adds `SYS_ADMIN` (or `ALL`), may run as root, and is not confined by an explicit AppArmor `RuntimeDefault`/`Localhost` profile (which forbids `mount`); the escape needs cgroup v1 on the node",
        remediation: "drop `SYS_ADMIN` (`capabilities.drop: [ALL]`); keep AppArmor `RuntimeDefault`; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 4 },
    /// CAP_DAC_READ_SEARCH: `open_by_handle_at` reads host files ("shocker").
    EscapeDacReadSearch = { code: "escape-dac-read-search", family: Escape, edge: "Pod → Node",
        precondition: "a non-privileged container adds `DAC_READ_SEARCH` (or `ALL`) and may run as root: `open_by_handle_at` opens any file of a host filesystem bind-mounted into it (`/etc/hosts`), the kubelet's credentials included",
        remediation: "drop `DAC_READ_SEARCH`; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 4 },
    /// Windows HostProcess container: a process on the host.
    EscapeWindowsHostProcess = { code: "escape-windows-host-process", family: Escape, edge: "Pod → Node",
        precondition: "a container (or its pod) sets `securityContext.windowsOptions.hostProcess: true`",
        remediation: "allow HostProcess pods only in system namespaces; enforce Pod Security `baseline`",
        seed: NodeUserAccess, attack: Some("T1611"), cost: 1 },
    /// Root on a node: exec into or read every container on it.
    NodePodAccess = { code: "node-pod-access", family: Identity, edge: "Node → Pod",
        precondition: "always: root on a node controls every container running on it",
        remediation: "separate workloads of different trust onto different nodes (taints, node pools); prevent escapes",
        seed: NodeUserAccess, attack: None, cost: 1 },
    /// Root on a node: the kubelet's credentials (Node authorizer identity).
    NodeKubeletIdentity = { code: "node-kubelet-identity", family: Identity, edge: "Node → Group/system:nodes, User/system:node:NAME",
        precondition: "always, where RBAC grants the node identity anything beyond the Node authorizer",
        remediation: "do not bind roles to `system:nodes` or `system:node:*`; keep the NodeRestriction admission plugin on",
        seed: NodeUserAccess, attack: Some("T1078"), cost: 1 },
    /// Root on a self-managed control-plane node: the cluster's admin credentials.
    NodeControlPlane = { code: "node-control-plane", family: Identity, edge: "Node (control plane) → Virtual/cluster-admin",
        precondition: "the node is a control-plane node of a self-managed cluster (label `node-role.kubernetes.io/control-plane` or `master`, or static `kube-apiserver`/`etcd` pods): `/etc/kubernetes` holds `admin.conf` and the CA keys; never on EKS, GKE or AKS, whose control planes are not nodes of the cluster",
        remediation: "taint control-plane nodes `NoSchedule` and admit no other workloads there; keep hostPath and privileged pods off them",
        seed: ClusterAdmins, attack: Some("T1552.001"), cost: 1 },
    /// A pod an attacker creates can be placed on any node (`spec.nodeName`).
    NodeSchedule = { code: "node-schedule", family: Identity, edge: "Virtual/any-node → Node",
        precondition: "a privileged pod the attacker creates may name any schedulable node in `spec.nodeName`",
        remediation: "block privileged pods (Pod Security); isolate node pools with taints and admission policy",
        seed: NodeUserAccess, attack: Some("T1610"), cost: 1 },
    /// A subject acts with the permissions of its groups.
    GroupMember = { code: "group-member", family: Identity, edge: "User, ServiceAccount, Node → Group",
        precondition: "the subject is in the group (`system:authenticated`, `system:serviceaccounts[:NS]`, `system:unauthenticated`, `system:nodes`), and the group holds permissions",
        remediation: "bind nothing beyond discovery to implicit groups",
        seed: ClusterAdmins, attack: None, cost: 1 },
    /// A pod's mounted service-account token.
    PodServiceAccount = { code: "pod-service-account", family: Identity, edge: "Pod or Volume (projected token) → ServiceAccount",
        precondition: "the pod mounts a token of its service account (automount not disabled on pod or SA, or a projected token volume)",
        remediation: "set `automountServiceAccountToken: false` where the workload does not call the API; trim the SA's roles",
        seed: CoderServiceAccounts, attack: Some("T1528"), cost: 1 },
    /// A projected service-account-token volume the pod spec declares (not the `kube-api-access-*`
    /// one admission adds): the step into the token it holds (cost 0: not an attacker's step).
    PodTokenVolume = { code: "pod-token-volume", family: Identity, edge: "Pod → Volume (projected token)",
        precondition: "the pod spec declares a projected `serviceAccountToken` volume (a custom audience such as `sts.amazonaws.com` or `vault`); the `Volume/NS/POD/VOLUME` vertex leads on by `pod-service-account`",
        remediation: "declare a token volume only where the workload calls the audience's service; keep its `expirationSeconds` short",
        seed: CoderServiceAccounts, attack: Some("T1528"), cost: 0 },
    /// A Secret mounted as a volume or passed through env in a pod.
    PodSecret = { code: "pod-secret", family: Identity, edge: "Pod → Secret",
        precondition: "the pod mounts the Secret (volume, projected source) or reads it into env (`secretKeyRef`, `envFrom`)",
        remediation: "mount only the Secrets a container needs; keep credentials out of pods users control",
        seed: ClusterAdmins, attack: Some("T1552.007"), cost: 1 },
    /// A service-account token Secret holds a long-lived token.
    SecretServiceAccountToken = { code: "secret-sa-token", family: Identity, edge: "Secret → ServiceAccount",
        precondition: "a Secret of type `kubernetes.io/service-account-token` names the service account",
        remediation: "delete legacy token Secrets; use projected, time-bound tokens",
        seed: CoderServiceAccounts, attack: Some("T1528"), cost: 1 },
    /// IRSA: the SA assumes an AWS IAM role.
    WorkloadIdentityAws = { code: "workload-identity-aws", family: Identity, edge: "ServiceAccount → CloudRole",
        precondition: "the service account is annotated `eks.amazonaws.com/role-arn`",
        remediation: "scope the IAM role to what the workload needs; restrict its trust policy to this SA",
        seed: CloudControlPlane, attack: Some("T1078.004"), cost: 1 },
    /// GKE Workload Identity: the SA acts as a Google service account.
    WorkloadIdentityGcp = { code: "workload-identity-gcp", family: Identity, edge: "ServiceAccount → CloudRole",
        precondition: "the service account is annotated `iam.gke.io/gcp-service-account`",
        remediation: "scope the Google service account's IAM roles; bind `roles/iam.workloadIdentityUser` to this KSA only",
        seed: CloudControlPlane, attack: Some("T1078.004"), cost: 1 },
    /// Azure Workload Identity: the SA gets a managed identity's tokens.
    WorkloadIdentityAzure = { code: "workload-identity-azure", family: Identity, edge: "ServiceAccount → CloudRole",
        precondition: "the service account is annotated `azure.workload.identity/client-id`",
        remediation: "scope the managed identity's role assignments; restrict the federated credential's subject",
        seed: CloudControlPlane, attack: Some("T1078.004"), cost: 1 },
    /// The node's cloud identity through the instance metadata endpoint.
    MetadataEndpoint = { code: "metadata-endpoint", family: Identity, edge: "Pod → CloudRole (node instance identity)",
        precondition: "the pod runs on a cloud node and no egress NetworkPolicy blocks 169.254.169.254 (or it uses `hostNetwork`)",
        remediation: "block 169.254.169.254 with an egress NetworkPolicy; require IMDSv2 with hop limit 1 (AWS) or use GKE metadata concealment",
        seed: CloudNodes, attack: Some("T1552.005"), cost: 2 },
    /// Root on a cloud node: its instance role.
    NodeInstanceRole = { code: "node-instance-role", family: Identity, edge: "Node → CloudRole",
        precondition: "the node runs in a cloud (providerID) and has an instance identity",
        remediation: "give node roles only what kubelet and CNI need",
        seed: CloudNodes, attack: Some("T1552.005"), cost: 1 },
    /// EKS `aws-auth`: an IAM role maps to Kubernetes users and groups.
    AwsAuthMapping = { code: "aws-auth-mapping", family: Identity, edge: "CloudRole → User, Group",
        precondition: "`kube-system/aws-auth` maps the IAM role or user to a Kubernetes user or group",
        remediation: "map IAM principals to narrow groups; never map to `system:masters`; prefer EKS access entries",
        seed: CloudControlPlane, attack: Some("T1078.004"), cost: 1 },
    /// `system:masters` bypasses RBAC.
    SystemMasters = { code: "system-masters", family: Rbac, edge: "Group/system:masters → Virtual/cluster-admin",
        precondition: "membership of `system:masters` (client certificates, aws-auth, impersonation)",
        remediation: "issue no credentials in `system:masters` beyond break-glass",
        seed: ClusterAdmins, attack: Some("T1078"), cost: 1 },
    /// `*` verbs on `*` resources: cluster admin.
    RbacWildcardAdmin = { code: "rbac-wildcard-admin", family: Rbac, edge: "Subject → Virtual/cluster-admin",
        precondition: "a ClusterRoleBinding grants `*` verbs on `*` resources in `*` API groups (e.g. `cluster-admin`)",
        remediation: "bind cluster-admin to named break-glass identities only",
        seed: ClusterAdmins, attack: Some("T1078"), cost: 1 },
    /// Create pods or any pod controller: run as any SA of the namespace.
    RbacCreatePods = { code: "rbac-create-pods", family: Rbac, edge: "Subject → ServiceAccount, Secret",
        precondition: "`create` on `pods` or a pod controller (`deployments`, `daemonsets`, `statefulsets`, `replicasets` in `apps`; `jobs`, `cronjobs` in `batch`; core `replicationcontrollers`) in the namespace",
        remediation: "grant pod creation only to deployers; keep powerful SAs and Secrets out of namespaces where others create pods",
        seed: CoderServiceAccounts, attack: Some("T1610"), cost: 3 },
    /// Create a privileged pod: a node.
    RbacCreatePrivilegedPod = { code: "rbac-create-privileged-pod", family: Rbac, edge: "Subject → Virtual/any-node",
        precondition: "pod creation (as `rbac-create-pods`) in a namespace whose Pod Security `enforce` label is absent or `privileged`",
        remediation: "label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline`)",
        seed: CoderServiceAccounts, attack: Some("T1610"), cost: 3 },
    /// Patch/update a pod controller: change its template (image, SA, privileges).
    RbacPatchWorkloads = { code: "rbac-patch-workloads", family: Rbac, edge: "Subject → ServiceAccount, Virtual/any-node",
        precondition: "`patch` or `update` on a pod controller in the namespace",
        remediation: "grant workload updates only to deployers; enforce Pod Security on the namespace",
        seed: CoderServiceAccounts, attack: Some("T1610"), cost: 3 },
    /// Patch/update pods: swap the image, run code as the pod's SA.
    RbacPatchPods = { code: "rbac-patch-pods", family: Rbac, edge: "Subject → Pod",
        precondition: "`patch` or `update` on `pods` (resourceNames honoured)",
        remediation: "drop pod write access; use controllers and review their changes",
        seed: CoderServiceAccounts, attack: Some("T1609"), cost: 3 },
    /// pods/exec or pods/attach: run code in existing pods.
    RbacExecPods = { code: "rbac-exec-pods", family: Rbac, edge: "Subject → Pod",
        precondition: "`create` (or `get`, the WebSocket path) on `pods/exec` or `pods/attach` (resourceNames honoured)",
        remediation: "grant exec only to operators, per namespace; audit it",
        seed: ClusterAdmins, attack: Some("T1609"), cost: 2 },
    /// pods/ephemeralcontainers: inject a container into a running pod.
    RbacEphemeralContainers = { code: "rbac-ephemeral-containers", family: Rbac, edge: "Subject → Pod",
        precondition: "`update` or `patch` on `pods/ephemeralcontainers`",
        remediation: "grant debugging rights only to operators",
        seed: ClusterAdmins, attack: Some("T1609"), cost: 2 },
    /// Read Secrets: tokens, keys, credentials.
    RbacReadSecrets = { code: "rbac-read-secrets", family: Rbac, edge: "Subject → Secret",
        precondition: "`get`, `list` or `watch` on `secrets` (list/watch return contents; resourceNames honoured)",
        remediation: "grant Secret reads by name only; keep credentials in namespaces few can read",
        seed: ClusterAdmins, attack: Some("T1552.007"), cost: 2 },
    /// serviceaccounts/token: mint a token for any SA.
    RbacServiceAccountToken = { code: "rbac-sa-token", family: Rbac, edge: "Subject → ServiceAccount",
        precondition: "`create` on `serviceaccounts/token` (resourceNames honoured)",
        remediation: "grant token creation for named SAs only",
        seed: CoderServiceAccounts, attack: Some("T1528"), cost: 2 },
    /// bind: grant roles one does not hold.
    RbacBindRoles = { code: "rbac-bind-roles", family: Rbac, edge: "Subject → Virtual/cluster-admin, Virtual/namespace-admin/NS",
        precondition: "`create`/`update` on (cluster)rolebindings plus `bind` on any (cluster)role (no resourceNames)",
        remediation: "restrict `bind` with resourceNames to the roles the subject may hand out",
        seed: ClusterAdmins, attack: Some("T1098"), cost: 2 },
    /// escalate: write roles beyond one's own rights.
    RbacEscalateRoles = { code: "rbac-escalate-roles", family: Rbac, edge: "Subject → Virtual/cluster-admin, Virtual/namespace-admin/NS",
        precondition: "`escalate` plus `create`/`update` on (cluster)roles, and a way to be bound to them (bindings write)",
        remediation: "never grant `escalate`; manage roles through GitOps",
        seed: ClusterAdmins, attack: Some("T1098"), cost: 2 },
    /// escalate + update/patch on a role one is already bound to: rewrite it.
    RbacEscalateBoundRole = { code: "rbac-escalate-bound-role", family: Rbac, edge: "Subject → Virtual/cluster-admin, Virtual/namespace-admin/NS",
        precondition: "`escalate` plus `update`/`patch` on a Role or ClusterRole the subject is already bound to (resourceNames honoured; no `bind` or binding rights needed): it adds `*` to the role, cluster-wide through a ClusterRoleBinding, in the namespace through a RoleBinding",
        remediation: "never grant `escalate`; never let a subject write the roles it is bound to",
        seed: ClusterAdmins, attack: Some("T1098"), cost: 2 },
    /// create a service-account-token Secret and read it back: any SA's token.
    RbacMintTokenSecret = { code: "rbac-mint-token-secret", family: Rbac, edge: "Subject → ServiceAccount",
        precondition: "`create` on `secrets` in the namespace plus a way to read the new Secret (`get`/`list`/`watch` on its Secrets, or on a name no Secret holds yet): a `kubernetes.io/service-account-token` Secret annotated with any service account is filled with its token",
        remediation: "grant Secret creation and reads apart; restrict reads with resourceNames of existing Secrets; block token Secrets with a ValidatingAdmissionPolicy",
        seed: CoderServiceAccounts, attack: Some("T1528"), cost: 2 },
    /// impersonate users, groups or SAs.
    RbacImpersonate = { code: "rbac-impersonate", family: Rbac, edge: "Subject → User, Group, ServiceAccount",
        precondition: "`impersonate` on `users`, `groups` or `serviceaccounts` (resourceNames honoured; groups without names include `system:masters`)",
        remediation: "grant impersonation only with resourceNames, to auditing proxies",
        seed: ClusterAdmins, attack: Some("T1078"), cost: 1 },
    /// nodes/proxy: the kubelet API, exec in every pod of the node without audit.
    RbacNodesProxy = { code: "rbac-nodes-proxy", family: Rbac, edge: "Subject → Node",
        precondition: "`get` or `create` on `nodes/proxy`",
        remediation: "grant `nodes/proxy` to monitoring only through a scoped proxy; prefer `nodes/metrics`",
        seed: NodeUserAccess, attack: Some("T1609"), cost: 2 },
    /// CSR create + approve: client certificates for any identity.
    RbacCsrApprove = { code: "rbac-csr-approve", family: Rbac, edge: "Subject → Virtual/cluster-admin",
        precondition: "`create` on `certificatesigningrequests` and `update`/`patch` on `certificatesigningrequests/approval`",
        remediation: "grant CSR approval to the controller manager only",
        seed: ClusterAdmins, attack: Some("T1078"), cost: 4 },
    /// Admission webhooks: read or mutate every admitted object.
    RbacAdmissionWebhook = { code: "rbac-admission-webhook", family: Rbac, edge: "Subject → Virtual/cluster-admin",
        precondition: "`create`, `update` or `patch` on mutating or validating webhook configurations",
        remediation: "restrict webhook configuration writes to the platform team",
        seed: ClusterAdmins, attack: Some("T1098"), cost: 5 },
    /// Create PersistentVolumes: a hostPath PV is the node's disk.
    RbacCreatePersistentVolume = { code: "rbac-create-persistent-volume", family: Rbac, edge: "Subject → Virtual/any-node",
        precondition: "`create` on `persistentvolumes` (a hostPath PV mounts the node filesystem)",
        remediation: "let only the CSI provisioner create PVs",
        seed: CloudVolumes, attack: Some("T1611"), cost: 4 },
    /// Patch namespaces: relax the Pod Security labels.
    RbacPatchNamespacePsa = { code: "rbac-patch-namespace-psa", family: Rbac, edge: "Subject → Virtual/any-node",
        precondition: "pod creation in a namespace whose Pod Security blocks privileged pods, plus `patch`/`update` on that namespace (a ClusterRole, or a Role in that namespace: a namespace's own object is in it for RBAC)",
        remediation: "do not let pod creators edit namespaces; enforce Pod Security with a ValidatingAdmissionPolicy too",
        seed: ClusterAdmins, attack: Some("T1610"), cost: 4 },
    /// EKS aws-auth write: map oneself to `system:masters`.
    RbacAwsAuth = { code: "rbac-aws-auth", family: Rbac, edge: "Subject → Virtual/cluster-admin",
        precondition: "`update`/`patch` on ConfigMap `kube-system/aws-auth` on EKS",
        remediation: "restrict ConfigMap writes in kube-system; migrate to EKS access entries",
        seed: CloudControlPlane, attack: Some("T1098"), cost: 2 },
    /// Read a workspace's pod or deployment: its literal `CODER_AGENT_TOKEN`.
    RbacReadAgentToken = { code: "rbac-read-agent-token", family: Coder, edge: "Subject → Coder/agent-tokens/NS, Pod (workspace)",
        precondition: "`get`/`list` on `pods` or `deployments` in a namespace whose workspace pods carry a literal `CODER_AGENT_TOKEN` env",
        remediation: "restrict pod reads in workspace namespaces; use instance-identity agent auth where possible",
        seed: CoderServiceAccounts, attack: Some("T1552.007"), cost: 2 },
    /// An agent token impersonates the workspace's agent.
    CoderAgentToken = { code: "coder-agent-token", family: Coder, edge: "Coder/agent-tokens/NS → Pod (workspace)",
        precondition: "the workspace pod's spec carries its agent token as a literal env (`CODER_AGENT_TOKEN`); whoever reads it acts as the agent",
        remediation: "restrict pod and deployment reads in workspace namespaces; prefer instance-identity agent auth",
        seed: CoderServiceAccounts, attack: Some("T1552.007"), cost: 1 },
    /// Namespace admin: every SA, Secret and pod of the namespace.
    NamespaceAdminControl = { code: "namespace-admin-control", family: Rbac, edge: "Virtual/namespace-admin/NS → ServiceAccount, Secret, Pod, Virtual/any-node",
        precondition: "admin of a namespace controls its service accounts, Secrets and pods (and nodes, unless Pod Security blocks privileged pods)",
        remediation: "see the edge into the namespace-admin vertex",
        seed: ClusterAdmins, attack: None, cost: 1 },
    /// Public exposure: an exploit in the exposed application runs code in its pods.
    ExposureService = { code: "exposure-service", family: Network, edge: "Exposure/Service, Exposure/HostPort → Pod",
        precondition: "a `LoadBalancer` or `NodePort` Service selects the pod, or a container publishes a `hostPort` (an exploit in the application is needed)",
        remediation: "expose only what must be public; put it behind an authenticating proxy",
        seed: ExternalInteractions, attack: Some("T1190"), cost: 8 },
    /// Public exposure through an Ingress.
    ExposureIngress = { code: "exposure-ingress", family: Network, edge: "Exposure/Ingress → Pod",
        precondition: "an Ingress routes to a Service selecting the pod (an exploit in the application is needed)",
        remediation: "expose only what must be public; require TLS and authentication",
        seed: ExternalInteractions, attack: Some("T1190"), cost: 8 },
    /// Open sign-up through the identity provider.
    CoderOpenSignup = { code: "coder-open-signup", family: Coder, edge: "OIDC/ISSUER, Exposure → Coder/any-user",
        precondition: "`CODER_OIDC_ALLOW_SIGNUPS` is true (default) with no `CODER_OIDC_EMAIL_DOMAIN` or `CODER_OIDC_ALLOWED_GROUPS`, or GitHub sign-ups allow everyone",
        remediation: "set `CODER_OIDC_EMAIL_DOMAIN` or `CODER_OIDC_ALLOWED_GROUPS`, or disable sign-ups",
        seed: AuthMisconfiguration, attack: Some("T1078"), cost: 2 },
    /// Any Coder user creates a workspace from a template.
    CoderCreateWorkspace = { code: "coder-create-workspace", family: Coder, edge: "Coder/any-user → Coder/new-workspace/NS",
        precondition: "Coder users may create workspaces; a new workspace runs like the existing ones of that namespace",
        remediation: "review templates: no privileged pods, no powerful service accounts, no host mounts",
        seed: CoderServiceAccounts, attack: Some("T1610"), cost: 1 },
    /// Template authors run Terraform inside a provisioner with its in-cluster credentials.
    CoderTemplateProvisioner = { code: "coder-template-provisioner", family: Coder, edge: "Coder/template-author → ServiceAccount (provisioner)",
        precondition: "a template author's Terraform runs in coderd (built-in provisioners, `CODER_PROVISIONER_DAEMONS` > 0) or a provisioner pod, with that pod's service-account token",
        remediation: "run external provisioners with a narrowly bound SA; set `CODER_PROVISIONER_DAEMONS=0` on coderd",
        seed: CoderServiceAccounts, attack: Some("T1610"), cost: 2 },
    /// Owners reach every workspace.
    CoderOwnerWorkspaceAccess = { code: "coder-owner-workspace-access", family: Coder, edge: "Coder/owner → Pod (workspace)",
        precondition: "`CODER_DISABLE_OWNER_WORKSPACE_ACCESS` is not true",
        remediation: "set `CODER_DISABLE_OWNER_WORKSPACE_ACCESS=true`",
        seed: GitOauthAdmin, attack: Some("T1078"), cost: 1 },
    /// Owners are template administrators.
    CoderOwnerTemplates = { code: "coder-owner-templates", family: Coder, edge: "Coder/owner → Coder/template-author",
        precondition: "always: the owner role edits templates",
        remediation: "keep the owner role to a few people",
        seed: AuthMisconfiguration, attack: None, cost: 1 },
    /// The database credential opens the Coder database.
    CoderDbCredential = { code: "coder-db-credential", family: Coder, edge: "Secret, Pod (coderd, built-in database) → Coder/database",
        precondition: "the Secret (or literal env) behind `CODER_PG_CONNECTION_URL` (v1: `DB_PASSWORD`), coderd's pod, or v1's built-in TimescaleDB pod (`coder.deployment: timescale`)",
        remediation: "keep the database Secret in a namespace where nobody else creates pods or reads Secrets",
        seed: CoderServiceAccounts, attack: Some("T1552.007"), cost: 1 },
    /// v1: the site admin's password in a Secret.
    CoderAdminPassword = { code: "coder-admin-password", family: Coder, edge: "Secret → Coder/owner",
        precondition: "Coder v1: coderd reads the site admin's password from a Secret (`SUPER_ADMIN_PASSWORD`, chart value `coderd.superAdmin.passwordSecret`); whoever reads the Secret logs in as the site admin (v2 has no such setting: the first user is created interactively)",
        remediation: "change the site admin's password after setup and delete the Secret; keep coderd's namespace free of other Secret readers",
        seed: AuthMisconfiguration, attack: Some("T1078"), cost: 1 },
    /// v1 dev URLs publish workspace ports.
    CoderDevUrl = { code: "coder-dev-url", family: Coder, edge: "Exposure/DevURL/HOST → Pod (workspace)",
        precondition: "Coder v1: coderd's `DEVURL_HOST` (chart value `coderd.devurlsHost`) is set: users publish workspace ports at `*.HOST`, to anyone when they choose the public access level (an exploit in the served application is needed); v2 shares ports through `coder_app` and port sharing, authenticated by default",
        remediation: "leave `coderd.devurlsHost` empty, or limit dev URL access levels to signed-in users",
        seed: ExternalInteractions, attack: Some("T1190"), cost: 8 },
    /// Writing the database makes anyone an owner.
    CoderDbOwner = { code: "coder-db-owner", family: Coder, edge: "Coder/database → Coder/owner",
        precondition: "always: the database holds users, roles and API keys",
        remediation: "restrict database network access to coderd; rotate the credential",
        seed: AuthMisconfiguration, attack: None, cost: 2 },
    /// OAuth tokens stored in the database.
    CoderDbOauthTokens = { code: "coder-db-oauth-tokens", family: Coder, edge: "Coder/database → GitProvider",
        precondition: "external-auth tokens are stored in the database (in clear unless `CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS` is set)",
        remediation: "set `CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS`; narrow provider scopes",
        seed: GitOauthAdmin, attack: Some("T1528"), cost: 2 },
    /// The workspace agent token gives the owner's Git credentials.
    CoderAgentGitCredentials = { code: "coder-agent-git-credentials", family: Coder, edge: "Pod (workspace) → GitProvider",
        precondition: "code in a workspace (or anyone with its agent token) fetches the owner's Git SSH private key and external-auth OAuth tokens",
        remediation: "narrow external-auth scopes (not `repo`); protect workspaces from exec and node escapes",
        seed: GitSshKeys, attack: Some("T1528"), cost: 1 },
    /// Registry credential in a Secret.
    SecretRegistryCredential = { code: "secret-registry-credential", family: Registry, edge: "Secret → Registry",
        precondition: "a `kubernetes.io/dockerconfigjson` Secret holds credentials for the registry",
        remediation: "use a read-only, Coder-only registry account; keep pull Secrets out of user-controlled namespaces",
        seed: RegistryCoderOnlyAccount, attack: Some("T1552.007"), cost: 1 },
    /// Registry credential inlined as a literal env (envbuilder).
    EnvRegistryCredential = { code: "env-registry-credential", family: Registry, edge: "Pod → Registry",
        precondition: "a container carries a literal registry config env (`ENVBUILDER_DOCKER_CONFIG_BASE64`, `DOCKER_CONFIG_JSON`, …)",
        remediation: "mount registry credentials from a Secret with a read-only account",
        seed: RegistryCoderOnlyAccount, attack: Some("T1552.001"), cost: 1 },
}

impl Technique {
    /// The stable code.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// The path cost.
    pub fn cost(self) -> u32 {
        self.info().cost
    }

    /// Whether the step needs an exploit of an exposed application (caps a path's severity).
    pub fn needs_exploit(self) -> bool {
        matches!(
            self,
            Technique::ExposureService | Technique::ExposureIngress | Technique::CoderDevUrl
        )
    }

    /// Whether a one-step path from the source is the source's own asset, not an escalation (a
    /// workspace reaching its owner's Git credentials).
    pub fn is_own_asset(self) -> bool {
        matches!(self, Technique::CoderAgentGitCredentials)
    }

    /// Finds a technique by code.
    pub fn from_code(code: &str) -> Option<Technique> {
        Technique::ALL.iter().copied().find(|t| t.code() == code)
    }
}

impl Serialize for Technique {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl std::fmt::Display for Technique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The seed area a finding belongs to (one module of `findings/` each).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Storage.
    Storage,
    /// Networking.
    Networking,
    /// Kubernetes roles.
    Roles,
    /// Node security.
    Nodes,
    /// Coder in a shared cluster.
    SharedCluster,
    /// Authentication, Git providers, registries, secrets in env.
    External,
    /// What the snapshot could not show.
    Snapshot,
}

impl Area {
    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            Area::Storage => "Storage",
            Area::Networking => "Networking",
            Area::Roles => "Kubernetes roles",
            Area::Nodes => "Node security",
            Area::SharedCluster => "Shared cluster",
            Area::External => "Authentication, Git providers and registries",
            Area::Snapshot => "Snapshot coverage",
        }
    }
}

/// Metadata of one finding code.
#[derive(Debug, Clone, Copy)]
pub struct FindingInfo {
    /// Stable kebab-case code.
    pub code: &'static str,
    /// Seed area.
    pub area: Area,
    /// What the check looks for.
    pub description: &'static str,
    /// What to change.
    pub remediation: &'static str,
    /// The seed bullet.
    pub seed: SeedBullet,
}

macro_rules! findings {
    ($( $(#[$doc:meta])* $variant:ident = {
        code: $code:literal, area: $area:ident, seed: $seed:ident,
        description: $desc:literal, remediation: $rem:literal $(,)?
    } ),* $(,)?) => {
        /// Every finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FindingCode {
            $( $(#[$doc])* $variant, )*
        }

        impl FindingCode {
            /// Every finding code, in catalog order.
            pub const ALL: &'static [FindingCode] = &[ $( FindingCode::$variant, )* ];

            /// This code's metadata.
            pub fn info(self) -> &'static FindingInfo {
                match self {
                    $( FindingCode::$variant => &FindingInfo {
                        code: $code,
                        area: Area::$area,
                        description: $desc,
                        remediation: $rem,
                        seed: SeedBullet::$seed,
                    }, )*
                }
            }
        }
    };
}

findings! {
    /// Workspace namespace without a ResourceQuota.
    NoResourceQuota = { code: "workspace-namespace-no-resource-quota", area: Storage, seed: StorageQuotas,
        description: "a namespace holding workspaces has no ResourceQuota limiting pods, PVC count and requested storage",
        remediation: "add a ResourceQuota with `pods`, `persistentvolumeclaims` and `requests.storage`" },
    /// Quota present but without PVC/storage limits.
    QuotaWithoutStorage = { code: "workspace-quota-without-storage", area: Storage, seed: StorageDepletionPvc,
        description: "a workspace namespace's ResourceQuota limits neither `persistentvolumeclaims` nor `requests.storage`",
        remediation: "add `persistentvolumeclaims` and `requests.storage` to the quota" },
    /// No ephemeral-storage limit.
    NoEphemeralLimit = { code: "workspace-no-ephemeral-storage-limit", area: Storage, seed: StorageDepletionEphemeral,
        description: "workspace containers have no `ephemeral-storage` limit and no LimitRange sets a default",
        remediation: "add a LimitRange with a default `ephemeral-storage` limit, or set it in templates" },
    /// StorageClass without an encryption parameter.
    StorageClassUnencrypted = { code: "storage-class-unencrypted", area: Storage, seed: StorageEncryption,
        description: "a StorageClass (used by workspaces or the default) sets no encryption parameter its provisioner knows",
        remediation: "set `encrypted: \"true\"` (EBS), a `disk-encryption-kms-key` (GCE PD) or a disk encryption set (Azure), or confirm account-level default encryption" },
    /// Retain reclaim policy keeps deleted workspaces' disks.
    StorageClassRetain = { code: "storage-class-retain", area: Storage, seed: CloudVolumes,
        description: "a StorageClass or PersistentVolume keeps volumes after their claim is deleted (`Retain`): deleted workspaces' home folders live on as cloud disks",
        remediation: "use `Delete` for workspace storage, or sweep released volumes" },
    /// hostPath PersistentVolume.
    HostPathVolume = { code: "persistent-volume-host-path", area: Storage, seed: CloudVolumes,
        description: "a PersistentVolume is a hostPath volume: whoever binds it reads the node's disk",
        remediation: "use CSI volumes" },
    /// No NetworkPolicy in a workspace namespace.
    NoNetworkPolicy = { code: "workspace-namespace-no-network-policy", area: Networking, seed: NetworkBoundaries,
        description: "a namespace holding workspaces has no NetworkPolicy: workspaces reach every pod and the metadata endpoint",
        remediation: "add a default-deny policy and allow only coderd, DNS and the egress the templates need" },
    /// Workspace pods can reach coderd's database.
    WorkspaceReachesDatabase = { code: "workspace-reaches-coder-database", area: Networking, seed: NetworkBoundaries,
        description: "NetworkPolicy lets workspace pods open connections to the Coder database pods",
        remediation: "allow database ingress from coderd pods only" },
    /// Workspace pods can reach other tenants' pods.
    WorkspaceReachesTenants = { code: "workspace-reaches-other-tenants", area: Networking, seed: NetworkBoundaries,
        description: "NetworkPolicy lets workspace pods open connections to pods of non-Coder namespaces",
        remediation: "deny egress from workspaces to other namespaces" },
    /// Pods reach coderd itself.
    CoderdReachable = { code: "coderd-reachable-from-pods", area: Networking, seed: NetworkBoundaries,
        description: "NetworkPolicy lets pods of namespaces outside Coder connect to coderd's pods directly (around its Ingress or load balancer), or lets workspaces and other pods reach coderd's Prometheus or pprof listener bound to a non-loopback address",
        remediation: "select coderd's pods with an ingress NetworkPolicy that allows its port from the ingress controller and the workspace namespaces only; keep `CODER_PROMETHEUS_ADDRESS` and `CODER_PPROF_ADDRESS` on 127.0.0.1 or allow them from the monitoring namespace only" },
    /// Metadata endpoint reachable.
    MetadataReachable = { code: "metadata-endpoint-reachable", area: Networking, seed: CloudNodes,
        description: "pods on cloud nodes reach 169.254.169.254: the node's instance identity",
        remediation: "block 169.254.169.254 with an egress NetworkPolicy; use IMDSv2 hop limit 1 / metadata concealment" },
    /// coderd served without TLS.
    CoderdNoTls = { code: "coderd-no-tls", area: Networking, seed: TlsCoderd,
        description: "coderd's access URL is `http://`, or coderd is exposed without TLS on coderd or on its Ingress",
        remediation: "set an `https://` access URL with `coder.tls.secretNames` or a TLS Ingress" },
    /// coderd's database connection without TLS.
    CoderDbPlaintext = { code: "coder-db-plaintext", area: Networking, seed: TlsApplications,
        description: "coderd connects to its database without TLS: Coder v1's built-in TimescaleDB (`DB_SSL_MODE=disable`), or `sslmode=disable` in a literal v2 database URL; the login and every query cross the pod network in clear",
        remediation: "use an external PostgreSQL with TLS (`postgres.sslMode: require` on v1, `sslmode=verify-full` in v2's URL)" },
    /// coderd TLS certificate problem.
    CoderdTlsCertificate = { code: "coderd-tls-certificate", area: Networking, seed: TlsCoderd,
        description: "coderd's TLS certificate is expired, expires within 30 days, is self-signed, uses a weak key, or does not match the access URL host",
        remediation: "renew the certificate from a trusted CA (cert-manager), RSA ≥ 2048 or ECDSA, with the access URL host in its SANs" },
    /// Other TLS certificates in the cluster.
    TlsCertificate = { code: "tls-certificate", area: Networking, seed: TlsApplications,
        description: "a TLS Secret used by an Ingress is expired, expiring within 30 days, self-signed or weak",
        remediation: "renew from a trusted CA; automate with cert-manager" },
    /// Ingress without TLS.
    IngressWithoutTls = { code: "ingress-without-tls", area: Networking, seed: ExternalInteractions,
        description: "an Ingress serves hosts without TLS",
        remediation: "add `spec.tls` for every host" },
    /// Publicly exposed services.
    PublicExposure = { code: "public-exposure", area: Networking, seed: ExternalInteractions,
        description: "a LoadBalancer or NodePort Service exposes pods outside the cluster",
        remediation: "expose through one TLS Ingress; restrict `loadBalancerSourceRanges`" },
    /// Pod IP capacity.
    PodIpCapacity = { code: "pod-ip-capacity", area: Networking, seed: IpDepletionPods,
        description: "a node's pod CIDR holds fewer addresses than its max pods, or running pods use 75% or more (high from 90%) of the cluster's pod addresses (the sum of the nodes' pod CIDRs; nodes without one are left out)",
        remediation: "size pod CIDRs for max pods; cap workspaces per user" },
    /// Service (dev URL) capacity.
    ServiceIpUsage = { code: "service-ip-usage", area: Networking, seed: IpDepletionServices,
        description: "workspaces create Services (each takes a ClusterIP); many per user can exhaust the service range",
        remediation: "cap Services per namespace with a ResourceQuota (`services`)" },
    /// Who is cluster-admin equivalent.
    ClusterAdminSubjects = { code: "cluster-admin-equivalent", area: Roles, seed: ClusterAdmins,
        description: "subjects that are cluster-admin equivalent (wildcard rules cluster-wide, `system:masters`, bind/escalate/impersonate)",
        remediation: "keep this list to break-glass identities and the control plane" },
    /// coderd's permissions beyond the chart's.
    CoderdExtraPermissions = { code: "coderd-permissions-beyond-chart", area: Roles, seed: CoderServiceAccounts,
        description: "coderd's service account holds permissions beyond the Helm chart's workspace Role (pods, PVCs, deployments)",
        remediation: "remove `coder.serviceAccount.extraRules` and other bindings to coderd's SA" },
    /// coderd's pod-create reach.
    CoderdPodCreateReach = { code: "coderd-pod-create-reach", area: Roles, seed: CoderServiceAccounts,
        description: "coderd's service account creates pods in these namespaces: every template author runs arbitrary pods there, with any SA and Secret of the namespace",
        remediation: "place workspaces in dedicated namespaces without other SAs or Secrets; run provisioners externally" },
    /// Bindings to broad groups.
    BroadGroupBinding = { code: "broad-group-binding", area: Roles, seed: ClusterAdmins,
        description: "a binding grants more than discovery to `system:authenticated`, `system:unauthenticated`, `system:anonymous` or `system:serviceaccounts`",
        remediation: "bind to named groups instead" },
    /// Cloud control-plane mappings.
    CloudControlPlaneAccess = { code: "cloud-control-plane-mapping", area: Roles, seed: CloudControlPlane,
        description: "cloud identities map into the cluster (aws-auth) or service accounts assume cloud roles",
        remediation: "map cloud principals to narrow groups; scope workload identities" },
    /// Kubelet versions behind or skewed.
    KubeletSkew = { code: "kubelet-version-skew", area: Nodes, seed: NodeUpgrades,
        description: "nodes run different kubelet minors, or kubelets lag the newest node by more than one minor",
        remediation: "upgrade node pools to one version" },
    /// End-of-life Kubernetes minor.
    KubeletEndOfLife = { code: "kubernetes-end-of-life", area: Nodes, seed: NodeUpgrades,
        description: "a node's kubelet runs a Kubernetes minor that upstream no longer supports",
        remediation: "upgrade to a supported minor" },
    /// Workspaces share nodes with other workloads.
    SharedNodes = { code: "workspaces-share-nodes", area: SharedCluster, seed: SharedCluster,
        description: "workspace pods run on the same nodes as non-Coder workloads: a node escape from a workspace reaches them",
        remediation: "give workspaces a dedicated, tainted node pool" },
    /// Namespaces without Pod Security labels.
    NoPodSecurity = { code: "namespace-without-pod-security", area: SharedCluster, seed: SharedCluster,
        description: "a namespace has no Pod Security `enforce` label (or `privileged`): privileged pods are admitted",
        remediation: "label namespaces `pod-security.kubernetes.io/enforce: baseline` or `restricted`" },
    /// Containers of a pod share a process namespace.
    SharedProcessNamespace = { code: "shared-process-namespace", area: SharedCluster, seed: SharedCluster,
        description: "a pod sets `shareProcessNamespace: true`: each of its containers sees the others' processes, their environment and (through `/proc/PID/root`) their files, so the pod is one trust boundary; medium where the containers differ (a privileged or capability-adding container, a volume only some mount)",
        remediation: "drop `shareProcessNamespace` where sidecars hold credentials or privileges the main container must not have" },
    /// OIDC sign-ups open to anyone at the IdP.
    OidcOpenSignups = { code: "oidc-open-signups", area: External, seed: AuthMisconfiguration,
        description: "OIDC sign-ups are allowed without an email domain or group restriction",
        remediation: "set `CODER_OIDC_EMAIL_DOMAIN` or `CODER_OIDC_ALLOWED_GROUPS`" },
    /// OIDC ignores email_verified.
    OidcIgnoreEmailVerified = { code: "oidc-ignore-email-verified", area: External, seed: AuthMisconfiguration,
        description: "`CODER_OIDC_IGNORE_EMAIL_VERIFIED=true`: unverified emails log in as existing users",
        remediation: "unset it" },
    /// Risky Coder authentication settings.
    CoderAuthSetting = { code: "coder-auth-setting", area: External, seed: AuthMisconfiguration,
        description: "a risky coderd authentication setting (skip issuer checks, GitHub default provider, GitHub allow-everyone, password auth kept beside an IdP, long token lifetime)",
        remediation: "see the setting named in the finding" },
    /// Owners reach every workspace.
    OwnerWorkspaceAccess = { code: "owner-workspace-access", area: External, seed: GitOauthAdmin,
        description: "`CODER_DISABLE_OWNER_WORKSPACE_ACCESS` is not true: owners reach every workspace, its agent token, Git key and OAuth tokens",
        remediation: "set `CODER_DISABLE_OWNER_WORKSPACE_ACCESS=true`" },
    /// Many Coder owners.
    CoderOwners = { code: "coder-owner-count", area: External, seed: GitOauthAdmin,
        description: "more than 3 Coder users who can log in (not suspended) hold the `owner` role (from the Coder API capture): each reaches every workspace, template and the deployment's settings",
        remediation: "keep `owner` to a few break-glass accounts; use `template-admin` and `user-admin` for the rest" },
    /// OIDC → password conversion.
    LoginTypeConversion = { code: "password-login-beside-idp", area: External, seed: AuthLoginConversion,
        description: "password login stays enabled beside OIDC/GitHub: accounts created or converted to built-in login can be taken over by an administrator; medium when the Coder API capture shows users (not suspended) logging in with a password, high when owners are among them; none when the API's login methods show password login off",
        remediation: "set `CODER_DISABLE_PASSWORD_AUTH=true` once an IdP is configured" },
    /// Broad external-auth scopes.
    ExternalAuthScopes = { code: "external-auth-broad-scopes", area: External, seed: GitDotfilesAllRepos,
        description: "an external-auth provider requests broad scopes (`repo`, `admin:org`, `write:org`, `api`): a workspace token reaches every repository of its user",
        remediation: "request the narrowest scopes (fine-grained tokens, `read_repository`)" },
    /// Tokens stored unencrypted.
    ExternalTokenEncryption = { code: "external-token-encryption-missing", area: External, seed: GitOauthAdmin,
        description: "external-auth is configured but `CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS` is not set: OAuth tokens sit in clear in the database",
        remediation: "set `CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS` from a Secret" },
    /// Multiple providers of one type.
    ExternalAuthDuplicateType = { code: "external-auth-duplicate-type", area: External, seed: GitSingleProviderType,
        description: "several external-auth providers share a type; users must link each, and a mis-routed `REGEX` can send one provider's token to another host",
        remediation: "give each provider a distinct `ID` and a tight `REGEX`" },
    /// Git provider over HTTP.
    ExternalAuthInsecureUrl = { code: "external-auth-insecure-url", area: External, seed: GitSshAndHttps,
        description: "an external-auth provider URL uses `http://`",
        remediation: "use `https://` endpoints" },
    /// Secrets passed as literal env values.
    SecretLiteralEnv = { code: "secret-literal-env", area: External, seed: AuthMisconfiguration,
        description: "a container carries a secret as a literal env value (the snapshot shows a redaction marker saying `why=secret-shaped` or `why=secret-named`; ordinary settings off the allow-list are `why=not-allowed` and do not count): it sits in the pod spec, Helm release history and every reader of pods",
        remediation: "move the value to a Secret and reference it with `valueFrom.secretKeyRef`" },
    /// Mutable image tags.
    MutableImageTag = { code: "mutable-image-tag", area: External, seed: RegistryAnyUserReference,
        description: "an image is referenced by a mutable tag (`latest` or none) rather than a digest",
        remediation: "pin images by digest (`image@sha256:…`)" },
    /// Public registries.
    PublicRegistryImage = { code: "public-registry-image", area: External, seed: RegistrySelectRoles,
        description: "Coder or workspace images come from public registries rather than an approved private mirror",
        remediation: "mirror approved images into a private registry and restrict templates to it" },
    /// Pull Secrets shared by Coder and other workloads.
    RegistryCredentialScope = { code: "registry-credential-scope", area: External, seed: RegistryCoderOnlyAccount,
        description: "a registry credential is readable from workspaces or shared across namespaces: it must be a Coder-only, read-only account",
        remediation: "use a dedicated read-only registry account per purpose" },
    /// The snapshot could not see something.
    BlindSpot = { code: "snapshot-blind-spot", area: Snapshot, seed: None,
        description: "the snapshot lacks a kind or namespace (forbidden, not captured, imported from files): conclusions depending on it are weaker",
        remediation: "capture with an identity that may list the kind, or supply the missing manifests" },
}

impl FindingCode {
    /// The stable code.
    pub fn code(self) -> &'static str {
        self.info().code
    }
}

impl Serialize for FindingCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Renders `docs/techniques.md` from the catalog.
pub fn techniques_markdown() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    s.push_str("# Techniques and findings\n\n");
    s.push_str(
        "Generated from `analyzer/src/catalog.rs` (a test fails when this file drifts; rewrite it with \
         `CODER_SEC_BLESS=1 cargo test -p coder-sec-analyzer`). Every edge of the trust graph names a \
         technique; the path search adds up the costs (1 = trivial, 10 = needs an exploit; `pod-host-path` \
         and `pod-token-volume` cost 0: they name the volume the next step leaves from, so a path \
         through a volume costs what the step after it costs). See \
         `docs/analysis.md` for the cost and severity model.\n\n",
    );
    s.push_str("## Techniques\n\n");
    s.push_str(
        "| code | family | edge | precondition | remediation | seed bullet | ATT&CK | cost |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|\n");
    for t in Technique::ALL {
        let i = t.info();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | `{}` | {} | {} |",
            i.code,
            family_name(i.family),
            i.edge,
            i.precondition,
            i.remediation,
            i.seed.id(),
            i.attack.unwrap_or("—"),
            i.cost
        );
    }
    s.push_str("\n## Findings\n\n");
    s.push_str("| code | area | what it checks | remediation | seed bullet |\n");
    s.push_str("|---|---|---|---|---|\n");
    for f in FindingCode::ALL {
        let i = f.info();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | `{}` |",
            i.code,
            i.area.title(),
            i.description,
            i.remediation,
            i.seed.id()
        );
    }
    s
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::Escape => "escape",
        Family::Rbac => "rbac",
        Family::Identity => "identity",
        Family::Network => "network",
        Family::Coder => "coder",
        Family::Registry => "registry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_kebab() {
        let mut seen = HashSet::new();
        for t in Technique::ALL {
            assert!(seen.insert(t.code()), "duplicate {}", t.code());
            assert!(t.code().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(Technique::from_code(t.code()) == Some(*t));
            assert!(
                t.cost() >= 1 || matches!(t, Technique::PodHostPath | Technique::PodTokenVolume),
                "{}",
                t.code()
            );
        }
        for f in FindingCode::ALL {
            assert!(seen.insert(f.code()), "duplicate {}", f.code());
            assert!(f.code().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
    }
}
