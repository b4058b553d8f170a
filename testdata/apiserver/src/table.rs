//! `Table` output (`kubectl get` without `-o`): columns per resource, cells precomputed at load as
//! JSON fragments, AGE computed when answering.

use serde_json::{Value, json};

/// Table cells of one object other than NAME and AGE, as comma-separated JSON values.
#[derive(Debug, Default)]
pub(crate) struct ExtraCells {
    /// Cells between NAME and AGE.
    pub before_age: String,
    /// Cells after AGE.
    pub after_age: String,
}

struct Column {
    name: &'static str,
    kind: &'static str,
    description: &'static str,
    priority: u8,
}

const fn col(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        description,
        priority: 0,
    }
}

const fn wide(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        description,
        priority: 1,
    }
}

/// Columns between NAME and AGE, and after AGE, for a resource.
fn layout(plural: &str) -> (&'static [Column], &'static [Column]) {
    const POD_BEFORE: &[Column] = &[
        col(
            "Ready",
            "The aggregate readiness state of this pod for accepting traffic.",
        ),
        col(
            "Status",
            "The aggregate status of the containers in this pod.",
        ),
        col(
            "Restarts",
            "The number of times the containers in this pod have been restarted.",
        ),
    ];
    const POD_AFTER: &[Column] = &[
        wide("IP", "IP address allocated to the pod."),
        wide("Node", "Name of the node the pod is assigned to."),
    ];
    const NODE_BEFORE: &[Column] = &[
        col("Status", "The status of the node"),
        col("Roles", "The roles of the node"),
    ];
    const NODE_AFTER: &[Column] = &[col("Version", "Kubelet Version reported by the node.")];
    const NS_BEFORE: &[Column] = &[col("Status", "The status of the namespace")];
    const DEPLOY_BEFORE: &[Column] = &[
        col("Ready", "Number of the pod with ready state"),
        col(
            "Up-to-date",
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
        ),
        col(
            "Available",
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
        ),
    ];
    match plural {
        "pods" => (POD_BEFORE, POD_AFTER),
        "nodes" => (NODE_BEFORE, NODE_AFTER),
        "namespaces" => (NS_BEFORE, &[]),
        "deployments" => (DEPLOY_BEFORE, &[]),
        _ => (&[], &[]),
    }
}

/// The `columnDefinitions` of a resource's Table.
pub(crate) fn column_definitions(plural: &str) -> Value {
    let (before, after) = layout(plural);
    let def = |c: &Column| {
        json!({"name": c.name, "type": c.kind, "format": "", "description": c.description,
               "priority": c.priority})
    };
    let mut cols = vec![json!({"name": "Name", "type": "string", "format": "name",
        "description": "Name must be unique within a namespace.", "priority": 0})];
    cols.extend(before.iter().map(def));
    cols.push(json!({"name": "Age", "type": "string", "format": "",
        "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
        "priority": 0}));
    cols.extend(after.iter().map(def));
    Value::Array(cols)
}

/// Precomputes the extra cells of an object (`object` without `metadata`; labels given apart).
pub(crate) fn extra_cells(
    plural: &str,
    object: &Value,
    labels: &[(&str, String)],
) -> Option<ExtraCells> {
    let s = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or("");
    let n = |p: &str| object.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let join = |cells: &[Value]| {
        cells
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let (before, after) = match plural {
        "pods" => {
            let statuses = object
                .pointer("/status/containerStatuses")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let total = object
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map_or(statuses.len(), Vec::len);
            let ready = statuses
                .iter()
                .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
                .count();
            let restarts: i64 = statuses
                .iter()
                .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
                .sum();
            let waiting = statuses.iter().find_map(|c| {
                c.pointer("/state/waiting/reason")
                    .or_else(|| c.pointer("/state/terminated/reason"))
                    .and_then(Value::as_str)
            });
            let status = [s("/status/reason")]
                .into_iter()
                .chain(waiting)
                .chain([s("/status/phase")])
                .find(|r| !r.is_empty())
                .unwrap_or("Unknown");
            let or_none = |v: &str| {
                if v.is_empty() {
                    "<none>".to_string()
                } else {
                    v.to_string()
                }
            };
            (
                vec![
                    json!(format!("{ready}/{total}")),
                    json!(status),
                    json!(restarts.to_string()),
                ],
                vec![
                    json!(or_none(s("/status/podIP"))),
                    json!(or_none(s("/spec/nodeName"))),
                ],
            )
        }
        "nodes" => {
            let ready = object
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .and_then(|cs| {
                    cs.iter()
                        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
                })
                .and_then(|c| c.get("status").and_then(Value::as_str));
            let status = match ready {
                Some("True") => "Ready",
                Some(_) => "NotReady",
                None => "Unknown",
            };
            let mut roles: Vec<&str> = labels
                .iter()
                .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
                .filter(|r| !r.is_empty())
                .collect();
            roles.sort_unstable();
            let roles = if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            };
            (
                vec![json!(status), json!(roles)],
                vec![json!(s("/status/nodeInfo/kubeletVersion"))],
            )
        }
        "namespaces" => {
            let phase = s("/status/phase");
            (
                vec![json!(if phase.is_empty() { "Active" } else { phase })],
                vec![],
            )
        }
        "deployments" => {
            let desired = object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            (
                vec![
                    json!(format!("{}/{desired}", n("/status/readyReplicas"))),
                    json!(n("/status/updatedReplicas")),
                    json!(n("/status/availableReplicas")),
                ],
                vec![],
            )
        }
        _ => return None,
    };
    Some(ExtraCells {
        before_age: join(&before),
        after_age: join(&after),
    })
}

/// Kubernetes' short human duration (`5s`, `3m20s`, `4h`, `2d3h`, `400d`, `3y20d`).
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    let s = seconds.max(0);
    let m = s / 60;
    let h = m / 60;
    let d = h / 24;
    let y = d / 365;
    let pair = |a: i64, ua: &str, b: i64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua}{b}{ub}")
        }
    };
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        pair(m, "m", s % 60, "s")
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        pair(h, "h", m % 60, "m")
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        pair(d, "d", h % 24, "h")
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        pair(y, "y", d % 365, "d")
    } else {
        format!("{y}y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(200), "3m20s");
        assert_eq!(human_duration(4 * 3600), "4h");
        assert_eq!(human_duration(51 * 3600), "2d3h");
        assert_eq!(human_duration(400 * 86400), "400d");
    }

    #[test]
    fn pod_cells() {
        let pod = json!({"spec":{"containers":[{},{}],"nodeName":"n1"},"status":{"phase":"Running",
            "podIP":"10.0.0.1","containerStatuses":[{"ready":true,"restartCount":2},{"ready":false,
            "restartCount":1,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}});
        let cells = extra_cells("pods", &pod, &[]).unwrap();
        assert_eq!(&*cells.before_age, r#""1/2","CrashLoopBackOff","3""#);
        assert_eq!(&*cells.after_age, r#""10.0.0.1","n1""#);
    }
}
