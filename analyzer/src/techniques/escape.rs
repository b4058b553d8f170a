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

/// Host files that hold credentials or secrets, and what they give: a hostPath at or above one of
/// them (its parents included), or below it, reads them.
const CREDENTIALS: &[(&str, &str)] = &[
    ("/etc/kubernetes", "kubeconfigs and PKI of kubeadm nodes"),
    ("/etc/shadow", "the host's password hashes"),
    (
        "/etc/cni/net.d",
        "CNI kubeconfigs with service-account tokens",
    ),
    ("/etc/rancher", "k3s/RKE2 kubeconfigs"),
    ("/root/.kube", "root's kubeconfig"),
    ("/root/.ssh", "root's SSH keys"),
    (
        "/var/lib/kubelet/pki",
        "the kubelet's client certificate and key",
    ),
    ("/var/lib/kubelet/kubeconfig", "the kubelet's kubeconfig"),
    (
        "/var/lib/kubernetes",
        "kubeconfigs and keys of hand-built nodes",
    ),
    ("/var/lib/minikube/certs", "minikube's cluster CA and keys"),
    (
        "/var/lib/rancher",
        "k3s/RKE2 server tokens and certificates",
    ),
    ("/proc", "host processes' environment"),
];

/// What a hostPath read reaches: the credentials at, under or above it (users' `.ssh` and `.kube`
/// under `/home` included), or `None`.
fn sensitive_read(p: &str) -> Option<&'static str> {
    // Kernel parameters hold no process's environment.
    if is_at_or_above("/proc/sys", p) {
        return None;
    }
    if let Some(what) = reach_in(CREDENTIALS, p) {
        return Some(what);
    }
    // `/home`, `/home/<user>`, and anything in a user's `.ssh` or `.kube`.
    let parts: Vec<&str> = p.split('/').filter(|x| !x.is_empty()).collect();
    match parts.as_slice() {
        ["home"] | ["home", _] => Some("users' SSH keys and kubeconfigs"),
        ["home", _, ".ssh" | ".kube", ..] => Some("a user's SSH keys or kubeconfig"),
        _ => None,
    }
}

/// Where writing on the host runs code as root, and how: a writable hostPath at or above one of
/// them (or below it) reaches the node.
const WRITE_REACH: &[(&str, &str)] = &[
    (
        "/etc",
        "cron jobs, systemd units, `ld.so.preload`, static pod manifests",
    ),
    ("/usr", "host binaries and libraries"),
    (
        "/usr/src",
        "kernel module sources that DKMS builds and loads as root",
    ),
    ("/bin", "host binaries"),
    ("/sbin", "host binaries"),
    (
        "/lib",
        "host libraries and the kernel modules `modprobe` loads",
    ),
    ("/lib64", "host libraries"),
    ("/boot", "the kernel and initrd of the next boot"),
    ("/root", "root's shell profile and `authorized_keys`"),
    ("/home", "users' shell profiles and `authorized_keys`"),
    ("/opt/cni/bin", "CNI plugins the kubelet runs as root"),
    ("/var/spool/cron", "crontabs"),
    (
        "/proc/sys",
        "kernel parameters: `core_pattern` and `modprobe` name programs the kernel runs as root",
    ),
    (
        "/sys/kernel",
        "`uevent_helper` names a program the kernel runs as root",
    ),
    ("/sys/fs/cgroup", "cgroup v1 `release_agent` runs as root"),
    (
        "/var/lib/kubelet",
        "the kubelet's config, plugins and every pod's volumes",
    ),
    (
        "/var/lib/containerd",
        "image layers and root filesystems of every container",
    ),
    (
        "/var/lib/docker",
        "image layers and root filesystems of every container",
    ),
];

/// What a writable hostPath off the allow-list reaches on the node, or `None`: a folder nothing on
/// the host runs or trusts (`/data`, `/srv/app`) is not the node.
fn write_reach(p: &str) -> Option<&'static str> {
    reach_in(WRITE_REACH, p)
}

