//! One API request with retries: 429 (honouring `Retry-After`), 5xx, dropped connections and cut
//! bodies are tried again with backoff; every other answer is returned as what it means.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Method, Request, StatusCode};
use serde::de::DeserializeOwned;

use super::retry::{RetryPolicy, Transient, jitter, parse_retry_after};

/// A request's final answer, when it was not a success.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// 403: the identity may not do this.
    #[error("forbidden: {message}")]
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// 404: the server does not serve this path.
    #[error("not found: {message}")]
    NotFound {
        /// The server's message.
        message: String,
    },
    /// 410: the continue token expired.
    #[error("expired: {message}")]
    Expired {
        /// The server's message.
        message: String,
    },
    /// 401: the credentials were refused.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// The server's message.
        message: String,
    },
    /// Another non-success status that is not worth retrying.
    #[error("HTTP {code}: {message}")]
    Status {
        /// The status code.
        code: u16,
        /// The server's message.
        message: String,
    },
    /// The TLS handshake failed (an untrusted or invalid certificate): retrying cannot help.
    #[error("TLS handshake failed: {message}")]
    Tls {
        /// The transport's error chain.
        message: String,
    },
    /// The answer was JSON but not what was asked for (a list item that is not an object a
    /// `Value` can hold, say).
    #[error("unreadable answer: {message}")]
    Unreadable {
        /// What could not be read.
        message: String,
    },
    /// The server stopped answering: this many requests in a row got no answer at all (no
    /// connection, no TLS handshake, or nothing within the request timeout). Every request after
    /// that fails at once with this error, so the whole capture gives up.
    #[error("no answer from the API server: {failures} requests in a row got none (last: {last})")]
    Unreachable {
        /// Unanswered requests in a row.
        failures: u32,
        /// What the last one saw.
        last: String,
    },
    /// Every attempt failed with a transient error.
    #[error("gave up after {attempts} attempts (last: {last})")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// What the last attempt saw.
        last: String,
    },
    /// The request could not be built.
    #[error("cannot build a request for `{path}`")]
    Build {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: http::Error,
    },
}

/// Counters shared by every request of a capture, for the summary.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests sent, retries included.
    pub requests: AtomicU64,
    /// Retries after a transient failure.
    pub retries: AtomicU64,
}

/// Unanswered attempts in a row, across every request of a capture, after which the server counts
/// as gone and the capture gives up.
pub const UNANSWERED_LIMIT: u32 = 3;

/// Whether the server answers at all, shared by every request of a capture.
#[derive(Debug, Default)]
struct Health {
    unanswered: AtomicU32,
    gone: AtomicBool,
    last: Mutex<String>,
}

impl Health {
    fn answered(&self) {
        self.unanswered.store(0, Ordering::Relaxed);
    }

    /// Counts an unanswered attempt; `true` when that makes the server count as gone.
    fn unanswered(&self, message: &str) -> bool {
        if let Ok(mut last) = self.last.lock() {
            *last = message.to_string();
        }
        let n = self.unanswered.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= UNANSWERED_LIMIT {
            self.gone.store(true, Ordering::Relaxed);
        }
        self.gone.load(Ordering::Relaxed)
    }

    fn gone(&self) -> Option<RequestError> {
        self.gone
            .load(Ordering::Relaxed)
            .then(|| RequestError::Unreachable {
                failures: self
                    .unanswered
                    .load(Ordering::Relaxed)
                    .max(UNANSWERED_LIMIT),
                last: self.last.lock().map(|l| l.clone()).unwrap_or_default(),
            })
    }
}

/// Sends requests through a kube client with a retry policy and a per-attempt timeout.
#[derive(Clone)]
pub struct Requester {
    client: kube::Client,
    policy: RetryPolicy,
    timeout: Option<Duration>,
    stats: Arc<Stats>,
    health: Arc<Health>,
}

impl Requester {
    /// A requester over `client`, with no timeout of its own (the client's connect timeout still
    /// applies).
    pub fn new(client: kube::Client, policy: RetryPolicy) -> Self {
        Requester {
            client,
            policy,
            timeout: None,
            stats: Arc::new(Stats::default()),
            health: Arc::new(Health::default()),
        }
    }

