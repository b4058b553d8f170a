//! Who is capturing (`SelfSubjectReview`) and what they may do in each namespace
//! (`SelfSubjectRulesReview`), so the analyzer knows what the snapshot could not see.

use coder_sec_model::format::Identity;
use http::Method;
use serde_json::{Value, json};

use super::request::{RequestError, Requester};

/// Asks the server who we are: `authentication.k8s.io/v1`, then `v1beta1` where v1 is not served.
pub async fn who_am_i(api: &Requester) -> Result<Identity, RequestError> {
    let mut last = None;
    for version in ["v1", "v1beta1"] {
        let body = json!({
            "apiVersion": format!("authentication.k8s.io/{version}"),
            "kind": "SelfSubjectReview",
        });
        let path = format!("/apis/authentication.k8s.io/{version}/selfsubjectreviews");
        match api
            .send_json::<Value>(Method::POST, &path, Some(&body))
            .await
        {
            Ok(review) => return Ok(identity_from_review(&review)),
            Err(e @ RequestError::NotFound { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or(RequestError::NotFound {
        message: "no SelfSubjectReview API".into(),
    }))
}

/// Reads `status.userInfo` of a `SelfSubjectReview`.
pub fn identity_from_review(review: &Value) -> Identity {
    let info = review
        .pointer("/status/userInfo")
        .cloned()
        .unwrap_or(Value::Null);
    Identity {
        username: info
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        uid: info
            .get("uid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(str::to_string),
        groups: info
            .get("groups")
            .and_then(Value::as_array)
            .map(|g| {
                g.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// One line of `identity/rules.jsonl`: the rules review of one namespace, or why it failed.
pub async fn rules_in(api: &Requester, namespace: &str) -> Value {
    let body = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    });
    let path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    match api
        .send_json::<Value>(Method::POST, path, Some(&body))
        .await
    {
        Ok(review) => {
            let status = review.get("status").cloned().unwrap_or(Value::Null);
            json!({
                "namespace": namespace,
                "resourceRules": status.get("resourceRules").cloned().unwrap_or(json!([])),
                "nonResourceRules": status.get("nonResourceRules").cloned().unwrap_or(json!([])),
                "incomplete": status.get("incomplete").and_then(Value::as_bool).unwrap_or(false),
                "evaluationError": status.get("evaluationError").cloned().unwrap_or(Value::Null),
            })
        }
        Err(e) => json!({"namespace": namespace, "error": e.to_string()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_info() {
        let review = json!({"status": {"userInfo": {"username": "jane", "uid": "", "groups": ["ops", "system:authenticated"]}}});
        let id = identity_from_review(&review);
        assert_eq!(id.username, "jane");
        assert_eq!(id.uid, None);
        assert_eq!(id.groups, ["ops", "system:authenticated"]);
    }
}
