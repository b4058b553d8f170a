//! Nothing fails silently: servers that never answer, signals at every phase, targets that exist,
//! namespaces that do not.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coder_sec_test_apiserver::{Faults, StallServer};

use crate::support::*;

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Captures from a server that accepts and never answers; returns the output and how long it took.
async fn capture_from_stall(scheme: &str, flags: &[&str]) -> (std::process::Output, Duration) {
    let stall = StallServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("k");
    std::fs::write(&kubeconfig, stall.kubeconfig(scheme)).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let mut c = plugin(dir.path());
    c.arg("capture")
        .args(flags)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("-o")
        .arg(out_dir.join("snap.tar.zst"));
    let started = Instant::now();
    let output = run(c).await;
    let took = started.elapsed();
    assert_eq!(
        names(&out_dir),
        Vec::<String>::new(),
        "{}",
        describe(&output)
    );
    (output, took)
}

/// A TLS handshake that never completes gives up on the default timeouts: 3 attempts of at most 10 s
/// each (it took 4 min 17 s before), then exit 1 with a hint and nothing left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_tls_handshake_gives_up_on_default_timeouts() {
    let (output, took) = capture_from_stall("https", &["-q"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no answer from the API server") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// A server that accepts and never answers a request hits the request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_hits_the_request_timeout() {
    let (output, took) = capture_from_stall("http", &["-q", "--request-timeout", "1s"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no answer within the request timeout") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}
