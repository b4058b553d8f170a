//! Workload controllers and their pods, as a live cluster holds them: Deployments with their
//! ReplicaSets (and an old one now and then), StatefulSets with PVCs, DaemonSets with a pod per node,
//! CronJobs with their last Job, and bare pods. Every pod is placed on a node and gets an IP.

use serde_json::{Value, json};

use crate::emit::Emitter;
use crate::nodes::{Nodes, Placed, Placement};
use crate::objects::{admit_pod_spec, meta, set_owner};
use crate::rng::Rng;

/// A pod created, for planted-path references.
#[derive(Debug, Clone)]
pub struct PodRef {
    /// Pod name.
    pub name: String,
    /// Node index.
    pub node: usize,
}

/// What every controller needs: where it lives, its labels and pod template.
pub struct Workload<'a> {
    /// Namespace.
    pub ns: &'a str,
    /// Controller name.
    pub name: &'a str,
    /// Labels of the controller and its pods; also the selector.
    pub labels: Value,
    /// Annotations of the controller.
    pub annotations: Value,
    /// Annotations of the pods.
    pub pod_annotations: Value,
    /// The pod spec of the template (before admission).
    pub spec: Value,
    /// Where the pods go.
    pub placement: Placement,
}

impl Workload<'_> {
    fn host_network(&self) -> bool {
        self.spec
            .get("hostNetwork")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn template(&self) -> Value {
        let mut t = json!({"metadata": {"labels": self.labels}, "spec": self.spec});
        if self
            .pod_annotations
            .as_object()
            .is_some_and(|a| !a.is_empty())
        {
            t["metadata"]["annotations"] = self.pod_annotations.clone();
        }
        t
    }
}

fn merge(a: &Value, extra: &[(&str, &str)]) -> Value {
    let mut m = a.as_object().cloned().unwrap_or_default();
    for (k, v) in extra {
        m.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    Value::Object(m)
}

fn qos(spec: &Value) -> &'static str {
    let has_requests = spec
        .get("containers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.pointer("/resources/requests").is_some())
        });
    if has_requests {
        "Burstable"
    } else {
        "BestEffort"
    }
}

/// Builds, places and emits one pod.
#[allow(clippy::too_many_arguments)]
fn emit_pod<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
    name: &str,
    labels: Value,
    owner: Option<&Value>,
    phase: &str,
) -> Result<PodRef, E> {
    let Placed {
        node,
        node_name,
        host_ip,
        pod_ip,
    } = nodes.place(rng, w.placement, w.host_network());
    let mut spec = w.spec.clone();
    admit_pod_spec(rng, &mut spec, &node_name);
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(rng, name, Some(w.ns), labels, w.pod_annotations.clone()),
        "spec": spec,
        "status": {
            "phase": phase,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "qosClass": qos(&w.spec),
        },
    });
    if let Some(o) = owner {
        set_owner(&mut pod, o);
    }
    out.emit(pod)?;
    Ok(PodRef {
        name: name.to_string(),
        node,
    })
}

/// A Deployment, its current ReplicaSet (and sometimes a scaled-down older one) and `replicas` pods.
pub fn deployment<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
    replicas: u32,
) -> Result<Vec<PodRef>, E> {
    let revision = rng.range(1, 12);
    let dep = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(rng, w.name, Some(w.ns), w.labels.clone(), merge(&w.annotations, &[("deployment.kubernetes.io/revision", &revision.to_string())])),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": w.labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": w.template(),
        },
    });
    if revision > 1 && rng.chance(0.3) {
        let hash = rng.suffix(10);
        let mut old = replica_set(rng, w, &hash, 0, revision - 1);
        set_owner(&mut old, &dep);
        out.emit(old)?;
    }
    let hash = rng.suffix(10);
    let mut rs = replica_set(rng, w, &hash, replicas, revision);
    set_owner(&mut rs, &dep);
    let pod_labels = merge(&w.labels, &[("pod-template-hash", &hash)]);
    let mut pods = Vec::with_capacity(replicas as usize);
    for _ in 0..replicas {
        let name = format!("{}-{hash}-{}", w.name, rng.suffix(5));
        pods.push(emit_pod(
            out,
            nodes,
            rng,
            w,
            &name,
            pod_labels.clone(),
            Some(&rs),
            "Running",
        )?);
    }
    out.emit(dep)?;
    out.emit(rs)?;
    Ok(pods)
}

