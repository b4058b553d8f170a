//! What is dropped from objects before they are written: server bookkeeping (`managedFields`, `uid`,
//! `resourceVersion`, `generation`, owner references' `uid`s), status noise, and the
//! `last-applied-configuration` annotation (it carries Secret data in plain text). Everything the
//! analysis needs stays: specs, labels, annotations, ownerReferences, node facts, pod phase and IPs.

use serde_json::{Map, Value};

/// The kubectl annotation that repeats the whole applied object, Secret data included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The `status` fields kept per kind; kinds not listed lose `status` entirely.
fn kept_status_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &[
            "phase",
            "podIP",
            "podIPs",
            "hostIP",
            "hostIPs",
            "qosClass",
            "nominatedNodeName",
        ],
        "Node" => &[
            "nodeInfo",
            "addresses",
            "capacity",
            "allocatable",
            "daemonEndpoints",
        ],
        "Namespace" | "PersistentVolume" => &["phase"],
        "PersistentVolumeClaim" => &["phase", "capacity", "accessModes"],
        "Service" | "Ingress" => &["loadBalancer"],
        "CertificateSigningRequest" | "Certificate" => &["conditions", "notAfter", "notBefore"],
        _ => &[],
    }
}

/// Trims one object in place. Returns the number of bytes of the `last-applied-configuration`
/// annotation that were dropped (0 when there was none), so callers can count it.
pub fn trim(object: &mut Value) -> usize {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(obj) = object.as_object_mut() else {
        return 0;
    };
    let mut dropped = 0;
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        meta.remove("managedFields");
        meta.remove("selfLink");
        // Server bookkeeping: random per object, so it costs more than half of a compressed
        // snapshot, and no analysis reads it (references go by kind, namespace and name).
        meta.remove("uid");
        meta.remove("resourceVersion");
        meta.remove("generation");
        if let Some(Value::Array(owners)) = meta.get_mut("ownerReferences") {
            for owner in owners {
                if let Value::Object(o) = owner {
                    o.remove("uid");
                }
            }
        }
        if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
            if let Some(Value::String(s)) = annotations.remove(LAST_APPLIED) {
                dropped = s.len().max(1);
            }
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    let keep = kept_status_fields(&kind);
    match obj.get_mut("status") {
        Some(Value::Object(status)) if !keep.is_empty() => {
            let kept: Map<String, Value> = keep
                .iter()
                .filter_map(|k| status.remove(*k).map(|v| (k.to_string(), v)))
                .map(|(k, v)| (k, strip_condition_times(v)))
                .collect();
            *status = kept;
        }
        Some(_) => {
            obj.remove("status");
        }
        None => {}
    }
    dropped
}

/// Conditions keep type, status and reason, not their ever-changing timestamps.
fn strip_condition_times(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|mut item| {
                    if let Value::Object(m) = &mut item {
                        m.remove("lastTransitionTime");
                        m.remove("lastUpdateTime");
                        m.remove("lastHeartbeatTime");
                        m.remove("lastProbeTime");
                    }
                    item
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_managed_fields_last_applied_and_status_noise() {
        let mut pod = json!({
            "kind": "Pod",
            "metadata": {"name": "p", "managedFields": [{}], "uid": "0b1c", "resourceVersion": "42",
                "generation": 3,
                "annotations": {LAST_APPLIED: "{\"data\":\"secret\"}", "keep": "x"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "r", "uid": "9f8e"}]},
            "spec": {"nodeName": "n"},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "conditions": [{"type": "Ready"}],
                "containerStatuses": [{"restartCount": 3}]}
        });
        assert!(trim(&mut pod) > 0);
        assert_eq!(
            pod,
            json!({
                "kind": "Pod",
                "metadata": {"name": "p", "annotations": {"keep": "x"},
                    "ownerReferences": [{"kind": "ReplicaSet", "name": "r"}]},
                "spec": {"nodeName": "n"},
                "status": {"phase": "Running", "podIP": "10.0.0.1"}
            })
        );
    }

    #[test]
    fn workloads_lose_status_and_empty_annotations() {
        let mut d = json!({"kind": "Deployment", "metadata": {"annotations": {LAST_APPLIED: "x"}}, "status": {"replicas": 1}});
        trim(&mut d);
        assert_eq!(d, json!({"kind": "Deployment", "metadata": {}}));
    }
}
