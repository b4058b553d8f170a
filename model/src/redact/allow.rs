//! The allow-list: the only string fields a snapshot keeps. One row per field path, with the shape its
//! value must have, the analysis that reads it and why it cannot hold a secret. Every other string of
//! every object, Coder API answer and `aws-auth` mapping becomes a marker (`why=not-allowed`);
//! `docs/redaction.md` is generated from [`ALLOW_LIST`] (`model/tests/it/docs.rs` checks it).
//!
//! Path patterns are dot-separated segments: a key, `*` (any key), `[]` (any array item), `**` (any
//! number of segments), or alternatives `a|b`; several patterns are separated by `, `. Three macros
//! stand for the places of a kind's pod template: `{meta}` (the object's `metadata` and its templates'
//! metadata), `{pod}` (every pod spec) and `{container}` (every container of every pod spec).

use std::sync::OnceLock;

use super::shape::Shape;

/// What a row's paths are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A Kubernetes object (captured or imported).
    Object,
    /// A Coder REST API answer (`coder/api/*.json`).
    CoderApi,
    /// One parsed key of `kube-system/aws-auth` (`mapRoles`, `mapUsers`, `mapAccounts`): paths start
    /// at the key's list.
    AwsAuth,
}

impl Scope {
    /// The scope's name in the documentation.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Object => "object",
            Scope::CoderApi => "Coder API",
            Scope::AwsAuth => "aws-auth",
        }
    }
}

/// One allow-list row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// What the paths are relative to.
    pub scope: Scope,
    /// The kinds the row applies to (empty: every kind).
    pub kinds: &'static [&'static str],
    /// Path patterns (see the module documentation).
    pub path: &'static str,
    /// The shape the value must have.
    pub shape: Shape,
    /// Which analysis reads the field.
    pub reads: &'static str,
    /// Why the field cannot hold a secret.
    pub why: &'static str,
}

