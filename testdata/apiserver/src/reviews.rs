//! `SelfSubjectAccessReview`, `SelfSubjectRulesReview` and `SelfSubjectReview` (`kubectl auth can-i`,
//! `can-i --list`, `whoami`). Requests come as JSON or, from kubectl, as protobuf (`k8s\0` +
//! `runtime.Unknown{typeMeta, raw}`); answers are always JSON, which kubectl accepts.

use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use k8s_pb::api::authorization::v1 as authz;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde_json::{Map, Value, json};

use crate::auth::{Grants, Principal};
use crate::status;
use crate::store::Store;

/// Largest review body read.
const MAX_BODY: usize = 1 << 20;

/// The protobuf envelope's magic prefix.
const MAGIC: &[u8] = b"k8s\0";

/// Why a review body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// No `k8s\0` prefix.
    #[error("protobuf body does not start with the `k8s\\0` magic")]
    Magic,
    /// The envelope or the object inside does not decode.
    #[error("protobuf body does not decode: {0}")]
    Protobuf(String),
    /// A JSON body does not parse.
    #[error("JSON body does not parse: {0}")]
    Json(String),
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        map.insert(key.to_string(), Value::String(v));
    }
}

/// Decodes a protobuf review body of `resource` into the JSON form of its `spec`.
pub(crate) fn decode_protobuf_spec(resource: &str, body: &[u8]) -> Result<Value, DecodeError> {
    let envelope = body.strip_prefix(MAGIC).ok_or(DecodeError::Magic)?;
    let unknown = Unknown::decode(envelope).map_err(|e| DecodeError::Protobuf(e.to_string()))?;
    let raw = unknown.raw.unwrap_or_default();
    let pb = |e: prost::DecodeError| DecodeError::Protobuf(e.to_string());
    match resource {
        "selfsubjectaccessreviews" => {
            let review = authz::SelfSubjectAccessReview::decode(raw.as_slice()).map_err(pb)?;
            let spec = review.spec.unwrap_or_default();
            let mut out = Map::new();
            if let Some(ra) = spec.resource_attributes {
                let mut m = Map::new();
                insert_some(&mut m, "namespace", ra.namespace);
                insert_some(&mut m, "verb", ra.verb);
                insert_some(&mut m, "group", ra.group);
                insert_some(&mut m, "version", ra.version);
                insert_some(&mut m, "resource", ra.resource);
                insert_some(&mut m, "subresource", ra.subresource);
                insert_some(&mut m, "name", ra.name);
                out.insert("resourceAttributes".into(), Value::Object(m));
            }
            if let Some(nra) = spec.non_resource_attributes {
                let mut m = Map::new();
                insert_some(&mut m, "path", nra.path);
                insert_some(&mut m, "verb", nra.verb);
                out.insert("nonResourceAttributes".into(), Value::Object(m));
            }
            Ok(Value::Object(out))
        }
        "selfsubjectrulesreviews" => {
            let review = authz::SelfSubjectRulesReview::decode(raw.as_slice()).map_err(pb)?;
            let namespace = review.spec.and_then(|s| s.namespace).unwrap_or_default();
            Ok(json!({"namespace": namespace}))
        }
        // A SelfSubjectReview has no spec to read.
        _ => Ok(json!({})),
    }
}

/// Answers one review `kind` (a plural) posted to `group`/`version`.
pub(crate) async fn handle(
    store: &Store,
    principal: &Principal,
    group: &str,
    version: &str,
    resource: &str,
    request: Request,
) -> Response {
    let protobuf = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/vnd.kubernetes.protobuf"));
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return status::bad_request(&format!("cannot read the request body: {e}")),
    };
    let spec = if protobuf {
        decode_protobuf_spec(resource, &body)
    } else if body.is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_slice::<Value>(&body)
            .map(|v| v.get("spec").cloned().unwrap_or_else(|| json!({})))
            .map_err(|e| DecodeError::Json(e.to_string()))
    };
    let spec = match spec {
        Ok(s) => s,
        Err(e) => return status::bad_request(&e.to_string()),
    };
    answer(store, principal, group, version, resource, spec)
}

