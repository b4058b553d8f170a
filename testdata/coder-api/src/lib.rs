//! A small fake Coder REST API for capture tests: codersdk-shaped JSON for the endpoints
//! `kubectl coder-sec capture --coder-url` reads, with canary strings in every field that holds a
//! secret or personal data, and the endpoints that must never be read served too (with canaries),
//! so a test can prove they were not requested.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The session token the fake API accepts by default.
pub const DEFAULT_TOKEN: &str = "coder-test-session-token-CANARYCODERTOKEN";

/// Every canary string the fake API serves. None may appear in a snapshot.
pub const CANARIES: &[&str] = &[
    "CANARYCODERTOKEN",
    "CANARYCODEROIDCSECRET",
    "CANARYCODERPGPASSWORD",
    "CANARYCODERGITHUBSECRET",
    "CANARYCODERPSK",
    "CANARYCODERSCIM",
    "CANARYCODERTOKENKEY",
    "CANARYCODERHONEYCOMB",
    "CANARYCODEREMAILPASSWORD",
    "CANARYCODERUSEREMAIL",
    "CANARYCODERUSERNAME",
    "CANARYCODERTFSTATE",
    "CANARYCODERAGENTKEY",
    "CANARYCODERTEMPLATESOURCE",
    "CANARYCODERVARIABLE",
    "CANARYCODEROAUTHAPPSECRET",
];

/// Paths a capture must never request (prefixes, matched against the request path).
pub const NEVER_READ: &[&str] = &[
    "/api/v2/workspacebuilds/",
    "/api/v2/workspaceagents/me/",
    "/api/v2/files/",
    "/api/v2/templateversions/",
    "/api/v2/oauth2-provider/apps/",
];

/// How the fake API behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The accepted session token.
    pub token: String,
    /// Paths answered with 500 (to test per-endpoint failures).
    pub failing: Vec<String>,
    /// Whether enterprise endpoints (entitlements, workspace proxies) answer; else 404.
    pub enterprise: bool,
    /// Number of users served.
    pub users: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: DEFAULT_TOKEN.to_string(),
            failing: Vec::new(),
            enterprise: true,
            users: 3,
        }
    }
}

/// The fake API's state: options and the log of requested paths.
#[derive(Debug)]
pub struct ApiState {
    options: Options,
    requests: Mutex<Vec<String>>,
}

impl ApiState {
    /// State with these options.
    pub fn new(options: Options) -> Arc<Self> {
        Arc::new(ApiState {
            options,
            requests: Mutex::new(Vec::new()),
        })
    }

    /// Every path requested so far (query included), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The router: every endpoint, behind the token check and the request log.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/api/v2/buildinfo", get(buildinfo))
        .route("/api/v2/users/authmethods", get(authmethods))
        .route(
            "/api/v2/users/first",
            get(|| async {
                Json(json!({"message": "The initial user has already been created."}))
            }),
        )
        .route("/api/v2/deployment/config", get(deployment_config))
        .route("/api/v2/entitlements", get(entitlements))
        .route("/api/v2/users", get(users))
        .route("/api/v2/templates", get(templates))
        .route("/api/v2/external-auth", get(external_auth))
        .route("/api/v2/workspaceproxies", get(workspace_proxies))
        .route("/api/v2/workspacebuilds/{id}/state", get(never_state))
        .route("/api/v2/workspaceagents/me/gitsshkey", get(never_gitsshkey))
        .route(
            "/api/v2/workspaceagents/me/external-auth",
            get(never_external_auth),
        )
        .route("/api/v2/files/{id}", get(never_file))
        .route(
            "/api/v2/templateversions/{id}/variables",
            get(never_variables),
        )
        .route(
            "/api/v2/oauth2-provider/apps/{id}/secrets",
            get(never_oauth_secrets),
        )
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message, "detail": ""}))).into_response()
}

