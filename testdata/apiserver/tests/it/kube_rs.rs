//! kube-rs against the router in process (`kube::Client::new(router, "default")`) and over HTTPS.

use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret};
use kube::api::{Api, ListParams};
use kube::{Client, Config};

use coder_sec_test_apiserver::{Faults, ServerOptions, TestServer, router};

use crate::support::{options, state};

fn client(options: &ServerOptions) -> Client {
    Client::new(router(state(options)), "default")
}

#[tokio::test]
async fn lists_page_and_get_in_process() {
    let client = client(&options());
    let pods: Api<Pod> = Api::all(client.clone());
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(3);
    loop {
        let page = pods.list(&params).await.unwrap();
        names.extend(page.items.iter().map(|p| p.metadata.name.clone().unwrap()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(names.len(), 8);
    let in_coder: Api<Pod> = Api::namespaced(client.clone(), "coder");
    let pod = in_coder.get("coder-7d9f8b6c5-abcde").await.unwrap();
    assert_eq!(pod.spec.unwrap().node_name.as_deref(), Some("worker-1"));
    let ns: Api<Namespace> = Api::all(client.clone());
    assert_eq!(
        ns.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );

    let secrets: Api<Secret> = Api::all(client);
    let meta = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(meta.items.len(), 3);
}

#[tokio::test]
async fn errors_are_api_statuses() {
    let viewer = Client::new(
        tower::ServiceExt::map_request(
            router(state(&options())),
            |mut r: http::Request<kube::client::Body>| {
                r.headers_mut()
                    .insert("authorization", "Bearer viewer-token".parse().unwrap());
                r
            },
        ),
        "default",
    );
    let err = Api::<Secret>::all(viewer)
        .list(&ListParams::default())
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 403);
    assert_eq!(status.reason, "Forbidden");

    let expiring = ServerOptions {
        faults: Faults {
            expire_continue_after_pages: Some(1),
            ..Faults::default()
        },
        ..options()
    };
    let pods: Api<Pod> = Api::all(client(&expiring));
    let first = pods.list(&ListParams::default().limit(2)).await.unwrap();
    let token = first.metadata.continue_.unwrap();
    let err = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
}

#[tokio::test]
async fn over_https_with_the_written_kubeconfig() {
    let server = TestServer::start(options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    let nodes: Api<Node> = Api::all(client.clone());
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.git_version, "v1.32.4");
}
