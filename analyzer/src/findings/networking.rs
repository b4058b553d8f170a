//! Networking: NetworkPolicy boundaries, coderd's TLS, other certificates, ingresses without TLS,
//! exposures, the metadata endpoint and IP address capacity.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::catalog::{FindingCode, Technique};
use crate::coder::Setting;
use crate::inventory::{Pod, Secret, pod_ref};
use crate::netpol;
use crate::severity::Severity;

use super::{Finding, Input, complete, nref};

/// A field of the redaction's certificate facts, whatever its spelling (`not-after`, `notAfter`).
fn tls_field<'a>(tls: &'a Value, name: &str) -> Option<&'a Value> {
    tls.as_object()?.iter().find_map(|(k, v)| {
        let k: String = k
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        (k == name).then_some(v)
    })
}

fn parse_time(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// The host of a URL (`https://coder.example.com:443/x` → `coder.example.com`).
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|x| x.1).unwrap_or(url);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map(|x| x.1).unwrap_or(host);
    let host = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn san_matches(san: &str, host: &str) -> bool {
    let san = san.to_ascii_lowercase();
    if san == host {
        return true;
    }
    san.strip_prefix("*.")
        .is_some_and(|d| host.split_once('.').is_some_and(|(_, rest)| rest == d))
}

/// Problems with one certificate: (severity, text).
pub fn certificate_problems(
    secret: &Secret,
    now: Option<i64>,
    host: Option<&str>,
) -> Vec<(Severity, String)> {
    let Some(facts) = secret.tls() else {
        return Vec::new();
    };
    // The leaf certificate: `certificates[0]` in the redaction's layout, or the facts themselves.
    let tls = facts
        .get("certificates")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .unwrap_or(facts);
    let mut out = Vec::new();
    if let (Some(now), Some(na)) = (
        now,
        tls_field(tls, "notafter")
            .and_then(Value::as_str)
            .and_then(parse_time),
    ) {
        if na < now {
            out.push((Severity::Critical, "expired".to_string()));
        } else if na < now + 30 * 86_400 {
            out.push((
                Severity::High,
                format!("expires within 30 days ({} days)", (na - now) / 86_400),
            ));
        }
    }
    if tls_field(tls, "selfsigned").and_then(Value::as_bool) == Some(true) {
        out.push((Severity::Medium, "self-signed".to_string()));
    }
    let alg = tls_field(tls, "keyalgorithm")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let bits = tls_field(tls, "keysize")
        .or_else(|| tls_field(tls, "keybits"))
        .and_then(Value::as_u64);
    if let Some(bits) = bits {
        let weak = if alg.contains("rsa") || alg.is_empty() {
            bits < 2048
        } else {
            bits < 224
        };
        if weak {
            out.push((Severity::Medium, format!("weak key ({alg} {bits} bits)")));
        }
    }
    if let Some(host) = host {
        let sans: Vec<String> = ["sans", "dnsnames", "ipaddresses"]
            .iter()
            .filter_map(|k| tls_field(tls, k).and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if !sans.is_empty() && !sans.iter().any(|s| san_matches(s, host)) {
            out.push((
                Severity::Medium,
                format!("does not match the access URL host `{host}`"),
            ));
        }
    }
    out
}

fn is_database(p: &Pod) -> bool {
    let name = p
        .metadata
        .labels
        .get("app.kubernetes.io/name")
        .map(String::as_str)
        .unwrap_or("");
    matches!(name, "postgresql" | "postgres" | "cloudnative-pg")
        || p.metadata
            .labels
            .get("coder.deployment")
            .map(String::as_str)
            == Some("timescale")
        || p.spec.containers.iter().any(|c| {
            let repo = c.image.split([':', '@']).next().unwrap_or("");
            repo.ends_with("postgres")
                || repo.ends_with("postgresql")
                || repo.contains("/postgres")
                || repo.ends_with("/timescaledb")
        })
}

const SYSTEM_NS: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Runs the networking checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    let coder = input.coder;
    let ws = input.workspace_namespaces();
    for ns in ws {
        if !inv
            .network_policies
            .iter()
            .any(|n| &n.metadata.namespace == ns)
        {
            out.push(Finding::new(
                FindingCode::NoNetworkPolicy,
                Severity::High,
                format!("workspace namespace `{ns}` has no NetworkPolicy"),
                [format!("Namespace/{ns}")],
            ));
        }
    }
    // Reachability from one workspace pod per namespace.
    let mut reps: Vec<&Pod> = Vec::new();
    let mut seen = BTreeSet::new();
    for &i in &coder.workspace_pods {
        let p = &inv.pods[i];
        if seen.insert(p.metadata.namespace.clone()) {
            reps.push(p);
        }
    }
    let dbs: Vec<&Pod> = inv.pods.iter().filter(|p| is_database(p)).collect();
    let all_ns = inv.namespace_names();
    let mut db_hits = Vec::new();
    let mut db_reached = Vec::new();
    let mut tenant_hits = Vec::new();
    let mut tenant_reached = Vec::new();
    // Exactly the pods tested: one workspace pod per workspace namespace, every database pod, and
    // the tenant pods tried until one answered.
    let mut tested: BTreeSet<String> = reps.iter().map(|p| pod_ref(p)).collect();
    tested.extend(dbs.iter().map(|p| pod_ref(p)));
    let db_tested = tested.clone();
    for w in &reps {
        for d in &dbs {
            if netpol::pod_can_reach(inv, w, d, 5432) {
                db_hits.push(pod_ref(w));
                db_reached.push(pod_ref(d));
            }
        }
        // Policies are mostly per namespace: a few pods of each tenant namespace are sampled.
        let mut tenant_ns = BTreeSet::new();
        for ns in &all_ns {
            if ws.contains(ns)
                || coder.coderd_namespaces.contains(ns)
                || SYSTEM_NS.contains(&ns.as_str())
            {
                continue;
            }
            for &i in inv.pods_in(ns).iter().take(3) {
                let t = &inv.pods[i];
                tested.insert(pod_ref(t));
                if netpol::pod_can_reach(inv, w, t, 80) {
                    tenant_ns.insert(ns.clone());
                    tenant_reached.push(pod_ref(t));
                    break;
                }
            }
        }
        if !tenant_ns.is_empty() {
            tenant_hits.push(pod_ref(w));
        }
    }
    if !db_hits.is_empty() {
        out.push(
            Finding::new(
                FindingCode::WorkspaceReachesDatabase,
                Severity::High,
                "workspace pods can connect to the Coder database pods",
                complete(db_hits),
            )
            .with_destinations(complete(db_reached))
            .with_sample(db_tested),
        );
    }
    if !tenant_hits.is_empty() {
        out.push(
            Finding::new(
                FindingCode::WorkspaceReachesTenants,
                Severity::Medium,
                "workspace pods can connect to pods of other tenants' namespaces",
                complete(tenant_hits),
            )
            .with_destinations(complete(tenant_reached))
            .with_sample(tested),
        );
    }
    coderd_reach(input, &reps, out);
    if coder.present() && coder.database_plaintext() {
        let mut objs: Vec<String> = coder
            .coderd_pods
            .iter()
            .chain(&coder.database_pods)
            .map(|&i| pod_ref(&inv.pods[i]))
            .collect();
        objs.dedup();
        out.push(Finding::new(
            FindingCode::CoderDbPlaintext,
            Severity::Medium,
            "coderd connects to its database without TLS",
            objs,
        ));
    }
    // coderd TLS.
    if coder.present() {
        let access = coder
            .setting("CODER_ACCESS_URL")
            .and_then(Setting::value)
            .map(str::to_string);
        let host = access.as_deref().and_then(url_host);
        // v1 serves TLS itself when the chart mounts a certificate (`SSL_SERVER_CERT_FILE`).
        let tls_enabled = coder.flag("CODER_TLS_ENABLE", false)
            || (coder.v1 && coder.setting("SSL_SERVER_CERT_FILE").is_some());
        let coderd_refs: BTreeSet<String> = coder
            .coderd_pods
            .iter()
            .map(|&i| pod_ref(&inv.pods[i]))
            .collect();
        let coderd_ingresses: Vec<_> = inv
            .ingresses
            .iter()
            .filter(|ing| {
                ing.backend_services().iter().any(|svc| {
                    inv.service(&ing.metadata.namespace, svc).is_some_and(|s| {
                        netpol::service_pods(inv, &s.metadata.namespace, &s.spec.selector)
                            .iter()
                            .any(|&i| coderd_refs.contains(&pod_ref(&inv.pods[i])))
                    })
                })
            })
            .collect();
        let ingress_tls = coderd_ingresses.iter().any(|i| !i.spec.tls.is_empty());
        let http_url = access.as_deref().is_some_and(|u| u.starts_with("http://"));
        let mut objs: Vec<String> = coderd_refs.iter().cloned().collect();
        if http_url || (!tls_enabled && !ingress_tls) {
            let why = if http_url {
                format!(
                    "coderd's access URL `{}` is plain HTTP",
                    access.clone().unwrap_or_default()
                )
            } else {
                "coderd serves plain HTTP (no `CODER_TLS_ENABLE`, no TLS Ingress)".to_string()
            };
            out.push(Finding::new(
                FindingCode::CoderdNoTls,
                Severity::High,
                why,
                objs.clone(),
            ));
        }
        // Certificates: coderd's mounted TLS Secrets and its Ingresses' TLS Secrets.
        let mut secrets: BTreeSet<(String, String)> = BTreeSet::new();
        for &i in &coder.coderd_pods {
            let p = &inv.pods[i];
            for v in &p.spec.volumes {
                if let Some(s) = &v.secret {
                    secrets.insert((p.metadata.namespace.clone(), s.secret_name.clone()));
                }
            }
        }
        for ing in &coderd_ingresses {
            for t in &ing.spec.tls {
                if let Some(s) = &t.secret_name {
                    secrets.insert((ing.metadata.namespace.clone(), s.clone()));
                }
            }
        }
        for (ns, name) in &secrets {
            let Some(s) = inv.secret(ns, name) else {
                continue;
            };
            let problems = certificate_problems(s, input.now, host.as_deref());
            if let Some(worst) = problems.iter().map(|p| p.0).max() {
                let text: Vec<String> = problems.into_iter().map(|p| p.1).collect();
                objs = vec![nref("Secret", ns, name)];
                out.push(Finding::new(
                    FindingCode::CoderdTlsCertificate,
                    worst,
                    format!("coderd's certificate `{ns}/{name}`: {}", text.join(", ")),
                    objs.clone(),
                ));
            }
        }
    }
    // Other ingresses: TLS and certificates (one finding per code and severity, objects listed).
    let mut bare_ingresses = Vec::new();
    let mut certs: std::collections::BTreeMap<Severity, Vec<String>> = Default::default();
    for ing in &inv.ingresses {
        let ns = &ing.metadata.namespace;
        let covered: BTreeSet<&str> = ing
            .spec
            .tls
            .iter()
            .flat_map(|t| t.hosts.iter().map(String::as_str))
            .collect();
        let bare: Vec<String> = ing
            .spec
            .rules
            .iter()
            .filter_map(|r| r.host.clone())
            .filter(|h| !covered.contains(h.as_str()))
            .collect();
        if ing.spec.tls.is_empty() || !bare.is_empty() {
            let hosts = if bare.is_empty() {
                "its routes".to_string()
            } else {
                bare.join(", ")
            };
            bare_ingresses.push(format!(
                "{} ({hosts})",
                nref("Ingress", ns, &ing.metadata.name)
            ));
        }
        for t in &ing.spec.tls {
            let Some(name) = &t.secret_name else { continue };
            let Some(s) = inv.secret(ns, name) else {
                continue;
            };
            if coder.present() && input.coder.coderd_namespaces.contains(ns) {
                continue;
            }
            let problems = certificate_problems(
                s,
                input.now,
                t.hosts.first().map(|h| h.to_ascii_lowercase()).as_deref(),
            );
            if let Some(worst) = problems.iter().map(|p| p.0).max() {
                let text: Vec<String> = problems.into_iter().map(|p| p.1).collect();
                certs
                    .entry(worst.min(Severity::High))
                    .or_default()
                    .push(format!(
                        "{} ({}; Ingress `{}`)",
                        nref("Secret", ns, name),
                        text.join(", "),
                        ing.metadata.name
                    ));
            }
        }
    }
    if !bare_ingresses.is_empty() {
        out.push(Finding::new(
            FindingCode::IngressWithoutTls,
            Severity::Medium,
            format!("{} Ingresses serve hosts without TLS", bare_ingresses.len()),
            complete(bare_ingresses),
        ));
    }
    for (severity, list) in certs {
        out.push(Finding::new(
            FindingCode::TlsCertificate,
            severity,
            format!(
                "{} Ingress certificates are expired, expiring, self-signed, weak or for another host",
                list.len()
            ),
            complete(list),
        ));
    }
    // Exposures.
    let exposed: Vec<String> = inv
        .services
        .iter()
        .filter(|s| matches!(s.spec.kind.as_deref(), Some("LoadBalancer" | "NodePort")))
        .map(|s| {
            format!(
                "Service/{}/{} ({}{})",
                s.metadata.namespace,
                s.metadata.name,
                s.spec.kind.as_deref().unwrap_or(""),
                if s.spec.load_balancer_source_ranges.is_empty() {
                    ", open to all sources"
                } else {
                    ""
                }
            )
        })
        .collect();
    if !exposed.is_empty() {
        out.push(Finding::new(
            FindingCode::PublicExposure,
            Severity::Low,
            format!("{} Services are exposed outside the cluster", exposed.len()),
            complete(exposed),
        ));
    }
    pod_ip_capacity(input, out);
    // Services created in workspace namespaces without a `services` quota.
    for ns in ws {
        let n = inv
            .services
            .iter()
            .filter(|s| &s.metadata.namespace == ns)
            .count();
        let quota = inv.resource_quotas.iter().any(|q| {
            &q.metadata.namespace == ns
                && q.spec
                    .hard
                    .keys()
                    .any(|k| k == "services" || k.starts_with("count/services"))
        });
        if n > 0 && !quota {
            out.push(Finding::new(
                FindingCode::ServiceIpUsage,
                Severity::Low,
                format!("workspace namespace `{ns}` holds {n} Services and no quota caps them"),
                [format!("Namespace/{ns}")],
            ));
        }
    }
}

