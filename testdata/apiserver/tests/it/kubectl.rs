//! Faithfulness: the real kubectl against the server over HTTPS. Each test has its own HOME, so
//! kubectl's discovery cache starts empty. Skipped (with a message) where kubectl is not installed.

use coder_sec_model::manifests::load_paths;
use coder_sec_test_apiserver::{Faults, ServerOptions};

use crate::support::{Kube, options, scenario};

/// Names of the scenario's objects of one kind, sorted.
fn scenario_names(kind: &str) -> Vec<String> {
    let mut names: Vec<String> = load_paths(&[scenario()])
        .unwrap()
        .into_iter()
        .filter(|d| d.object["kind"] == kind)
        .map(|d| d.object["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_all_namespaces_prints_the_table() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k.ok(&["get", "pods", "-A"]).await;
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    for pod in scenario_names("Pod") {
        assert!(out.contains(&pod), "{pod} missing:\n{out}");
    }
    let line = out
        .lines()
        .find(|l| l.contains("kube-proxy-9mwq4"))
        .unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &cells[..5],
        [
            "kube-system",
            "kube-proxy-9mwq4",
            "0/1",
            "CrashLoopBackOff",
            "7"
        ]
    );
    let wide = k.ok(&["get", "pods", "-A", "-o", "wide"]).await;
    assert!(wide.lines().next().unwrap().contains("NODE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_nodes_json_matches_the_scenario() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k.ok(&["get", "nodes", "-o", "json"]).await;
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["kind"], "Node", "kubectl fills in the item kind");
            i["metadata"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, scenario_names("Node"));
    let nodes = k.ok(&["get", "no"]).await;
    assert!(
        nodes.contains("control-plane") && nodes.contains("NotReady"),
        "{nodes}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_cluster_scoped_and_group_resources() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k.ok(&["get", "clusterroles", "-o", "name"]).await;
    let expected: Vec<String> = scenario_names("ClusterRole")
        .iter()
        .map(|n| format!("clusterrole.rbac.authorization.k8s.io/{n}"))
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    let deploy = k.ok(&["get", "deploy", "-n", "coder"]).await;
    assert!(deploy.contains("2/2"), "{deploy}");
    let pdb = k
        .ok(&["get", "poddisruptionbudgets", "-A", "-o", "name"])
        .await;
    assert_eq!(pdb.trim(), "poddisruptionbudget.policy/coder");
    let all = k.ok(&["get", "all", "-n", "coder", "-o", "name"]).await;
    for name in [
        "pod/coder-7d9f8b6c5-abcde",
        "service/coder",
        "deployment.apps/coder",
    ] {
        assert!(all.lines().any(|l| l == name), "{name} missing:\n{all}");
    }
    let ns = k
        .ok(&[
            "get",
            "namespace",
            "coder",
            "-o",
            "jsonpath={.status.phase}",
        ])
        .await;
    assert_eq!(ns, "Active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_lists_page_with_continue() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k
        .ok(&["get", "pods", "-A", "--chunk-size=2", "-o", "name"])
        .await;
    let mut got: Vec<String> = out
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .collect();
    got.sort();
    assert_eq!(got, scenario_names("Pod"));
    let pages: Vec<_> = k
        .server
        .request_log()
        .into_iter()
        .filter(|r| r.uri.starts_with("/api/v1/pods?"))
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages[0].uri.contains("limit=2") && !pages[0].uri.contains("continue="));
    assert!(
        pages[1..].iter().all(|r| r.uri.contains("continue=")),
        "{pages:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_continue_is_reported_as_kubectl_reports_it() {
    let opts = ServerOptions {
        faults: Faults {
            expire_continue_after_pages: Some(1),
            ..Faults::default()
        },
        ..options()
    };
    let Some(k) = Kube::start(opts).await else {
        return;
    };
    let out = k.run(&["get", "pods", "-A", "--chunk-size=2"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Error from server (Expired): The provided continue parameter is too old"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_label_and_single_object_reads() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k.ok(&["get", "pods", "-n", "coder", "-o", "name"]).await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["pod/coder-7d9f8b6c5-abcde", "pod/coder-7d9f8b6c5-fghij"]
    );
    let out = k
        .ok(&["get", "pods", "-A", "-l", "app=coder", "-o", "name"])
        .await;
    assert_eq!(out.lines().count(), 2, "{out}");
    let out = k
        .ok(&[
            "get",
            "pods",
            "-A",
            "-l",
            "k8s-app in (kube-proxy)",
            "--field-selector",
            "spec.nodeName=cp-1",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(out.trim(), "pod/kube-proxy-4bq9z");
    let yaml = k
        .ok(&[
            "get",
            "pod",
            "coder-alice-dev",
            "-n",
            "coder-workspaces",
            "-o",
            "yaml",
        ])
        .await;
    assert!(
        yaml.contains("kind: Pod") && yaml.contains("name: coder-alice-dev"),
        "{yaml}"
    );
    assert!(
        yaml.contains("nodeName: worker-1") && yaml.contains("privileged: true"),
        "{yaml}"
    );
    let out = k.run(&["get", "pod", "nope", "-n", "coder"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"Error from server (NotFound): pods "nope" not found"#),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_whoami_and_can_i() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let who = k.ok(&["auth", "whoami"]).await;
    assert!(
        who.contains("admin") && who.contains("system:masters"),
        "{who}"
    );
    let who = k
        .ok(&["auth", "whoami", "--context", "viewer", "-o", "json"])
        .await;
    let who: serde_json::Value = serde_json::from_str(&who).unwrap();
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    assert_eq!(
        who["status"]["userInfo"]["groups"],
        serde_json::json!(["developers", "system:authenticated"])
    );

    let list = k.ok(&["auth", "can-i", "--list"]).await;
    assert!(
        list.lines()
            .any(|l| l.starts_with("*.*") && l.contains("[*]")),
        "{list}"
    );
    let list = k
        .ok(&[
            "auth",
            "can-i",
            "--list",
            "--context",
            "viewer",
            "-n",
            "coder",
        ])
        .await;
    let first_cells: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        first_cells.contains(&"pods") && first_cells.contains(&"deployments.apps"),
        "{list}"
    );
    assert!(!first_cells.contains(&"secrets"), "{list}");

    assert_eq!(
        k.ok(&["auth", "can-i", "list", "secrets"]).await.trim(),
        "yes"
    );
    let no = k
        .run(&["auth", "can-i", "list", "secrets", "--context", "viewer"])
        .await;
    assert_eq!(no.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&no.stdout).trim(), "no");
    assert_eq!(
        k.ok(&["auth", "can-i", "get", "pods", "--context", "viewer"])
            .await
            .trim(),
        "yes"
    );
    let no = k
        .run(&[
            "auth",
            "can-i",
            "list",
            "pods",
            "-n",
            "kube-system",
            "--context",
            "nosys",
        ])
        .await;
    assert_eq!(String::from_utf8_lossy(&no.stdout).trim(), "no");
    // Impersonation through kubectl's --as.
    let who = k.ok(&["auth", "whoami", "--as", "alice"]).await;
    assert!(who.contains("alice"), "{who}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_identity_gets_forbidden() {
    let Some(k) = Kube::start(options()).await else {
        return;
    };
    let out = k
        .run(&["get", "secrets", "-A", "--context", "viewer"])
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"Error from server (Forbidden): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" at the cluster scope"#),
        "{err}"
    );
    let out = k
        .run(&["get", "pods", "--context", "viewer", "--as", "admin"])
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"users "admin" is forbidden: User "alice" cannot impersonate"#),
        "{err}"
    );
    let bad = k.run(&["get", "pods", "--token", "wrong"]).await;
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("Unauthorized"), "{err}");
}