fn replica_set(rng: &mut Rng, w: &Workload<'_>, hash: &str, replicas: u32, revision: u64) -> Value {
    let labels = merge(&w.labels, &[("pod-template-hash", hash)]);
    let mut template = w.template();
    template["metadata"]["labels"] = labels.clone();
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta(rng, &format!("{}-{hash}", w.name), Some(w.ns), labels.clone(), json!({"deployment.kubernetes.io/revision": revision.to_string(), "deployment.kubernetes.io/desired-replicas": replicas.to_string()})),
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template},
    })
}

/// A StatefulSet with `replicas` pods, each with a `data` PVC from the claim template.
pub fn stateful_set<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
    replicas: u32,
    storage: &str,
) -> Result<Vec<PodRef>, E> {
    let hash = rng.suffix(10);
    let mut spec = w.spec.clone();
    if let Some(Value::Array(cs)) = spec.get_mut("containers")
        && let Some(c) = cs.first_mut()
    {
        c["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
    }
    let sts = json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(rng, w.name, Some(w.ns), w.labels.clone(), w.annotations.clone()),
        "spec": {
            "replicas": replicas,
            "serviceName": w.name,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": w.labels},
            "template": {"metadata": {"labels": w.labels}, "spec": spec},
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3", "resources": {"requests": {"storage": storage}}},
            }],
        },
    });
    let mut pods = Vec::new();
    for i in 0..replicas {
        let name = format!("{}-{i}", w.name);
        let claim = format!("data-{name}");
        let labels = merge(
            &w.labels,
            &[
                ("controller-revision-hash", &format!("{}-{hash}", w.name)),
                ("statefulset.kubernetes.io/pod-name", &name),
                ("apps.kubernetes.io/pod-index", &i.to_string()),
            ],
        );
        let mut pod_spec = spec.clone();
        if let Some(Value::Array(vs)) = pod_spec
            .as_object_mut()
            .map(|s| s.entry("volumes").or_insert_with(|| json!([])))
        {
            vs.push(json!({"name": "data", "persistentVolumeClaim": {"claimName": claim}}));
        }
        let single = Workload {
            ns: w.ns,
            name: w.name,
            labels: w.labels.clone(),
            annotations: json!({}),
            pod_annotations: w.pod_annotations.clone(),
            spec: pod_spec,
            placement: w.placement,
        };
        pods.push(emit_pod(
            out,
            nodes,
            rng,
            &single,
            &name,
            labels,
            Some(&sts),
            "Running",
        )?);
        pvc(
            out,
            rng,
            w.ns,
            &claim,
            w.labels.clone(),
            json!({}),
            "gp3",
            storage,
        )?;
    }
    out.emit(sts)?;
    Ok(pods)
}

/// A PersistentVolumeClaim, bound to the EBS volume the CSI driver provisioned for it (the
/// PersistentVolume is emitted too).
#[allow(clippy::too_many_arguments)]
pub fn pvc<E>(
    out: &mut Emitter<'_, E>,
    rng: &mut Rng,
    ns: &str,
    name: &str,
    labels: Value,
    annotations: Value,
    class: &str,
    size: &str,
) -> Result<(), E> {
    let volume = format!("pvc-{}", rng.uuid());
    let mut annotations = annotations;
    if let Some(a) = annotations.as_object_mut() {
        a.insert("pv.kubernetes.io/bind-completed".into(), "yes".into());
        a.insert(
            "volume.kubernetes.io/storage-provisioner".into(),
            "ebs.csi.aws.com".into(),
        );
    }
    let claim = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta(rng, name, Some(ns), labels, annotations),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class,
            "resources": {"requests": {"storage": size}},
            "volumeMode": "Filesystem",
            "volumeName": volume,
        },
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}},
    });
    let zone = *rng.pick(&["us-east-1a", "us-east-1b", "us-east-1c"]);
    let pv = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": meta(rng, &volume, None, json!({"topology.kubernetes.io/zone": zone}), json!({"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com", "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""})),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": size},
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": ns, "name": name, "uid": claim["metadata"]["uid"]},
            "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": format!("vol-0{}", rng.hex(16)), "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1730000000000-8081-ebs.csi.aws.com"}},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": class,
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    });
    out.emit(claim)?;
    out.emit(pv)
}