/// Pod IP capacity, per node (pod CIDR smaller than max pods) and across the cluster: the sum of the
/// nodes' pod CIDR addresses against the sum of their max pods and the pods running there now
/// (`hostNetwork` pods take no pod address). Nodes without a pod CIDR (cloud CNIs that hand out VPC
/// addresses) are left out of both sums.
fn pod_ip_capacity(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    let mut small = Vec::new();
    let (mut addresses, mut max_total, mut used) = (0u64, 0u64, 0u64);
    let mut counted = 0usize;
    for n in &inv.nodes {
        let Some((_, len)) = n.spec.pod_cidr.as_deref().and_then(netpol::parse_cidr) else {
            continue;
        };
        let addrs: u64 = (1u64 << (32 - u32::from(len))).saturating_sub(2);
        let max_pods = n.status.capacity.get("pods").and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or_else(|| v.as_u64())
        });
        counted += 1;
        addresses += addrs;
        max_total += max_pods.unwrap_or(0);
        used += inv
            .pods_on(&n.metadata.name)
            .iter()
            .filter(|&&i| !inv.pods[i].finished() && !inv.pods[i].spec.host_network)
            .count() as u64;
        if let Some(max) = max_pods
            && addrs < max
        {
            small.push(format!(
                "Node/{} (podCIDR /{len}: {addrs} addresses < {max} max pods)",
                n.metadata.name
            ));
        }
    }
    if counted == 0 || addresses == 0 {
        return;
    }
    let cluster = format!(
        "Cluster/pod-addresses ({counted} nodes: {addresses} pod addresses, {max_total} max pods, {used} pods running)"
    );
    if !small.is_empty() {
        let mut objs = complete(small);
        objs.push(cluster.clone());
        out.push(Finding::new(
            FindingCode::PodIpCapacity,
            Severity::Medium,
            "nodes' pod CIDRs hold fewer addresses than their max pods",
            objs,
        ));
    }
    let percent = used * 100 / addresses;
    if percent >= 75 {
        let severity = if percent >= 90 {
            Severity::High
        } else {
            Severity::Medium
        };
        out.push(Finding::new(
            FindingCode::PodIpCapacity,
            severity,
            format!(
                "the cluster's pod addresses are {percent}% used ({used} of {addresses}): new workspaces will not start once they run out"
            ),
            [cluster],
        ));
    }
}

