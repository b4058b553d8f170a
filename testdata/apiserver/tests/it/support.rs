//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::body::Body;
use coder_sec_test_apiserver::{
    IdentitySpec, ServerOptions, ServerState, TestServer, parse_identity, router,
};
use http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// The scenario folder these tests serve.
pub fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/apiserver-basic")
}

/// The admin and a restricted `viewer` (user `alice`, no secrets, nothing in `kube-system`).
pub fn identities() -> Vec<IdentitySpec> {
    vec![
        IdentitySpec::admin(),
        parse_identity("viewer:viewer-token:user=alice,groups=developers,deny=secrets").unwrap(),
        parse_identity("nosys:nosys-token:user=carol,deny=ns:kube-system").unwrap(),
    ]
}

/// Options serving the basic scenario to [`identities`].
pub fn options() -> ServerOptions {
    ServerOptions {
        scenarios: vec![scenario()],
        identities: identities(),
        ..ServerOptions::default()
    }
}

/// State for in-process tests.
pub fn state(options: &ServerOptions) -> Arc<ServerState> {
    Arc::new(ServerState::new(options).expect("scenario loads"))
}

/// One in-process request; returns status, headers and body parsed as JSON (`Null` when empty).
pub async fn call(
    state: &Arc<ServerState>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, http::HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = router(state.clone())
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = headers
        .get("content-type")
        .is_some_and(|c| c.to_str().unwrap_or("").starts_with("application/json"));
    let value = if bytes.is_empty() {
        Value::Null
    } else if !json {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{uri}: body is not JSON ({e}): {bytes:?}"))
    };
    (status, headers, value)
}

/// A GET as the admin.
pub async fn get(state: &Arc<ServerState>, uri: &str) -> (StatusCode, Value) {
    let (status, _, body) = call(state, "GET", uri, Some("admin-token"), &[], Vec::new()).await;
    (status, body)
}

/// `metadata.name` of each item of a list.
pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {list}"))
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// The kubectl binary to run: a versioned Google Cloud SDK one (the dispatcher would pick it from
/// `/version` anyway), else `kubectl` on `PATH`; `None` when there is none.
pub fn kubectl_binary() -> Option<PathBuf> {
    let sdk = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if sdk.is_file() {
        return Some(sdk.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
}

/// A running HTTPS server with a kubeconfig in its own HOME (kubectl caches discovery there).
pub struct Kube {
    pub server: TestServer,
    pub home: tempfile::TempDir,
    pub binary: PathBuf,
}

impl Kube {
    /// Starts a server for kubectl tests, or prints `skipped: kubectl not installed` and returns `None`.
    pub async fn start(options: ServerOptions) -> Option<Kube> {
        let Some(binary) = kubectl_binary() else {
            coder_sec_model::testing::skip_unless_required("kubectl not installed");
            return None;
        };
        let server = TestServer::start(options).await.expect("server starts");
        let home = tempfile::tempdir().unwrap();
        server
            .write_kubeconfig(&home.path().join("kubeconfig"))
            .unwrap();
        Some(Kube {
            server,
            home,
            binary,
        })
    }

    /// Runs kubectl with `args` (in a blocking task, so the server keeps serving).
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("KUBECONFIG", self.home.path().join("kubeconfig"))
            .env("PATH", "/usr/bin:/bin");
        tokio::task::spawn_blocking(move || command.output().expect("kubectl runs"))
            .await
            .unwrap()
    }

    /// Runs kubectl and expects success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}