/// Every allow-listed string field, in matching order (the first matching row decides).
pub const ALLOW_LIST: &[Allowed] = &[
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "apiVersion",
        shape: Shape::Word,
        reads: "every analysis: object identity",
        why: "API group and version, fixed by the schema",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "kind",
        shape: Shape::Word,
        reads: "every analysis: object identity",
        why: "a type name, fixed by the schema",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.name|namespace|generateName",
        shape: Shape::Name,
        reads: "every analysis: object references in the graph",
        why: "names are DNS labels that every API listing shows",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.labels.*",
        shape: Shape::Label,
        reads: "selectors, Coder detection (`app.kubernetes.io/name`, `com.coder.*`), Pod Security levels",
        why: "label values are short identifiers; credential shapes are still refused",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.annotations.*",
        shape: Shape::Annotation,
        reads: "workload identity, apparmor, Helm ownership, token Secrets (keys in the annotation table)",
        why: "read keys have their own shape; other values keep only what the free-text parser accepts",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.ownerReferences.[].kind|name|apiVersion",
        shape: Shape::Name,
        reads: "pod templates: which controller owns a pod",
        why: "references to other objects",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.creationTimestamp|deletionTimestamp",
        shape: Shape::Timestamp,
        reads: "ordering in reports",
        why: "time stamps",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{meta}.finalizers.[]",
        shape: Shape::Name,
        reads: "none (shown in `inspect`)",
        why: "controller names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "**.env.[].name",
        shape: Shape::EnvName,
        reads: "Coder settings, registry and secret-literal findings",
        why: "variable names are part of the workload schema",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "**.env.[].value",
        shape: Shape::EnvValue,
        reads: "Coder settings (`CODER_ACCESS_URL`, OIDC, TLS, ...)",
        why: "only names on the environment allow-list keep their values, and only values that pass the name's shape",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "**.env.*",
        shape: Shape::EnvValue,
        reads: "Coder settings written as a map",
        why: "as `env[].value`",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "**.env.[].valueFrom.*.*",
        shape: Shape::Name,
        reads: "secret references (`secretKeyRef`), `fieldRef` paths",
        why: "names of Secrets, keys and fields, not their values",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.envFrom.[].prefix",
        shape: Shape::EnvName,
        reads: "environment from Secrets and ConfigMaps",
        why: "a variable-name prefix",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.envFrom.[].*.name",
        shape: Shape::Name,
        reads: "environment from Secrets and ConfigMaps",
        why: "names of Secrets and ConfigMaps",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.name",
        shape: Shape::Name,
        reads: "every container finding",
        why: "container names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.image",
        shape: Shape::Image,
        reads: "Coder detection, mutable tags, public registries, registry techniques",
        why: "image references are public coordinates; hex tags (git SHAs) are kept",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.imagePullPolicy|terminationMessagePolicy|workingDir|terminationMessagePath",
        shape: Shape::Name,
        reads: "none (context)",
        why: "enumerations and paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.command",
        shape: Shape::Argv,
        reads: "Coder roles (`server`, `provisionerd`, `wsproxy`)",
        why: "flags and safe words stay; flag values and other words go unless they are safe facts",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.args",
        shape: Shape::Argv,
        reads: "Coder roles (`server`, `provisionerd`, `wsproxy`)",
        why: "as `command`",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.exec.command",
        shape: Shape::Argv,
        reads: "none (context)",
        why: "as `command`",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.securityContext.**",
        shape: Shape::Word,
        reads: "container escape techniques (privileged, capabilities, profiles)",
        why: "enumerations, capability names and profile names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.volumeMounts.[].name|mountPath|subPath|subPathExpr|mountPropagation",
        shape: Shape::Name,
        reads: "host-path and token-mount techniques",
        why: "mount names and paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.volumeDevices.[].name|devicePath",
        shape: Shape::Name,
        reads: "none (context)",
        why: "device paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.resources.**",
        shape: Shape::Quantity,
        reads: "resource-limit findings",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.ports.[].name|protocol|hostIP",
        shape: Shape::Name,
        reads: "host-port findings",
        why: "port names and protocols",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.httpGet.path",
        shape: Shape::UrlPath,
        reads: "none (context)",
        why: "the path stays, query values go",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.httpGet.host",
        shape: Shape::Host,
        reads: "none (context)",
        why: "host names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.httpGet.scheme|port",
        shape: Shape::Word,
        reads: "none (context)",
        why: "enumerations and port names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.httpGet.httpHeaders.[].name",
        shape: Shape::Word,
        reads: "none (context)",
        why: "header names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.httpGet.httpHeaders.[].value",
        shape: Shape::FreeText,
        reads: "none (context)",
        why: "free text; values of secret-named headers go",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.tcpSocket.host|port",
        shape: Shape::Host,
        reads: "none (context)",
        why: "hosts and ports",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{container}.**.grpc.service",
        shape: Shape::Name,
        reads: "none (context)",
        why: "service names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.nodeName|serviceAccountName|serviceAccount|priorityClassName|runtimeClassName|schedulerName|hostname|subdomain|dnsPolicy|restartPolicy|preemptionPolicy",
        shape: Shape::Name,
        reads: "node placement, service-account tokens, runtime classes",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.securityContext.**",
        shape: Shape::Word,
        reads: "container escape techniques",
        why: "enumerations and profile names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.imagePullSecrets.[].name",
        shape: Shape::Name,
        reads: "registry credential techniques",
        why: "names of Secrets",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.nodeSelector.*",
        shape: Shape::Label,
        reads: "node placement",
        why: "label values",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.tolerations.[].key|operator|value|effect",
        shape: Shape::Label,
        reads: "node placement (control-plane tolerations)",
        why: "taint keys and values are labels",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.affinity.**",
        shape: Shape::Label,
        reads: "node placement",
        why: "label keys, values and topology keys",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.topologySpreadConstraints.**",
        shape: Shape::Label,
        reads: "none (context)",
        why: "label keys and values",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].name",
        shape: Shape::Name,
        reads: "host-path, Secret and token volumes",
        why: "volume names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].*.*",
        shape: Shape::Name,
        reads: "host-path, Secret, projected-token and claim volumes",
        why: "volume sources name paths, Secrets, ConfigMaps, claims and drivers; deeper free-form options (flexVolume `options`, CSI attributes) are not kept",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].*.items.[].key|path",
        shape: Shape::Name,
        reads: "Secret volumes",
        why: "keys and paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].*.secretRef.name",
        shape: Shape::Name,
        reads: "Secret volumes",
        why: "names of Secrets",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].projected.sources.[].*.*",
        shape: Shape::Name,
        reads: "projected service-account tokens (`audience`, `path`)",
        why: "names, audiences and paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].projected.sources.[].*.items.[].key|path",
        shape: Shape::Name,
        reads: "projected Secrets",
        why: "keys and paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].downwardAPI.items.[].path",
        shape: Shape::Name,
        reads: "none (context)",
        why: "paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "{pod}.volumes.[].downwardAPI.items.[].fieldRef.fieldPath|apiVersion, {pod}.volumes.[].projected.sources.[].downwardAPI.items.[].fieldRef.fieldPath|apiVersion, {pod}.volumes.[].projected.sources.[].downwardAPI.items.[].resourceFieldRef.*",
        shape: Shape::Name,
        reads: "projected service-account volumes (`kube-api-access-*`)",
        why: "field paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "status.phase|qosClass|nominatedNodeName|podIP|hostIP",
        shape: Shape::Name,
        reads: "finished pods, node placement",
        why: "enumerations, names and addresses",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "status.podIPs.[].ip, status.hostIPs.[].ip",
        shape: Shape::Cidr,
        reads: "network techniques",
        why: "addresses",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "status.conditions.[].type|status|reason",
        shape: Shape::Word,
        reads: "certificate and CSR state",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "status.notAfter|notBefore",
        shape: Shape::Timestamp,
        reads: "certificate expiry",
        why: "time stamps",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "status.loadBalancer.ingress.[].ip|hostname",
        shape: Shape::Host,
        reads: "exposure findings",
        why: "public addresses",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "spec.selector.**",
        shape: Shape::Label,
        reads: "workload and Service selectors",
        why: "label keys and values",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "spec.strategy.type, spec.updateStrategy.type, spec.podManagementPolicy|serviceName|concurrencyPolicy|timeZone",
        shape: Shape::Name,
        reads: "none (context)",
        why: "enumerations and names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[],
        path: "spec.strategy|updateStrategy.rollingUpdate.*",
        shape: Shape::Quantity,
        reads: "none (context)",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["CronJob"],
        path: "spec.schedule",
        shape: Shape::Cron,
        reads: "none (context)",
        why: "cron schedules",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["StatefulSet"],
        path: "spec.volumeClaimTemplates.[].metadata.name",
        shape: Shape::Name,
        reads: "none (context)",
        why: "names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["StatefulSet"],
        path: "spec.volumeClaimTemplates.[].spec.**",
        shape: Shape::Name,
        reads: "none (context)",
        why: "storage classes, modes and quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "spec.podCIDR|providerID",
        shape: Shape::Name,
        reads: "cloud identity of nodes (`providerID`), network",
        why: "a cloud instance id and a CIDR",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "spec.podCIDRs.[]",
        shape: Shape::Cidr,
        reads: "network",
        why: "CIDRs",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "spec.taints.[].key|value|effect",
        shape: Shape::Label,
        reads: "control-plane detection",
        why: "taints are labels",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "status.nodeInfo.osImage",
        shape: Shape::FreeText,
        reads: "none (context)",
        why: "an OS name",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "status.nodeInfo.*",
        shape: Shape::Name,
        reads: "kubelet version findings",
        why: "versions, architectures and runtime names; hex machine ids are refused by the shape",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "status.addresses.[].type",
        shape: Shape::Word,
        reads: "network techniques",
        why: "address types",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "status.addresses.[].address",
        shape: Shape::Host,
        reads: "network techniques",
        why: "addresses and host names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Node"],
        path: "status.capacity|allocatable.*",
        shape: Shape::Quantity,
        reads: "resource findings",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Service"],
        path: "spec.type|clusterIP|externalTrafficPolicy|internalTrafficPolicy|sessionAffinity|loadBalancerIP|loadBalancerClass|externalName|ipFamilyPolicy",
        shape: Shape::Name,
        reads: "exposure findings",
        why: "enumerations, addresses and names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Service"],
        path: "spec.clusterIPs|externalIPs|loadBalancerSourceRanges|ipFamilies.[]",
        shape: Shape::Name,
        reads: "exposure findings (source ranges)",
        why: "addresses and CIDRs",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Service"],
        path: "spec.ports.[].name|protocol|targetPort|appProtocol",
        shape: Shape::Name,
        reads: "exposure findings",
        why: "port names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.ingressClassName",
        shape: Shape::Name,
        reads: "exposure findings",
        why: "names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.tls.[].hosts.[], spec.rules.[].host",
        shape: Shape::Host,
        reads: "exposure findings, TLS coverage",
        why: "host names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.tls.[].secretName",
        shape: Shape::Name,
        reads: "TLS coverage",
        why: "names of Secrets",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.rules.[].http.paths.[].path",
        shape: Shape::UrlPath,
        reads: "none (context)",
        why: "paths",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.rules.[].http.paths.[].pathType",
        shape: Shape::Word,
        reads: "none (context)",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Ingress"],
        path: "spec.rules.[].http.paths.[].backend.**, spec.defaultBackend.**",
        shape: Shape::Name,
        reads: "exposure: which Service an Ingress reaches",
        why: "names of Services and ports",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["IngressClass"],
        path: "spec.controller",
        shape: Shape::Name,
        reads: "none (context)",
        why: "controller names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["IngressClass"],
        path: "spec.parameters.*",
        shape: Shape::Name,
        reads: "none (context)",
        why: "references",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["NetworkPolicy"],
        path: "spec.podSelector.**",
        shape: Shape::Label,
        reads: "network isolation",
        why: "label keys and values",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["NetworkPolicy"],
        path: "spec.policyTypes.[]",
        shape: Shape::Word,
        reads: "network isolation",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["NetworkPolicy"],
        path: "spec.ingress|egress.[].from|to.[].**",
        shape: Shape::Label,
        reads: "network isolation (selectors, `ipBlock`)",
        why: "selectors and CIDRs",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["NetworkPolicy"],
        path: "spec.ingress|egress.[].ports.[].protocol|port",
        shape: Shape::Name,
        reads: "network isolation",
        why: "ports",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Role", "ClusterRole"],
        path: "rules.[].verbs|apiGroups|resources|resourceNames|nonResourceURLs.[]",
        shape: Shape::Name,
        reads: "RBAC techniques",
        why: "RBAC rules are names and verbs",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ClusterRole"],
        path: "aggregationRule.clusterRoleSelectors.[].**",
        shape: Shape::Label,
        reads: "RBAC aggregation",
        why: "selectors",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        path: "roleRef.kind|name|apiGroup",
        shape: Shape::Name,
        reads: "RBAC techniques",
        why: "references",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        path: "subjects.[].kind|name|namespace|apiGroup",
        shape: Shape::Name,
        reads: "RBAC techniques",
        why: "user, group and service-account names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ServiceAccount"],
        path: "secrets|imagePullSecrets.[].name",
        shape: Shape::Name,
        reads: "token and registry techniques",
        why: "names of Secrets",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ResourceQuota"],
        path: "spec.hard.*",
        shape: Shape::Quantity,
        reads: "quota findings",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ResourceQuota"],
        path: "spec.scopes.[], spec.scopeSelector.**",
        shape: Shape::Word,
        reads: "quota findings",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["LimitRange"],
        path: "spec.limits.[].type",
        shape: Shape::Word,
        reads: "limit findings",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["LimitRange"],
        path: "spec.limits.[].*.*",
        shape: Shape::Quantity,
        reads: "limit findings",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["StorageClass"],
        path: "provisioner|reclaimPolicy|volumeBindingMode",
        shape: Shape::Name,
        reads: "storage encryption findings",
        why: "driver names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["StorageClass"],
        path: "parameters.*",
        shape: Shape::FreeText,
        reads: "storage encryption findings (`encrypted`, key ids)",
        why: "free-form: only safe facts (booleans, words, ARNs) stay",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["StorageClass"],
        path: "allowedTopologies.**",
        shape: Shape::Label,
        reads: "none (context)",
        why: "labels",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume"],
        path: "spec.hostPath.path|type, spec.local.path, spec.nfs.server|path",
        shape: Shape::Name,
        reads: "host-path volumes",
        why: "paths and server names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume"],
        path: "spec.persistentVolumeReclaimPolicy|storageClassName|volumeMode, spec.csi.driver|fsType|volumeHandle",
        shape: Shape::Name,
        reads: "storage findings",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume", "PersistentVolumeClaim"],
        path: "spec|status.accessModes.[]",
        shape: Shape::Word,
        reads: "storage findings",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume", "PersistentVolumeClaim"],
        path: "spec|status.capacity.*, spec.resources.**",
        shape: Shape::Quantity,
        reads: "storage findings",
        why: "quantities",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume"],
        path: "spec.claimRef.kind|name|namespace|apiVersion|uid",
        shape: Shape::Name,
        reads: "storage findings",
        why: "references",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolume"],
        path: "spec.nodeAffinity.**",
        shape: Shape::Label,
        reads: "none (context)",
        why: "labels",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PersistentVolumeClaim"],
        path: "spec.storageClassName|volumeName|volumeMode",
        shape: Shape::Name,
        reads: "storage findings",
        why: "names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Secret"],
        path: "type",
        shape: Shape::Word,
        reads: "Secret techniques",
        why: "Secret types",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Secret", "ConfigMap"],
        path: "redacted.tls|registries.**, redacted.serviceAccount.*",
        shape: Shape::Fact,
        reads: "TLS, registry and token techniques",
        why: "facts the redactor extracted (certificates are public)",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Secret", "ConfigMap"],
        path: "redacted.helmRelease.name|namespace|status|error|revision",
        shape: Shape::Fact,
        reads: "Helm release identity",
        why: "facts the redactor extracted",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Secret", "ConfigMap"],
        path: "redacted.helmRelease.chart.*",
        shape: Shape::Fact,
        reads: "Helm release identity",
        why: "chart coordinates",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Secret", "ConfigMap"],
        path: "redacted.helmRelease.config.**",
        shape: Shape::FreeText,
        reads: "none (shown in `inspect`)",
        why: "Helm values keep only safe facts; secret-named keys go",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ConfigMap"],
        path: "redacted.awsAuth.*.[].rolearn|userarn",
        shape: Shape::Arn,
        reads: "EKS `aws-auth` identity mappings",
        why: "ARNs",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ConfigMap"],
        path: "redacted.awsAuth.*.[].username, redacted.awsAuth.*.[].groups.[]",
        shape: Shape::Name,
        reads: "EKS `aws-auth` identity mappings",
        why: "Kubernetes user and group names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["ConfigMap"],
        path: "redacted.awsAuth.mapAccounts.[], redacted.awsAuth.*.error",
        shape: Shape::Fact,
        reads: "EKS `aws-auth` identity mappings",
        why: "account ids and error texts",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].name|failurePolicy|sideEffects|matchPolicy|reinvocationPolicy",
        shape: Shape::Name,
        reads: "admission findings",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].admissionReviewVersions.[], webhooks.[].rules.[].*.[], webhooks.[].rules.[].scope",
        shape: Shape::Name,
        reads: "admission findings",
        why: "operations, groups and resources",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].clientConfig.url",
        shape: Shape::Url,
        reads: "admission findings",
        why: "the URL's scheme, host and path; query values go",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].clientConfig.service.name|namespace|port",
        shape: Shape::Name,
        reads: "admission findings",
        why: "references",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].clientConfig.service.path",
        shape: Shape::UrlPath,
        reads: "admission findings",
        why: "paths; query values go",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].namespaceSelector|objectSelector.**",
        shape: Shape::Label,
        reads: "admission findings",
        why: "selectors",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        path: "webhooks.[].matchConditions.[].name",
        shape: Shape::Name,
        reads: "none (context)",
        why: "names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &[
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
        ],
        path: "spec.failurePolicy|policyName, spec.validationActions.[], spec.matchConstraints|matchResources|paramRef.**",
        shape: Shape::Name,
        reads: "admission findings",
        why: "names and selectors",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["CertificateSigningRequest"],
        path: "spec.signerName|username|uid, spec.groups|usages.[]",
        shape: Shape::Name,
        reads: "CSR techniques",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Certificate"],
        path: "spec.secretName|commonName|duration|renewBefore, spec.usages.[], spec.issuerRef|privateKey.*",
        shape: Shape::Name,
        reads: "certificate findings",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Certificate"],
        path: "spec.dnsNames|ipAddresses.[]",
        shape: Shape::Host,
        reads: "certificate findings",
        why: "host names and addresses",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Certificate"],
        path: "spec.keystores.*.passwordSecretRef.*",
        shape: Shape::Name,
        reads: "none (context)",
        why: "names of Secrets (never the password)",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PeerAuthentication"],
        path: "spec.mtls.mode, spec.portLevelMtls.*.mode",
        shape: Shape::Word,
        reads: "mesh findings",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["PeerAuthentication"],
        path: "spec.selector.**",
        shape: Shape::Label,
        reads: "mesh findings",
        why: "selectors",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["EndpointSlice"],
        path: "addressType, endpoints.[].nodeName|hostname|zone, endpoints.[].targetRef.*, ports.[].name|protocol|appProtocol",
        shape: Shape::Name,
        reads: "none (context)",
        why: "names and enumerations",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["EndpointSlice"],
        path: "endpoints.[].addresses.[]",
        shape: Shape::Cidr,
        reads: "none (context)",
        why: "addresses",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["RuntimeClass"],
        path: "handler",
        shape: Shape::Name,
        reads: "runtime classes",
        why: "handler names",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["RuntimeClass"],
        path: "scheduling.**",
        shape: Shape::Label,
        reads: "none (context)",
        why: "labels",
    },
    Allowed {
        scope: Scope::Object,
        kinds: &["Namespace"],
        path: "status.phase, spec.finalizers.[]",
        shape: Shape::Name,
        reads: "none (context)",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "version|deployment_id|agent_api_version|provisioner_api_version, buildinfo.version|deployment_id",
        shape: Shape::Name,
        reads: "Coder version",
        why: "versions and ids",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "external_url|dashboard_url, buildinfo.external_url|dashboard_url",
        shape: Shape::Url,
        reads: "Coder version",
        why: "URLs",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "users.[].id|username|login_type|status|created_at|last_seen_at, users.[].organization_ids|roles.[], users.[].roles.[].name|display_name|organization_id",
        shape: Shape::Name,
        reads: "Coder users: owners, password logins, status",
        why: "ids, user names, enumerations",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "options.[].name|flag|env|yaml|value_source|flag_shorthand, options.[].group.name|yaml",
        shape: Shape::Name,
        reads: "Coder settings",
        why: "option names",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "options.[].value, options.[].value.[]",
        shape: Shape::EnvValue,
        reads: "Coder settings (by `env`, as the environment allow-list)",
        why: "as environment values",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "config.external_auth.[].id|type|display_name|client_id|display_icon",
        shape: Shape::Name,
        reads: "external-auth providers",
        why: "ids and names",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "config.external_auth.[].auth_url|token_url|validate_url|app_install_url|device_code_url",
        shape: Shape::Url,
        reads: "external-auth providers",
        why: "URLs",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "config.external_auth.[].scopes.[], config.external_auth.[].regex",
        shape: Shape::Word,
        reads: "external-auth providers",
        why: "scopes",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "providers.[].id|type|display_name|display_icon|regex",
        shape: Shape::Name,
        reads: "external-auth providers",
        why: "ids and names",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "providers.[].auth_url|token_url|validate_url",
        shape: Shape::Url,
        reads: "external-auth providers",
        why: "URLs",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "providers.[].scopes, providers.[].scopes.[]",
        shape: Shape::Word,
        reads: "external-auth providers",
        why: "scopes",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "features.*.entitlement|limit|actual",
        shape: Shape::Word,
        reads: "none (shown in `inspect`)",
        why: "enumerations",
    },
    Allowed {
        scope: Scope::CoderApi,
        kinds: &[],
        path: "[].name|id|display_name|organization_id|provisioner|active_version_id",
        shape: Shape::Name,
        reads: "none (shown in `inspect`)",
        why: "template names and ids",
    },
    Allowed {
        scope: Scope::AwsAuth,
        kinds: &[],
        path: "[].rolearn|userarn",
        shape: Shape::Arn,
        reads: "EKS `aws-auth` identity mappings",
        why: "ARNs",
    },
    Allowed {
        scope: Scope::AwsAuth,
        kinds: &[],
        path: "[].username, [].groups.[], []",
        shape: Shape::Name,
        reads: "EKS `aws-auth` identity mappings",
        why: "user, group and account names",
    },
];

