//! The cluster around the tenants: nodes, storage and ingress classes, admission webhooks, the
//! bootstrap-like RBAC of a managed cluster, the system namespaces with their DaemonSets (one pod per
//! node) and add-on Deployments, and the cluster-wide roles and bindings that fill up to the size.

use serde_json::{Value, json};

use crate::cluster_rbac::CONTROLLERS;
use crate::emit::Emitter;
use crate::nodes::{Nodes, Placement, Pool};
use crate::objects::{self, container, meta};
use crate::rng::Rng;
use crate::workloads::{self, Workload};

/// The system namespaces every cluster of this generator has.
pub const SYSTEM_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "ingress-nginx",
    "cert-manager",
    "monitoring",
];

/// Emits the nodes.
pub fn emit_nodes<E>(out: &mut Emitter<'_, E>, nodes: &Nodes, seed: u64) -> Result<(), E> {
    let mut rng = Rng::new(seed, "nodes");
    for i in 0..nodes.len() {
        out.emit(nodes.object(&mut rng, i))?;
    }
    Ok(())
}

/// Storage classes, the ingress class and the add-ons' admission webhooks.
pub fn emit_cluster_config<E>(out: &mut Emitter<'_, E>, rng: &mut Rng) -> Result<(), E> {
    out.emit(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": meta(rng, "gp2", None, json!({}), json!({"storageclass.kubernetes.io/is-default-class": "true"})),
        "provisioner": "kubernetes.io/aws-ebs", "parameters": {"type": "gp2", "fsType": "ext4"},
        "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer",
    }))?;
    out.emit(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": meta(rng, "gp3", None, json!({}), json!({})),
        "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"},
        "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true,
    }))?;
    out.emit(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
        "metadata": meta(rng, "nginx", None, json!({"app.kubernetes.io/name": "ingress-nginx"}), json!({"ingressclass.kubernetes.io/is-default-class": "true"})),
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }))?;
    let webhook = |name: &str, ns: &str, svc: &str, path: &str, failure: &str| {
        json!({
            "name": name,
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": failure,
            "timeoutSeconds": 10,
            "clientConfig": {"service": {"name": svc, "namespace": ns, "path": path, "port": 443}, "caBundle": objects::b64(objects::TLS_CRT.as_bytes())},
            "rules": [{"apiGroups": ["*"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"], "resources": ["*"], "scope": "*"}],
        })
    };
    out.emit(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": meta(rng, "ingress-nginx-admission", None, json!({"app.kubernetes.io/name": "ingress-nginx"}), json!({})),
        "webhooks": [webhook("validate.nginx.ingress.kubernetes.io", "ingress-nginx", "ingress-nginx-controller-admission", "/networking/v1/ingresses", "Fail")],
    }))?;
    out.emit(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": meta(rng, "cert-manager-webhook", None, json!({"app.kubernetes.io/name": "webhook"}), json!({})),
        "webhooks": [webhook("webhook.cert-manager.io", "cert-manager", "cert-manager-webhook", "/validate", "Fail")],
    }))?;
    out.emit(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": meta(rng, "cert-manager-webhook", None, json!({"app.kubernetes.io/name": "webhook"}), json!({})),
        "webhooks": [webhook("webhook.cert-manager.io", "cert-manager", "cert-manager-webhook", "/mutate", "Fail")],
    }))?;
    out.emit(json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": meta(rng, "aws-load-balancer-webhook", None, json!({"app.kubernetes.io/name": "aws-load-balancer-controller"}), json!({})),
        "webhooks": [webhook("mpod.elbv2.k8s.aws", "kube-system", "aws-load-balancer-webhook-service", "/mutate-v1-pod", "Ignore")],
    }))?;
    Ok(())
}

