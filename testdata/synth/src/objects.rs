//! Builders for the shapes every part of the cluster shares: metadata, owner references, pods as the
//! API server returns them (admission defaults and the projected service-account token added),
//! Secrets of each type, RBAC objects.

use std::io::Write;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::rng::Rng;
use crate::time;

/// A self-signed test certificate (P-256, `CN=synthetic.example.com`), made once for this generator.
pub const TLS_CRT: &str = include_str!("fixtures/tls.crt");
/// The test certificate's key. Synthetic and published: it protects nothing.
pub const TLS_KEY: &str = include_str!("fixtures/tls.key");

/// The RBAC API version.
pub const RBAC: &str = "rbac.authorization.k8s.io/v1";

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `metadata` with a name, optional namespace, uid, creation time, labels and annotations (empty maps
/// are left out, as the API server does).
pub fn meta(
    rng: &mut Rng,
    name: &str,
    namespace: Option<&str>,
    labels: Value,
    annotations: Value,
) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    if let Some(ns) = namespace {
        m.insert("namespace".into(), ns.into());
    }
    m.insert("uid".into(), rng.uuid().into());
    m.insert(
        "resourceVersion".into(),
        rng.range(1_000, 99_999_999).to_string().into(),
    );
    m.insert(
        "creationTimestamp".into(),
        time::ago(rng.range(3_600, 400 * 86_400)).into(),
    );
    if labels.as_object().is_some_and(|l| !l.is_empty()) {
        m.insert("labels".into(), labels);
    }
    if annotations.as_object().is_some_and(|a| !a.is_empty()) {
        m.insert("annotations".into(), annotations);
    }
    Value::Object(m)
}

/// A controller owner reference to `owner`.
pub fn owner_ref(owner: &Value) -> Value {
    json!([{
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    }])
}

/// Sets `metadata.ownerReferences`.
pub fn set_owner(object: &mut Value, owner: &Value) {
    object["metadata"]["ownerReferences"] = owner_ref(owner);
}

/// Adds what admission and defaulting add to a pod spec: service account, the projected API token
/// volume and its mounts (unless automounting is off), restart and DNS policy, scheduler and the
/// default tolerations.
pub fn admit_pod_spec(rng: &mut Rng, spec: &mut Value, node: &str) {
    let Some(obj) = spec.as_object_mut() else {
        return;
    };
    let sa = obj
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    obj.insert("serviceAccountName".into(), sa.clone().into());
    obj.insert("serviceAccount".into(), sa.into());
    obj.insert("nodeName".into(), node.into());
    obj.entry("restartPolicy")
        .or_insert_with(|| "Always".into());
    obj.entry("dnsPolicy")
        .or_insert_with(|| "ClusterFirst".into());
    obj.insert("schedulerName".into(), "default-scheduler".into());
    obj.entry("terminationGracePeriodSeconds")
        .or_insert_with(|| 30.into());
    obj.insert("enableServiceLinks".into(), true.into());
    obj.insert("preemptionPolicy".into(), "PreemptLowerPriority".into());
    obj.insert("priority".into(), 0.into());
    if let Value::Array(t) = obj.entry("tolerations").or_insert_with(|| json!([])) {
        t.push(json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
        t.push(json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
    }
    let automount = obj
        .get("automountServiceAccountToken")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if !automount {
        return;
    }
    let volume = format!("kube-api-access-{}", rng.suffix(5));
    let volumes = obj.entry("volumes").or_insert_with(|| json!([]));
    if let Some(v) = volumes.as_array_mut() {
        v.push(json!({
            "name": volume,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}
                ]
            }
        }));
    }
    if let Some(Value::Array(containers)) = obj.get_mut("containers") {
        for c in containers {
            let mounts = c
                .as_object_mut()
                .map(|c| c.entry("volumeMounts").or_insert_with(|| json!([])));
            if let Some(Value::Array(m)) = mounts {
                m.push(json!({
                    "name": volume,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "readOnly": true
                }));
            }
        }
    }
}