/// One segment of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Any number of segments.
    Any,
    /// Any one key.
    Key,
    /// One of these literal segments (`[]` for array items, macros included).
    Lit(Vec<&'static str>),
}

struct Compiled {
    row: &'static Allowed,
    segs: Vec<Seg>,
}

fn compiled() -> &'static [Compiled] {
    static TABLE: OnceLock<Vec<Compiled>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = Vec::new();
        for row in ALLOW_LIST {
            for pattern in row.path.split(", ") {
                let segs = pattern
                    .split('.')
                    .map(|s| match s {
                        "**" => Seg::Any,
                        "*" => Seg::Key,
                        other => Seg::Lit(other.split('|').collect()),
                    })
                    .collect();
                out.push(Compiled { row, segs });
            }
        }
        out
    })
}

fn seg_match(pattern: &[Seg], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((Seg::Any, rest)) => (0..=path.len()).any(|i| seg_match(rest, &path[i..])),
        Some((Seg::Key, rest)) => {
            path.first().is_some_and(|p| *p != "[]") && seg_match(rest, &path[1..])
        }
        Some((Seg::Lit(alts), rest)) => {
            path.first().is_some_and(|p| alts.contains(p)) && seg_match(rest, &path[1..])
        }
    }
}

/// Pod spec roots of a kind, as path segments.
fn pod_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Pod" => &[&["spec"]],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &[&["spec", "template", "spec"]],
        "PodTemplate" => &[&["template", "spec"]],
        "CronJob" => &[&["spec", "jobTemplate", "spec", "template", "spec"]],
        _ => &[],
    }
}