/// The entry of `table` a hostPath `p` reaches: the closest one at or above `p` (`p` is inside it),
/// else the first one below `p` (`p` is a parent of it).
fn reach_in(table: &[(&str, &'static str)], p: &str) -> Option<&'static str> {
    table
        .iter()
        .filter(|(c, _)| is_at_or_above(c, p))
        .max_by_key(|(c, _)| c.len())
        .or_else(|| table.iter().find(|(c, _)| is_at_or_above(p, c)))
        .map(|(_, what)| *what)
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

/// Whether a container runs as a process on its Windows host (`windowsOptions.hostProcess`, the
/// pod's value unless the container sets its own).
fn host_process(p: &Pod, c: &Container) -> bool {
    let own =
        |o: &Option<crate::inventory::WindowsOptions>| o.as_ref().and_then(|w| w.host_process);
    own(&c.security_context.windows_options)
        .or(own(&p.spec.security_context.windows_options))
        .unwrap_or(false)
}

/// The capabilities a container's processes hold when it runs as root (the runtime's default set,
/// less `drop`, plus `add`; every one when privileged), or none when it runs as another user.
fn effective_caps(p: &Pod, c: &Container) -> std::collections::BTreeSet<String> {
    const DEFAULT: &[&str] = &[
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    ];
    let norm = |a: &String| {
        let a = a.trim().to_ascii_uppercase();
        a.strip_prefix("CAP_").unwrap_or(&a).to_string()
    };
    let mut set = std::collections::BTreeSet::new();
    if !maybe_root(p, c) {
        return set;
    }
    let sc = &c.security_context;
    if sc.privileged == Some(true) || sc.capabilities.add.iter().any(|a| norm(a) == "ALL") {
        set.insert("ALL".to_string());
        return set;
    }
    let drop: Vec<String> = sc.capabilities.drop.iter().map(norm).collect();
    if !drop.iter().any(|d| d == "ALL") {
        set.extend(
            DEFAULT
                .iter()
                .filter(|d| !drop.iter().any(|x| x == *d))
                .map(|d| d.to_string()),
        );
    }
    set.extend(sc.capabilities.add.iter().map(norm));
    set
}

/// Whether the kernel lets container `c` of `p` read `/proc/PID/environ` and follow
/// `/proc/PID/root` of the processes of container `d` of `q` without `CAP_SYS_PTRACE`: the same
/// uid (both stated and equal, or both root: stated 0, or unstated without `runAsNonRoot`), and the
/// target's capabilities a subset of the reader's.
fn reads_processes_of(p: &Pod, c: &Container, q: &Pod, d: &Container) -> bool {
    let uid = |p: &Pod, c: &Container| {
        c.security_context
            .run_as_user
            .or(p.spec.security_context.run_as_user)
    };
    let same_user = match (uid(p, c), uid(q, d)) {
        (Some(a), Some(b)) => a == b,
        _ => maybe_root(p, c) && maybe_root(q, d),
    };
    if !same_user {
        return false;
    }
    let mine = effective_caps(p, c);
    let theirs = effective_caps(q, d);
    mine.contains("ALL") || (!theirs.contains("ALL") && theirs.is_subset(&mine))
}

/// hostPID without privilege: container `c` of pod `i` sees every process of its node. With
/// `CAP_SYS_PTRACE` (and no AppArmor profile in the way) it reads the host's processes, their
/// environment and `/proc/1/root`: the node. Without it, the kernel still lets it read the
/// environment (and follow `/proc/PID/root`) of the co-located containers that run as the same uid
/// with no more capabilities: an edge to each such pod (workspace agents' tokens, coderd's env).
fn host_pid_environ(ctx: &mut Ctx<'_>, i: usize, c: &Container, nv: VertexId) {
    let inv = ctx.inv;
    let p = &inv.pods[i];
    let pv = ctx.pod(i);
    if maybe_root(p, c) && cap(c, "SYS_PTRACE") && !apparmor_confined(p, c) {
        ctx.g.edge(
            pv,
            nv,
            Technique::EscapeHostPidEnviron,
            Some(format!(
                "container `{}`: hostPID + CAP_SYS_PTRACE reads every host process's environment and `/proc/1/root`",
                c.name
            )),
        );
        return;
    }
    let Some(node) = p.spec.node_name.as_deref().filter(|n| !n.is_empty()) else {
        return;
    };
    for &j in inv.pods_on(node) {
        let q = &inv.pods[j];
        if j == i || q.finished() {
            continue;
        }
        // Init containers have exited by the time the pod runs.
        let running = q.spec.containers.iter().chain(&q.spec.ephemeral_containers);
        let Some(d) = running.into_iter().find(|d| reads_processes_of(p, c, q, d)) else {
            continue;
        };
        let qv = ctx.pod(j);
        let coder_pod = ctx.coder.workspace_pods.binary_search(&j).is_ok()
            || ctx.coder.coderd_pods.binary_search(&j).is_ok();
        if !coder_pod && !ctx.g.has_out_edges(qv) {
            continue;
        }
        ctx.g.edge(
            pv,
            qv,
            Technique::EscapeHostPidEnviron,
            Some(format!(
                "container `{}`: hostPID, reads `/proc/PID/environ` and `/proc/PID/root` of container `{}` (same uid, no more capabilities)",
                c.name, d.name
            )),
        );
    }
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
            if !privileged && root && cap(c, "SYS_ADMIN") && !apparmor_confined(p, c) {
                ctx.g.edge(
                    pv,
                    nv,
                    Technique::EscapeSysAdmin,
                    detail("CAP_SYS_ADMIN: mounts a cgroup v1 hierarchy and sets `release_agent`"),
                );
            }
            if !privileged && root && cap(c, "DAC_READ_SEARCH") {
                ctx.g.edge(
                    pv,
                    nv,
                    Technique::EscapeDacReadSearch,
                    detail("CAP_DAC_READ_SEARCH: `open_by_handle_at` opens any file of the host filesystem behind a bind mount"),
                );
            }
            if host_process(p, c) {
                ctx.g.edge(
                    pv,
                    nv,
                    Technique::EscapeWindowsHostProcess,
                    detail("Windows `hostProcess`"),
                );
            }
            if p.spec.host_pid && !privileged {
                host_pid_environ(ctx, i, c, nv);
            }
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
                let read_what;
                if let Some(what) = sensitive_read(&path) {
                    read_what = format!("read: {what}");
                    out.push((nv, Technique::EscapeHostRead, &read_what));
                }
                let write_what;
                if writable
                    && !write_allowed(&path)
                    && !runtime_socket(&path)
                    && let Some(what) = write_reach(&path)
                {
                    write_what = format!("write: {what}");
                    out.push((nv, Technique::EscapeHostWrite, &write_what));
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
        assert!(sensitive_read("/home/bob/.ssh").is_some());
        assert!(sensitive_read("/home/bob/src").is_none());
        // Parents and children of a credential folder alike.
        for p in [
            "/var",
            "/var/lib",
            "/var/lib/kubelet",
            "/var/lib/kubelet/pki/kubelet-client-current.pem",
            "/root/.kube",
            "/etc/kubernetes/pki",
        ] {
            assert!(sensitive_read(p).is_some(), "{p}");
        }
        assert!(sensitive_read("/var/lib/docker").is_none());
        assert!(sensitive_read("/var/lib/kubelet/pods").is_none());
        assert!(sensitive_read("/proc/sys/kernel").is_none());
        assert!(write_reach("/opt").is_some());
        assert!(write_reach("/data").is_none());
        assert!(write_reach("/lib/modules").is_some());
        assert!(write_allowed("/tmp/x"));
        assert!(!write_allowed("/"));
        assert!(!write_allowed("/mnt"));
        assert!(runtime_socket("/var/run/docker.sock"));
        assert!(is_at_or_above("/var/lib", "/var/lib/kubelet/pods"));
    }
}