/// A Secret of `type` with `data` (already base64) and extra annotations.
pub fn secret(
    rng: &mut Rng,
    ns: &str,
    name: &str,
    kind: &str,
    data: Value,
    labels: Value,
    annotations: Value,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(rng, name, Some(ns), labels, annotations),
        "type": kind,
        "data": data,
    })
}

/// A `kubernetes.io/tls` Secret holding the test certificate.
pub fn tls_secret(rng: &mut Rng, ns: &str, name: &str) -> Value {
    let data = json!({"tls.crt": b64(TLS_CRT.as_bytes()), "tls.key": b64(TLS_KEY.as_bytes())});
    secret(
        rng,
        ns,
        name,
        "kubernetes.io/tls",
        data,
        json!({}),
        json!({}),
    )
}

/// A `kubernetes.io/dockerconfigjson` Secret for `registry`.
pub fn registry_secret(rng: &mut Rng, ns: &str, name: &str, registry: &str) -> Value {
    let user = format!("robot${}", rng.suffix(6));
    let password = rng.hex(32);
    let auth = b64(format!("{user}:{password}").as_bytes());
    let config =
        json!({"auths": {registry: {"username": user, "password": password, "auth": auth}}});
    let data = json!({".dockerconfigjson": b64(config.to_string().as_bytes())});
    secret(
        rng,
        ns,
        name,
        "kubernetes.io/dockerconfigjson",
        data,
        json!({}),
        json!({}),
    )
}

/// A legacy `kubernetes.io/service-account-token` Secret for service account `sa`.
pub fn sa_token_secret(rng: &mut Rng, ns: &str, name: &str, sa: &str, sa_uid: &str) -> Value {
    let token = format!("eyJhbGciOiJSUzI1NiIsImtpZCI6Im{}", rng.hex(40));
    let data = json!({
        "ca.crt": b64(TLS_CRT.as_bytes()),
        "namespace": b64(ns.as_bytes()),
        "token": b64(token.as_bytes()),
    });
    let annotations = json!({
        "kubernetes.io/service-account.name": sa,
        "kubernetes.io/service-account.uid": sa_uid,
    });
    secret(
        rng,
        ns,
        name,
        "kubernetes.io/service-account-token",
        data,
        json!({}),
        annotations,
    )
}

/// An `Opaque` Secret with the given keys, each holding a random value.
pub fn opaque_secret(rng: &mut Rng, ns: &str, name: &str, keys: &[&str]) -> Value {
    let mut data = Map::new();
    for k in keys {
        let v = rng.hex(24);
        data.insert((*k).to_string(), b64(v.as_bytes()).into());
    }
    secret(
        rng,
        ns,
        name,
        "Opaque",
        Value::Object(data),
        json!({}),
        json!({}),
    )
}

/// A Helm release revision.
#[derive(Debug, Clone)]
pub struct HelmRelease<'a> {
    /// Release name.
    pub name: &'a str,
    /// Chart name.
    pub chart: &'a str,
    /// Chart (and app) version.
    pub version: &'a str,
    /// Revision number, from 1.
    pub revision: u32,
    /// Whether this revision is the deployed one (older ones are superseded).
    pub deployed: bool,
    /// User-supplied values (`config`).
    pub values: Value,
}