/// The port of a listen address (`0.0.0.0:8080`, `[::]:8443`, `:2112`).
fn listen_port(addr: &str) -> Option<u16> {
    addr.rsplit_once(':').and_then(|(_, p)| p.parse().ok())
}

/// Whether a listen address is loopback only.
fn loopback(addr: &str) -> bool {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    matches!(
        host.trim_matches(['[', ']']),
        "127.0.0.1" | "localhost" | "::1"
    )
}

/// Which pods reach coderd itself: pods of namespaces outside Coder on its API port (workspaces are
/// meant to), and workspaces or those pods on its Prometheus and pprof listeners when they bind a
/// non-loopback address. Sources are one workspace pod per workspace namespace (`reps`) and up to
/// three pods per other namespace, as for the other tenants.
fn coderd_reach(input: &Input<'_>, reps: &[&Pod], out: &mut Vec<Finding>) {
    let inv = input.inv;
    let coder = input.coder;
    if coder.coderd_pods.is_empty() {
        return;
    }
    let ws = input.workspace_namespaces();
    let addr = |name: &str, default: &str| {
        coder
            .setting(name)
            .and_then(Setting::value)
            .unwrap_or(default)
            .to_string()
    };
    let api = if coder.flag("CODER_TLS_ENABLE", false) {
        addr("CODER_TLS_ADDRESS", "0.0.0.0:8443")
    } else {
        addr("CODER_HTTP_ADDRESS", "0.0.0.0:8080")
    };
    let Some(api_port) = listen_port(&api) else {
        return;
    };
    let mut tenants: Vec<&Pod> = Vec::new();
    for ns in inv.namespace_names() {
        if ws.contains(&ns)
            || coder.coderd_namespaces.contains(&ns)
            || SYSTEM_NS.contains(&ns.as_str())
        {
            continue;
        }
        tenants.extend(
            inv.pods_in(&ns)
                .iter()
                .map(|&i| &inv.pods[i])
                .filter(|p| !p.finished() && p.template_of.is_none())
                .take(3),
        );
    }
    let coderd: Vec<&Pod> = coder.coderd_pods.iter().map(|&i| &inv.pods[i]).collect();
    let reaching = |sources: &[&Pod], port: u16| -> Vec<String> {
        sources
            .iter()
            .filter(|s| {
                coderd
                    .iter()
                    .any(|d| netpol::pod_can_reach(inv, s, d, port))
            })
            .map(|s| pod_ref(s))
            .collect()
    };
    let coderd_refs = coderd.iter().map(|d| pod_ref(d));
    let sample = |sources: &[&Pod]| -> Vec<String> {
        sources
            .iter()
            .map(|s| pod_ref(s))
            .chain(coderd_refs.clone())
            .collect()
    };
    let hits = reaching(&tenants, api_port);
    if !hits.is_empty() {
        let namespaces = hits
            .iter()
            .filter_map(|r| r.split('/').nth(1))
            .collect::<BTreeSet<&str>>()
            .len();
        out.push(
            Finding::new(
                FindingCode::CoderdReachable,
                Severity::Medium,
                format!(
                    "pods of {namespaces} namespaces outside Coder can connect to coderd directly (`{api}`)"
                ),
                complete(hits),
            )
            .with_destinations(coderd_refs.clone())
            .with_sample(sample(&tenants)),
        );
    }
    let mut sources: Vec<&Pod> = reps.to_vec();
    sources.extend(tenants.iter().copied());
    for (flag, name, default, what, severity) in [
        (
            "CODER_PROMETHEUS_ENABLE",
            "CODER_PROMETHEUS_ADDRESS",
            "127.0.0.1:2112",
            "Prometheus metrics (users, workspaces, templates, agent statistics)",
            Severity::Medium,
        ),
        (
            "CODER_PPROF_ENABLE",
            "CODER_PPROF_ADDRESS",
            "127.0.0.1:6060",
            "pprof (goroutine stacks, heap and CPU profiles)",
            Severity::High,
        ),
    ] {
        let listen = addr(name, default);
        if !coder.flag(flag, false) || loopback(&listen) {
            continue;
        }
        let Some(port) = listen_port(&listen) else {
            continue;
        };
        let hits = reaching(&sources, port);
        if !hits.is_empty() {
            let n = hits.len();
            out.push(
                Finding::new(
                    FindingCode::CoderdReachable,
                    severity,
                    format!("coderd's {what} on `{listen}` is reachable from {n} sampled pods"),
                    complete(hits),
                )
                .with_destinations(coderd_refs.clone())
                .with_sample(sample(&sources)),
            );
        }
    }
}

