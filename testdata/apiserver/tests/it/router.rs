//! The router in process, without socket or TLS (`tower::ServiceExt::oneshot`).

use std::time::Duration;

use coder_sec_model::kinds::KINDS;
use coder_sec_test_apiserver::{
    ConnectionDropped, EXPIRED_MESSAGE, Faults, ServerOptions, ServerState, service,
};
use http::StatusCode;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{call, get, names, options, state};

#[tokio::test]
async fn version_needs_no_token_and_bad_tokens_are_refused() {
    let s = state(&options());
    let (status, _, body) = call(&s, "GET", "/version?timeout=5s", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["gitVersion"], "v1.32.4");
    assert_eq!(
        (body["major"].as_str(), body["minor"].as_str()),
        (Some("1"), Some("32"))
    );
    let (status, _, body) = call(&s, "GET", "/healthz", None, &[], vec![]).await;
    assert_eq!((status, body), (StatusCode::OK, json!("ok")));

    let (status, _, body) = call(&s, "GET", "/api/v1/pods", Some("wrong"), &[], vec![]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["kind"], "Status");
    assert_eq!(body["reason"], "Unauthorized");
    assert_eq!(body["code"], 401);
    // In process, no token means the first identity (over HTTPS it is 401: see `https`).
    let (status, _, _) = call(&s, "GET", "/api/v1/pods", None, &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = call(
        &s,
        "GET",
        "/api/v1/secrets",
        None,
        &[("impersonate-user", "alice")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn discovery_lists_every_group_and_resource() {
    let s = state(&options());
    let (_, api) = get(&s, "/api").await;
    assert_eq!(api["versions"], json!(["v1"]));
    assert!(api["serverAddressByClientCIDRs"].is_array());

    let (_, apis) = get(&s, "/apis").await;
    assert_eq!(apis["kind"], "APIGroupList");
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for kind in KINDS.iter().filter(|k| !k.group.is_empty()) {
        assert!(groups.contains(&kind.group), "{} missing", kind.group);
    }
    for group in ["authorization.k8s.io", "authentication.k8s.io", "policy"] {
        assert!(groups.contains(&group), "{group} missing");
    }

    let (_, core) = get(&s, "/api/v1").await;
    assert_eq!(core["kind"], "APIResourceList");
    assert_eq!(core["groupVersion"], "v1");
    let pods = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["singularName"], "pod");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["verbs"], json!(["get", "list"]));

    let (_, policy) = get(&s, "/apis/policy/v1").await;
    assert_eq!(policy["resources"][0]["name"], "poddisruptionbudgets");
    let (status, group) = get(&s, "/apis/apps").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group["preferredVersion"]["groupVersion"], "apps/v1");
    let (_, authz) = get(&s, "/apis/authorization.k8s.io/v1").await;
    assert!(authz.to_string().contains("selfsubjectrulesreviews"));

    // Aggregated discovery is not served: the legacy answer comes back and kubectl falls back.
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let (_, headers, body) = call(
        &s,
        "GET",
        "/apis",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["kind"], "APIGroupList");
}

#[tokio::test]
async fn lists_are_typed_sorted_and_items_have_no_kind() {
    let s = state(&options());
    let (status, list) = get(&s, "/api/v1/pods").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["kind"], "PodList");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["metadata"]["resourceVersion"], s.resource_version());
    assert!(list["metadata"].get("continue").is_none());
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert!(
        items
            .iter()
            .all(|i| i.get("kind").is_none() && i.get("apiVersion").is_none())
    );
    let keys: Vec<(String, String)> = items
        .iter()
        .map(|i| {
            let m = &i["metadata"];
            (
                m["namespace"].as_str().unwrap().into(),
                m["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    let (_, ns) = get(&s, "/api/v1/namespaces/coder/pods").await;
    assert_eq!(
        names(&ns),
        ["coder-7d9f8b6c5-abcde", "coder-7d9f8b6c5-fghij"]
    );
    let (_, deploys) = get(&s, "/apis/apps/v1/deployments").await;
    assert_eq!(deploys["kind"], "DeploymentList");
    assert_eq!(deploys["apiVersion"], "apps/v1");
    let (_, crs) = get(&s, "/apis/rbac.authorization.k8s.io/v1/clusterroles").await;
    assert_eq!(
        names(&crs),
        ["cluster-admin", "system:node-proxier", "view"]
    );
    let (_, empty) = get(&s, "/api/v1/namespaces/nowhere/pods").await;
    assert_eq!(empty["items"], json!([]));
}

#[tokio::test]
async fn get_single_objects_and_not_found() {
    let s = state(&options());
    let (status, pod) = get(
        &s,
        "/api/v1/namespaces/coder-workspaces/pods/coder-alice-dev",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["apiVersion"], "v1");
    assert_eq!(pod["spec"]["nodeName"], "worker-1");
    let (_, ns) = get(&s, "/api/v1/namespaces/coder").await;
    assert_eq!(
        (ns["kind"].as_str(), ns["metadata"]["name"].as_str()),
        (Some("Namespace"), Some("coder"))
    );
    let (_, node) = get(&s, "/api/v1/nodes/cp-1").await;
    assert_eq!(node["kind"], "Node");
    let (_, deploy) = get(&s, "/apis/apps/v1/namespaces/coder/deployments/coder").await;
    assert_eq!(deploy["apiVersion"], "apps/v1");

    let (status, body) = get(&s, "/api/v1/namespaces/coder/pods/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], r#"pods "nope" not found"#);
    assert_eq!(body["details"], json!({"name": "nope", "kind": "pods"}));
    let (_, body) = get(&s, "/apis/apps/v1/namespaces/coder/deployments/nope").await;
    assert_eq!(body["message"], r#"deployments.apps "nope" not found"#);
    for path in [
        "/api/v1/widgets",
        "/apis/nope/v1/things",
        "/api/v1/namespaces/coder/nodes",
        "/foo",
    ] {
        let (status, body) = get(&s, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body["message"], "the server could not find the requested resource",
            "{path}"
        );
    }
    let (status, _, body) = call(
        &s,
        "DELETE",
        "/api/v1/namespaces/coder/pods/x",
        Some("admin-token"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["reason"], "MethodNotAllowed");
    let (status, _) = get(&s, "/api/v1/pods?watch=true").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Follows `continue` from `first` to the end; returns the names and the pages' metadata.
async fn page_through(
    s: &std::sync::Arc<ServerState>,
    base: &str,
    limit: u32,
) -> (Vec<String>, Vec<Value>) {
    let mut all = Vec::new();
    let mut metas = Vec::new();
    let mut token: Option<String> = None;
    loop {
        // kube-rs builds `?&limit=N&continue=T`.
        let sep = if base.contains('?') { '&' } else { '?' };
        let uri = match &token {
            None => format!("{base}{sep}&limit={limit}"),
            Some(t) => format!("{base}{sep}&limit={limit}&continue={t}"),
        };
        let (status, page) = get(s, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {page}");
        assert!(page["items"].as_array().unwrap().len() <= limit as usize);
        all.extend(names(&page));
        metas.push(page["metadata"].clone());
        match page["metadata"]["continue"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    (all, metas)
}

#[tokio::test]
async fn paging_returns_everything_once_with_one_resource_version() {
    let s = state(&options());
    let (_, full) = get(&s, "/api/v1/pods").await;
    let (paged, metas) = page_through(&s, "/api/v1/pods", 3).await;
    assert_eq!(paged, names(&full));
    assert_eq!(metas.len(), 3);
    assert!(
        metas
            .iter()
            .all(|m| m["resourceVersion"] == metas[0]["resourceVersion"])
    );
    assert_eq!(metas[0]["remainingItemCount"], 5);
    assert_eq!(metas[1]["remainingItemCount"], 2);
    assert!(metas[2].get("remainingItemCount").is_none());

    // With a selector: pages still hold at most `limit` matches, no remainingItemCount.
    let (paged, metas) =
        page_through(&s, "/api/v1/pods?labelSelector=k8s-app%3Dkube-proxy", 2).await;
    assert_eq!(
        paged,
        ["kube-proxy-4bq9z", "kube-proxy-7xk2p", "kube-proxy-9mwq4"]
    );
    assert!(metas[0].get("remainingItemCount").is_none());

    let (status, body) = get(&s, "/api/v1/pods?limit=2&continue=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["reason"], "BadRequest");
    // A token from another list is refused.
    let (_, first) = get(&s, "/api/v1/pods?limit=1").await;
    let token = first["metadata"]["continue"].as_str().unwrap();
    let (status, _) = get(&s, &format!("/api/v1/secrets?limit=1&continue={token}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn continue_tokens_expire_with_410() {
    let opts = ServerOptions {
        faults: Faults {
            expire_continue_after_pages: Some(2),
            ..Faults::default()
        },
        ..options()
    };
    let s = state(&opts);
    let (_, p1) = get(&s, "/api/v1/pods?limit=2").await;
    let t2 = p1["metadata"]["continue"].as_str().unwrap().to_string();
    let (status, p2) = get(&s, &format!("/api/v1/pods?limit=2&continue={t2}")).await;
    assert_eq!(status, StatusCode::OK);
    let t3 = p2["metadata"]["continue"].as_str().unwrap().to_string();
    let (status, expired) = get(&s, &format!("/api/v1/pods?limit=2&continue={t3}")).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(expired["kind"], "Status");
    assert_eq!(expired["reason"], "Expired");
    assert_eq!(expired["code"], 410);
    assert_eq!(expired["message"], EXPIRED_MESSAGE);
    assert!(EXPIRED_MESSAGE.starts_with("The provided continue parameter is too old"));
    // The inconsistent token in the Status goes on and never expires.
    let mut token = expired["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_string();
    let mut rest = Vec::new();
    loop {
        let (status, page) = get(&s, &format!("/api/v1/pods?limit=2&continue={token}")).await;
        assert_eq!(status, StatusCode::OK);
        rest.extend(names(&page));
        match page["metadata"]["continue"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(rest.len(), 4);
}

#[tokio::test]
async fn forbidden_reads_name_user_resource_and_scope() {
    let s = state(&options());
    let cases = [
        (
            "viewer-token",
            "/api/v1/secrets",
            r#"secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" at the cluster scope"#,
        ),
        (
            "viewer-token",
            "/api/v1/namespaces/coder/secrets",
            r#"secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "coder""#,
        ),
        (
            "viewer-token",
            "/api/v1/namespaces/coder/secrets/coder-tls",
            r#"secrets "coder-tls" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "coder""#,
        ),
        (
            "nosys-token",
            "/api/v1/namespaces/kube-system/pods",
            r#"pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "kube-system""#,
        ),
        (
            "nosys-token",
            "/apis/apps/v1/deployments",
            r#"deployments.apps is forbidden: User "carol" cannot list resource "deployments" in API group "apps" at the cluster scope"#,
        ),
    ];
    for (token, uri, message) in cases {
        let (status, _, body) = call(&s, "GET", uri, Some(token), &[], vec![]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(body["reason"], "Forbidden");
        assert_eq!(body["message"], message);
    }
    let (_, _, body) = call(
        &s,
        "GET",
        "/apis/apps/v1/deployments",
        Some("nosys-token"),
        &[],
        vec![],
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"group": "apps", "kind": "deployments"})
    );
    // What is not denied is served.
    for (token, uri) in [
        ("viewer-token", "/api/v1/pods"),
        ("nosys-token", "/api/v1/namespaces/coder/pods"),
        ("nosys-token", "/api/v1/nodes"),
    ] {
        let (status, _, _) = call(&s, "GET", uri, Some(token), &[], vec![]).await;
        assert_eq!(status, StatusCode::OK, "{token} {uri}");
    }
}

#[tokio::test]
async fn impersonation_is_for_masters_only() {
    let s = state(&options());
    let (status, _, body) = call(
        &s,
        "GET",
        "/api/v1/secrets",
        Some("admin-token"),
        &[("impersonate-user", "alice")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(r#"User "alice""#)
    );

    let (status, _, body) = call(
        &s,
        "GET",
        "/api/v1/pods",
        Some("viewer-token"),
        &[("impersonate-user", "admin")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["message"],
        r#"users "admin" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#
    );

    let (_, _, who) = call(
        &s,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some("admin-token"),
        &[
            ("impersonate-user", "dave"),
            ("impersonate-group", "system:masters"),
            ("content-type", "application/json"),
        ],
        br#"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#.to_vec(),
    )
    .await;
    assert_eq!(who["status"]["userInfo"]["username"], "dave");
    assert_eq!(
        who["status"]["userInfo"]["groups"],
        json!(["system:masters", "system:authenticated"])
    );
}

#[tokio::test]
async fn label_and_field_selectors() {
    let s = state(&options());
    let cases: &[(&str, &[&str])] = &[
        (
            "labelSelector=app%3Dcoder",
            &["coder-7d9f8b6c5-abcde", "coder-7d9f8b6c5-fghij"],
        ),
        ("labelSelector=app%3D%3Dcoder,k8s-app", &[]),
        (
            "labelSelector=k8s-app%20in%20(kube-dns)",
            &["coredns-668d6bf9bc-x2x7k"],
        ),
        (
            "labelSelector=k8s-app%20notin%20(kube-proxy),k8s-app",
            &["coredns-668d6bf9bc-x2x7k"],
        ),
        (
            "labelSelector=!k8s-app,!app",
            &["coder-alice-dev", "coder-bob-ml"],
        ),
        (
            "labelSelector=com.coder.user.username!%3Dalice,com.coder.user.username",
            &["coder-bob-ml"],
        ),
        (
            "fieldSelector=spec.nodeName%3Dworker-1",
            &[
                "coder-7d9f8b6c5-abcde",
                "coder-alice-dev",
                "kube-proxy-7xk2p",
            ],
        ),
        (
            "fieldSelector=status.phase!%3DRunning",
            &["coder-bob-ml", "kube-proxy-9mwq4"],
        ),
        (
            "fieldSelector=metadata.namespace%3Dcoder,metadata.name!%3Dcoder-7d9f8b6c5-abcde",
            &["coder-7d9f8b6c5-fghij"],
        ),
    ];
    for (query, expected) in cases {
        let (status, list) = get(&s, &format!("/api/v1/pods?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(names(&list), *expected, "{query}");
    }
    let (status, body) = get(&s, "/api/v1/secrets?fieldSelector=spec.nodeName%3Dx").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["message"], "field label not supported: spec.nodeName");
    let (status, _) = get(&s, "/api/v1/pods?labelSelector=a%20b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metadata_only_lists_carry_no_data() {
    let s = state(&options());
    let accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    let (status, _, list) = call(
        &s,
        "GET",
        "/api/v1/secrets?&limit=500",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["kind"], "PartialObjectMetadataList");
    assert_eq!(list["apiVersion"], "meta.k8s.io/v1");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        assert_eq!(item["kind"], "PartialObjectMetadata");
        assert_eq!(item["apiVersion"], "meta.k8s.io/v1");
        assert!(item.get("data").is_none());
        assert!(item["metadata"]["name"].is_string());
    }
    assert!(!list.to_string().contains("cG9zdGdyZXM6"));
    let accept = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
    let (_, _, one) = call(
        &s,
        "GET",
        "/api/v1/namespaces/coder/secrets/coder-tls",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(one["kind"], "PartialObjectMetadata");
    assert!(one.get("data").is_none());
    let (status, _, _) = call(
        &s,
        "GET",
        "/api/v1/pods",
        Some("admin-token"),
        &[("accept", "application/vnd.kubernetes.protobuf")],
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn tables_have_columns_rows_and_row_metadata() {
    let s = state(&options());
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    let (_, _, table) = call(
        &s,
        "GET",
        "/api/v1/namespaces/kube-system/pods?limit=500",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"]
    );
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let last = &rows[3];
    assert_eq!(last["cells"][0], "kube-proxy-9mwq4");
    assert_eq!(last["cells"][1], "0/1");
    assert_eq!(last["cells"][2], "CrashLoopBackOff");
    assert_eq!(last["cells"][3], "7");
    assert_eq!(last["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(last["object"]["metadata"]["namespace"], "kube-system");

    let (_, _, one) = call(
        &s,
        "GET",
        "/api/v1/nodes/worker-2",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(one["rows"][0]["cells"][1], "NotReady");
    let (_, _, generic) = call(
        &s,
        "GET",
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        Some("admin-token"),
        &[("accept", accept)],
        vec![],
    )
    .await;
    assert_eq!(generic["columnDefinitions"].as_array().unwrap().len(), 2);
}

fn protobuf_envelope(kind: &str, raw: Vec<u8>) -> Vec<u8> {
    use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
    use prost::Message;
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("authorization.k8s.io/v1".into()),
            kind: Some(kind.into()),
        }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = b"k8s\0".to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

fn ssar(resource: &str, namespace: &str) -> Vec<u8> {
    use k8s_pb::api::authorization::v1 as authz;
    use prost::Message;
    let review = authz::SelfSubjectAccessReview {
        spec: Some(authz::SelfSubjectAccessReviewSpec {
            resource_attributes: Some(authz::ResourceAttributes {
                namespace: Some(namespace.into()),
                verb: Some("list".into()),
                resource: Some(resource.into()),
                ..Default::default()
            }),
            non_resource_attributes: None,
        }),
        ..Default::default()
    };
    protobuf_envelope("SelfSubjectAccessReview", review.encode_to_vec())
}

#[tokio::test]
async fn access_reviews_decode_protobuf_and_json() {
    let s = state(&options());
    let pb = [
        ("content-type", "application/vnd.kubernetes.protobuf"),
        ("accept", "application/vnd.kubernetes.protobuf, */*"),
    ];
    let url = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    for (token, resource, allowed) in [
        ("viewer-token", "secrets", false),
        ("viewer-token", "pods", true),
        ("admin-token", "secrets", true),
    ] {
        let (status, headers, body) =
            call(&s, "POST", url, Some(token), &pb, ssar(resource, "coder")).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["kind"], "SelfSubjectAccessReview");
        assert_eq!(body["spec"]["resourceAttributes"]["resource"], resource);
        assert_eq!(body["status"]["allowed"], allowed, "{token} {resource}");
    }
    let json_body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "kube-system"}}});
    let ct = [("content-type", "application/json")];
    let (_, _, body) = call(
        &s,
        "POST",
        url,
        Some("nosys-token"),
        &ct,
        json_body.to_string().into_bytes(),
    )
    .await;
    assert_eq!(body["status"]["allowed"], false);
    let (status, _, body) = call(
        &s,
        "POST",
        url,
        Some("viewer-token"),
        &pb,
        b"not protobuf".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let rules_url = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    let rules_body = json!({"spec": {"namespace": "coder"}})
        .to_string()
        .into_bytes();
    let (status, _, admin) = call(
        &s,
        "POST",
        rules_url,
        Some("admin-token"),
        &ct,
        rules_body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        admin["status"]["resourceRules"][0],
        json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
    );
    let (_, _, viewer) = call(&s, "POST", rules_url, Some("viewer-token"), &ct, rules_body).await;
    let core = viewer["status"]["resourceRules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["apiGroups"] == json!([""]))
        .unwrap();
    let core: Vec<&str> = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        core.contains(&"pods") && !core.contains(&"secrets"),
        "{core:?}"
    );
    assert_eq!(viewer["status"]["incomplete"], false);

    let who_url = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    let (status, _, who) = call(
        &s,
        "POST",
        who_url,
        Some("viewer-token"),
        &pb,
        b"k8s\0".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(who["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    assert_eq!(
        who["status"]["userInfo"]["groups"],
        json!(["developers", "system:authenticated"])
    );
}

#[tokio::test]
async fn faults_hit_resources_not_discovery() {
    let faulty = |faults: Faults| {
        state(&ServerOptions {
            faults,
            ..options()
        })
    };
    let s = faulty(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    let (status, headers, body) =
        call(&s, "GET", "/api/v1/pods", Some("admin-token"), &[], vec![]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(body["reason"], "TooManyRequests");
    for path in ["/version", "/api", "/apis", "/api/v1", "/apis/apps/v1"] {
        assert_eq!(get(&s, path).await.0, StatusCode::OK, "{path}");
    }
    let review = br#"{"spec":{"namespace":"coder"}}"#.to_vec();
    let (status, _, _) = call(
        &s,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        Some("admin-token"),
        &[("content-type", "application/json")],
        review,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "access reviews are not faulted"
    );

    let s = faulty(Faults {
        rate_500: 1.0,
        ..Faults::default()
    });
    let (status, body) = get(&s, "/api/v1/pods").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["reason"], "InternalError");

    let s = faulty(Faults {
        rate_429: 1.0,
        include_discovery: true,
        ..Faults::default()
    });
    assert_eq!(get(&s, "/apis").await.0, StatusCode::TOO_MANY_REQUESTS);

    let s = faulty(Faults {
        rate_drop: 1.0,
        ..Faults::default()
    });
    assert_eq!(
        get(&s, "/api/v1/pods").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let request = http::Request::get("/api/v1/pods")
        .header("authorization", "Bearer admin-token")
        .body(axum::body::Body::empty())
        .unwrap();
    let err: ConnectionDropped = service(s.clone()).oneshot(request).await.unwrap_err();
    assert_eq!(err.to_string(), "connection dropped by fault injection");
    assert!(s.request_log().iter().all(|r| r.status == 0));

    // The same seed gives the same sequence.
    let run = || async {
        let s = faulty(Faults {
            rate_429: 0.3,
            rate_500: 0.2,
            seed: 42,
            ..Faults::default()
        });
        let mut codes = Vec::new();
        for _ in 0..40 {
            codes.push(get(&s, "/api/v1/nodes").await.0.as_u16());
        }
        codes
    };
    let (a, b) = (run().await, run().await);
    assert_eq!(a, b);
    assert!(
        a.contains(&429) && a.contains(&500) && a.contains(&200),
        "{a:?}"
    );

    let s = faulty(Faults {
        latency: Duration::from_millis(60),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    get(&s, "/api/v1/nodes").await;
    assert!(started.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn counts_log_and_load_errors() {
    let s = state(&options());
    let counts = s.object_counts();
    assert_eq!(counts["pods"], 8);
    assert_eq!(counts["nodes"], 3);
    assert_eq!(counts["namespaces"], 4);
    assert_eq!(counts["deployments.apps"], 1);
    assert_eq!(counts["poddisruptionbudgets.policy"], 1);
    assert_eq!(counts["ingresses.networking.k8s.io"], 0);
    get(&s, "/api/v1/nodes?limit=1").await;
    let log = s.request_log();
    assert_eq!(log.last().unwrap().uri, "/api/v1/nodes?limit=1");
    assert_eq!(log.last().unwrap().user.as_deref(), Some("admin"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\n",
    )
    .unwrap();
    let err = ServerState::new(&ServerOptions {
        scenarios: vec![bad],
        ..ServerOptions::default()
    })
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad.yaml") && text.contains("metadata.name"),
        "{text}"
    );
    let missing = dir.path().join("missing");
    let err = ServerState::new(&ServerOptions {
        scenarios: vec![missing],
        ..ServerOptions::default()
    })
    .unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(err));
    assert!(chain.contains("missing"), "{chain}");
}
