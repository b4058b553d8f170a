//! The HTTPS server: certificate shape, kubeconfig, dropped connections.

use std::sync::Arc;

use coder_sec_test_apiserver::{Faults, ServerOptions, TestServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::support::options;

async fn connect(server: &TestServer) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(server.ca_pem().as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("the CA verifies the server for 127.0.0.1")
}

/// Sends one HTTP/1.1 request and reads until the server closes.
async fn exchange(server: &TestServer, path: &str) -> String {
    exchange_as(server, path, Some("admin-token")).await
}

async fn exchange_as(server: &TestServer, path: &str, token: Option<&str>) -> String {
    let mut tls = connect(server).await;
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // A dropped connection may end with a TLS close_notify or a plain reset: both read as the end.
    let _ = tls.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn certificate_is_an_ec_p256_server_leaf_for_loopback() {
    let server = TestServer::start(options()).await.unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let tls = connect(&server).await;
    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let sans = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .clone();
    use x509_parser::extensions::GeneralName;
    assert!(
        sans.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])),
        "{sans:?}"
    );
    assert!(
        sans.contains(&GeneralName::DNSName("localhost")),
        "{sans:?}"
    );
    assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
    assert!(
        cert.extended_key_usage()
            .unwrap()
            .unwrap()
            .value
            .server_auth
    );
    let curve = cert
        .public_key()
        .algorithm
        .parameters
        .as_ref()
        .unwrap()
        .as_oid()
        .unwrap();
    assert_eq!(curve.to_id_string(), "1.2.840.10045.3.1.7", "P-256");
}

#[tokio::test]
async fn kubeconfig_has_one_context_per_identity() {
    let server = TestServer::start(options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(config["current-context"], "admin");
    let contexts: Vec<&str> = config["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["admin", "viewer", "nosys"]);
    assert_eq!(config["users"][1]["user"]["token"], "viewer-token");
    let cluster = &config["clusters"][0]["cluster"];
    assert_eq!(cluster["server"], server.url());
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD
        .decode(cluster["certificate-authority-data"].as_str().unwrap())
        .unwrap();
    assert_eq!(ca, server.ca_pem().as_bytes());

    let default = TestServer::start(ServerOptions::default()).await.unwrap();
    let only = default.kubeconfig();
    assert_eq!(
        only["users"],
        serde_json::json!([{"name": "admin", "user": {"token": "admin-token"}}])
    );
}

#[tokio::test]
async fn answers_over_https_and_drops_connections_on_demand() {
    let server = TestServer::start(options()).await.unwrap();
    let response = exchange(&server, "/api/v1/nodes").await;
    let anonymous = exchange_as(&server, "/api/v1/nodes", None).await;
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    assert!(
        anonymous.contains(r#""reason":"Unauthorized""#),
        "{anonymous}"
    );
    let version = exchange_as(&server, "/version", None).await;
    assert!(version.starts_with("HTTP/1.1 200"), "{version}");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"kind\":\"NodeList\""));

    let dropping = TestServer::start(ServerOptions {
        faults: Faults {
            rate_drop: 1.0,
            ..Faults::default()
        },
        ..options()
    })
    .await
    .unwrap();
    assert_eq!(
        exchange(&dropping, "/api/v1/nodes").await,
        "",
        "no response at all"
    );
    // Discovery is not faulted.
    assert!(
        exchange(&dropping, "/version")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert_eq!(dropping.request_log()[0].status, 0);
}
