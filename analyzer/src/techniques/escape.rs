//! Container escapes and host mounts, per container (init and ephemeral containers included): each
//! edge goes to the pod's node (or `Virtual/any-node` when the pod is unscheduled) and names the
//! container in its detail. Escapes through a hostPath volume leave from the volume's vertex
//! (`Volume/NS/POD/VOLUME`), which the pod reaches by `pod-host-path`; the others from the pod.

use crate::catalog::Technique;
use crate::graph::VertexId;
use crate::inventory::{Container, Pod};

use super::Ctx;

/// Normalises a host path: no trailing slash, no duplicate slashes, `.` and `..` resolved.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether `ancestor` is `path` or one of its parents.
fn is_at_or_above(ancestor: &str, path: &str) -> bool {
    ancestor == "/" || path == ancestor || path.starts_with(&format!("{ancestor}/"))
}

fn sensitive_read(p: &str) -> bool {
    matches!(
        p,
        "/" | "/etc"
            | "/root"
            | "/root/.ssh"
            | "/home"
            | "/proc"
            | "/var/lib/kubelet"
            | "/etc/kubernetes"
    ) || (p.starts_with("/home/") && p.ends_with("/.ssh") && p.matches('/').count() == 3)
}

fn write_allowed(p: &str) -> bool {
    const ALLOW: &[&str] = &[
        "/tmp",
        "/var/tmp",
        "/dev/shm",
        "/mnt",
        "/run/udev",
        "/sys/kernel/debug",
        "/var/log",
        "/var/lib/docker/containers",
    ];
    ALLOW
        .iter()
        .any(|a| p != "/" && is_at_or_above(a, p) && p != "/mnt")
        || p.starts_with("/mnt/")
}

fn runtime_socket(p: &str) -> bool {
    const SOCKETS: &[&str] = &[
        "docker.sock",
        "containerd.sock",
        "crio.sock",
        "cri-dockerd.sock",
        "dockershim.sock",
    ];
    SOCKETS.iter().any(|s| p.ends_with(s))
        || matches!(
            p,
            "/run"
                | "/var/run"
                | "/run/containerd"
                | "/var/run/containerd"
                | "/run/crio"
                | "/var/run/crio"
                | "/run/docker"
                | "/var/run/docker"
        )
}

fn cap(c: &Container, name: &str) -> bool {
    c.security_context.capabilities.add.iter().any(|a| {
        let a = a.trim().to_ascii_uppercase();
        let a = a.strip_prefix("CAP_").unwrap_or(&a);
        a == name || a == "ALL"
    })
}

/// Whether the container may run as root: uid 0, or no uid and no `runAsNonRoot`.
pub fn maybe_root(p: &Pod, c: &Container) -> bool {
    let uid = c
        .security_context
        .run_as_user
        .or(p.spec.security_context.run_as_user);
    match uid {
        Some(0) => true,
        Some(_) => false,
        None => {
            c.security_context
                .run_as_non_root
                .or(p.spec.security_context.run_as_non_root)
                != Some(true)
        }
    }
}

fn apparmor_confined(p: &Pod, c: &Container) -> bool {
    let explicit = c
        .security_context
        .app_armor_profile
        .as_ref()
        .or(p.spec.security_context.app_armor_profile.as_ref())
        .map(|x| x.kind.as_str());
    let annotation = p
        .metadata
        .annotations
        .get(&format!(
            "container.apparmor.security.beta.kubernetes.io/{}",
            c.name
        ))
        .map(String::as_str);
    matches!(explicit, Some("RuntimeDefault" | "Localhost"))
        || annotation.is_some_and(|a| a == "runtime/default" || a.starts_with("localhost/"))
}

/// The service-account tokens a kubelet's pods folder holds on `node` (`None`: unscheduled
/// pods): (pod index, service-account vertex) for each running pod that mounts a token of an
/// account with edges of its own.
fn tokens_on(ctx: &Ctx<'_>, node: Option<&str>) -> Vec<(usize, VertexId)> {
    let inv = ctx.inv;
    let pods: Vec<usize> = match node {
        Some(n) => inv.pods_on(n).to_vec(),
        None => (0..inv.pods.len())
            .filter(|&j| {
                inv.pods[j]
                    .spec
                    .node_name
                    .as_deref()
                    .is_none_or(str::is_empty)
            })
            .collect(),
    };
    pods.into_iter()
        .filter_map(|j| {
            let q = &inv.pods[j];
            if q.finished() || !ctx.mounts_token(q) {
                return None;
            }
            let key = format!(
                "ServiceAccount/{}/{}",
                q.metadata.namespace,
                q.service_account()
            );
            let sv = ctx.g.get(&key).filter(|v| ctx.g.has_out_edges(*v))?;
            Some((j, sv))
        })
        .collect()
}

