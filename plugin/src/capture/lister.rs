//! Lists one kind, page by page, into its spool: each page's objects are trimmed and redacted the
//! moment the page arrives, then written; a 410 (expired continue token) throws the spool away and
//! starts the kind again; 403 and 404 are answers, not failures.

use std::ops::Range;
use std::sync::Arc;

use coder_sec_model::archive::{Spool, Spooled};
use coder_sec_model::{KindSpec, KindStatus, Redactor, SnapshotWriter};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::observe::Observer;
use super::request::{RequestError, Requester};

/// How many times a kind is restarted after its continue token expired.
pub const MAX_RESTARTS: u32 = 5;

/// Paging settings.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    /// `limit` per page.
    pub chunk_size: u32,
    /// Restarts allowed after a 410.
    pub max_restarts: u32,
}

/// What listing one kind gave.
#[derive(Debug)]
pub enum KindOutcome {
    /// Read in every namespace asked for.
    Complete {
        /// The spooled objects.
        spooled: Spooled,
        /// Namespaces where listing was forbidden (namespaced capture only), with the message.
        forbidden_namespaces: Vec<(String, String)>,
        /// How many restarts a 410 caused.
        restarts: u32,
    },
    /// Not read at all.
    Unread {
        /// Forbidden, not found or error.
        status: KindStatus,
        /// The server's message or what failed.
        message: String,
    },
}

/// A failure that stops the whole capture (the snapshot file cannot be written).
#[derive(Debug, thiserror::Error)]
#[error("cannot spool `{kind}`")]
pub struct SpoolError {
    /// The kind.
    pub kind: String,
    /// The cause.
    #[source]
    pub source: coder_sec_model::archive::ArchiveError,
}

/// One page of a list, checked to be JSON, its items not yet parsed: only one item at a time is ever
/// a [`Value`], so a page of 500 pods costs its body, not the body and a tree several times larger.
struct Page {
    body: bytes::Bytes,
    /// Where each item lies in `body`.
    items: Vec<Range<usize>>,
    continue_token: Option<String>,
}

#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default, borrow)]
    items: Option<Vec<&'a RawValue>>,
}

#[derive(Default, Deserialize)]
struct PageMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

impl Page {
    /// Checks the whole body (a cut-short page fails here, before any item is used) and notes where
    /// the items are.
    fn parse(body: bytes::Bytes) -> Result<Page, serde_json::Error> {
        let raw: RawPage<'_> = serde_json::from_slice(&body)?;
        let base = body.as_ptr() as usize;
        let items = raw
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                // A borrowed `RawValue` is a slice of `body`.
                let start = item.get().as_ptr() as usize - base;
                start..start + item.get().len()
            })
            .collect();
        Ok(Page {
            continue_token: raw.metadata.continue_token,
            items,
            body,
        })
    }

    /// The items, each parsed when reached.
    fn items(&self) -> impl Iterator<Item = Result<Value, serde_json::Error>> + '_ {
        self.items
            .iter()
            .map(|range| serde_json::from_slice(&self.body[range.clone()]))
    }
}

/// Everything a listing task shares with the others.
pub struct ListContext {
    /// The API.
    pub api: Requester,
    /// The snapshot being written (spools only; kinds are added once listing ends).
    pub writer: Arc<SnapshotWriter>,
    /// The redactor.
    pub redactor: Arc<Redactor>,
    /// Facts kept for later.
    pub observer: Arc<Observer>,
    /// Paging.
    pub paging: Paging,
}

