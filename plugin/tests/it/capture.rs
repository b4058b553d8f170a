//! `capture` end to end: through kubectl, with faults, with a restricted identity, with `-n`, with the
//! Coder API. Signals, timeouts and refused targets are in `failures.rs`.

use std::path::Path;
use std::process::Command;

use coder_sec_model::KindStatus;
use coder_sec_test_apiserver::{Faults, IdentitySpec, parse_identity};
use coder_sec_test_coder_api::{NEVER_READ, Options, TestCoderApi};
use serde_json::Value;

use crate::support::*;

const KUBECTL: &str = "/usr/bin/kubectl";

/// Checks every property a complete capture of the canary + Coder scenarios must have.
fn check_complete(cluster: &Cluster, snap: &Snapshot) {
    assert!(snap.mismatches.is_empty(), "{:?}", snap.mismatches);
    let leaks = snap.find_needles(&needles());
    assert!(leaks.is_empty(), "canaries survived: {leaks:#?}");
    assert_eq!(snap.kind_counts(), server_counts(&cluster.server));
    let m = &snap.manifest;
    assert_eq!(m.tool.name, "kubectl-coder_sec");
    assert_eq!(m.source, coder_sec_model::Source::Capture);
    assert_eq!(m.cluster.platform.as_deref(), Some("kind"));
    assert!(
        m.cluster
            .server_version
            .as_deref()
            .is_some_and(|v| v.starts_with("v1."))
    );
    assert!(m.redaction.total() > 0);
    assert!(m.files.iter().any(|f| f.path == "identity/rules.jsonl"));

    let deployments = snap.document("coder/deployments.json");
    let names = |role: &str| -> Vec<String> {
        deployments[role]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["namespace"].as_str().unwrap(),
                    d["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(names("coderd"), ["coder/coder"], "{deployments:#}");
    assert_eq!(names("provisioners"), ["coder/coder-provisioner"]);
    assert_eq!(names("wsproxies"), ["coder-proxy/coder-proxy"]);

    let releases = snap.values("coder/helm-releases.jsonl");
    let mut release_names: Vec<&str> = releases
        .iter()
        .map(|r| r["release"].as_str().unwrap())
        .collect();
    release_names.sort();
    assert_eq!(release_names, ["coder", "coder-provisioner", "coder-proxy"]);
    assert!(releases.iter().all(|r| r["helmRelease"].is_object()));

    let workspaces = snap.document("coder/workspaces.json");
    assert_eq!(workspaces["counts"]["pods"], 6, "{workspaces:#}");
    assert_eq!(workspaces["counts"]["persistentvolumeclaims"], 6);
    assert_eq!(workspaces["counts"]["deployments"], 7);
    let objects = snap.values("coder/workspaces.jsonl");
    assert_eq!(objects.len(), 6 + 6 + 7, "{objects:#?}");
    let pods: Vec<&Value> = objects.iter().filter(|o| o["kind"] == "Pod").collect();
    assert_eq!(pods.len(), 6);
    assert!(
        pods.iter()
            .all(|p| p["namespace"].is_string() && p["name"].is_string()),
        "{pods:#?}"
    );
    assert!(
        objects
            .iter()
            .any(|o| o["owner"].is_string() && o["workspace-id"].is_string())
    );
    assert!(!workspaces.to_string().contains("@example.com"));
    assert!(
        !serde_json::to_string(&objects)
            .unwrap()
            .contains("@example.com")
    );

    let rules = snap.values("identity/rules.jsonl");
    let namespaces: Vec<&str> = rules
        .iter()
        .map(|r| r["namespace"].as_str().unwrap())
        .collect();
    assert!(
        namespaces.contains(&"coder") && namespaces.contains(&"coder-workspaces"),
        "{namespaces:?}"
    );
    assert!(
        rules.iter().all(|r| r["resourceRules"].is_array()),
        "{rules:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_through_kubectl_plugin_mechanism_with_coder_api() {
    if !Path::new(KUBECTL).exists() {
        coder_sec_model::testing::skip_unless_required("kubectl not installed");
        return;
    }
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let coder = TestCoderApi::start(Options::default()).await.unwrap();
    let out = cluster.path("out.tar.zst");
    let bin_dir = plugin_bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut kubectl = Command::new(KUBECTL);
    kubectl
        .args(["coder-sec", "capture", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .arg("-o")
        .arg(&out)
        .args(["--coder-url", &coder.url()])
        .env("PATH", path)
        .env("HOME", cluster.dir.path())
        .env_remove("KUBECONFIG")
        .env(
            "CODER_SESSION_TOKEN",
            coder_sec_test_coder_api::DEFAULT_TOKEN,
        );
    let output = run(kubectl).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        out.display().to_string()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("objects") && stderr.contains("wrote"),
        "{stderr}"
    );

    let snap = Snapshot::read(&out);
    check_complete(&cluster, &snap);
    assert_eq!(snap.manifest.cluster.context.as_deref(), Some("admin"));
    assert_eq!(snap.manifest.identity.as_ref().unwrap().username, "admin");
    assert!(
        snap.manifest.blind_spots.is_empty(),
        "{:?}",
        snap.manifest.blind_spots
    );

    for name in [
        "buildinfo",
        "authmethods",
        "deployment-config",
        "entitlements",
        "users",
        "templates",
        "external-auth",
        "workspaceproxies",
    ] {
        assert!(
            snap.files.contains_key(&format!("coder/api/{name}.json")),
            "coder/api/{name}.json"
        );
    }
    let users = snap.document("coder/api/users.json");
    assert_eq!(users["count"], 3, "{users:#}");
    let requests = coder.requests();
    assert!(
        requests
            .iter()
            .all(|r| NEVER_READ.iter().all(|p| !r.starts_with(p))),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_give_the_same_snapshot() {
    let clean = Cluster::start(Vec::new(), Faults::default()).await;
    let faulty = Cluster::start(
        Vec::new(),
        Faults {
            rate_429: 0.05,
            rate_500: 0.1,
            rate_drop: 0.05,
            expire_continue_after_pages: Some(3),
            seed: 7,
            include_discovery: true,
            ..Faults::default()
        },
    )
    .await;
    let mut snapshots = Vec::new();
    for cluster in [&clean, &faulty] {
        let out = cluster.path("out.tar.zst");
        let c = cluster.capture(
            &["--quiet", "--chunk-size", "2", "--concurrency", "4"],
            &out,
        );
        let output = run(c).await;
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        let snap = Snapshot::read(&out);
        check_complete(cluster, &snap);
        snapshots.push(snap);
    }
    let faulted = faulty
        .server
        .request_log()
        .iter()
        .filter(|r| r.status == 429 || r.status == 410 || r.status >= 500)
        .count();
    assert!(faulted > 0, "no fault was injected");
    assert_eq!(snapshots[0].kind_counts(), snapshots[1].kind_counts());
    assert_eq!(
        snapshots[0].normalized_hashes(),
        snapshots[1].normalized_hashes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_identity_completes_with_blind_spots_and_exit_3() {
    let viewer = parse_identity("viewer:viewer-token:user=viewer,deny=secrets;configmaps").unwrap();
    let cluster = Cluster::start(vec![viewer, IdentitySpec::admin()], Faults::default()).await;
    let out = cluster.path("viewer.tar.zst");
    let c = cluster.capture(&["--context", "viewer"], &out);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("blind spot"), "{stderr}");

    let snap = Snapshot::read(&out);
    assert!(snap.mismatches.is_empty());
    let m = &snap.manifest;
    assert_eq!(m.identity.as_ref().unwrap().username, "viewer");
    for kind in ["Secret", "ConfigMap"] {
        let entry = m.kind("", kind).unwrap();
        assert_eq!(entry.status, KindStatus::Forbidden, "{entry:?}");
        assert!(entry.path.is_none());
    }
    let secrets = m
        .blind_spots
        .iter()
        .find(|b| b.subject == "secrets")
        .unwrap();
    assert!(secrets.hides.contains("Helm release"), "{secrets:?}");
    assert!(m.blind_spots.iter().any(|b| b.subject == "configmaps"));
    let mut expected = server_counts(&cluster.server);
    expected.remove("secrets");
    expected.remove("configmaps");
    assert_eq!(snap.kind_counts(), expected);
    assert!(snap.values("coder/helm-releases.jsonl").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaced_capture_keeps_cluster_kinds() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let out = cluster.path("ns.tar.zst");
    let c = cluster.capture(&["-q", "-n", "coder-workspaces", "-n", "default"], &out);
    let output = run(c).await;
    // Complete, with the namespace scope as a blind spot.
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let snap = Snapshot::read(&out);
    assert_eq!(
        snap.manifest.scope.namespaces,
        ["coder-workspaces", "default"]
    );
    let server = server_counts(&cluster.server);
    let counts = snap.kind_counts();
    for cluster_kind in [
        "namespaces",
        "nodes",
        "clusterroles.rbac.authorization.k8s.io",
    ] {
        assert_eq!(
            counts.get(cluster_kind),
            server.get(cluster_kind),
            "{cluster_kind}"
        );
    }
    for pod in snap.values("resources/core/v1/pods.jsonl") {
        let ns = pod["metadata"]["namespace"].as_str().unwrap();
        assert!(ns == "coder-workspaces" || ns == "default", "{ns}");
    }
    assert_eq!(counts["pods"], 20);
    let rules: Vec<Value> = snap.values("identity/rules.jsonl");
    assert_eq!(rules.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_coder_endpoint_is_a_blind_spot() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let coder = TestCoderApi::start(Options {
        failing: vec!["/api/v2/templates".into()],
        enterprise: false,
        ..Options::default()
    })
    .await
    .unwrap();
    let out = cluster.path("api.tar.zst");
    let mut c = cluster.capture(&["-q"], &out);
    c.args(["--coder-url", &coder.url()]).env(
        "CODER_SESSION_TOKEN",
        coder_sec_test_coder_api::DEFAULT_TOKEN,
    );
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let snap = Snapshot::read(&out);
    let spots = &snap.manifest.blind_spots;
    assert_eq!(spots.len(), 1, "{spots:?}");
    assert!(spots[0].subject.contains("/api/v2/templates"));
    assert!(!snap.files.contains_key("coder/api/templates.json"));
    // Enterprise endpoints answering 404 are skipped quietly.
    assert!(!snap.files.contains_key("coder/api/entitlements.json"));
    assert!(snap.files.contains_key("coder/api/deployment-config.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 4] = [
        &["capture", "--chunk-size", "0"],
        &["capture", "--kubeconfig", "/nonexistent/kubeconfig"],
        &["capture", "-n", "Not_A_Namespace"],
        &["no-such-command"],
    ];
    for args in cases {
        let mut c = plugin(dir.path());
        c.args(args);
        let output = run(c).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
    }
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let mut c = plugin(dir.path());
    c.args([
        "capture",
        "--coder-url",
        "https://coder.example.com",
        "--kubeconfig",
    ])
    .arg(&cluster.kubeconfig);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("hint:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_fails_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("k");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\nusers:\n- name: x\n  user:\n    token: t\n",
    )
    .unwrap();
    let out = dir.path().join("out.tar.zst");
    let mut c = plugin(dir.path());
    c.args(["capture", "--max-attempts", "2", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("-o")
        .arg(&out);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("127.0.0.1:1") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert_only(dir.path(), &["k"]);
}

/// The folder holds exactly these names: no snapshot, no temporary file left behind.
fn assert_only(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_captures_then_analyses() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let out = cluster.path("scan.tar.zst");
    let mut c = plugin(cluster.dir.path());
    c.args(["scan", "-q", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .arg("-o")
        .arg(&out)
        .args(["--", "--format", "json"]);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: Value =
        serde_json::from_slice(&output.stdout).expect("stdout is the analysis' JSON");
    assert!(report.is_object(), "{report}");
    assert!(out.exists());

    for sub in ["verify", "inspect", "analyze", "paths"] {
        let mut c = plugin(cluster.dir.path());
        c.arg(sub).arg(&out);
        let output = run(c).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{sub}: {}",
            describe(&output)
        );
        assert!(!output.stdout.is_empty(), "{sub}");
    }

    // Bad analysis flags are refused before anything is captured.
    let refused = cluster.path("refused.tar.zst");
    let mut c = plugin(cluster.dir.path());
    c.args(["scan", "-q", "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .arg("-o")
        .arg(&refused)
        .args(["--", "--no-such-flag"]);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(!refused.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_flags_reach_the_server() {
    let viewer = parse_identity("viewer:viewer-token:user=viewer,deny=secrets").unwrap();
    let cluster = Cluster::start(vec![IdentitySpec::admin(), viewer], Faults::default()).await;
    let out = cluster.path("as.tar.zst");
    let c = cluster.capture(&["-q", "--as", "viewer", "--as-group", "auditors"], &out);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let snap = Snapshot::read(&out);
    let identity = snap.manifest.identity.clone().unwrap();
    assert_eq!(identity.username, "viewer");
    assert!(
        identity.groups.iter().any(|g| g == "auditors"),
        "{identity:?}"
    );
    assert_eq!(
        snap.manifest.kind("", "Secret").unwrap().status,
        KindStatus::Forbidden
    );
    assert_eq!(
        snap.manifest.kind("", "ConfigMap").unwrap().status,
        KindStatus::Complete
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_credential_plugin_and_kubeconfig_list() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let script = cluster.path("get-token");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"admin-token\"}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut kubeconfig = cluster.server.kubeconfig();
    kubeconfig["users"][0]["user"] = serde_json::json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": script.display().to_string(),
        "interactiveMode": "Never",
    }});
    let exec_config = cluster.path("exec-kubeconfig");
    std::fs::write(&exec_config, kubeconfig.to_string()).unwrap();
    // `KUBECONFIG` is a list; missing files are skipped, as kubectl does.
    let list = std::env::join_paths([cluster.path("missing"), exec_config]).unwrap();
    let out = cluster.path("exec.tar.zst");
    let mut c = plugin(cluster.dir.path());
    c.args(["capture", "-q", "-o"])
        .arg(&out)
        .env("KUBECONFIG", list);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let snap = Snapshot::read(&out);
    assert_eq!(snap.manifest.identity.unwrap().username, "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_fail_with_a_hint() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let mut kubeconfig = cluster.server.kubeconfig();
    kubeconfig["users"][0]["user"] = serde_json::json!({"token": "wrong-token"});
    let path = cluster.path("bad-kubeconfig");
    std::fs::write(&path, kubeconfig.to_string()).unwrap();
    let out = cluster.path("bad.tar.zst");
    let mut c = plugin(cluster.dir.path());
    c.args(["capture", "-q", "--kubeconfig"])
        .arg(&path)
        .arg("-o")
        .arg(&out);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refused the credentials") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_restricted_identity_is_listed_namespace_by_namespace() {
    let ops = parse_identity("ops:ops-token:user=ops,deny=ns:kube-system").unwrap();
    let cluster = Cluster::start(vec![ops], Faults::default()).await;
    let out = cluster.path("ops.tar.zst");
    let c = cluster.capture(&["-q"], &out);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let snap = Snapshot::read(&out);
    assert!(snap.mismatches.is_empty());
    let m = &snap.manifest;
    let pods = m.kind("", "Pod").unwrap();
    assert_eq!(pods.status, KindStatus::Complete, "{pods:?}");
    assert!(
        m.blind_spots
            .iter()
            .any(|b| b.subject == "pods in namespaces kube-system"),
        "{:?}",
        m.blind_spots
    );
    assert!(
        m.blind_spots
            .iter()
            .any(|b| b.subject == "pods cluster-wide")
    );
    // The scenario's one kube-system ConfigMap (aws-auth) is out of reach, the others are there.
    let configmaps = snap.values("resources/core/v1/configmaps.jsonl");
    assert_eq!(
        configmaps.len(),
        server_counts(&cluster.server)["configmaps"] - 1
    );
    assert_eq!(
        snap.kind_counts()["pods"],
        server_counts(&cluster.server)["pods"]
    );
    for path in snap.files.keys().filter(|p| p.starts_with("resources/")) {
        for object in snap.values(path) {
            assert_ne!(object["metadata"]["namespace"], "kube-system", "{path}");
        }
    }
    // Cluster-scoped kinds are unaffected.
    assert_eq!(m.kind("", "Node").unwrap().count, 2);
    let leaks = snap.find_needles(&needles());
    assert!(leaks.is_empty(), "{leaks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_completes_through_the_plugin() {
    if !Path::new(KUBECTL).exists() {
        coder_sec_model::testing::skip_unless_required("kubectl not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The build puts `kubectl_complete-coder_sec` beside the plugin, as `cargo install` does.
    let bin_dir = plugin_bin().parent().unwrap().to_path_buf();
    assert!(bin_dir.join("kubectl_complete-coder_sec").is_file());
    let path = std::env::join_paths([bin_dir].into_iter().chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut kubectl = Command::new(KUBECTL);
    kubectl
        .args(["__complete", "coder-sec", "ca"])
        .env("PATH", path)
        .env("HOME", dir.path());
    let output = run(kubectl).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("capture")), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_name_and_insecure_skip_tls_verify() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let mut kubeconfig = cluster.server.kubeconfig();
    kubeconfig["clusters"][0]["cluster"]
        .as_object_mut()
        .unwrap()
        .remove("certificate-authority-data");
    let path = cluster.path("no-ca");
    std::fs::write(&path, kubeconfig.to_string()).unwrap();
    let work = cluster.path("work");
    std::fs::create_dir(&work).unwrap();

    // Without the CA the server's certificate is not trusted...
    let mut c = plugin(cluster.dir.path());
    c.args(["capture", "-q", "--kubeconfig"])
        .arg(&path)
        .current_dir(&work);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("certificate") && stderr.contains("--insecure-skip-tls-verify"),
        "{stderr}"
    );
    assert_only(&work, &[]);

    // ...unless told not to check it. The snapshot gets the default name, here.
    let mut c = plugin(cluster.dir.path());
    c.args([
        "capture",
        "-q",
        "--insecure-skip-tls-verify",
        "--kubeconfig",
    ])
    .arg(&path)
    .current_dir(&work);
    let output = run(c).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let names: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(
        name.starts_with("coder-sec-admin-2")
            && name.ends_with("Z.tar.zst")
            && name.len() == "coder-sec-admin-20261127T031500Z.tar.zst".len(),
        "{name}"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), name);
}

/// The red-team corpus of issue 10 (`testdata/scenarios/redteam`): captured through the API, no canary
/// survives, and the facts the analysis needs do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_team_canaries_do_not_survive_a_capture() {
    use coder_sec_model::redact::scan::parse_needle_list;
    use coder_sec_test_apiserver::{ServerOptions, TestServer};
    let dir = testdata("scenarios/redteam");
    let server = TestServer::start(ServerOptions {
        scenarios: vec![dir.clone()],
        ..ServerOptions::default()
    })
    .await
    .expect("test API server starts");
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let out = tmp.path().join("redteam.tar.zst");
    let mut c = plugin(tmp.path());
    c.args(["capture", "-q", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg("-o")
        .arg(&out);
    let output = run(c).await;
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "{}",
        describe(&output)
    );
    let snap = Snapshot::read(&out);
    let text = std::fs::read_to_string(dir.join("needles.tsv")).unwrap();
    let needles: Vec<String> = parse_needle_list(&text)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let leaks = snap.find_needles(&needles);
    assert!(
        leaks.is_empty(),
        "red-team canaries survived a capture: {leaks:#?}"
    );

    let facts = std::fs::read_to_string(dir.join("facts.tsv")).unwrap();
    let mut lost = Vec::new();
    for line in facts
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        let (ns, name) = f[1].split_once('/').unwrap();
        let object = snap
            .files
            .keys()
            .filter(|p| p.ends_with(".jsonl") && p.starts_with("resources/"))
            .flat_map(|p| snap.values(p))
            .find(|o| {
                o["kind"] == f[0]
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"].as_str().unwrap_or("") == ns
            });
        let got = object
            .as_ref()
            .and_then(|o| o.pointer(f[2]))
            .and_then(Value::as_str)
            .map(str::to_string);
        if got.as_deref() != Some(f[3]) {
            lost.push(format!("{} {} {}: {got:?}", f[0], f[1], f[2]));
        }
    }
    assert!(
        lost.is_empty(),
        "facts lost in a capture:\n{}",
        lost.join("\n")
    );
}