/// A DaemonSet with one pod on every node.
pub fn daemon_set<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
) -> Result<(), E> {
    let hash = rng.suffix(10);
    let ds = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": meta(rng, w.name, Some(w.ns), w.labels.clone(), w.annotations.clone()),
        "spec": {
            "selector": {"matchLabels": w.labels},
            "template": w.template(),
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
        },
    });
    let labels = merge(
        &w.labels,
        &[
            ("controller-revision-hash", &hash),
            ("pod-template-generation", "1"),
        ],
    );
    // Pod names are unique in a namespace; at 5,000 nodes a drawn suffix repeats now and then.
    let mut taken = std::collections::HashSet::new();
    for i in 0..nodes.len() {
        let on = Workload {
            ns: w.ns,
            name: w.name,
            labels: w.labels.clone(),
            annotations: json!({}),
            pod_annotations: w.pod_annotations.clone(),
            spec: w.spec.clone(),
            placement: Placement::Node(i),
        };
        let mut suffix = rng.suffix(5);
        while !taken.insert(suffix.clone()) {
            suffix = crate::rng::next_suffix(&suffix);
        }
        let name = format!("{}-{suffix}", w.name);
        emit_pod(
            out,
            nodes,
            rng,
            &on,
            &name,
            labels.clone(),
            Some(&ds),
            "Running",
        )?;
    }
    out.emit(ds)?;
    Ok(())
}

/// A CronJob with its most recent Job and that Job's completed pod.
pub fn cron_job<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
) -> Result<PodRef, E> {
    let schedule = rng
        .pick(&[
            "*/15 * * * *",
            "0 * * * *",
            "0 3 * * *",
            "30 1 * * 0",
            "*/5 * * * *",
        ])
        .to_string();
    let mut spec = w.spec.clone();
    spec["restartPolicy"] = "OnFailure".into();
    let cj = json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(rng, w.name, Some(w.ns), w.labels.clone(), w.annotations.clone()),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"metadata": {"labels": w.labels}, "spec": spec}}},
        },
    });
    let job_name = format!("{}-{}", w.name, 29_580_000 + rng.below(20_000));
    let job_w = Workload {
        ns: w.ns,
        name: &job_name,
        labels: w.labels.clone(),
        annotations: json!({}),
        pod_annotations: w.pod_annotations.clone(),
        spec,
        placement: w.placement,
    };
    let pod = job(out, nodes, rng, &job_w, Some(&cj))?;
    out.emit(cj)?;
    Ok(pod)
}

/// A Job (owned by `owner` when a CronJob made it) and its completed pod.
pub fn job<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
    owner: Option<&Value>,
) -> Result<PodRef, E> {
    let mut spec = w.spec.clone();
    if spec.get("restartPolicy").is_none() {
        spec["restartPolicy"] = "Never".into();
    }
    let controller_uid = rng.uuid();
    let labels = merge(
        &w.labels,
        &[
            ("batch.kubernetes.io/controller-uid", &controller_uid),
            ("batch.kubernetes.io/job-name", w.name),
        ],
    );
    let mut j = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(rng, w.name, Some(w.ns), w.labels.clone(), w.annotations.clone()),
        "spec": {
            "backoffLimit": 2,
            "completions": 1,
            "parallelism": 1,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": controller_uid}},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    });
    j["metadata"]["uid"] = controller_uid.clone().into();
    if let Some(o) = owner {
        set_owner(&mut j, o);
    }
    let run = Workload {
        ns: w.ns,
        name: w.name,
        labels: labels.clone(),
        annotations: json!({}),
        pod_annotations: w.pod_annotations.clone(),
        spec,
        placement: w.placement,
    };
    let name = format!("{}-{}", w.name, rng.suffix(5));
    let pod = emit_pod(out, nodes, rng, &run, &name, labels, Some(&j), "Succeeded")?;
    out.emit(j)?;
    Ok(pod)
}

/// A pod with no controller.
pub fn bare_pod<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    w: &Workload<'_>,
) -> Result<PodRef, E> {
    emit_pod(
        out,
        nodes,
        rng,
        w,
        w.name,
        w.labels.clone(),
        None,
        "Running",
    )
}