/// Lists `spec` cluster-wide (empty `namespaces`) or in each of `namespaces`, calling `progress`
/// with the running object count.
pub async fn list_kind(
    ctx: &ListContext,
    spec: &'static KindSpec,
    namespaces: &[String],
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<KindOutcome, SpoolError> {
    let spool_error = |source| SpoolError {
        kind: spec.label(),
        source,
    };
    let scopes: Vec<Option<&str>> = if spec.namespaced && !namespaces.is_empty() {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    } else {
        vec![None]
    };
    let mut restarts = 0;
    let mut chunk_size = ctx.paging.chunk_size;
    'restart: loop {
        let mut spool = ctx.writer.spool_kind(spec).map_err(spool_error)?;
        // Counted apart until the kind is kept: a restart throws its counts away with its spool.
        let redactor = ctx.redactor.fork();
        progress(0);
        let mut forbidden_namespaces = Vec::new();
        for scope in &scopes {
            let path = spec.list_path(*scope);
            let mut sink = Sink {
                spool: &mut spool,
                redactor: &redactor,
            };
            match list_scope(ctx, spec, &path, chunk_size, &mut sink, progress).await {
                Ok(Ok(())) => {}
                Ok(Err(RequestError::Expired { message })) => {
                    if restarts >= ctx.paging.max_restarts {
                        return Ok(KindOutcome::Unread {
                            status: KindStatus::Error,
                            message: format!(
                                "continue token expired {} times; last: {message}",
                                restarts + 1
                            ),
                        });
                    }
                    restarts += 1;
                    // Fewer, larger pages finish sooner, before tokens expire again.
                    chunk_size = chunk_size.saturating_mul(2).min(10_000);
                    drop(spool);
                    continue 'restart;
                }
                Ok(Err(RequestError::Forbidden { message })) => match scope {
                    Some(ns) if scopes.len() > 1 || spool.count() > 0 => {
                        forbidden_namespaces.push((ns.to_string(), message));
                    }
                    _ => {
                        return Ok(KindOutcome::Unread {
                            status: KindStatus::Forbidden,
                            message,
                        });
                    }
                },
                Ok(Err(RequestError::NotFound { message })) if scope.is_none() => {
                    return Ok(KindOutcome::Unread {
                        status: KindStatus::NotFound,
                        message,
                    });
                }
                // A namespace that does not exist lists as empty on real servers; a 404 there
                // means the same.
                Ok(Err(RequestError::NotFound { .. })) => {}
                Ok(Err(other)) => {
                    return Ok(KindOutcome::Unread {
                        status: KindStatus::Error,
                        message: other.to_string(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        if !forbidden_namespaces.is_empty() && forbidden_namespaces.len() == scopes.len() {
            let message = forbidden_namespaces
                .first()
                .map(|(_, m)| m.clone())
                .unwrap_or_default();
            return Ok(KindOutcome::Unread {
                status: KindStatus::Forbidden,
                message,
            });
        }
        let spooled = spool.finish().map_err(spool_error)?;
        ctx.redactor.merge(&redactor);
        return Ok(KindOutcome::Complete {
            spooled,
            forbidden_namespaces,
            restarts,
        });
    }
}

/// Where one attempt at a kind's list goes: its spool, and the redactor counting for it.
struct Sink<'a> {
    spool: &'a mut Spool,
    redactor: &'a Redactor,
}

/// Pages through one list path into the sink. The outer `Result` is fatal, the inner one the API's
/// answer.
async fn list_scope(
    ctx: &ListContext,
    spec: &'static KindSpec,
    path: &str,
    chunk_size: u32,
    sink: &mut Sink<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<Result<(), RequestError>, SpoolError> {
    let mut continue_token: Option<String> = None;
    let api_version = spec.api_version();
    loop {
        let mut url = format!("{path}?limit={chunk_size}");
        if let Some(token) = &continue_token {
            url.push_str("&continue=");
            url.push_str(&percent_encode(token));
        }
        let page = match ctx.api.get_with(&url, Page::parse).await {
            Ok(page) => page,
            Err(e) => return Ok(Err(e)),
        };
        for item in page.items() {
            let mut object = match item {
                Ok(object) => object,
                Err(e) => {
                    return Ok(Err(RequestError::Unreadable {
                        message: format!("a list item of {path}: {e}"),
                    }));
                }
            };
            // List items carry no `kind`/`apiVersion`; the redaction rules key on them.
            if let Some(map) = object.as_object_mut() {
                map.insert("apiVersion".into(), Value::String(api_version.clone()));
                map.insert("kind".into(), Value::String(spec.kind.to_string()));
            }
            coder_sec_model::prepare_object(&mut object, sink.redactor);
            ctx.observer.observe(spec, &object);
            sink.spool.push(&object).map_err(|source| SpoolError {
                kind: spec.label(),
                source,
            })?;
        }
        progress(sink.spool.count());
        match page.continue_token.filter(|t| !t.is_empty()) {
            Some(token) => continue_token = Some(token),
            None => return Ok(Ok(())),
        }
    }
}

/// Percent-encodes a query value (continue tokens are base64 and may hold `+`, `/`, `=`).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::retry::RetryPolicy;
    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A pod list of `total` pods that answers 429 to the first request, 500 to the second, and
    /// 410 the first time a continue token is used.
    #[derive(Default)]
    struct Script {
        total: usize,
        requests: Mutex<Vec<String>>,
        expired_once: Mutex<bool>,
    }

    async fn pods(
        State(script): State<Arc<Script>>,
        Query(q): Query<HashMap<String, String>>,
    ) -> axum::response::Response {
        let n = {
            let mut log = script.requests.lock().unwrap();
            log.push(format!("{q:?}"));
            log.len()
        };
        if n == 1 {
            return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "{}").into_response();
        }
        if n == 2 {
            return (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response();
        }
        let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(500);
        let start: usize = q.get("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
        if start > 0 {
            let mut expired = script.expired_once.lock().unwrap();
            if !*expired {
                *expired = true;
                let status = serde_json::json!({"kind": "Status", "code": 410, "reason": "Expired",
                    "message": "The provided continue parameter is too old"});
                return (StatusCode::GONE, status.to_string()).into_response();
            }
        }
        let end = (start + limit).min(script.total);
        let items: Vec<Value> = (start..end)
            .map(|i| serde_json::json!({"metadata": {"namespace": "ns", "name": format!("pod-{i:03}")},
                "spec": {"containers": [{"name": "c", "env": [{"name": "TOKEN", "value": "CANARY-unit-env"}]}]}}))
            .collect();
        let cont = if end < script.total {
            end.to_string()
        } else {
            String::new()
        };
        let body = serde_json::json!({"kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "1", "continue": cont}, "items": items});
        body.to_string().into_response()
    }

    #[tokio::test]
    async fn pages_retry_and_restart_after_410() {
        let script = Arc::new(Script {
            total: 7,
            ..Script::default()
        });
        let router = axum::Router::new()
            .route("/api/v1/pods", axum::routing::get(pods))
            .with_state(script.clone());
        let client = kube::Client::new(router, "default");
        let policy = RetryPolicy {
            base: Duration::from_millis(1),
            ..RetryPolicy::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let writer = Arc::new(SnapshotWriter::create(&dir.path().join("s.tar.zst")).unwrap());
        let ctx = ListContext {
            api: Requester::new(client, policy),
            writer: writer.clone(),
            redactor: Arc::new(Redactor::new()),
            observer: Arc::new(Observer::new(None)),
            paging: Paging {
                chunk_size: 2,
                max_restarts: 3,
            },
        };
        let spec = coder_sec_model::kinds::lookup("v1", "Pod").unwrap();
        let seen = Mutex::new(Vec::new());
        let outcome = list_kind(&ctx, spec, &[], &|n| seen.lock().unwrap().push(n))
            .await
            .unwrap();
        let KindOutcome::Complete {
            spooled, restarts, ..
        } = outcome
        else {
            panic!("{outcome:?}");
        };
        assert_eq!(spooled.count(), 7);
        assert_eq!(restarts, 1);
        assert_eq!(
            ctx.api
                .stats()
                .retries
                .load(std::sync::atomic::Ordering::Relaxed),
            2
        );
        let requests = script.requests.lock().unwrap().clone();
        assert!(
            requests.iter().any(|r| r.contains("\"limit\": \"4\"")),
            "{requests:?}"
        );
        // The counter restarted from zero with the new spool.
        assert!(seen.lock().unwrap().windows(2).any(|w| w[1] < w[0]));
        // The redaction counts are those of the seven pods kept, not of the pages thrown away.
        let once = Redactor::new();
        for i in 0..7 {
            let mut pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"namespace": "ns", "name": format!("pod-{i:03}")},
                "spec": {"containers": [{"name": "c", "env": [{"name": "TOKEN", "value": "CANARY-unit-env"}]}]}});
            coder_sec_model::prepare_object(&mut pod, &once);
        }
        assert!(!once.summary().rules.is_empty());
        assert_eq!(ctx.redactor.summary().rules, once.summary().rules);
    }

    #[tokio::test]
    async fn forbidden_and_missing_are_answers() {
        let router = axum::Router::new().route(
            "/api/v1/secrets",
            axum::routing::get(|| async {
                (
                    StatusCode::FORBIDDEN,
                    r#"{"kind":"Status","message":"secrets is forbidden: User \"x\" cannot list"}"#,
                )
            }),
        );
        let client = kube::Client::new(router, "default");
        let dir = tempfile::tempdir().unwrap();
        let ctx = ListContext {
            api: Requester::new(client, RetryPolicy::default()),
            writer: Arc::new(SnapshotWriter::create(&dir.path().join("s.tar.zst")).unwrap()),
            redactor: Arc::new(Redactor::new()),
            observer: Arc::new(Observer::new(None)),
            paging: Paging {
                chunk_size: 500,
                max_restarts: 1,
            },
        };
        let secrets = coder_sec_model::kinds::lookup("v1", "Secret").unwrap();
        match list_kind(&ctx, secrets, &[], &|_| {}).await.unwrap() {
            KindOutcome::Unread { status, message } => {
                assert_eq!(status, KindStatus::Forbidden);
                assert!(message.contains("cannot list"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let nodes = coder_sec_model::kinds::lookup("v1", "Node").unwrap();
        match list_kind(&ctx, nodes, &[], &|_| {}).await.unwrap() {
            KindOutcome::Unread { status, .. } => assert_eq!(status, KindStatus::NotFound),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn encodes_tokens() {
        assert_eq!(percent_encode("eyJ2Ijo+/x=="), "eyJ2Ijo%2B%2Fx%3D%3D");
        assert_eq!(percent_encode("a-b_c.d~"), "a-b_c.d~");
    }
}