/// The check that reads the trust graph: pods with an edge to the instance metadata endpoint.
pub fn check_graph(input: &Input<'_>, out: &mut Vec<Finding>) {
    let Some(g) = input.graph else {
        return;
    };
    let ws = input.workspace_namespaces();
    let mut meta_ws = Vec::new();
    let mut meta_other = Vec::new();
    for v in g.vertices() {
        if g.vertex_at(v).kind != crate::graph::VertexKind::Pod {
            continue;
        }
        if g.out_edges(v)
            .any(|(_, e)| e.technique == Technique::MetadataEndpoint)
        {
            let r = g.reference(v).to_string();
            let ns = r.split('/').nth(1).unwrap_or("");
            if ws.contains(ns) {
                meta_ws.push(r);
            } else {
                meta_other.push(r);
            }
        }
    }
    if !meta_ws.is_empty() || !meta_other.is_empty() {
        let sev = if meta_ws.is_empty() {
            Severity::Medium
        } else {
            Severity::High
        };
        let n = meta_ws.len() + meta_other.len();
        let mut objs = complete(meta_ws);
        objs.extend(complete(meta_other));
        out.push(Finding::new(
            FindingCode::MetadataReachable,
            sev,
            format!("{n} pods on cloud nodes can reach the instance metadata endpoint"),
            objs,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_sans() {
        assert_eq!(
            url_host("https://coder.example.com:443/x").as_deref(),
            Some("coder.example.com")
        );
        assert_eq!(url_host("http://10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert!(san_matches("*.example.com", "coder.example.com"));
        assert!(!san_matches("*.example.com", "a.b.example.com"));
    }

    /// Two /28 nodes (14 addresses each, 28 in all): 25 running pods is 89% (medium), 26 is 92%
    /// (high); `hostNetwork` and finished pods take no address; a /24 node with room is fine alone.
    #[test]
    fn cluster_pod_addresses() {
        use crate::inventory::Inventory;
        use crate::report::{Report, Settings};
        use serde_json::json;
        let run = |pods: usize, extra: Vec<(String, Value)>| {
            let mut objs: Vec<(String, Value)> = ["n1", "n2"]
                .iter()
                .map(|n| {
                    (
                        "Node".to_string(),
                        json!({"metadata": {"name": n}, "spec": {"podCIDR": "10.0.0.0/28"},
                               "status": {"capacity": {"pods": "14"}}}),
                    )
                })
                .collect();
            for i in 0..pods {
                objs.push((
                    "Pod".into(),
                    json!({"metadata": {"name": format!("p{i:02}"), "namespace": "a"},
                           "spec": {"nodeName": if i % 2 == 0 { "n1" } else { "n2" },
                                    "containers": [{"name": "c", "image": "x@sha256:0"}]}}),
                ));
            }
            objs.extend(extra);
            let r = Report::generate(&Inventory::from_objects(objs), &Settings::default());
            r.findings
                .into_iter()
                .filter(|f| f.code == FindingCode::PodIpCapacity)
                .map(|f| (f.severity, f.item.title))
                .collect::<Vec<_>>()
        };
        assert!(run(20, Vec::new()).is_empty());
        let host_and_done = vec![
            (
                "Pod".to_string(),
                json!({"metadata": {"name": "host", "namespace": "a"},
                       "spec": {"nodeName": "n1", "hostNetwork": true}}),
            ),
            (
                "Pod".to_string(),
                json!({"metadata": {"name": "done", "namespace": "a"},
                       "spec": {"nodeName": "n1"}, "status": {"phase": "Succeeded"}}),
            ),
        ];
        let medium = run(25, host_and_done);
        assert_eq!(medium.len(), 1, "{medium:?}");
        assert_eq!(medium[0].0, Severity::Medium);
        assert!(
            medium[0].1.contains("89% used (25 of 28)"),
            "{}",
            medium[0].1
        );
        let high = run(26, Vec::new());
        assert_eq!(high[0].0, Severity::High, "{high:?}");
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_port("0.0.0.0:8080"), Some(8080));
        assert_eq!(listen_port("[::]:8443"), Some(8443));
        assert!(loopback("127.0.0.1:2112"));
        assert!(loopback("[::1]:6060"));
        assert!(!loopback("0.0.0.0:2112"));
        assert!(!loopback(":2112"));
    }
}
