//! [`TestServer`]: the API over HTTPS on a loopback port, with a kubeconfig writer.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::api::{self, RequestRecord, ServerState};
use crate::options::ServerOptions;
use crate::tls;

/// Name of the cluster entry in written kubeconfigs.
pub const KUBECONFIG_CLUSTER: &str = "coder-sec-test";

/// A running test API server. Dropping it stops accepting and closes its connections.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    ca_pem: String,
    state: Arc<ServerState>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Loads the scenarios and serves them over HTTPS on `127.0.0.1` at a free port.
    pub async fn start(options: ServerOptions) -> anyhow::Result<TestServer> {
        Self::start_on(options, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Like [`TestServer::start`], on a chosen address (port `0` picks a free one).
    pub async fn start_on(
        options: ServerOptions,
        listen: SocketAddr,
    ) -> anyhow::Result<TestServer> {
        let state = tokio::task::spawn_blocking(move || ServerState::new(&options))
            .await
            .context("the scenario loader panicked")?
            .context("cannot load the scenarios")?;
        let state = Arc::new(state);
        let minted = tls::mint()?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on `{listen}`"))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        let acceptor = TlsAcceptor::from(minted.config);
        let service = api::network_service(state.clone());
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((tcp, _)) = accepted else {
                            // Out of file descriptors or similar: back off instead of spinning.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        };
                        let _ = tcp.set_nodelay(true);
                        let acceptor = acceptor.clone();
                        let service = service.clone();
                        connections.spawn(async move {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            // An error here is a client hang-up or a dropped-connection fault.
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service))
                                .await;
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(TestServer {
            addr,
            ca_pem: minted.ca_pem,
            state,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The CA certificate that signed the server's certificate, PEM-encoded.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The shared state (request log, counts), e.g. to build an in-process [`api::router`] too.
    pub fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    /// Objects served per resource (`plural` for core, `plural.group` otherwise).
    pub fn object_counts(&self) -> BTreeMap<String, usize> {
        self.state.object_counts()
    }

    /// The requests answered so far, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state.request_log()
    }

    /// The kubeconfig for this server as JSON (valid YAML): cluster `coder-sec-test` with
    /// `certificate-authority-data`, one user and one context per identity, named after it; the first
    /// identity is the current context.
    pub fn kubeconfig(&self) -> serde_json::Value {
        let identities = self.state.identities();
        let users: Vec<_> = identities
            .iter()
            .map(|i| json!({"name": i.name, "user": {"token": i.token}}))
            .collect();
        let contexts: Vec<_> = identities
            .iter()
            .map(|i| json!({"name": i.name, "context": {"cluster": KUBECONFIG_CLUSTER, "user": i.name}}))
            .collect();
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": KUBECONFIG_CLUSTER, "cluster": {
                "server": self.url(),
                "certificate-authority-data": STANDARD.encode(&self.ca_pem),
            }}],
            "users": users,
            "contexts": contexts,
            "current-context": identities.first().map(|i| i.name.clone()).unwrap_or_default(),
        })
    }

    /// Writes [`TestServer::kubeconfig`] to `path`.
    pub fn write_kubeconfig(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(&self.kubeconfig())?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write kubeconfig `{}`", path.display()))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