/// Metadata roots of a kind, as path segments (the object's own first).
pub fn meta_roots(kind: &str) -> &'static [&'static [&'static str]] {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &[&["metadata"], &["spec", "template", "metadata"]],
        "PodTemplate" => &[&["metadata"], &["template", "metadata"]],
        "CronJob" => &[
            &["metadata"],
            &["spec", "jobTemplate", "metadata"],
            &["spec", "jobTemplate", "spec", "template", "metadata"],
        ],
        _ => &[&["metadata"]],
    }
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The path with a kind's pod spec, container and metadata roots replaced by `{pod}`, `{container}`
/// and `{meta}`.
pub fn normalize<'a>(kind: &str, path: &[&'a str]) -> Vec<&'a str> {
    for root in pod_roots(kind) {
        if path.starts_with(root) {
            let rest = &path[root.len()..];
            if rest.len() >= 2 && CONTAINER_LISTS.contains(&rest[0]) && rest[1] == "[]" {
                let mut out = vec!["{container}"];
                out.extend_from_slice(&rest[2..]);
                return out;
            }
            let mut out = vec!["{pod}"];
            out.extend_from_slice(rest);
            return out;
        }
    }
    for root in meta_roots(kind) {
        if path.starts_with(root) {
            let mut out = vec!["{meta}"];
            out.extend_from_slice(&path[root.len()..]);
            return out;
        }
    }
    path.to_vec()
}