    /// The same requester (same counters, same view of the server's health) with each attempt,
    /// connecting and reading the whole answer included, bounded by `timeout`.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Self {
        Requester {
            timeout,
            ..self.clone()
        }
    }

    /// The error every request now fails with, when the server stopped answering.
    pub fn gone(&self) -> Option<RequestError> {
        self.health.gone()
    }

    /// The shared counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// `GET path` and parse the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, RequestError> {
        self.send_json(Method::GET, path, None).await
    }

    /// Sends one request (retrying transient failures) and parses the JSON answer. A body that does
    /// not parse counts as a transient failure: a dropped connection can cut a body short.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, RequestError> {
        self.send_with(method, path, body, |bytes| serde_json::from_slice(&bytes))
            .await
    }

    /// `GET path`, with the answer turned into a `T` by `parse` (which may keep the body itself); a
    /// body `parse` refuses counts as cut short, and is asked for again.
    pub async fn get_with<T>(
        &self,
        path: &str,
        parse: impl Fn(bytes::Bytes) -> Result<T, serde_json::Error>,
    ) -> Result<T, RequestError> {
        self.send_with(Method::GET, path, None, parse).await
    }

    async fn send_with<T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        parse: impl Fn(bytes::Bytes) -> Result<T, serde_json::Error>,
    ) -> Result<T, RequestError> {
        let body = body.map(|b| b.to_string().into_bytes());
        let mut attempt = 0;
        loop {
            if let Some(gone) = self.health.gone() {
                return Err(gone);
            }
            attempt += 1;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = match self.timeout {
                Some(limit) => {
                    match tokio::time::timeout(limit, self.attempt(&method, path, body.as_deref()))
                        .await
                    {
                        Ok(outcome) => outcome,
                        Err(_) => Ok(Err((
                            Transient::Unanswered,
                            format!("no answer within the request timeout ({limit:?})"),
                        ))),
                    }
                }
                None => self.attempt(&method, path, body.as_deref()).await,
            };
            match &outcome {
                Ok(Err((Transient::Unanswered, message))) => {
                    if self.health.unanswered(message) {
                        return Err(self.health.gone().unwrap_or(RequestError::Unreachable {
                            failures: UNANSWERED_LIMIT,
                            last: message.clone(),
                        }));
                    }
                }
                Err(RequestError::Tls { .. }) => {}
                _ => self.health.answered(),
            }
            let failure = match outcome? {
                Ok(bytes) => match parse(bytes) {
                    Ok(value) => return Ok(value),
                    Err(e) => (Transient::Connection, format!("unreadable answer: {e}")),
                },
                Err(failure) => failure,
            };
            let Some(delay) = self.policy.delay(attempt, failure.0, jitter()) else {
                return Err(RequestError::GaveUp {
                    attempts: attempt,
                    last: failure.1,
                });
            };
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: `Ok(Ok(body))` on success, `Ok(Err(transient))` when worth retrying, `Err` for a
    /// final answer.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Result<bytes::Bytes, (Transient, String)>, RequestError> {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(http::header::ACCEPT, "application/json");
        if body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = builder
            .body(kube::client::Body::from(
                body.map(<[u8]>::to_vec).unwrap_or_default(),
            ))
            .map_err(|source| RequestError::Build {
                path: path.to_string(),
                source,
            })?;
        let response = match self.client.send(request).await {
            Ok(r) => r,
            Err(e) => {
                let message = error_chain(&e);
                if is_certificate_error(&message) {
                    return Err(RequestError::Tls { message });
                }
                let what = if is_unanswered(&message) {
                    Transient::Unanswered
                } else {
                    Transient::Connection
                };
                return Ok(Err((what, message)));
            }
        };
        let status = response.status();
        let retry_after = parse_retry_after(response.headers().get(http::header::RETRY_AFTER));
        let bytes = match response.into_body().collect_bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(Err((Transient::Connection, format!("body cut short: {e}")))),
        };
        if status.is_success() {
            return Ok(Ok(bytes));
        }
        let message = status_message(status, &bytes);
        match status {
            StatusCode::TOO_MANY_REQUESTS => Ok(Err((
                Transient::TooManyRequests(retry_after),
                format!("429: {message}"),
            ))),
            s if s.is_server_error() => Ok(Err((
                Transient::ServerError,
                format!("{}: {message}", s.as_u16()),
            ))),
            StatusCode::FORBIDDEN => Err(RequestError::Forbidden { message }),
            StatusCode::NOT_FOUND => Err(RequestError::NotFound { message }),
            StatusCode::GONE => Err(RequestError::Expired { message }),
            StatusCode::UNAUTHORIZED => Err(RequestError::Unauthorized { message }),
            s => Err(RequestError::Status {
                code: s.as_u16(),
                message,
            }),
        }
    }
}

/// An error and its causes, joined with `: ` (transport errors hide the useful part deep down).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Whether a transport error is a certificate problem (rustls' `invalid peer certificate`, an
/// unknown issuer, a name mismatch).
fn is_certificate_error(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("invalid peer certificate") || lower.contains("certificate verify failed")
}

/// Whether a transport error means the server never answered: the connection (or its TLS
/// handshake) failed or timed out, as opposed to an answer cut short.
fn is_unanswered(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("client error (connect)")
        || lower.contains("tcp connect error")
        || lower.contains("timed out")
        || lower.contains("deadline has elapsed")
}

/// The message of a `Status` body, or the start of the text, or the status' reason phrase.
pub fn status_message(status: StatusCode, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct StatusBody {
        message: Option<String>,
    }
    if let Ok(StatusBody { message: Some(m) }) = serde_json::from_slice(body)
        && !m.is_empty()
    {
        return m;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    } else {
        text.chars().take(200).collect()
    }
}
