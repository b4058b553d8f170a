//! The `coder-sec-test-apiserver` binary: `--help`, startup line, kubeconfig, usage errors.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{kubectl_binary, scenario};

const BIN: &str = env!("CARGO_BIN_EXE_coder-sec-test-apiserver");

#[test]
fn help_is_the_flag_documentation() {
    let out = Command::new(BIN)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success());
    insta::assert_snapshot!("help", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    let out = Command::new(BIN)
        .args(["--scenario", "/nonexistent/scenario"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("/nonexistent/scenario"),
        "{err}"
    );

    let out = Command::new(BIN)
        .args(["--identity", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME:TOKEN"));

    let out = Command::new(BIN)
        .args(["--fault-429", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`--fault-429`"));
}

#[test]
fn prints_its_address_once_ready_and_serves_until_killed() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    let identities = home.path().join("identities");
    std::fs::write(
        &identities,
        "# who may call\nops:ops-token:groups=system:masters\n\n",
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .arg("--scenario")
        .arg(scenario())
        .args([
            "--listen",
            "127.0.0.1:0",
            "--identity",
            "dev:dev-token:deny=secrets",
        ])
        .arg("--identities-file")
        .arg(&identities)
        .arg("--write-kubeconfig")
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let result = std::panic::catch_unwind(|| {
        assert!(url.starts_with("https://127.0.0.1:"), "{url:?}");
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&kubeconfig).unwrap()).unwrap();
        assert_eq!(config["clusters"][0]["cluster"]["server"], url.as_str());
        // The identities file comes first, then `--identity` flags.
        assert_eq!(config["current-context"], "ops");
        assert_eq!(config["contexts"][1]["name"], "dev");
        if let Some(kubectl) = kubectl_binary() {
            let out = Command::new(kubectl)
                .args(["get", "nodes", "-o", "name"])
                .env("HOME", home.path())
                .env("KUBECONFIG", &kubeconfig)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
        }
    });
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// The Google Cloud SDK dispatcher reads `/version` to pick its kubectl; it must find ours usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_sdk_dispatcher_picks_a_kubectl_from_version() {
    let dispatcher = std::path::Path::new("/usr/lib/google-cloud-sdk/bin/kubectl");
    if !dispatcher.is_file() {
        eprintln!("skipped: kubectl not installed (no Google Cloud SDK dispatcher)");
        return;
    }
    let server = coder_sec_test_apiserver::TestServer::start(crate::support::options())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let mut command = Command::new(dispatcher);
    command
        .args(["version", "-o", "json"])
        .env("HOME", home.path())
        .env("KUBECONFIG", &kubeconfig);
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let version: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.32.4");
    assert!(
        server
            .request_log()
            .iter()
            .any(|r| r.uri.starts_with("/version"))
    );
}