/// The first row that allows the string at `path` (segments; array items are `[]`) of an object of
/// `kind` in `scope`, and the pattern that matched.
pub fn lookup(scope: Scope, kind: &str, path: &[&str]) -> Option<&'static Allowed> {
    // Objects of one kind repeat the same paths: the answer is remembered per thread (bounded).
    thread_local! {
        static MEMO: std::cell::RefCell<std::collections::HashMap<String, Option<&'static Allowed>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let key = format!("{}\u{0}{kind}\u{0}{}", scope.name(), path.join("\u{1}"));
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return hit;
    }
    let found = lookup_uncached(scope, kind, path);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= 100_000 {
            m.clear();
        }
        m.insert(key, found);
    });
    found
}

fn lookup_uncached(scope: Scope, kind: &str, path: &[&str]) -> Option<&'static Allowed> {
    let normalized = if scope == Scope::Object {
        normalize(kind, path)
    } else {
        path.to_vec()
    };
    compiled()
        .iter()
        .find(|c| {
            c.row.scope == scope
                && (c.row.kinds.is_empty() || c.row.kinds.contains(&kind))
                && seg_match(&c.segs, &normalized)
        })
        .map(|c| c.row)
}

/// The allow-list as the Markdown tables of `docs/redaction.md` (between the `allow-list` markers):
/// one table per scope, then the annotation keys the analysis reads.
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for scope in [Scope::Object, Scope::CoderApi, Scope::AwsAuth] {
        let _ = writeln!(out, "#### Scope: {}\n", scope.name());
        out.push_str("| kinds | paths | shape | read by | why it cannot hold a secret |\n");
        out.push_str("|---|---|---|---|---|\n");
        for row in ALLOW_LIST.iter().filter(|r| r.scope == scope) {
            let kinds = if row.kinds.is_empty() {
                "any".to_string()
            } else {
                row.kinds.join(", ")
            };
            let paths: Vec<String> = row
                .path
                .split(", ")
                .map(|p| format!("`{}`", p.replace('|', "\\|")))
                .collect();
            let _ = writeln!(
                out,
                "| {kinds} | {} | {} | {} | {} |",
                paths.join(", "),
                row.shape.description(),
                row.reads.replace('|', "\\|"),
                row.why.replace('|', "\\|"),
            );
        }
        out.push('\n');
    }
    out.push_str("#### Annotation keys the analysis reads\n\n");
    out.push_str("| key | shape | read by |\n|---|---|---|\n");
    for (key, shape, reads) in super::shape::ANNOTATION_SHAPES {
        let _ = writeln!(out, "| `{key}` | {} | {reads} |", shape.description());
    }
    out.push_str(
        "| `container.apparmor.security.beta.kubernetes.io/*`, `seccomp.security.alpha.kubernetes.io/*` | name | container escape techniques (profiles) |\n",
    );
    out
}

