//! Scale check: generates a cluster of many pods (default 150,000; `SCALE_PODS` to change), loads it,
//! then lists it in process the way a capture does (pages of 500) and in one piece, and reports times.
//! Run with `cargo bench -p coder-sec-test-apiserver --bench serve`.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use coder_sec_test_apiserver::{ServerOptions, ServerState, router};
use tower::ServiceExt;

const PODS_PER_FILE: usize = 10_000;

fn write_scenario(dir: &std::path::Path, pods: usize) -> anyhow::Result<()> {
    let mut file_index = 0;
    let mut written = 0;
    while written < pods {
        let path = dir.join(format!("pods-{file_index:03}.json"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        write!(out, r#"{{"apiVersion":"v1","kind":"PodList","items":["#)?;
        let n = PODS_PER_FILE.min(pods - written);
        for i in 0..n {
            let id = written + i;
            let ns = format!("team-{:03}", id % 300);
            if i > 0 {
                out.write_all(b",")?;
            }
            write!(
                out,
                r#"{{"metadata":{{"name":"ws-{id:06}","namespace":"{ns}","uid":"00000000-0000-0000-0000-{id:012}","resourceVersion":"{id}","creationTimestamp":"2025-01-01T00:00:00Z","labels":{{"app.kubernetes.io/name":"coder-workspace","com.coder.user.username":"user-{u}","com.coder.workspace.name":"ws-{id}"}}}},"spec":{{"serviceAccountName":"default","nodeName":"node-{node}","containers":[{{"name":"dev","image":"codercom/enterprise-base:ubuntu","resources":{{"requests":{{"cpu":"500m","memory":"1Gi"}}}},"volumeMounts":[{{"name":"home","mountPath":"/home/coder"}}]}}],"volumes":[{{"name":"home","persistentVolumeClaim":{{"claimName":"ws-{id:06}-home"}}}}]}},"status":{{"phase":"Running","podIP":"10.{a}.{b}.{c}","containerStatuses":[{{"name":"dev","ready":true,"restartCount":0}}]}}}}"#,
                u = id % 5000,
                node = id % 500,
                a = (id >> 16) & 255,
                b = (id >> 8) & 255,
                c = id & 255,
            )?;
        }
        write!(out, "]}}")?;
        out.flush()?;
        written += n;
        file_index += 1;
    }
    Ok(())
}

async fn fetch(
    state: &Arc<ServerState>,
    uri: &str,
    metadata_only: bool,
) -> (usize, Option<String>) {
    let mut request = http::Request::get(uri).header("authorization", "Bearer admin-token");
    if metadata_only {
        request = request.header(
            "accept",
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        );
    }
    let response = router(state.clone())
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{uri}: {}",
        response.status()
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    // The list metadata comes first: read the continue token without parsing the page (that would time
    // the client, not the server).
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).into_owned();
    let token = head
        .split_once("\"continue\":\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(t, _)| t.to_string());
    (bytes.len(), token)
}

/// `VmRSS` of this process (Linux), for a rough memory figure.
fn resident() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l[6..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn main() -> anyhow::Result<()> {
    let pods: usize = std::env::var("SCALE_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150_000);
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    write_scenario(dir.path(), pods)?;
    eprintln!("generated {pods} pods in {:.2?}", started.elapsed());

    let started = Instant::now();
    let mut files = Vec::new();
    coder_sec_model::manifests::collect_files(dir.path(), &mut files)?;
    for file in &files {
        drop(coder_sec_model::manifests::load_file(file)?);
    }
    eprintln!(
        "parsing alone (the model's manifest reader): {:.2?}",
        started.elapsed()
    );

    let started = Instant::now();
    let state = Arc::new(ServerState::new(&ServerOptions {
        scenarios: vec![dir.path().to_path_buf()],
        ..ServerOptions::default()
    })?);
    eprintln!(
        "loaded and indexed in {:.2?}; resident after load: {}",
        started.elapsed(),
        resident()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        for (label, metadata_only) in [("full objects", false), ("metadata only", true)] {
            let started = Instant::now();
            let (mut pages, mut bytes, mut token) = (0usize, 0usize, None::<String>);
            loop {
                let uri = match &token {
                    None => "/api/v1/pods?&limit=500".to_string(),
                    Some(t) => format!("/api/v1/pods?&limit=500&continue={t}"),
                };
                let (len, next) = fetch(&state, &uri, metadata_only).await;
                pages += 1;
                bytes += len;
                match next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
            let elapsed = started.elapsed();
            eprintln!(
                "paged ({label}): {pages} pages, {:.1} MiB in {elapsed:.2?} ({:.0} pages/s)",
                bytes as f64 / (1 << 20) as f64,
                pages as f64 / elapsed.as_secs_f64()
            );
        }
        let started = Instant::now();
        let (len, _) = fetch(&state, "/api/v1/pods", false).await;
        eprintln!(
            "one unpaged list: {:.1} MiB in {:.2?}",
            len as f64 / (1 << 20) as f64,
            started.elapsed()
        );
    });
    Ok(())
}
