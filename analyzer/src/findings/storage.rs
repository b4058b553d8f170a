//! Storage: quotas, ephemeral limits, encryption, reclaim policy, hostPath volumes.

use crate::catalog::FindingCode;
use crate::severity::Severity;

use super::{Finding, Input, nref};

/// Runs the storage checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    let ws = input.workspace_namespaces();
    for ns in ws {
        let quotas: Vec<_> = inv
            .resource_quotas
            .iter()
            .filter(|q| &q.metadata.namespace == ns)
            .collect();
        if quotas.is_empty() {
            out.push(Finding::new(
                FindingCode::NoResourceQuota,
                Severity::Medium,
                format!("workspace namespace `{ns}` has no ResourceQuota"),
                [format!("Namespace/{ns}")],
            ));
        } else if !quotas.iter().any(|q| {
            q.spec.hard.contains_key("persistentvolumeclaims")
                || q.spec.hard.contains_key("requests.storage")
        }) {
            out.push(Finding::new(
                FindingCode::QuotaWithoutStorage,
                Severity::Low,
                format!(
                    "workspace namespace `{ns}`'s ResourceQuota limits no PVC count or storage"
                ),
                quotas
                    .iter()
                    .map(|q| nref("ResourceQuota", ns, &q.metadata.name)),
            ));
        }
        let default_ephemeral = inv.limit_ranges.iter().any(|l| {
            &l.metadata.namespace == ns
                && l.spec.limits.iter().any(|i| {
                    i.default.contains_key("ephemeral-storage")
                        || i.max.contains_key("ephemeral-storage")
                })
        });
        if !default_ephemeral {
            let unlimited: Vec<String> = input
                .coder
                .workspace_pods
                .iter()
                .map(|&i| &inv.pods[i])
                .filter(|p| &p.metadata.namespace == ns)
                .filter(|p| {
                    p.spec
                        .containers
                        .iter()
                        .any(|c| !c.resources.limits.contains_key("ephemeral-storage"))
                })
                .map(crate::inventory::pod_ref)
                .collect();
            if !unlimited.is_empty() || input.coder.workspace_pods.is_empty() {
                let mut objs = vec![format!("Namespace/{ns}")];
                objs.extend(super::complete(unlimited));
                out.push(Finding::new(
                    FindingCode::NoEphemeralLimit,
                    Severity::Low,
                    format!("workspaces in `{ns}` have no ephemeral-storage limit"),
                    objs,
                ));
            }
        }
    }
    for sc in &inv.storage_classes {
        let p = &sc.parameters;
        let prov = sc.provisioner.as_str();
        let name = format!("StorageClass/{}", sc.metadata.name);
        let (encrypted, severity) = if prov.contains("aws-ebs") || prov.contains("ebs.csi") {
            (
                p.get("encrypted").is_some_and(|v| v == "true") || p.contains_key("kmsKeyId"),
                Severity::Medium,
            )
        } else if prov.contains("gce-pd") || prov.contains("pd.csi") {
            (p.contains_key("disk-encryption-kms-key"), Severity::Low)
        } else if prov.contains("azure") {
            (p.contains_key("diskEncryptionSetID"), Severity::Low)
        } else if prov.contains("local-path")
            || prov.contains("hostpath")
            || prov.contains("no-provisioner")
            || prov.contains("rancher.io")
        {
            (false, Severity::Medium)
        } else {
            (
                p.keys().any(|k| k.to_ascii_lowercase().contains("encrypt")),
                Severity::Low,
            )
        };
        if !encrypted {
            out.push(Finding::new(
                FindingCode::StorageClassUnencrypted,
                severity,
                format!(
                    "StorageClass `{}` ({prov}) sets no encryption parameter",
                    sc.metadata.name
                ),
                [name.clone()],
            ));
        }
        if sc.reclaim_policy.as_deref() == Some("Retain") {
            out.push(Finding::new(
                FindingCode::StorageClassRetain,
                Severity::Low,
                format!(
                    "StorageClass `{}` retains volumes after their claims are deleted",
                    sc.metadata.name
                ),
                [name],
            ));
        }
    }
    let retained: Vec<String> = inv
        .persistent_volumes
        .iter()
        .filter(|pv| pv.spec.persistent_volume_reclaim_policy.as_deref() == Some("Retain"))
        .map(|pv| format!("PersistentVolume/{}", pv.metadata.name))
        .collect();
    if !retained.is_empty() {
        out.push(Finding::new(
            FindingCode::StorageClassRetain,
            Severity::Low,
            format!(
                "{} PersistentVolumes are kept after their claims are deleted",
                retained.len()
            ),
            super::complete(retained),
        ));
    }
    let host: Vec<String> = inv
        .persistent_volumes
        .iter()
        .filter(|pv| pv.spec.host_path.is_some())
        .map(|pv| format!("PersistentVolume/{}", pv.metadata.name))
        .collect();
    if !host.is_empty() {
        out.push(Finding::new(
            FindingCode::HostPathVolume,
            Severity::Medium,
            format!("{} PersistentVolumes are hostPath volumes", host.len()),
            super::complete(host),
        ));
    }
}