/// The redaction rules as the Markdown table of `docs/redaction.md` (between the `rules` markers).
pub fn rules_markdown() -> String {
    let mut out = String::from("| rule | one count means |\n|---|---|\n");
    for rule in super::RULES {
        out.push_str(&format!("| `{}` | {} |\n", rule.name, rule.description));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_through_templates() {
        let image = ["spec", "template", "spec", "initContainers", "[]", "image"];
        assert_eq!(
            lookup(Scope::Object, "Deployment", &image).map(|r| r.shape),
            Some(Shape::Image)
        );
        let label = [
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
            "app",
        ];
        assert_eq!(
            lookup(Scope::Object, "CronJob", &label).map(|r| r.shape),
            Some(Shape::Label)
        );
        let env = ["spec", "containers", "[]", "env", "[]", "value"];
        assert_eq!(
            lookup(Scope::Object, "Pod", &env).map(|r| r.shape),
            Some(Shape::EnvValue)
        );
        let flex = ["spec", "volumes", "[]", "flexVolume", "options", "password"];
        assert_eq!(lookup(Scope::Object, "Pod", &flex), None);
        let mount = ["spec", "mountOptions", "[]"];
        assert_eq!(lookup(Scope::Object, "PersistentVolume", &mount), None);
        assert_eq!(
            lookup(
                Scope::Object,
                "ClusterRole",
                &["rules", "[]", "verbs", "[]"]
            )
            .map(|r| r.shape),
            Some(Shape::Name)
        );
        assert_eq!(lookup(Scope::Object, "Role", &["rules", "[]", "x"]), None);
    }

    #[test]
    fn every_row_is_documented_and_parses() {
        for row in ALLOW_LIST {
            assert!(!row.reads.is_empty() && !row.why.is_empty(), "{}", row.path);
            for p in row.path.split(", ") {
                assert!(!p.is_empty() && !p.contains(' '), "{}", row.path);
            }
        }
    }
}
