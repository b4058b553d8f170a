//! `Status` error bodies, worded as kube-apiserver words them (kubectl prints
//! `Error from server (<reason>): <message>`).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

/// A JSON response with the given status code.
pub(crate) fn json_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (code, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A `Status` failure.
pub(crate) fn failure(code: StatusCode, reason: &str, message: &str, details: Value) -> Response {
    failure_with_metadata(code, reason, message, details, json!({}))
}

/// A `Status` failure with list metadata (410 `Expired` carries a continue token there).
pub(crate) fn failure_with_metadata(
    code: StatusCode,
    reason: &str,
    message: &str,
    details: Value,
    metadata: Value,
) -> Response {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata,
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    });
    if details.as_object().is_some_and(|d| !d.is_empty()) {
        body["details"] = details;
    }
    json_response(code, body.to_string().into_bytes())
}

/// 401 for a missing or unknown token.
pub(crate) fn unauthorized() -> Response {
    failure(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "Unauthorized",
        json!({}),
    )
}

/// 404 for a path the server does not serve.
pub(crate) fn unknown_path() -> Response {
    failure(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

/// `details` naming a resource (and object).
pub(crate) fn details(group: &str, plural: &str, name: Option<&str>) -> Value {
    let mut d = serde_json::Map::new();
    if let Some(name) = name {
        d.insert("name".into(), name.into());
    }
    if !group.is_empty() {
        d.insert("group".into(), group.into());
    }
    d.insert("kind".into(), plural.into());
    Value::Object(d)
}

/// 403 for a read the principal may not make.
pub(crate) fn forbidden(
    user: &str,
    verb: &str,
    group: &str,
    plural: &str,
    name: Option<&str>,
    namespace: Option<&str>,
) -> Response {
    let qualified = if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    };
    let subject = match name {
        Some(n) => format!("{qualified} \"{n}\""),
        None => qualified,
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"
    );
    failure(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        details(group, plural, name),
    )
}

/// 404 for an object that does not exist.
pub(crate) fn not_found(group: &str, plural: &str, name: &str) -> Response {
    let qualified = if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    };
    failure(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{qualified} \"{name}\" not found"),
        details(group, plural, Some(name)),
    )
}

/// 400 with a message.
pub(crate) fn bad_request(message: &str) -> Response {
    failure(StatusCode::BAD_REQUEST, "BadRequest", message, json!({}))
}

/// 405 for verbs the server does not serve.
pub(crate) fn method_not_allowed(message: &str) -> Response {
    failure(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        message,
        json!({}),
    )
}

/// The message of 410 `Expired` for an expired continue token, word for word.
pub const EXPIRED_MESSAGE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";
