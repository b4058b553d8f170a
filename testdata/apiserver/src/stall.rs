//! A server that accepts connections and never answers: not a byte of TLS handshake, not a byte of
//! HTTP. Clients pointed at it show whether their connect, handshake and request timeouts hold.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Accepts every connection on `127.0.0.1` and holds it open, silent, until dropped.
#[derive(Debug)]
pub struct StallServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl StallServer {
    /// Starts listening on a free port of the loopback address.
    pub async fn start() -> std::io::Result<StallServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Ok(StallServer { addr, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig pointing at it (`https://` stalls the TLS handshake, `http://` the request),
    /// with a bearer token so that no credential plugin runs.
    pub fn kubeconfig(&self, scheme: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: stall\nclusters:\n- name: stall\n  cluster:\n    server: {scheme}://{}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: stall\n  context:\n    cluster: stall\n    user: stall\nusers:\n- name: stall\n  user:\n    token: t\n",
            self.addr
        )
    }
}

impl Drop for StallServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