/// Logs the request, answers configured failures, checks the token (except on the
/// unauthenticated endpoints).
async fn gate(State(state): State<Arc<ApiState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let shown = request
        .uri()
        .path_and_query()
        .map_or(path.clone(), |p| p.to_string());
    state
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(shown);
    if state.options.failing.contains(&path) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error (injected).",
        );
    }
    let public = matches!(
        path.as_str(),
        "/api/v2/buildinfo" | "/api/v2/users/authmethods" | "/api/v2/users/first"
    );
    if !public && !token_ok(request.headers(), &state.options.token) {
        return error(
            StatusCode::UNAUTHORIZED,
            "You must be logged in to perform this action.",
        );
    }
    next.run(request).await
}

fn token_ok(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get("Coder-Session-Token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == token)
}

async fn buildinfo() -> Json {
    Json(json!({
        "external_url": "https://github.com/coder/coder/commit/4f44dd08a97c",
        "version": "v2.24.1+4f44dd0",
        "dashboard_url": "https://coder.example.com",
        "telemetry": true,
        "workspace_proxy": false,
        "agent_api_version": "2.6",
        "provisioner_api_version": "1.7",
        "upgrade_message": "",
        "deployment_id": "5b4b8e0a-7f3c-4b8e-9b1d-2f6d8c1a0e11",
        "webpush_public_key": "BEx9UJ1vq6EMq3kXb3r9kGk7yS6t3bV9bN3x"
    }))
}

async fn authmethods() -> Json {
    Json(json!({
        "terms_of_service_url": "",
        "password": {"enabled": true},
        "github": {"enabled": false, "default_provider_configured": true},
        "oidc": {"enabled": true, "signInText": "Sign in with Okta", "iconUrl": ""}
    }))
}

fn option(name: &str, env: &str, value: Value, secret: bool) -> Value {
    let mut o = json!({
        "name": name,
        "description": format!("{name}."),
        "flag": env.trim_start_matches("CODER_").to_lowercase().replace('_', "-"),
        "env": env,
        "value": value,
        "value_source": "env",
    });
    if secret {
        o["annotations"] = json!({"secret": "true"});
    }
    o
}

async fn deployment_config() -> Json {
    let pg = "postgres://coder:CANARYCODERPGPASSWORD@postgres.coder.svc:5432/coder?sslmode=disable";
    Json(json!({
        "config": {
            "access_url": "http://coder.example.com",
            "wildcard_access_url": "*.coder.example.com",
            "address": "0.0.0.0:8080",
            "pg_connection_url": pg,
            "pg_auth": "password",
            "oauth2": {"github": {
                "client_id": "Iv1.0123456789abcdef",
                "client_secret": "CANARYCODERGITHUBSECRET-0f9e8d7c6b5a",
                "allowed_orgs": [], "allowed_teams": [], "allow_signups": true,
                "allow_everyone": true, "enterprise_base_url": "",
                "default_provider_enable": true
            }},
            "oidc": {
                "allow_signups": true,
                "client_id": "coder",
                "client_secret": "CANARYCODEROIDCSECRET-a1b2c3d4e5",
                "email_domain": [],
                "issuer_url": "https://login.example.com/",
                "scopes": ["openid", "profile", "email"],
                "ignore_email_verified": false,
                "username_field": "preferred_username",
                "email_field": "email",
                "user_role_field": "groups",
                "user_role_mapping": {"coder-admins": ["owner"]},
                "sign_in_text": "Sign in with Okta"
            },
            "provisioner": {"daemons": 3, "daemon_psk": "CANARYCODERPSK-77aa88bb", "force_cancel_interval": "10m0s"},
            "scim_api_key": "CANARYCODERSCIM-5566",
            "external_token_encryption_keys": ["CANARYCODERTOKENKEY-base64key=="],
            "trace": {"enable": false, "honeycomb_api_key": "CANARYCODERHONEYCOMB-key", "capture_logs": false},
            "email": {"from": "coder@example.com", "smarthost": "smtp.example.com:587",
                "auth": {"identity": "", "username": "coder", "password": "CANARYCODEREMAILPASSWORD-pw", "password_file": ""},
                "tls": {"start_tls": true, "insecure_skip_verify": false}},
            "secure_auth_cookie": false,
            "strict_transport_security": 0,
            "disable_password_auth": false,
            "disable_owner_workspace_exec": false,
            "max_token_lifetime": 3155760000000000000i64,
            "session_lifetime": {"default_duration": 86400000000000i64},
            "proxy_trusted_headers": ["X-Forwarded-For"],
            "proxy_trusted_origins": ["0.0.0.0/0"],
            "dangerous": {"allow_path_app_sharing": false, "allow_path_app_site_owner_access": false},
            "experiments": ["*"],
            "prometheus": {"enable": true, "address": "0.0.0.0:2112"},
            "pprof": {"enable": false, "address": "127.0.0.1:6060"},
            "telemetry": {"enable": true}
        },
        "options": [
            option("Postgres Connection URL", "CODER_PG_CONNECTION_URL", json!(pg), true),
            option("OIDC Client Secret", "CODER_OIDC_CLIENT_SECRET", json!("CANARYCODEROIDCSECRET-a1b2c3d4e5"), true),
            option("OAuth2 GitHub Client Secret", "CODER_OAUTH2_GITHUB_CLIENT_SECRET", json!("CANARYCODERGITHUBSECRET-0f9e8d7c6b5a"), true),
            option("Provisioner Daemon Pre-shared Key (PSK)", "CODER_PROVISIONER_DAEMON_PSK", json!("CANARYCODERPSK-77aa88bb"), true),
            option("SCIM API Key", "CODER_SCIM_AUTH_HEADER", json!("CANARYCODERSCIM-5566"), true),
            option("Access URL", "CODER_ACCESS_URL", json!("http://coder.example.com"), false),
            option("OIDC Allow Signups", "CODER_OIDC_ALLOW_SIGNUPS", json!(true), false)
        ]
    }))
}

async fn entitlements(State(state): State<Arc<ApiState>>) -> Response {
    if !state.options.enterprise {
        return error(StatusCode::NOT_FOUND, "Route not found.");
    }
    Json(json!({
        "features": {
            "audit_log": {"entitlement": "entitled", "enabled": true},
            "scim": {"entitlement": "entitled", "enabled": true},
            "workspace_proxy": {"entitlement": "entitled", "enabled": true}
        },
        "warnings": [], "errors": [], "has_license": true, "trial": false,
        "require_telemetry": false, "refreshed_at": "2026-11-27T03:00:00Z"
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
struct Paging {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn users(State(state): State<Arc<ApiState>>, Query(paging): Query<Paging>) -> Json {
    let total = state.options.users;
    let limit = paging.limit.unwrap_or(total).max(1);
    let offset = paging.offset.unwrap_or(0).min(total);
    let roles = [
        json!([{"name": "owner", "display_name": "Owner"}]),
        json!([]),
        json!([{"name": "template-admin", "display_name": "Template Admin"}]),
    ];
    let login = ["password", "oidc", "github"];
    let users: Vec<Value> = (offset..total.min(offset + limit))
        .map(|i| {
            json!({
                "id": format!("00000000-0000-4000-8000-{i:012}"),
                "username": format!("user{i}-CANARYCODERUSERNAME"),
                "email": format!("user{i}-CANARYCODERUSEREMAIL@example.com"),
                "name": format!("User {i} CANARYCODERUSERNAME"),
                "avatar_url": "",
                "created_at": "2026-01-01T00:00:00Z",
                "last_seen_at": "2026-11-26T12:00:00Z",
                "status": if i % 5 == 4 { "suspended" } else { "active" },
                "login_type": login[i % login.len()],
                "organization_ids": ["11111111-1111-4111-8111-111111111111"],
                "roles": roles[i % roles.len()],
                "theme_preference": ""
            })
        })
        .collect();
    Json(json!({"users": users, "count": total}))
}

async fn templates() -> Json {
    Json(json!([{
        "id": "22222222-2222-4222-8222-222222222222",
        "created_at": "2026-01-02T00:00:00Z",
        "updated_at": "2026-11-01T00:00:00Z",
        "organization_id": "11111111-1111-4111-8111-111111111111",
        "organization_name": "coder",
        "name": "kubernetes",
        "display_name": "Kubernetes (Deployment)",
        "provisioner": "terraform",
        "active_version_id": "33333333-3333-4333-8333-333333333333",
        "active_user_count": 2,
        "description": "Provision Kubernetes Deployments as Coder workspaces",
        "icon": "/icon/k8s.png",
        "default_ttl_ms": 0,
        "allow_user_cancel_workspace_jobs": true,
        "allow_user_autostart": true,
        "allow_user_autostop": true,
        "require_active_version": false,
        "max_port_share_level": "public",
        "created_by_id": "00000000-0000-4000-8000-000000000000",
        "deprecated": false
    }]))
}

async fn external_auth() -> Json {
    Json(json!({
        "providers": [{"id": "github", "type": "github", "device": false, "display_name": "GitHub",
            "display_icon": "/icon/github.svg", "allow_refresh": true, "allow_validate": true}],
        "links": [{"provider_id": "github", "created_at": "2026-02-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z", "has_refresh_token": true,
            "expires": "2026-11-27T08:00:00Z", "authenticated": true, "validate_error": ""}]
    }))
}

async fn workspace_proxies(State(state): State<Arc<ApiState>>) -> Response {
    if !state.options.enterprise {
        return error(StatusCode::NOT_FOUND, "Route not found.");
    }
    Json(json!({"regions": [{
        "id": "44444444-4444-4444-8444-444444444444", "name": "eu", "display_name": "Europe",
        "icon_url": "/emojis/1f1ea-1f1fa.png", "healthy": true,
        "path_app_url": "https://eu.coder.example.com", "wildcard_hostname": "*.eu.coder.example.com",
        "derp_enabled": true, "derp_only": false, "status": {"status": "ok", "checked_at": "2026-11-27T03:00:00Z"},
        "created_at": "2026-03-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z", "deleted": false,
        "version": "v2.24.1"
    }]}))
    .into_response()
}

async fn never_state(Path(_id): Path<String>) -> Json {
    Json(json!({"resources": [{"instances": [{"attributes": {"token": "CANARYCODERTFSTATE"}}]}]}))
}

async fn never_gitsshkey() -> Json {
    Json(
        json!({"public_key": "ssh-ed25519 AAAA", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----CANARYCODERAGENTKEY"}),
    )
}

async fn never_external_auth() -> Json {
    Json(json!({"access_token": "CANARYCODERAGENTKEY", "type": "github"}))
}

async fn never_file(Path(_id): Path<String>) -> Json {
    Json(json!({"main.tf": "CANARYCODERTEMPLATESOURCE"}))
}

async fn never_variables(Path(_id): Path<String>) -> Json {
    Json(json!([{"name": "token", "value": "CANARYCODERVARIABLE", "sensitive": true}]))
}

async fn never_oauth_secrets(Path(_id): Path<String>) -> Json {
    Json(json!([{"id": "x", "client_secret_full": "CANARYCODEROAUTHAPPSECRET"}]))
}

/// A fake Coder API serving plain HTTP on 127.0.0.1, for tests.
#[derive(Debug)]
pub struct TestCoderApi {
    addr: SocketAddr,
    state: Arc<ApiState>,
    task: tokio::task::JoinHandle<()>,
}

impl TestCoderApi {
    /// Starts serving on an ephemeral port.
    pub async fn start(options: Options) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = ApiState::new(options);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(TestCoderApi { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The paths requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.requests()
    }
}

impl Drop for TestCoderApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_with_token_and_logs() {
        let state = ApiState::new(Options::default());
        let app = router(state.clone());
        use shim::call;
        let (status, body) = call(
            app.clone(),
            "/api/v2/users?limit=2&offset=0",
            Some(DEFAULT_TOKEN),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["users"].as_array().unwrap().len(), 2);
        assert_eq!(body["count"], 3);
        let (status, _) = call(app.clone(), "/api/v2/deployment/config", None).await;
        assert_eq!(status, 401);
        let (status, body) = call(app, "/api/v2/buildinfo", None).await;
        assert_eq!(status, 200);
        assert!(body["version"].as_str().unwrap().starts_with("v2."));
        assert_eq!(state.requests().len(), 3);
    }

    mod shim {
        use super::*;
        use axum::body::Body;
        use tower::ServiceExt;

        pub async fn call(app: Router, path: &str, token: Option<&str>) -> (u16, Value) {
            let mut req = axum::http::Request::builder().uri(path);
            if let Some(t) = token {
                req = req.header("Coder-Session-Token", t);
            }
            let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }
    }
}