/// Adds escape edges for every running (or template) pod.
pub fn add(ctx: &mut Ctx<'_>) {
    let inv = ctx.inv;
    // Per node, the tokens in its kubelet's pods folder (the same for every pod that mounts it;
    // this family adds no edges from service accounts, so they do not change meanwhile).
    let mut kubelet_tokens: std::collections::HashMap<Option<String>, Vec<(usize, VertexId)>> =
        std::collections::HashMap::new();
    // Per service account, whether it reads every pod log of its namespace.
    let mut reads_all_logs: std::collections::HashMap<String, bool> =
        std::collections::HashMap::new();
    for (i, p) in inv.pods.iter().enumerate() {
        if p.finished() {
            continue;
        }
        let pv = ctx.pod(i);
        let nv = ctx.node_of(p);
        for c in p.all_containers() {
            let detail = |what: &str| Some(format!("container `{}`: {what}", c.name));
            let privileged = c.security_context.privileged == Some(true);
            if privileged {
                ctx.g
                    .edge(pv, nv, Technique::EscapePrivileged, detail("privileged"));
                if p.spec.host_pid {
                    ctx.g.edge(
                        pv,
                        nv,
                        Technique::EscapeNsenter,
                        detail("privileged + hostPID"),
                    );
                }
            }
            if privileged || cap(c, "SYS_MODULE") {
                ctx.g
                    .edge(pv, nv, Technique::EscapeSysModule, detail("CAP_SYS_MODULE"));
            }
            if p.spec.host_pid
                && cap(c, "SYS_PTRACE")
                && cap(c, "SYS_ADMIN")
                && !apparmor_confined(p, c)
            {
                ctx.g.edge(
                    pv,
                    nv,
                    Technique::EscapePtrace,
                    detail("hostPID + CAP_SYS_PTRACE + CAP_SYS_ADMIN"),
                );
            }
            let root = maybe_root(p, c);
            for m in &c.volume_mounts {
                let Some(hp) = p
                    .spec
                    .volumes
                    .iter()
                    .find(|v| v.name == m.name)
                    .and_then(|v| v.host_path.as_ref())
                else {
                    continue;
                };
                let path = normalise(&hp.path);
                let writable = !m.read_only;
                // Edges leave from the volume's vertex, made (with the pod's `pod-host-path` edge
                // into it) only when there is one.
                let mut out: Vec<(VertexId, Technique, &str)> = Vec::new();
                if writable
                    && root
                    && matches!(
                        path.as_str(),
                        "/" | "/proc" | "/proc/sys" | "/proc/sys/kernel"
                    )
                {
                    out.push((nv, Technique::EscapeCorePattern, "core_pattern"));
                }
                if writable
                    && root
                    && matches!(path.as_str(), "/" | "/var" | "/var/log")
                    && ctx.mounts_token(p)
                {
                    let key = format!(
                        "ServiceAccount/{}/{}",
                        p.metadata.namespace,
                        p.service_account()
                    );
                    let rbac = ctx.rbac;
                    let reads_logs = *reads_all_logs.entry(key).or_insert_with_key(|key| {
                        rbac.effective(key)
                            .reach(&["get"], &[""], &["pods/log"])
                            .all_in(&p.metadata.namespace)
                    });
                    if reads_logs {
                        out.push((nv, Technique::EscapeVarLogSymlink, "symlink + pods/log"));
                    }
                }
                if sensitive_read(&path) {
                    out.push((nv, Technique::EscapeHostRead, "read"));
                }
                if writable && !write_allowed(&path) && !runtime_socket(&path) {
                    out.push((nv, Technique::EscapeHostWrite, "write"));
                }
                if runtime_socket(&path) {
                    out.push((nv, Technique::EscapeRuntimeSocket, "runtime socket"));
                }
                if is_at_or_above(&path, "/var/lib/kubelet/pods")
                    || path.starts_with("/var/lib/kubelet/pods/")
                {
                    let node = p.spec.node_name.as_deref().filter(|n| !n.is_empty());
                    let tokens = kubelet_tokens
                        .entry(node.map(str::to_string))
                        .or_insert_with(|| tokens_on(ctx, node));
                    for &(j, sv) in tokens.iter() {
                        if j != i {
                            out.push((sv, Technique::EscapeKubeletPodsDir, "kubelet pods folder"));
                        }
                    }
                }
                if out.is_empty() {
                    continue;
                }
                let vv = ctx.host_path_volume(i, &m.name, &path);
                // Many edges of one mount say the same (every token in the kubelet's folder).
                let mut said: Option<(&str, Option<String>)> = None;
                for (to, technique, what) in out {
                    let text = match &said {
                        Some((w, text)) if *w == what => text.clone(),
                        _ => {
                            let text = detail(&format!("hostPath `{path}` ({what})"));
                            said = Some((what, text.clone()));
                            text
                        }
                    };
                    ctx.g.edge(vv, to, technique, text);
                }
            }
        }
    }
}

/// The reference of hostPath volume `volume` of a pod: `Volume/NS/POD/VOLUME`, where `POD` is the
/// pod's name, or `KIND:NAME` of the controller for a template pod (a `:` never appears in object
/// names, so the two cannot collide).
pub fn volume_ref(p: &Pod, volume: &str) -> String {
    let ns = &p.metadata.namespace;
    match p.template_of.as_deref().and_then(|t| t.split_once('/')) {
        Some((kind, _)) => format!("Volume/{ns}/{kind}:{}/{volume}", p.metadata.name),
        None => format!("Volume/{ns}/{}/{volume}", p.metadata.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(normalise("/var/log/"), "/var/log");
        assert_eq!(normalise("//"), "/");
        assert_eq!(normalise("/a/../etc"), "/etc");
        assert!(sensitive_read("/home/bob/.ssh"));
        assert!(!sensitive_read("/home/bob/src"));
        assert!(write_allowed("/tmp/x"));
        assert!(!write_allowed("/"));
        assert!(!write_allowed("/mnt"));
        assert!(runtime_socket("/var/run/docker.sock"));
        assert!(is_at_or_above("/var/lib", "/var/lib/kubelet/pods"));
    }
}
