//! NetworkPolicy evaluation: which policies select a pod, whether a peer (pod and namespace
//! selectors, ipBlocks) and a port are admitted, default deny per direction. Used by the techniques
//! (metadata endpoint, exposures) and the networking findings alike; beside `rbac`, the other
//! question of who may reach what.

use crate::inventory::{Inventory, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod};

/// Parses `a.b.c.d/n` into (address, prefix length).
pub fn parse_cidr(cidr: &str) -> Option<([u8; 4], u8)> {
    let (addr, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
    let mut out = [0u8; 4];
    let mut parts = addr.split('.');
    for o in &mut out {
        *o = parts.next()?.parse().ok()?;
    }
    parts.next().is_none().then_some((out, len))
}

/// Whether an IPv4 address is inside a CIDR.
pub fn cidr_contains(cidr: &str, ip: [u8; 4]) -> bool {
    let Some((net, len)) = parse_cidr(cidr) else {
        return false;
    };
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (u32::from_be_bytes(net) & mask) == (u32::from_be_bytes(ip) & mask)
}

fn policy_types(np: &NetworkPolicy) -> (bool, bool) {
    match &np.spec.policy_types {
        Some(t) => (
            t.iter().any(|x| x == "Ingress"),
            t.iter().any(|x| x == "Egress"),
        ),
        None => (true, np.spec.egress.is_some()),
    }
}

fn port_matches(ports: &Option<Vec<NetworkPolicyPort>>, port: u16) -> bool {
    match ports {
        None => true,
        Some(list) if list.is_empty() => true,
        Some(list) => list.iter().any(|p| match &p.port {
            None => true,
            Some(serde_json::Value::Number(n)) => {
                let start = n.as_i64().unwrap_or(-1);
                let end = p.end_port.unwrap_or(start);
                (start..=end).contains(&i64::from(port))
            }
            // A named port: cannot be resolved without the target's container ports; count it.
            Some(_) => true,
        }),
    }
}

fn peer_matches_pod(inv: &Inventory, policy_ns: &str, peer: &NetworkPolicyPeer, pod: &Pod) -> bool {
    if peer.ip_block.is_some() {
        // ipBlocks are meant for traffic outside the cluster; pod IPs are not matched here.
        return false;
    }
    let ns_ok = match &peer.namespace_selector {
        None => pod.metadata.namespace == policy_ns,
        Some(sel) => {
            // The namespace's labels, with the name label the API server always sets.
            const NAME: &str = "kubernetes.io/metadata.name";
            let ns = &pod.metadata.namespace;
            let labels = inv.namespace(ns).map(|n| &n.metadata.labels);
            sel.matches_with(|k| {
                labels
                    .and_then(|l| l.get(k))
                    .map(String::as_str)
                    .or_else(|| (k == NAME).then_some(ns.as_str()))
            })
        }
    };
    let pod_ok = peer
        .pod_selector
        .as_ref()
        .is_none_or(|s| s.matches(&pod.metadata.labels));
    ns_ok && pod_ok
}

fn selecting<'a>(inv: &'a Inventory, pod: &'a Pod) -> impl Iterator<Item = &'a NetworkPolicy> + 'a {
    inv.policies_in(&pod.metadata.namespace)
        .filter(move |np| np.spec.pod_selector.matches(&pod.metadata.labels))
}

/// Whether `pod` may open a connection to an address outside the cluster (`ip:port`).
pub fn egress_allowed(inv: &Inventory, pod: &Pod, ip: [u8; 4], port: u16) -> bool {
    side_allows(inv, pod, Direction::Egress, port, |_, peer| {
        peer.ip_block.as_ref().is_some_and(|b| {
            cidr_contains(&b.cidr, ip) && !b.except.iter().any(|e| cidr_contains(e, ip))
        })
    })
}

/// Which side of a connection a policy rule speaks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

/// Whether the policies selecting `pod` let a connection through on one side: the pod is on the
/// host network, or no policy isolates it in that direction, or a rule admits the port and a peer
/// (`admits`, given the rule's policy).
fn side_allows(
    inv: &Inventory,
    pod: &Pod,
    direction: Direction,
    port: u16,
    admits: impl Fn(&NetworkPolicy, &NetworkPolicyPeer) -> bool,
) -> bool {
    if pod.spec.host_network {
        return true;
    }
    let mut isolated = false;
    for np in selecting(inv, pod) {
        let (ingress, egress) = policy_types(np);
        let rules = match direction {
            Direction::Ingress if ingress => &np.spec.ingress,
            Direction::Egress if egress => &np.spec.egress,
            _ => continue,
        };
        isolated = true;
        for rule in rules.iter().flatten() {
            if !port_matches(&rule.ports, port) {
                continue;
            }
            let peers = match direction {
                Direction::Ingress => rule.from.as_deref(),
                Direction::Egress => rule.to.as_deref(),
            };
            if peers_admit(peers, |p| admits(np, p)) {
                return true;
            }
        }
    }
    !isolated
}

/// Whether a rule's peer list admits a peer: absent or empty admits everyone, else any entry.
fn peers_admit(
    peers: Option<&[NetworkPolicyPeer]>,
    matches: impl Fn(&NetworkPolicyPeer) -> bool,
) -> bool {
    match peers {
        None | Some([]) => true,
        Some(list) => list.iter().any(matches),
    }
}

/// Whether pod `src` may open a connection to pod `dst` on `port` (both sides' policies).
pub fn pod_can_reach(inv: &Inventory, src: &Pod, dst: &Pod, port: u16) -> bool {
    side_allows(inv, src, Direction::Egress, port, |np, p| {
        peer_matches_pod(inv, &np.metadata.namespace, p, dst)
    }) && side_allows(inv, dst, Direction::Ingress, port, |np, p| {
        peer_matches_pod(inv, &np.metadata.namespace, p, src)
    })
}

/// Pods a Service selects.
pub fn service_pods(
    inv: &Inventory,
    ns: &str,
    selector: &std::collections::BTreeMap<String, String>,
) -> Vec<usize> {
    if selector.is_empty() {
        return Vec::new();
    }
    inv.pods_in(ns)
        .iter()
        .copied()
        .filter(|&i| {
            let l = &inv.pods[i].metadata.labels;
            selector.iter().all(|(k, v)| l.get(k) == Some(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(cidr_contains("169.254.0.0/16", [169, 254, 169, 254]));
        assert!(cidr_contains("0.0.0.0/0", [169, 254, 169, 254]));
        assert!(!cidr_contains("10.0.0.0/8", [169, 254, 169, 254]));
        assert!(cidr_contains("169.254.169.254/32", [169, 254, 169, 254]));
        assert!(!cidr_contains("garbage", [1, 2, 3, 4]));
    }
}
