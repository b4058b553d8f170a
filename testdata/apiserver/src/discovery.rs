//! Discovery: `/version`, the API group list and each group version's resource list, as kubectl
//! and kube-rs read them.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use crate::api::ServerState;
use crate::api::json_value;
use crate::store::Store;

pub(crate) fn version(state: &ServerState) -> Response {
    let v = state.server_version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("0");
    json_value(
        StatusCode::OK,
        &json!({
            "major": major,
            "minor": minor,
            "gitVersion": state.server_version,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2025-04-22T16:00:00Z",
            "goVersion": "go1.23.8",
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
    )
}

/// Groups answered in discovery besides those of the stored resources.
pub(crate) const REVIEW_GROUPS: &[(&str, &[&str])] = &[
    ("authorization.k8s.io", &["v1"]),
    ("authentication.k8s.io", &["v1", "v1beta1"]),
];

pub(crate) fn all_groups(store: &Store) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = store
        .groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .collect();
    for (group, versions) in REVIEW_GROUPS {
        match groups.iter_mut().find(|(g, _)| g == group) {
            Some((_, vs)) => {
                for v in *versions {
                    if !vs.iter().any(|x| x == v) {
                        vs.push(v.to_string());
                    }
                }
            }
            None => groups.push((
                group.to_string(),
                versions.iter().map(|v| v.to_string()).collect(),
            )),
        }
    }
    groups
}

pub(crate) fn group_json(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs[0].clone()})
}

/// `kubectl`'s short names for the resources it knows.
pub(crate) fn short_names(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods") => &["po"],
        ("", "services") => &["svc"],
        ("", "namespaces") => &["ns"],
        ("", "nodes") => &["no"],
        ("", "serviceaccounts") => &["sa"],
        ("", "configmaps") => &["cm"],
        ("", "persistentvolumeclaims") => &["pvc"],
        ("", "persistentvolumes") => &["pv"],
        ("", "resourcequotas") => &["quota"],
        ("", "limitranges") => &["limits"],
        ("", "replicationcontrollers") => &["rc"],
        ("", "endpoints") => &["ep"],
        ("", "events") => &["ev"],
        ("apps", "deployments") => &["deploy"],
        ("apps", "daemonsets") => &["ds"],
        ("apps", "statefulsets") => &["sts"],
        ("apps", "replicasets") => &["rs"],
        ("batch", "cronjobs") => &["cj"],
        ("networking.k8s.io", "networkpolicies") => &["netpol"],
        ("networking.k8s.io", "ingresses") => &["ing"],
        ("storage.k8s.io", "storageclasses") => &["sc"],
        ("certificates.k8s.io", "certificatesigningrequests") => &["csr"],
        ("policy", "poddisruptionbudgets") => &["pdb"],
        ("cert-manager.io", "certificates") => &["cert", "certs"],
        ("security.istio.io", "peerauthentications") => &["pa"],
        ("cilium.io", "ciliumnetworkpolicies") => &["cnp", "ciliumnp"],
        ("cilium.io", "ciliumclusterwidenetworkpolicies") => &["ccnp"],
        _ => &[],
    }
}

/// Whether `kubectl get all` includes the resource (kube-apiserver's `all` category).
pub(crate) fn in_category_all(group: &str, plural: &str) -> bool {
    matches!(
        (group, plural),
        ("", "pods" | "services" | "replicationcontrollers")
            | (
                "apps",
                "deployments" | "daemonsets" | "statefulsets" | "replicasets"
            )
            | ("batch", "jobs" | "cronjobs")
            | ("autoscaling", "horizontalpodautoscalers")
    )
}

pub(crate) fn resource_list(state: &ServerState, group: &str, version: &str) -> Option<Response> {
    let mut resources: Vec<Value> = state
        .store
        .resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            let mut v = json!({
                "name": r.plural,
                "singularName": r.kind.to_ascii_lowercase(),
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "list"],
            });
            let short = short_names(&r.group, &r.plural);
            if !short.is_empty() {
                v["shortNames"] = json!(short);
            }
            if in_category_all(&r.group, &r.plural) {
                v["categories"] = json!(["all"]);
            }
            v
        })
        .collect();
    let review = |name: &str, kind: &str| {
        json!({"name": name, "singularName": kind.to_ascii_lowercase(), "namespaced": false,
               "kind": kind, "verbs": ["create"]})
    };
    match (group, version) {
        ("authorization.k8s.io", "v1") => {
            resources.push(review(
                "selfsubjectaccessreviews",
                "SelfSubjectAccessReview",
            ));
            resources.push(review("selfsubjectrulesreviews", "SelfSubjectRulesReview"));
        }
        ("authentication.k8s.io", "v1" | "v1beta1") => {
            resources.push(review("selfsubjectreviews", "SelfSubjectReview"));
        }
        _ => {}
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json_value(
        StatusCode::OK,
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": resources}),
    ))
}
