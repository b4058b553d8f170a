//! What the snapshot could not show: forbidden or failed kinds, objects whose shape could not be
//! read, bindings whose role is missing. Each names the conclusions it weakens.

use coder_sec_model::KindStatus;
use serde::Serialize;

use crate::catalog::FindingCode;
use crate::paths::Severity;

use super::{Finding, Input};

/// A blind spot in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct BlindSpot {
    /// What could not be read.
    pub subject: String,
    /// Why.
    pub reason: String,
    /// What it hides, and which conclusions it weakens.
    pub hides: String,
}

/// Which conclusions a missing kind weakens.
pub fn weakens(kind: &str) -> &'static str {
    match kind {
        "Pod" => {
            "every pod technique (escapes, tokens, mounted Secrets), entry points and workspace detection"
        }
        "Secret" => {
            "Secret vertices, token Secrets, registry credentials, the database credential and every TLS certificate check"
        }
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => {
            "every RBAC technique: absent paths may exist"
        }
        "NetworkPolicy" => {
            "network boundaries and the metadata endpoint: pods are treated as unrestricted"
        }
        "Namespace" => "Pod Security labels: namespaces are treated as admitting privileged pods",
        "Node" => "node techniques, kubelet versions, cloud identities of nodes",
        "ServiceAccount" => "token automount settings and cloud workload identities",
        "ConfigMap" => "aws-auth mappings",
        "Service" | "Ingress" => "exposures (entry points from outside) and TLS checks",
        "ResourceQuota" | "LimitRange" => "storage and denial-of-service checks",
        _ => "checks that read this kind",
    }
}

/// The report's blind spots: the manifest's, plus kinds not read completely, unreadable objects and
/// dangling bindings.
pub fn blind_spots(input: &Input<'_>) -> Vec<BlindSpot> {
    let mut out = Vec::new();
    if let Some(m) = &input.inv.manifest {
        for b in &m.blind_spots {
            out.push(BlindSpot {
                subject: b.subject.clone(),
                reason: b.reason.clone(),
                hides: b.hides.clone(),
            });
        }
        for k in &m.kinds {
            if k.status != KindStatus::Complete {
                out.push(BlindSpot {
                    subject: k.label(),
                    reason: format!(
                        "{}{}",
                        k.status,
                        k.message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                    hides: weakens(&k.kind).to_string(),
                });
            }
        }
    }
    for (kind, n) in &input.inv.unparsed {
        out.push(BlindSpot {
            subject: kind.clone(),
            reason: format!("{n} objects had a shape the analyzer could not read"),
            hides: weakens(kind).to_string(),
        });
    }
    if !input.rbac.dangling_bindings.is_empty() {
        out.push(BlindSpot {
            subject: "role bindings".into(),
            reason: format!(
                "{} bindings name a role missing from the snapshot ({})",
                input.rbac.dangling_bindings.len(),
                input
                    .rbac
                    .dangling_bindings
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hides: "the permissions those bindings grant".into(),
        });
    }
    if input.coder.present() && !input.coder.api_captured {
        out.push(BlindSpot {
            subject: "Coder API".into(),
            reason: "not captured".into(),
            hides: "Coder users, roles, templates and settings set outside coderd's env (envFrom, defaults changed by flags)".into(),
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Turns forbidden or failed kinds into findings.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let Some(m) = &input.inv.manifest else { return };
    for k in &m.kinds {
        if matches!(k.status, KindStatus::Forbidden | KindStatus::Error) {
            out.push(Finding::new(
                FindingCode::BlindSpot,
                Severity::Low,
                format!(
                    "`{}` could not be read ({}): weakens {}",
                    k.label(),
                    k.status,
                    weakens(&k.kind)
                ),
                [format!("Kind/{}", k.label())],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use coder_sec_model::format::{KindEntry, Manifest, Source};
    use coder_sec_model::kinds::lookup;

    use crate::inventory::Inventory;
    use crate::report::{Report, Settings};

    #[test]
    fn forbidden_kinds_become_blind_spots_and_findings() {
        let mut inv = Inventory::from_objects(Vec::new());
        let mut m = Manifest::new("t", "0", Source::Capture);
        m.kinds.push(KindEntry::unread(
            lookup("v1", "Secret").unwrap(),
            coder_sec_model::KindStatus::Forbidden,
            "secrets is forbidden",
        ));
        m.cluster.server_version = Some("v1.33.0".into());
        inv.manifest = Some(m);
        let r = Report::generate(&inv, &Settings::default());
        assert!(
            r.blind_spots
                .iter()
                .any(|b| b.subject == "Secret" && b.hides.contains("database credential"))
        );
        assert!(
            r.findings
                .iter()
                .any(|f| f.code.code() == "snapshot-blind-spot" && f.objects == ["Kind/Secret"])
        );
    }
}