/// A Helm release record (`sh.helm.release.v1.NAME.vREV`): the release JSON gzipped and base64'd, then
/// base64'd again as Secret data, as Helm 3 stores it.
pub fn helm_release_secret(rng: &mut Rng, ns: &str, r: HelmRelease<'_>) -> Value {
    let HelmRelease {
        name: release,
        chart,
        version: chart_version,
        revision,
        deployed,
        values,
    } = r;
    let status = if deployed { "deployed" } else { "superseded" };
    let manifest = format!(
        "---\n# Source: {chart}/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {release}\n  namespace: {ns}\n"
    );
    let body = json!({
        "name": release,
        "info": {
            "first_deployed": time::ago(200 * 86_400),
            "last_deployed": time::ago(u64::from(30 - revision.min(29)) * 86_400),
            "status": status,
            "description": if revision == 1 { "Install complete" } else { "Upgrade complete" },
        },
        "chart": {
            "metadata": {"name": chart, "version": chart_version, "appVersion": chart_version, "apiVersion": "v2"},
            "values": {},
        },
        "config": values,
        "manifest": manifest,
        "version": revision,
        "namespace": ns,
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(body.to_string().as_bytes());
    let compressed = gz.finish().unwrap_or_default();
    let stored = b64(&compressed);
    let labels = json!({
        "name": release,
        "owner": "helm",
        "status": status,
        "version": revision.to_string(),
    });
    secret(
        rng,
        ns,
        &format!("sh.helm.release.v1.{release}.v{revision}"),
        "helm.sh/release.v1",
        json!({"release": b64(stored.as_bytes())}),
        labels,
        json!({}),
    )
}

/// A ServiceAccount.
pub fn service_account(
    rng: &mut Rng,
    ns: &str,
    name: &str,
    labels: Value,
    annotations: Value,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(rng, name, Some(ns), labels, annotations),
    })
}

/// The `kube-root-ca.crt` ConfigMap every namespace has.
pub fn root_ca_configmap(rng: &mut Rng, ns: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(rng, "kube-root-ca.crt", Some(ns), json!({}), json!({"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."})),
        "data": {"ca.crt": TLS_CRT},
    })
}

/// A Namespace.
pub fn namespace(rng: &mut Rng, name: &str, extra_labels: Value) -> Value {
    let mut labels = json!({"kubernetes.io/metadata.name": name});
    if let (Some(l), Some(extra)) = (labels.as_object_mut(), extra_labels.as_object()) {
        for (k, v) in extra {
            l.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(rng, name, None, labels, json!({})),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

/// Every verb of a resource, as the bootstrap `admin`/`edit` roles and Coder's chart spell them out.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A policy rule.
pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// A Role (namespaced) or ClusterRole (`ns` is `None`).
pub fn role(
    rng: &mut Rng,
    ns: Option<&str>,
    name: &str,
    labels: Value,
    rules: Vec<Value>,
) -> Value {
    let kind = if ns.is_some() { "Role" } else { "ClusterRole" };
    json!({
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": meta(rng, name, ns, labels, json!({})),
        "rules": rules,
    })
}

/// A subject: `("ServiceAccount", "ns/name")`, `("User", name)`, `("Group", name)`.
pub fn subject(kind: &str, name: &str) -> Value {
    if kind == "ServiceAccount" {
        let (ns, n) = name.split_once('/').unwrap_or(("default", name));
        json!({"kind": "ServiceAccount", "name": n, "namespace": ns})
    } else {
        json!({"kind": kind, "apiGroup": "rbac.authorization.k8s.io", "name": name})
    }
}

/// A RoleBinding (`ns` set) or ClusterRoleBinding to `role_kind`/`role_name`.
pub fn binding(
    rng: &mut Rng,
    ns: Option<&str>,
    name: &str,
    role_kind: &str,
    role_name: &str,
    subjects: Vec<Value>,
    labels: Value,
) -> Value {
    let kind = if ns.is_some() {
        "RoleBinding"
    } else {
        "ClusterRoleBinding"
    };
    let mut b = json!({
        "apiVersion": RBAC,
        "kind": kind,
        "metadata": meta(rng, name, ns, labels, json!({})),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
    });
    if !subjects.is_empty() {
        b["subjects"] = Value::Array(subjects);
    }
    b
}

/// A container.
pub fn container(name: &str, image: &str) -> Value {
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": if image.ends_with(":latest") { "Always" } else { "IfNotPresent" },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    })
}
