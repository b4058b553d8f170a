//! What the snapshot could not show: forbidden or failed kinds, objects whose shape could not be
//! read, bindings whose role is missing. Each names the conclusions it weakens.

use coder_sec_model::KindStatus;
use serde::Serialize;

use crate::catalog::FindingCode;
use crate::severity::Severity;

use super::{Finding, Input};

/// A blind spot in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct BlindSpot {
    /// What could not be read.
    pub subject: String,
    /// Why.
    pub reason: String,
    /// What it hides, and which conclusions it weakens.
    pub hides: String,
}

/// Which conclusions a missing kind weakens. Kinds are told apart by group and kind: a Calico or
/// Cilium policy is not a Kubernetes NetworkPolicy.
pub fn weakens(group: &str, kind: &str) -> &'static str {
    if matches!(group, "crd.projectcalico.org" | "cilium.io") {
        return "network boundaries the analysis does not model: Calico and Cilium policies may block paths and reach the report shows as open";
    }
    if coder_sec_model::object_ref::canonical_group(kind).unwrap_or("") != group {
        return "checks that read this kind";
    }
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
                    hides: weakens(&k.group, &k.kind).to_string(),
                });
            }
        }
    }
    for (kind, n) in &input.inv.unparsed {
        out.push(BlindSpot {
            subject: kind.clone(),
            reason: format!("{n} objects had a shape the analyzer could not read"),
            hides: weakens(
                coder_sec_model::object_ref::canonical_group(kind).unwrap_or(""),
                kind,
            )
            .to_string(),
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
    if !input.rbac.assumed_roles.is_empty() {
        out.push(BlindSpot {
            subject: "built-in roles".into(),
            reason: format!(
                "{} roles bound but missing from the snapshot were assumed to hold Kubernetes' built-in definitions: {}",
                input.rbac.assumed_roles.len(),
                input.rbac.assumed_roles.join(", ")
            ),
            hides: "changes made to these roles in the cluster (edited rules, further aggregated roles): the permissions of their bindings may be wider".into(),
        });
    }
    if input.coder.present() && !input.coder.api_captured {
        out.push(BlindSpot {
            subject: "Coder API".into(),
            reason: "not captured".into(),
            hides: "Coder users, roles, templates and settings set outside coderd's env (envFrom, defaults changed by flags)".into(),
        });
    }
    out.extend(rules_blind_spots(input).into_iter().map(|r| r.spot));
    out.sort();
    out.dedup();
    out
}

/// Namespaced kinds the analysis reads: (API group, plural, kind).
const READ_KINDS: &[(&str, &str, &str)] = &[
    ("", "pods", "Pod"),
    ("", "secrets", "Secret"),
    ("", "serviceaccounts", "ServiceAccount"),
    ("", "configmaps", "ConfigMap"),
    ("", "services", "Service"),
    ("", "resourcequotas", "ResourceQuota"),
    ("", "limitranges", "LimitRange"),
    ("", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("apps", "deployments", "Deployment"),
    ("apps", "statefulsets", "StatefulSet"),
    ("apps", "daemonsets", "DaemonSet"),
    ("batch", "jobs", "Job"),
    ("batch", "cronjobs", "CronJob"),
    ("networking.k8s.io", "networkpolicies", "NetworkPolicy"),
    ("networking.k8s.io", "ingresses", "Ingress"),
    ("rbac.authorization.k8s.io", "roles", "Role"),
    ("rbac.authorization.k8s.io", "rolebindings", "RoleBinding"),
];

/// A blind spot read from `identity/rules.jsonl`, with the kind and namespaces it names.
struct RulesSpot {
    spot: BlindSpot,
    kind: Option<&'static str>,
    namespaces: Vec<String>,
}

fn listed(names: &[String]) -> String {
    if names.len() > 10 {
        format!("{} and {} more", names[..10].join(", "), names.len() - 10)
    } else {
        names.join(", ")
    }
}

/// Whether a `SelfSubjectRulesReview` resource rule allows `list` of every `group/plural`.
fn rule_lists(rule: &serde_json::Value, group: &str, plural: &str) -> bool {
    let has = |k: &str, want: &str| {
        rule.get(k)
            .and_then(serde_json::Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v == "*" || v == want))
    };
    let names = rule
        .get("resourceNames")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|a| !a.is_empty());
    has("verbs", "list") && has("apiGroups", group) && has("resources", plural) && !names
}

/// What the capturing identity's rules (`identity/rules.jsonl`, one `SelfSubjectRulesReview` per
/// namespace) say it could not see: per kind the analysis reads, the namespaces where it may not
/// list it (unless the manifest already names them), and the namespaces whose review failed or is
/// incomplete (another authorizer decides too, so the rules are a lower bound).
fn rules_blind_spots(input: &Input<'_>) -> Vec<RulesSpot> {
    let Some(reviews) = input.inv.coder_files.get("identity/rules.jsonl") else {
        return Vec::new();
    };
    let reviews: Vec<&serde_json::Value> = match reviews {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let manifest_subjects: Vec<&str> = input
        .inv
        .manifest
        .iter()
        .flat_map(|m| &m.blind_spots)
        .map(|b| b.subject.as_str())
        .collect();
    let kind_unread = |kind: &str| {
        input.inv.manifest.as_ref().is_some_and(|m| {
            m.kinds
                .iter()
                .any(|k| k.kind == kind && k.status != KindStatus::Complete)
        })
    };
    let mut denied: Vec<Vec<String>> = vec![Vec::new(); READ_KINDS.len()];
    let (mut failed, mut incomplete) = (Vec::new(), Vec::new());
    for r in reviews {
        let Some(ns) = r.get("namespace").and_then(serde_json::Value::as_str) else {
            continue;
        };
        if r.get("error").is_some() {
            failed.push(ns.to_string());
            continue;
        }
        if r.get("incomplete").and_then(serde_json::Value::as_bool) == Some(true)
            || r.get("evaluationError")
                .is_some_and(|e| !e.is_null() && e != "")
        {
            incomplete.push(ns.to_string());
        }
        let rules = r
            .get("resourceRules")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (i, (group, plural, kind)) in READ_KINDS.iter().enumerate() {
            // The capture names namespaces it was refused as `plural[.group] in namespaces a, b`.
            let label = if group.is_empty() {
                plural.to_string()
            } else {
                format!("{plural}.{group}")
            };
            let known = manifest_subjects.iter().any(|s| {
                s.strip_prefix(&format!("{label} in namespaces "))
                    .is_some_and(|rest| rest.split(", ").any(|n| n == ns))
            });
            if !known && !kind_unread(kind) && !rules.iter().any(|x| rule_lists(x, group, plural)) {
                denied[i].push(ns.to_string());
            }
        }
    }
    let mut out = Vec::new();
    for (i, mut names) in denied.into_iter().enumerate() {
        if names.is_empty() {
            continue;
        }
        names.sort();
        let (group, plural, kind) = READ_KINDS[i];
        out.push(RulesSpot {
            spot: BlindSpot {
                subject: format!("{kind} in namespaces {}", listed(&names)),
                reason: format!(
                    "the capturing identity's rules (SelfSubjectRulesReview) grant no `list` of `{plural}` there"
                ),
                hides: weakens(group, kind).to_string(),
            },
            kind: Some(kind),
            namespaces: names,
        });
    }
    for (mut names, reason) in [
        (failed, "SelfSubjectRulesReview failed there"),
        (
            incomplete,
            "SelfSubjectRulesReview is incomplete there: an authorizer other than RBAC (a webhook) also decides",
        ),
    ] {
        if names.is_empty() {
            continue;
        }
        names.sort();
        out.push(RulesSpot {
            spot: BlindSpot {
                subject: format!("identity rules in namespaces {}", listed(&names)),
                reason: reason.to_string(),
                hides: "which kinds the capture could not list there: blind spots from the identity's rules are a lower bound".into(),
            },
            kind: None,
            namespaces: names,
        });
    }
    out
}

/// Turns forbidden or failed kinds, and kinds the identity's rules say it could not list in some
/// namespaces, into findings.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    for r in rules_blind_spots(input) {
        let Some(kind) = r.kind else { continue };
        let mut objects = vec![format!("Kind/{kind}")];
        objects.extend(
            r.namespaces
                .iter()
                .take(20)
                .map(|ns| format!("Namespace/{ns}")),
        );
        out.push(Finding::new(
            FindingCode::BlindSpot,
            Severity::Low,
            format!(
                "`{kind}` may be missing in {} namespaces (the capturing identity may not list it there): weakens {}",
                r.namespaces.len(),
                weakens(
                    coder_sec_model::object_ref::canonical_group(kind).unwrap_or(""),
                    kind
                )
            ),
            objects,
        ));
    }
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
                    weakens(&k.group, &k.kind)
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

    use super::weakens;

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

    #[test]
    fn calico_policies_are_not_kubernetes_network_policies() {
        let k8s = weakens("networking.k8s.io", "NetworkPolicy");
        let calico = weakens("crd.projectcalico.org", "NetworkPolicy");
        assert!(
            k8s.starts_with("network boundaries and the metadata endpoint"),
            "{k8s}"
        );
        assert!(calico.contains("Calico and Cilium"), "{calico}");
        assert_eq!(weakens("", "Pod"), weakens("", "Pod"));
        assert!(weakens("", "Pod").starts_with("every pod technique"));
        // A kind name in a group it does not belong to gets no borrowed wording.
        assert_eq!(weakens("example.com", "Pod"), "checks that read this kind");
    }
}