/// The system namespaces: their objects, the DaemonSets (kube-proxy, the VPC CNI, node-exporter) and
/// the add-on controllers. `scale` picks a replica count by size.
pub fn emit_system<E>(
    out: &mut Emitter<'_, E>,
    nodes: &mut Nodes,
    rng: &mut Rng,
    scale: &dyn Fn(u32, u32, u32) -> u32,
) -> Result<(), E> {
    for ns in SYSTEM_NAMESPACES {
        let labels = match *ns {
            "monitoring" | "kube-system" => {
                json!({"pod-security.kubernetes.io/enforce": "privileged"})
            }
            _ => json!({}),
        };
        out.emit(objects::namespace(rng, ns, labels))?;
        out.emit(objects::service_account(
            rng,
            ns,
            "default",
            json!({}),
            json!({}),
        ))?;
        out.emit(objects::root_ca_configmap(rng, ns))?;
    }
    for c in CONTROLLERS {
        out.emit(objects::service_account(
            rng,
            "kube-system",
            c,
            json!({}),
            json!({}),
        ))?;
    }
    for (ns, sa) in [
        ("kube-system", "kube-proxy"),
        ("kube-system", "aws-node"),
        ("kube-system", "coredns"),
        ("kube-system", "kube-dns"),
        ("kube-system", "metrics-server"),
        ("kube-system", "aws-load-balancer-controller"),
        ("ingress-nginx", "ingress-nginx"),
        ("cert-manager", "cert-manager"),
        ("cert-manager", "cert-manager-cainjector"),
        ("cert-manager", "cert-manager-webhook"),
        ("monitoring", "prometheus"),
        ("monitoring", "kube-state-metrics"),
        ("monitoring", "node-exporter"),
    ] {
        let annotations = if sa == "aws-load-balancer-controller" {
            json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/aws-load-balancer-controller"})
        } else {
            json!({})
        };
        out.emit(objects::service_account(
            rng,
            ns,
            sa,
            json!({}),
            annotations,
        ))?;
    }
    out.emit(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": meta(rng, "aws-auth", Some("kube-system"), json!({}), json!({})),
        "data": {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/eks-nodegroup\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/platform-oncall\n  username: oncall\n  groups:\n    - system:masters\n"},
    }))?;
    out.emit(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": meta(rng, "coredns", Some("kube-system"), json!({"eks.amazonaws.com/component": "coredns"}), json!({})),
        "data": {"Corefile": ".:53 {\n    errors\n    health\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"},
    }))?;
    out.emit(objects::tls_secret(
        rng,
        "cert-manager",
        "cert-manager-webhook-ca",
    ))?;
    out.emit(objects::tls_secret(
        rng,
        "ingress-nginx",
        "ingress-nginx-admission",
    ))?;
    for (release, ns, chart, version, revisions) in [
        (
            "ingress-nginx",
            "ingress-nginx",
            "ingress-nginx",
            "4.11.2",
            2u32,
        ),
        ("cert-manager", "cert-manager", "cert-manager", "v1.15.3", 1),
        (
            "kube-prometheus-stack",
            "monitoring",
            "kube-prometheus-stack",
            "61.7.1",
            3,
        ),
    ] {
        for rev in 1..=revisions {
            out.emit(objects::helm_release_secret(
                rng,
                ns,
                objects::HelmRelease {
                    name: release,
                    chart,
                    version,
                    revision: rev,
                    deployed: rev == revisions,
                    values: json!({"fullnameOverride": release}),
                },
            ))?;
        }
    }

    // DaemonSets: one pod on every node.
    let host_path =
        |name: &str, path: &str| json!({"name": name, "hostPath": {"path": path, "type": ""}});
    let tolerate_all = json!([{"operator": "Exists"}]);
    let mut kube_proxy = container(
        "kube-proxy",
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.30.3-minimal-eksbuild.5",
    );
    kube_proxy["command"] = json!([
        "kube-proxy",
        "--v=2",
        "--config=/var/lib/kube-proxy-config/config",
        "--hostname-override=$(NODE_NAME)"
    ]);
    kube_proxy["securityContext"] = json!({"privileged": true});
    kube_proxy["env"] = json!([{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}]);
    kube_proxy["volumeMounts"] = json!([{"name": "varlog", "mountPath": "/var/log"}, {"name": "xtables-lock", "mountPath": "/run/xtables.lock"}, {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": true}]);
    kube_proxy["resources"] = json!({"requests": {"cpu": "100m"}});
    let mut aws_node = container(
        "aws-node",
        "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.2",
    );
    aws_node["securityContext"] = json!({"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}});
    aws_node["env"] = json!([{"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"}, {"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}]);
    aws_node["volumeMounts"] = json!([{"name": "cni-bin-dir", "mountPath": "/host/opt/cni/bin"}, {"name": "cni-net-dir", "mountPath": "/host/etc/cni/net.d"}, {"name": "log-dir", "mountPath": "/host/var/log/aws-routed-eni"}, {"name": "run-dir", "mountPath": "/var/run/aws-node"}, {"name": "xtables-lock", "mountPath": "/run/xtables.lock"}]);
    aws_node["resources"] = json!({"requests": {"cpu": "25m"}});
    let mut exporter = container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2");
    exporter["args"] = json!([
        "--path.procfs=/host/proc",
        "--path.sysfs=/host/sys",
        "--path.rootfs=/host/root"
    ]);
    exporter["volumeMounts"] = json!([{"name": "proc", "mountPath": "/host/proc", "readOnly": true}, {"name": "sys", "mountPath": "/host/sys", "readOnly": true}, {"name": "root", "mountPath": "/host/root", "readOnly": true, "mountPropagation": "HostToContainer"}]);
    exporter["securityContext"] =
        json!({"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false});
    exporter["resources"] = json!({"requests": {"cpu": "10m", "memory": "32Mi"}});
    let daemons = [
        (
            "kube-system",
            "kube-proxy",
            json!({"k8s-app": "kube-proxy"}),
            json!({
                "serviceAccountName": "kube-proxy", "hostNetwork": true, "priorityClassName": "system-node-critical", "tolerations": tolerate_all,
                "containers": [kube_proxy],
                "volumes": [host_path("varlog", "/var/log"), json!({"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}}), host_path("lib-modules", "/lib/modules")],
            }),
        ),
        (
            "kube-system",
            "aws-node",
            json!({"k8s-app": "aws-node"}),
            json!({
                "serviceAccountName": "aws-node", "hostNetwork": true, "priorityClassName": "system-node-critical", "tolerations": tolerate_all,
                "containers": [aws_node],
                "volumes": [host_path("cni-bin-dir", "/opt/cni/bin"), host_path("cni-net-dir", "/etc/cni/net.d"), host_path("log-dir", "/var/log/aws-routed-eni"), host_path("run-dir", "/var/run/aws-node"), json!({"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}})],
            }),
        ),
        (
            "monitoring",
            "node-exporter",
            json!({"app.kubernetes.io/name": "prometheus-node-exporter", "app.kubernetes.io/instance": "kube-prometheus-stack"}),
            json!({
                "serviceAccountName": "node-exporter", "hostNetwork": true, "hostPID": true, "automountServiceAccountToken": false, "tolerations": tolerate_all,
                "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "fsGroup": 65534},
                "containers": [exporter],
                "volumes": [host_path("proc", "/proc"), host_path("sys", "/sys"), host_path("root", "/")],
            }),
        ),
    ];
    for (ns, name, labels, spec) in daemons {
        let w = Workload {
            ns,
            name,
            labels,
            annotations: json!({}),
            pod_annotations: json!({}),
            spec,
            placement: Placement::Pool(Pool::System),
        };
        workloads::daemon_set(out, nodes, rng, &w)?;
    }

    // Add-on controllers.
    let simple = |name: &str, image: &str, sa: &str| {
        let mut c = container(name, image);
        c["resources"] =
            json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}});
        c["securityContext"] = json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true});
        json!({"serviceAccountName": sa, "priorityClassName": "system-cluster-critical", "containers": [c]})
    };
    let deployments = [
        (
            "kube-system",
            "coredns",
            json!({"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}),
            simple(
                "coredns",
                "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.9",
                "coredns",
            ),
            scale(2, 4, 12),
        ),
        (
            "kube-system",
            "metrics-server",
            json!({"k8s-app": "metrics-server"}),
            simple(
                "metrics-server",
                "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
                "metrics-server",
            ),
            1,
        ),
        (
            "kube-system",
            "aws-load-balancer-controller",
            json!({"app.kubernetes.io/name": "aws-load-balancer-controller"}),
            simple(
                "controller",
                "public.ecr.aws/eks/aws-load-balancer-controller:v2.8.2",
                "aws-load-balancer-controller",
            ),
            2,
        ),
        (
            "ingress-nginx",
            "ingress-nginx-controller",
            json!({"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}),
            simple(
                "controller",
                "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                "ingress-nginx",
            ),
            scale(2, 3, 10),
        ),
        (
            "cert-manager",
            "cert-manager",
            json!({"app.kubernetes.io/name": "cert-manager"}),
            simple(
                "cert-manager-controller",
                "quay.io/jetstack/cert-manager-controller:v1.15.3",
                "cert-manager",
            ),
            1,
        ),
        (
            "cert-manager",
            "cert-manager-cainjector",
            json!({"app.kubernetes.io/name": "cainjector"}),
            simple(
                "cert-manager-cainjector",
                "quay.io/jetstack/cert-manager-cainjector:v1.15.3",
                "cert-manager-cainjector",
            ),
            1,
        ),
        (
            "cert-manager",
            "cert-manager-webhook",
            json!({"app.kubernetes.io/name": "webhook"}),
            simple(
                "cert-manager-webhook",
                "quay.io/jetstack/cert-manager-webhook:v1.15.3",
                "cert-manager-webhook",
            ),
            1,
        ),
        (
            "monitoring",
            "kube-state-metrics",
            json!({"app.kubernetes.io/name": "kube-state-metrics"}),
            simple(
                "kube-state-metrics",
                "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
                "kube-state-metrics",
            ),
            1,
        ),
    ];
    for (ns, name, labels, spec, replicas) in deployments {
        let w = Workload {
            ns,
            name,
            labels,
            annotations: json!({"meta.helm.sh/release-name": name, "meta.helm.sh/release-namespace": ns}),
            pod_annotations: json!({}),
            spec,
            placement: Placement::Pool(Pool::System),
        };
        workloads::deployment(out, nodes, rng, &w, replicas)?;
    }
    let w = Workload {
        ns: "monitoring",
        name: "prometheus-kube-prometheus-stack",
        labels: json!({"app.kubernetes.io/name": "prometheus"}),
        annotations: json!({}),
        pod_annotations: json!({}),
        spec: simple(
            "prometheus",
            "quay.io/prometheus/prometheus:v2.54.1",
            "prometheus",
        ),
        placement: Placement::Pool(Pool::System),
    };
    workloads::stateful_set(out, nodes, rng, &w, 2, "100Gi")?;

    // Services of the system namespaces.
    let svc = |rng: &mut Rng,
               ns: &str,
               name: &str,
               kind: &str,
               selector: Value,
               port: u32,
               ip: &str| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": meta(rng, name, Some(ns), json!({}), json!({})),
            "spec": {"type": kind, "clusterIP": ip, "clusterIPs": [ip], "selector": selector, "ports": [{"name": "main", "port": port, "protocol": "TCP", "targetPort": port}], "sessionAffinity": "None", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"},
        })
    };
    let mut kubernetes = svc(
        rng,
        "default",
        "kubernetes",
        "ClusterIP",
        json!({}),
        443,
        "172.20.0.1",
    );
    kubernetes["spec"]
        .as_object_mut()
        .map(|s| s.remove("selector"));
    out.emit(kubernetes)?;
    out.emit(svc(
        rng,
        "kube-system",
        "kube-dns",
        "ClusterIP",
        json!({"k8s-app": "kube-dns"}),
        53,
        "172.20.0.10",
    ))?;
    out.emit(svc(
        rng,
        "kube-system",
        "metrics-server",
        "ClusterIP",
        json!({"k8s-app": "metrics-server"}),
        443,
        "172.20.0.11",
    ))?;
    let mut lb = svc(
        rng,
        "ingress-nginx",
        "ingress-nginx-controller",
        "LoadBalancer",
        json!({"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}),
        443,
        "172.20.0.12",
    );
    lb["status"] = json!({"loadBalancer": {"ingress": [{"hostname": "k8s-ingressn-ingressn-0a1b2c3d4e-0123456789abcdef.elb.us-east-1.amazonaws.com"}]}});
    out.emit(lb)?;
    out.emit(svc(
        rng,
        "ingress-nginx",
        "ingress-nginx-controller-admission",
        "ClusterIP",
        json!({"app.kubernetes.io/name": "ingress-nginx"}),
        443,
        "172.20.0.13",
    ))?;
    out.emit(svc(
        rng,
        "cert-manager",
        "cert-manager-webhook",
        "ClusterIP",
        json!({"app.kubernetes.io/name": "webhook"}),
        443,
        "172.20.0.14",
    ))?;
    out.emit(svc(
        rng,
        "monitoring",
        "prometheus",
        "ClusterIP",
        json!({"app.kubernetes.io/name": "prometheus"}),
        9090,
        "172.20.0.15",
    ))?;
    out.emit(svc(
        rng,
        "kube-system",
        "aws-load-balancer-webhook-service",
        "ClusterIP",
        json!({"app.kubernetes.io/name": "aws-load-balancer-controller"}),
        443,
        "172.20.0.16",
    ))?;
    Ok(())
}
