//! The optional Coder REST API capture (`--coder-url`, token from `CODER_SESSION_TOKEN`): a fixed
//! list of read-only endpoints, each answer redacted with [`Redactor::redact_document`] and written
//! under `coder/api/<name>.json`. A failing endpoint is a blind spot, never fatal.
//!
//! Never read, by design: `workspacebuilds/{id}/state` (Terraform state), `workspaceagents/me/*`
//! (agent credentials), `files/{id}` (template source), template version variables, OAuth2 app
//! secrets. [`is_denied`] guards every path.

use coder_sec_model::format::BlindSpot;
use coder_sec_model::{Redactor, SnapshotWriter};
use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use crate::capture::request::{RequestError, Requester};
use crate::capture::retry::RetryPolicy;
use crate::capture::{CaptureError, add_document};
use crate::settings::CoderApiSettings;

/// The header carrying the session token.
pub const TOKEN_HEADER: &str = "Coder-Session-Token";

/// One endpoint read.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// File name under `coder/api/` (without `.json`).
    pub name: &'static str,
    /// Path below the Coder URL.
    pub path: &'static str,
    /// Whether a 404 or 403 is expected on some deployments (enterprise features, older versions):
    /// then it is skipped quietly instead of being a blind spot.
    pub optional: bool,
    /// What the answer tells.
    pub description: &'static str,
}

/// Every endpoint read, in order.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "buildinfo",
        path: "/api/v2/buildinfo",
        optional: false,
        description: "Coder version and deployment id",
    },
    Endpoint {
        name: "authmethods",
        path: "/api/v2/users/authmethods",
        optional: true,
        description: "enabled login methods (password, GitHub, OIDC)",
    },
    Endpoint {
        name: "deployment-config",
        path: "/api/v2/deployment/config",
        optional: false,
        description: "coderd settings (secret options blanked by Coder, then redacted)",
    },
    Endpoint {
        name: "entitlements",
        path: "/api/v2/entitlements",
        optional: true,
        description: "licensed features",
    },
    Endpoint {
        name: "users",
        path: "/api/v2/users",
        optional: false,
        description: "users reduced to id, login type, roles and status",
    },
    Endpoint {
        name: "templates",
        path: "/api/v2/templates",
        optional: false,
        description: "templates and their policies",
    },
    Endpoint {
        name: "external-auth",
        path: "/api/v2/external-auth",
        optional: false,
        description: "external auth providers (no tokens)",
    },
    Endpoint {
        name: "workspaceproxies",
        path: "/api/v2/workspaceproxies",
        optional: true,
        description: "workspace proxies (enterprise)",
    },
];

/// Paths that must never be read: credentials, Terraform state, template source.
pub fn is_denied(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    (path.contains("/workspacebuilds/") && path.ends_with("/state"))
        || path.contains("/workspaceagents/me")
        || path.contains("/files/")
        || (path.contains("/templateversions/")
            && (path.ends_with("/variables") || path.ends_with("/rich-parameters")))
        || (path.contains("/oauth2-provider/apps/") && path.contains("/secrets"))
}

const USERS_PAGE: usize = 100;

/// Reads every endpoint into `coder/api/`. Returns the blind spots (failed endpoints).
pub async fn capture(
    settings: &CoderApiSettings,
    writer: &mut SnapshotWriter,
    redactor: &Redactor,
) -> Result<Vec<BlindSpot>, CaptureError> {
    let api = match client(settings) {
        Ok(api) => api,
        Err(message) => {
            return Ok(vec![BlindSpot {
                subject: "Coder API".into(),
                reason: message,
                hides: hides_all(),
            }]);
        }
    };
    let mut spots = Vec::new();
    for endpoint in ENDPOINTS {
        debug_assert!(!is_denied(endpoint.path));
        let answer = if endpoint.name == "users" {
            read_users(&api).await
        } else {
            api.get_json::<Value>(endpoint.path).await
        };
        match answer {
            Ok(mut document) => {
                redactor.redact_document(&mut document);
                add_document(
                    writer,
                    &format!("coder/api/{}.json", endpoint.name),
                    &format!("Coder API `{}`: {}", endpoint.path, endpoint.description),
                    &document,
                )?;
            }
            Err(RequestError::NotFound { .. } | RequestError::Forbidden { .. })
                if endpoint.optional => {}
            Err(e) => spots.push(BlindSpot {
                subject: format!("Coder API `{}`", endpoint.path),
                reason: e.to_string(),
                hides: endpoint.description.to_string(),
            }),
        }
    }
    Ok(spots)
}

