//! Tests against data nobody here wrote, read in place from `CODER_SEC_EXTERNAL_DATA` (skipped when
//! unset): KubeHound's attack manifests, Kubernetes' bootstrap RBAC and the Coder Helm goldens.

use std::collections::BTreeSet;
use std::path::PathBuf;

use coder_sec_analyzer::graph::VertexKind;

use super::support::{
    Analysed, analyse, edges_through_volumes, external, scenario_files, techniques_between,
};

const ANY_NODE: &str = "Virtual/any-node";

fn kubehound() -> Option<Analysed> {
    let dir = external("kubehound-attacks")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml") && !p.ends_with("cluster.yaml"))
        .collect();
    files.sort();
    files.extend(scenario_files("kubehound-overlay"));
    Some(analyse(&files))
}

/// Escapes from a pod to its (virtual) node: directly, or through one of its hostPath volumes.
fn escapes(a: &Analysed, pod: &str) -> BTreeSet<&'static str> {
    edges_through_volumes(a, &format!("Pod/default/{pod}"))
        .into_iter()
        .filter(|(t, c)| t == ANY_NODE && c.starts_with("escape-"))
        .map(|(_, c)| c)
        .collect()
}

fn set(v: &[&'static str]) -> BTreeSet<&'static str> {
    v.iter().copied().collect()
}

#[test]
fn kubehound_container_escapes() {
    let Some(a) = kubehound() else { return };
    // Unscheduled pods sit on Virtual/any-node. Precision: privileged alone implies SYS_MODULE.
    assert_eq!(escapes(&a, "modload-pod"), set(&["escape-sys-module"]));
    assert_eq!(
        escapes(&a, "nsenter-pod"),
        set(&["escape-nsenter", "escape-privileged", "escape-sys-module"])
    );
    assert_eq!(
        escapes(&a, "priv-pod"),
        set(&["escape-privileged", "escape-sys-module"])
    );
    // SYS_PTRACE + SYS_ADMIN with hostPID: ptrace, and since issue 14 also SYS_ADMIN alone (the
    // cgroup escape) and hostPID + SYS_PTRACE reading the host's processes.
    assert_eq!(
        escapes(&a, "sys-ptrace-pod"),
        set(&[
            "escape-host-pid-environ",
            "escape-ptrace",
            "escape-sys-admin"
        ])
    );
    // `/proc/sys/kernel` writable is also a host write outside the allow-list.
    assert_eq!(
        escapes(&a, "umh-core-pod"),
        set(&["escape-core-pattern", "escape-host-write"])
    );
    assert_eq!(escapes(&a, "varlog-pod"), set(&["escape-var-log-symlink"]));
    assert_eq!(
        escapes(&a, "endpoints-pod"),
        set(&["escape-nsenter", "escape-privileged", "escape-sys-module"])
    );
    // EXPLOIT_HOST_READ (`/root/.ssh`, read-only) and no write edge for read-only mounts.
    assert_eq!(
        escapes(&a, "host-read-exploit-pod"),
        set(&["escape-host-read"])
    );
    // EXPLOIT_HOST_WRITE on `/`: also core_pattern (may run as root) and host read.
    let w = escapes(&a, "host-write-exploit-pod");
    assert!(
        w.contains("escape-host-write") && w.contains("escape-core-pattern"),
        "{w:?}"
    );
    // The case KubeHound documents but does not implement: runtime sockets.
    assert_eq!(
        escapes(&a, "docker-sock-pod"),
        set(&["escape-runtime-socket"])
    );
    // hostPath escapes leave from the volume's vertex, which the pod reaches by `pod-host-path`;
    // the others (privileged, capabilities) from the pod itself.
    assert_eq!(
        techniques_between(
            &a,
            "Pod/default/umh-core-pod",
            "Volume/default/umh-core-pod/nodeproc"
        ),
        vec!["pod-host-path"]
    );
    assert_eq!(
        techniques_between(&a, "Volume/default/umh-core-pod/nodeproc", ANY_NODE),
        vec!["escape-core-pattern", "escape-host-write"]
    );
    assert!(techniques_between(&a, "Pod/default/umh-core-pod", ANY_NODE).is_empty());
    assert_eq!(
        techniques_between(&a, "Pod/default/priv-pod", ANY_NODE),
        vec!["escape-privileged", "escape-sys-module"]
    );
    assert!(
        !a.analysis
            .graph
            .edges_from("Pod/default/priv-pod")
            .iter()
            .any(|(_, c)| *c == "pod-host-path")
    );
    // KubeHound names the volume of each host exploit: EXPLOIT_HOST_READ through `host-ssh`,
    // EXPLOIT_HOST_TRAVERSE through `host-pod-dir` (to co-located tokens), EXPLOIT_HOST_WRITE
    // through `hostroot`.
    assert_eq!(
        techniques_between(
            &a,
            "Volume/default/host-read-exploit-pod/host-ssh",
            ANY_NODE
        ),
        vec!["escape-host-read"]
    );
    let traverse: BTreeSet<&str> = a
        .analysis
        .graph
        .edges_from("Volume/default/host-read-exploit-pod/host-pod-dir")
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(traverse, set(&["escape-kubelet-pods-dir"]));
    assert!(
        techniques_between(
            &a,
            "Volume/default/host-write-exploit-pod/hostroot",
            ANY_NODE
        )
        .contains(&"escape-host-write")
    );
    // Exactly the hostPath volumes some escape leaves from are vertices.
    let g = &a.analysis.graph;
    let volumes: BTreeSet<&str> = g
        .vertices()
        .filter(|&v| g.vertex_at(v).kind == VertexKind::Volume)
        .map(|v| g.reference(v))
        .collect();
    assert_eq!(
        volumes,
        [
            "Volume/default/docker-sock-pod/sock",
            "Volume/default/host-read-exploit-pod/host-pod-dir",
            "Volume/default/host-read-exploit-pod/host-ssh",
            "Volume/default/host-write-exploit-pod/hostroot",
            "Volume/default/umh-core-pod/nodeproc",
            "Volume/default/varlog-pod/nodelog",
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn kubehound_control_pod_has_no_outgoing_edge() {
    let Some(a) = kubehound() else { return };
    assert_eq!(
        a.analysis.graph.edges_from("Pod/default/control-pod"),
        vec![]
    );
    // Shared process namespaces stay inside a pod: no edge between the two pods.
    assert!(
        techniques_between(&a, "Pod/default/sharedps-pod1", "Pod/default/sharedps-pod2").is_empty()
    );
}

#[test]
fn kubehound_kubelet_pods_folder_reaches_co_located_tokens() {
    let Some(a) = kubehound() else { return };
    // TRAVERSE + TOKEN_STEAL: the service accounts (with rights) of pods on the same (virtual) node.
    let targets: BTreeSet<String> = edges_through_volumes(&a, "Pod/default/host-read-exploit-pod")
        .into_iter()
        .filter(|(_, c)| *c == "escape-kubelet-pods-dir")
        .map(|(t, _)| t)
        .collect();
    for sa in [
        "pod-create-sa",
        "pod-exec-sa",
        "pod-patch-sa",
        "tokenget-sa",
    ] {
        assert!(
            targets.contains(&format!("ServiceAccount/default/{sa}")),
            "{sa} missing: {targets:?}"
        );
    }
    assert!(
        !targets.contains("ServiceAccount/default/default"),
        "the default SA has no rights"
    );
}

#[test]
fn kubehound_rbac_abuse() {
    let Some(a) = kubehound() else { return };
    let g = &a.analysis.graph;
    // POD_CREATE: every SA of `default`, a privileged pod (no Pod Security label), every node.
    let create = g.edges_from("ServiceAccount/default/pod-create-sa");
    assert!(create.contains(&(ANY_NODE.to_string(), "rbac-create-privileged-pod")));
    assert!(create.contains(&(
        "ServiceAccount/default/varlog-sa".to_string(),
        "rbac-create-pods"
    )));
    let nodes: BTreeSet<String> = g
        .edges_from(ANY_NODE)
        .into_iter()
        .filter(|(_, c)| *c == "node-schedule")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(nodes.len(), 3);
    // POD_EXEC / POD_PATCH: exactly the pods of `default`.
    let default_pods: BTreeSet<String> = a
        .inv
        .pods_in("default")
        .iter()
        .map(|&i| coder_sec_analyzer::inventory::pod_ref(&a.inv.pods[i]))
        .collect();
    for (sa, code) in [
        ("pod-exec-sa", "rbac-exec-pods"),
        ("pod-patch-sa", "rbac-patch-pods"),
    ] {
        let got: BTreeSet<String> = g
            .edges_from(&format!("ServiceAccount/default/{sa}"))
            .into_iter()
            .filter(|(_, c)| *c == code)
            .map(|(t, _)| t)
            .collect();
        assert_eq!(got, default_pods, "{sa}");
    }
    // TOKEN_BRUTEFORCE / TOKEN_LIST: Secrets of `default` only. Precision: SA tokens are not stored as
    // Secrets since 1.24, so readers reach an SA only through a real token Secret.
    for sa in ["tokenget-sa", "tokenlist-sa"] {
        let e = g.edges_from(&format!("ServiceAccount/default/{sa}"));
        assert_eq!(
            e,
            vec![(
                "Secret/default/varlog-sa-token".to_string(),
                "rbac-read-secrets"
            )]
        );
    }
    assert_eq!(
        techniques_between(
            &a,
            "Secret/default/varlog-sa-token",
            "ServiceAccount/default/varlog-sa"
        ),
        vec!["secret-sa-token"]
    );
    // IDENTITY_ASSUME (nodes): each node → system:nodes, which holds a permission.
    for n in &nodes {
        assert_eq!(
            techniques_between(&a, n, "Group/system:nodes"),
            vec!["node-kubelet-identity"]
        );
    }
    // Pods assume their SA's identity where the SA can do something.
    assert_eq!(
        techniques_between(
            &a,
            "Pod/default/pod-create-pod",
            "ServiceAccount/default/pod-create-sa"
        ),
        vec!["pod-service-account"]
    );
}

#[test]
fn kubehound_role_bind_cases() {
    let Some(a) = kubehound() else { return };
    let to = |sa: &str| -> BTreeSet<String> {
        a.analysis
            .graph
            .edges_from(&format!("ServiceAccount/default/{sa}"))
            .into_iter()
            .filter(|(_, c)| *c == "rbac-bind-roles")
            .map(|(t, _)| t)
            .collect()
    };
    // Cluster bindings + bind on ClusterRoles: cluster-admin.
    assert_eq!(
        to("rolebind-sa-crb-cr-crb-cr"),
        set_s(&["Virtual/cluster-admin"])
    );
    // Role bindings everywhere + bind on ClusterRoles: admin of every namespace.
    assert!(to("rolebind-sa-crb-cr-rb-cr").contains("Virtual/namespace-admin/vault"));
    // Role bindings + bind on Roles: namespaces whose Roles are worth binding (`admin`).
    assert_eq!(
        to("rolebind-sa-crb-cr-rb-r"),
        set_s(&[
            "Virtual/namespace-admin/default",
            "Virtual/namespace-admin/vault"
        ])
    );
    assert_eq!(
        to("rolebind-sa-rb-r-rb-r"),
        set_s(&["Virtual/namespace-admin/default"])
    );
    assert_eq!(
        to("rolebind-sa-rb-r-rb-crb"),
        set_s(&["Virtual/namespace-admin/default"])
    );
    assert_eq!(
        to("rolebind-sa-rb-cr-rb-cr"),
        set_s(&["Virtual/namespace-admin/default"])
    );
    // The failing cases: a ClusterRoleBinding cannot be made through a namespaced grant, nor bind Roles.
    assert!(to("rolebind-sa-crb-cr-crb-r-fail").is_empty());
    assert!(to("rolebind-sa-rb-r-crb-cr-fail").is_empty());
    assert!(to("rolebind-sa-rb-cr-crb-cr-fail").is_empty());
    // Users and groups of ROLE_BIND_RB_R-UG get the same rights as the SA.
    assert_eq!(
        a.analysis.graph.edges_from("Group/group-rb-r-rb-r"),
        vec![(
            "Virtual/namespace-admin/default".to_string(),
            "rbac-bind-roles"
        )]
    );
}

fn set_s(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn kubehound_impersonation_and_exposure() {
    let Some(a) = kubehound() else { return };
    // Impersonating users/groups is a cluster-scoped request: a namespaced Role grants nothing.
    assert!(
        a.analysis
            .graph
            .edges_from("ServiceAccount/default/impersonate-sa")
            .is_empty()
    );
    assert!(
        a.analysis
            .graph
            .edges_from("Pod/default/impersonate-pod")
            .is_empty()
    );
    // Granted cluster-wide, it reaches system:masters and so cluster-admin.
    assert_eq!(
        techniques_between(
            &a,
            "ServiceAccount/dev/impersonate-cluster-sa",
            "Group/system:masters"
        ),
        vec!["rbac-impersonate"]
    );
    assert!(a.report.attack_paths.iter().any(
        |p| p.entry == "Pod/dev/impersonate-cluster-pod" && p.target == "Virtual/cluster-admin"
    ));
    // ENDPOINT_EXPLOIT: the hostPort is an exposure on the node's IP; the ClusterIP Service is not.
    assert_eq!(
        techniques_between(
            &a,
            "Exposure/HostPort/default/endpoints-pod/1112",
            "Pod/default/endpoints-pod"
        ),
        vec!["exposure-service"]
    );
    assert!(
        a.analysis
            .graph
            .get("Exposure/Service/default/webproxy-service")
            .is_none()
    );
}

#[test]
fn bootstrap_rbac_gives_no_path_to_anonymous_or_authenticated() {
    let Some(dir) = external("k8s-bootstrap-rbac") else {
        return;
    };
    let a = analyse(&[dir]);
    for entry in [
        "Group/system:authenticated",
        "Group/system:unauthenticated",
        "User/system:anonymous",
    ] {
        assert!(
            !a.report
                .attack_paths
                .iter()
                .any(|p| p.examples.iter().any(|e| e == entry)),
            "{entry} has a path"
        );
    }
    // system:masters is admin; aggregation fills `admin`, `edit`, `view`.
    assert!(
        techniques_between(&a, "Group/system:masters", "Virtual/cluster-admin")
            .contains(&"rbac-wildcard-admin")
    );
    for r in ["admin", "edit", "view"] {
        assert!(
            a.analysis
                .rbac
                .cluster_role(r)
                .is_some_and(|rules| !rules.is_empty()),
            "{r}"
        );
    }
    // The controllers' powers are found (e.g. the token controller can mint any SA token).
    assert!(
        !a.analysis
            .graph
            .edges_from("ServiceAccount/kube-system/namespace-controller")
            .is_empty()
    );
}

#[test]
fn helm_goldens_recognise_coderd_sa_and_role() {
    let Some(dir) = external("coder-helm-golden") else {
        return;
    };
    let mut checked = 0;
    for sub in ["coder", "coder-newer", "provisioner"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "golden"))
            .collect();
        files.sort();
        for f in files {
            let a = analyse(std::slice::from_ref(&f));
            let c = &a.analysis.coder;
            let name = f.display().to_string();
            if sub == "provisioner" {
                assert!(
                    !c.provisioner_pods.is_empty(),
                    "{name}: provisioner not recognised"
                );
                continue;
            }
            assert!(
                !c.coderd_pods.is_empty() || !c.proxy_pods.is_empty(),
                "{name}: coderd not recognised"
            );
            assert_eq!(c.coderd_service_accounts.len(), 1, "{name}");
            let sa = c.coderd_service_accounts.iter().next().unwrap();
            let perms = a.analysis.rbac.effective(sa);
            assert!(
                !perms.grants.is_empty(),
                "{name}: the Role is not bound to `{sa}`"
            );
            let reach = a
                .report
                .findings
                .iter()
                .find(|f| f.code.code() == "coderd-pod-create-reach")
                .unwrap_or_else(|| panic!("{name}: pod-create reach not reported"));
            assert!(reach.objects.contains(sa), "{name}");
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} goldens checked");
}

#[test]
fn kubehound_identities_match_co_located_tokens() {
    let Some(a) = kubehound() else { return };
    let g = &a.analysis.graph;
    // IDENTITY_ASSUME: every pod whose service account can do something mounts its token.
    let useful = |sa: &str| !g.edges_from(sa).is_empty();
    let mut expected_peers = BTreeSet::new();
    for p in &a.inv.pods {
        let sa = format!(
            "ServiceAccount/{}/{}",
            p.metadata.namespace,
            p.service_account()
        );
        let r = coder_sec_analyzer::inventory::pod_ref(p);
        if useful(&sa) {
            assert!(
                g.edges_from(&r)
                    .contains(&(sa.clone(), "pod-service-account")),
                "{r} does not assume {sa}"
            );
            if p.metadata.name != "host-write-exploit-pod" {
                expected_peers.insert(sa);
            }
        }
    }
    // TRAVERSE + TOKEN_STEAL: the host-write pod (hostPath `/`) reaches exactly the identities of the
    // other pods on its (virtual) node.
    let got: BTreeSet<String> = edges_through_volumes(&a, "Pod/default/host-write-exploit-pod")
        .into_iter()
        .filter(|(_, c)| *c == "escape-kubelet-pods-dir")
        .map(|(t, _)| t)
        .collect();
    assert_eq!(got, expected_peers);
}

#[test]
fn kubehound_shared_process_namespace() {
    let Some(a) = kubehound() else { return };
    // SHARE_PS_NAMESPACE: every directed pair of containers in a pod with `shareProcessNamespace`
    // (3 containers: 6 pairs; 2 containers: 2), never across pods. Our graph keeps a pod as one
    // vertex, so the pairs are the `shared-process-namespace` finding's objects.
    let pairs: Vec<&String> = a
        .report
        .findings
        .iter()
        .filter(|f| f.code.code() == "shared-process-namespace")
        .flat_map(|f| &f.objects)
        .collect();
    let of = |pod: &str| -> BTreeSet<&str> {
        pairs
            .iter()
            .filter_map(|o| o.strip_prefix(&format!("Pod/default/{pod} (")))
            .map(|rest| rest.trim_end_matches(')'))
            .collect()
    };
    assert_eq!(
        of("sharedps-pod1"),
        set(&[
            "sharedps-pod1-a → sharedps-pod1-b",
            "sharedps-pod1-a → sharedps-pod1-c",
            "sharedps-pod1-b → sharedps-pod1-a",
            "sharedps-pod1-b → sharedps-pod1-c",
            "sharedps-pod1-c → sharedps-pod1-a",
            "sharedps-pod1-c → sharedps-pod1-b",
        ])
    );
    assert_eq!(
        of("sharedps-pod2"),
        set(&[
            "sharedps-pod2-a → sharedps-pod2-b",
            "sharedps-pod2-b → sharedps-pod2-a"
        ])
    );
    assert_eq!(pairs.len(), 8, "{pairs:?}");
}

#[test]
fn kubehound_permission_discover() {
    let Some(a) = kubehound() else { return };
    let rbac = &a.analysis.rbac;
    // PERMISSION_DISCOVER (identity → permission set) is, for us, a subject's grants: every subject
    // of every binding whose role exists holds that binding's role (the RBAC techniques read them).
    let mut checked = 0;
    for (b, kind) in a
        .inv
        .role_bindings
        .iter()
        .map(|b| (b, "RoleBinding"))
        .chain(
            a.inv
                .cluster_role_bindings
                .iter()
                .map(|b| (b, "ClusterRoleBinding")),
        )
    {
        let ns = &b.metadata.namespace;
        let binding = if kind == "RoleBinding" {
            format!("RoleBinding/{ns}/{}", b.metadata.name)
        } else {
            format!("ClusterRoleBinding/{}", b.metadata.name)
        };
        if rbac.dangling_bindings.contains(&binding) {
            continue;
        }
        for s in b.subjects.iter().flatten() {
            let Some(key) = coder_sec_analyzer::rbac::subject_key(s, ns) else {
                continue;
            };
            assert!(
                rbac.direct(&key).iter().any(|g| *g.binding == *binding),
                "{key} lacks {binding}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} binding subjects");
    // KubeHound's one PERMISSION_DISCOVER without a further edge: impersonate-sa holds its Role …
    let grants = rbac.direct("ServiceAccount/default/impersonate-sa");
    assert_eq!(grants.len(), 1);
    assert_eq!(&*grants[0].binding, "RoleBinding/default/pod-impersonate");
    assert_eq!(&*grants[0].role, "Role/default/impersonate");
    // … which grants nothing: impersonating users and groups is a cluster-scoped request.
    assert!(
        a.analysis
            .graph
            .edges_from("ServiceAccount/default/impersonate-sa")
            .is_empty()
    );
}
