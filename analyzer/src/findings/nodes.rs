//! Node security: kubelet versions behind, skewed or past upstream end of life.

use crate::catalog::FindingCode;
use crate::severity::Severity;

use super::{Finding, Input, complete};

/// Upstream end-of-life dates (Unix seconds, approximate: the last patch release of each minor).
/// Minors older than the table are end of life; newer ones are assumed supported.
const END_OF_LIFE: &[(u32, i64)] = &[
    (25, 1_698_451_200), // 2023-10-28
    (26, 1_709_078_400), // 2024-02-28
    (27, 1_719_532_800), // 2024-06-28
    (28, 1_730_073_600), // 2024-10-28
    (29, 1_740_700_800), // 2025-02-28
    (30, 1_751_068_800), // 2025-06-28
    (31, 1_761_609_600), // 2025-10-28
    (32, 1_772_236_800), // 2026-02-28
    (33, 1_782_604_800), // 2026-06-28
    (34, 1_793_145_600), // 2026-10-28
    (35, 1_803_772_800), // 2027-02-28
];

/// `v1.29.3-eks-abc` → (1, 29).
pub fn minor(version: &str) -> Option<(u32, u32)> {
    let v = version.trim_start_matches('v');
    let mut it = v.split(['.', '-', '+']);
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// Runs the node checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let versions: Vec<(String, (u32, u32))> = input
        .inv
        .nodes
        .iter()
        .filter_map(|n| {
            minor(&n.status.node_info.kubelet_version).map(|m| (n.metadata.name.clone(), m))
        })
        .collect();
    let Some(newest) = versions.iter().map(|v| v.1).max() else {
        return;
    };
    let behind: Vec<String> = versions
        .iter()
        .filter(|(_, m)| *m != newest)
        .map(|(n, m)| {
            format!(
                "Node/{n} (v{}.{}, newest v{}.{})",
                m.0, m.1, newest.0, newest.1
            )
        })
        .collect();
    if !behind.is_empty() {
        let far = versions
            .iter()
            .any(|(_, m)| m.0 == newest.0 && newest.1 - m.1 > 1);
        out.push(Finding::new(
            FindingCode::KubeletSkew,
            if far { Severity::Medium } else { Severity::Low },
            format!(
                "{} nodes run an older kubelet minor than the newest node",
                behind.len()
            ),
            complete(behind),
        ));
    }
    // Against the control plane, where the capture recorded its version: kubelets may lag the API
    // server by up to three minors and never be newer.
    let server = input
        .inv
        .manifest
        .as_ref()
        .and_then(|m| m.cluster.server_version.as_deref())
        .and_then(minor);
    if let Some(server) = server {
        let skewed: Vec<String> = versions
            .iter()
            .filter(|(_, m)| m.0 == server.0 && (m.1 > server.1 || server.1 - m.1 > 3))
            .map(|(n, m)| {
                format!(
                    "Node/{n} (v{}.{}, API server v{}.{})",
                    m.0, m.1, server.0, server.1
                )
            })
            .collect();
        if !skewed.is_empty() {
            out.push(Finding::new(
                FindingCode::KubeletSkew,
                Severity::High,
                format!(
                    "{} kubelets are outside the supported skew from the API server",
                    skewed.len()
                ),
                complete(skewed),
            ));
        }
    }
    if let Some(now) = input.now {
        let eol: Vec<String> = versions
            .iter()
            .filter(|(_, (major, minor))| {
                *major == 1
                    && match END_OF_LIFE.iter().find(|(m, _)| m == minor) {
                        Some((_, end)) => *end < now,
                        None => *minor < END_OF_LIFE[0].0,
                    }
            })
            .map(|(n, m)| format!("Node/{n} (v{}.{})", m.0, m.1))
            .collect();
        if !eol.is_empty() {
            out.push(Finding::new(
                FindingCode::KubeletEndOfLife,
                Severity::High,
                format!(
                    "{} nodes run a Kubernetes minor past upstream end of life",
                    eol.len()
                ),
                complete(eol),
            ));
        }
    }
}