/// Builds the review answer for a decoded `spec`.
pub(crate) fn answer(
    store: &Store,
    principal: &Principal,
    group: &str,
    version: &str,
    resource: &str,
    spec: Value,
) -> Response {
    let api_version = format!("{group}/{version}");
    let metadata = json!({"creationTimestamp": null});
    let body = match resource {
        "selfsubjectaccessreviews" => {
            let allowed = access_allowed(store, principal, &spec);
            let mut status = json!({"allowed": allowed});
            if allowed {
                status["reason"] =
                    json!("allowed by the coder-sec test API server's identity table");
            }
            json!({"kind": "SelfSubjectAccessReview", "apiVersion": api_version,
                   "metadata": metadata, "spec": spec, "status": status})
        }
        "selfsubjectrulesreviews" => {
            let namespace = spec.get("namespace").and_then(Value::as_str).unwrap_or("");
            let status = principal.rules(store, namespace);
            json!({"kind": "SelfSubjectRulesReview", "apiVersion": api_version,
                   "metadata": metadata, "spec": spec, "status": status})
        }
        _ => json!({"kind": "SelfSubjectReview", "apiVersion": api_version, "metadata": metadata,
                    "status": {"userInfo": {"username": principal.user, "groups": principal.groups}}}),
    };
    status::json_response(StatusCode::CREATED, body.to_string().into_bytes())
}

fn access_allowed(store: &Store, principal: &Principal, spec: &Value) -> bool {
    if let Some(attrs) = spec.get("resourceAttributes") {
        let s = |k: &str| attrs.get(k).and_then(Value::as_str).unwrap_or("");
        let (group, resource, namespace) = (s("group"), s("resource"), s("namespace"));
        let namespaced = store.is_namespaced(group, resource).unwrap_or(true);
        let namespace = (!namespace.is_empty()).then_some(namespace);
        return principal.allowed(group, resource, namespaced, namespace);
    }
    // Non-resource URLs (discovery, health): allowed to anyone with grants.
    principal.grants != Grants::Nothing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(k8s_pb::apimachinery::pkg::runtime::TypeMeta {
                api_version: Some("authorization.k8s.io/v1".into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut out = MAGIC.to_vec();
        out.extend(unknown.encode_to_vec());
        out
    }

    #[test]
    fn decodes_access_review() {
        let review = authz::SelfSubjectAccessReview {
            spec: Some(authz::SelfSubjectAccessReviewSpec {
                resource_attributes: Some(authz::ResourceAttributes {
                    namespace: Some("coder".into()),
                    verb: Some("list".into()),
                    resource: Some("secrets".into()),
                    group: Some(String::new()),
                    ..Default::default()
                }),
                non_resource_attributes: None,
            }),
            ..Default::default()
        };
        let body = envelope("SelfSubjectAccessReview", review.encode_to_vec());
        let spec = decode_protobuf_spec("selfsubjectaccessreviews", &body).unwrap();
        assert_eq!(
            spec,
            json!({"resourceAttributes": {"namespace": "coder", "verb": "list", "resource": "secrets"}})
        );
        assert_eq!(
            decode_protobuf_spec("selfsubjectaccessreviews", b"nope"),
            Err(DecodeError::Magic)
        );
    }

    #[test]
    fn decodes_rules_review() {
        let review = authz::SelfSubjectRulesReview {
            spec: Some(authz::SelfSubjectRulesReviewSpec {
                namespace: Some("default".into()),
            }),
            ..Default::default()
        };
        let body = envelope("SelfSubjectRulesReview", review.encode_to_vec());
        let spec = decode_protobuf_spec("selfsubjectrulesreviews", &body).unwrap();
        assert_eq!(spec, json!({"namespace": "default"}));
    }
}