fn hides_all() -> String {
    ENDPOINTS
        .iter()
        .map(|e| e.description)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A client for the Coder URL: kube's hyper + rustls stack, no Kubernetes credentials, the session
/// token in its header.
fn client(settings: &CoderApiSettings) -> Result<Requester, String> {
    let mut config = kube::Config::new(settings.url.clone());
    let mut token = HeaderValue::from_str(&settings.token).map_err(|_| {
        format!(
            "`{}` is not a valid header value",
            crate::env::CODER_SESSION_TOKEN
        )
    })?;
    token.set_sensitive(true);
    config
        .headers
        .push((HeaderName::from_static("coder-session-token"), token));
    config.default_retry = false;
    // The same bounds as the cluster's API server: a silent Coder cannot hold the capture up.
    config.connect_timeout = Some(crate::settings::CONNECT_TIMEOUT);
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    let client =
        kube::Client::try_from(config).map_err(|e| format!("cannot build a client: {e}"))?;
    Ok(Requester::new(
        client,
        RetryPolicy {
            max_attempts: 4,
            ..RetryPolicy::default()
        },
    )
    .with_timeout(Some(std::time::Duration::from_secs(60))))
}

/// Every user, page by page, each reduced to what the analysis needs: no names, no e-mail.
async fn read_users(api: &Requester) -> Result<Value, RequestError> {
    let mut users = Vec::new();
    let mut offset = 0usize;
    loop {
        let page: Value = api
            .get_json(&format!("/api/v2/users?limit={USERS_PAGE}&offset={offset}"))
            .await?;
        let batch = page
            .get("users")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let count = page.get("count").and_then(Value::as_u64);
        let got = batch.len();
        users.extend(batch.iter().map(reduce_user));
        offset += got;
        let done = got < USERS_PAGE || count.is_some_and(|c| offset as u64 >= c);
        if done {
            return Ok(json!({"count": users.len(), "users": users}));
        }
    }
}

/// Keeps `id`, `login_type`, `status`, role names, `created_at` and `last_seen_at` of a user.
pub fn reduce_user(user: &Value) -> Value {
    let mut out = Map::new();
    for key in ["id", "login_type", "status", "created_at", "last_seen_at"] {
        if let Some(v) = user.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    let roles: Vec<Value> = user
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|role| role.get("name").or(Some(role)).cloned())
                .collect()
        })
        .unwrap_or_default();
    out.insert("roles".into(), Value::Array(roles));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_endpoint_is_denied_and_the_deny_list_holds() {
        for e in ENDPOINTS {
            assert!(!is_denied(e.path), "{}", e.path);
        }
        for bad in [
            "/api/v2/workspacebuilds/8c1f/state",
            "/api/v2/workspaceagents/me/gitsshkey",
            "/api/v2/workspaceagents/me/external-auth?match=x",
            "/api/v2/files/abc",
            "/api/v2/templateversions/1/variables",
            "/api/v2/oauth2-provider/apps/1/secrets",
        ] {
            assert!(is_denied(bad), "{bad}");
        }
    }

    #[test]
    fn users_are_reduced() {
        let user = json!({"id": "u1", "username": "alice", "email": "alice@example.com", "name": "Alice",
            "login_type": "oidc", "status": "active", "roles": [{"name": "owner", "display_name": "Owner"}]});
        let reduced = reduce_user(&user);
        assert_eq!(
            reduced,
            json!({"id": "u1", "login_type": "oidc", "status": "active", "roles": ["owner"]})
        );
    }
}
