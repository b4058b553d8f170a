//! The HTTP surface: one handler that authenticates, injects faults and routes `/version`, discovery,
//! list/get of every served resource, and the access reviews.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::auth::{self, AuthError, Principal};
use crate::discovery::{all_groups, group_json, resource_list, version};
use crate::faults::{Fault, FaultInjector};
use crate::options::{IdentitySpec, ServerOptions};
use crate::reviews;
use crate::select::{FieldSelector, LabelSelector};
use crate::status;
use crate::store::{LoadError, Resource, Store, StoredObject};
use crate::table;

/// How many requests [`ServerState::request_log`] keeps (the oldest are forgotten).
pub const REQUEST_LOG_CAPACITY: usize = 100_000;

/// One answered request, for tests that check what a client asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
    /// Status code answered (`0` for a dropped connection).
    pub status: u16,
    /// The (impersonated) user, if authenticated.
    pub user: Option<String>,
}

/// Everything the handlers share: the loaded objects, identities, faults and the request log.
#[derive(Debug)]
pub struct ServerState {
    pub(crate) store: Store,
    identities: Vec<IdentitySpec>,
    faults: FaultInjector,
    pub(crate) server_version: String,
    resource_version: String,
    log_requests: bool,
    log: Mutex<VecDeque<RequestRecord>>,
}

impl ServerState {
    /// Loads the scenario files and prepares the state.
    pub fn new(options: &ServerOptions) -> Result<ServerState, LoadError> {
        let store = Store::load(&options.scenarios)?;
        let total: usize = store.resources.iter().map(Resource::len).sum();
        Ok(ServerState {
            store,
            identities: options.effective_identities(),
            faults: FaultInjector::new(options.faults.clone()),
            server_version: options.server_version.clone(),
            resource_version: (1000 + total).to_string(),
            log_requests: options.log_requests,
            log: Mutex::new(VecDeque::new()),
        })
    }

    /// Objects served per resource (`plural` for core, `plural.group` otherwise), including empty ones.
    pub fn object_counts(&self) -> BTreeMap<String, usize> {
        self.store.counts()
    }

    /// The identities in force.
    pub fn identities(&self) -> &[IdentitySpec] {
        &self.identities
    }

    /// The last [`REQUEST_LOG_CAPACITY`] requests, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The `resourceVersion` every list reports (the data never changes).
    pub fn resource_version(&self) -> &str {
        &self.resource_version
    }

    fn record(&self, record: RequestRecord) {
        if self.log_requests {
            eprintln!(
                "{} {} -> {} ({})",
                record.method,
                record.uri,
                record.status,
                record.user.as_deref().unwrap_or("anonymous")
            );
        }
        if let Ok(mut log) = self.log.lock() {
            if log.len() == REQUEST_LOG_CAPACITY {
                log.pop_front();
            }
            log.push_back(record);
        }
    }
}

/// Marks a response whose connection should be closed without answering (fault injection).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// What one router serves and how it treats callers without a token.
#[derive(Debug, Clone)]
struct Ctx {
    state: Arc<ServerState>,
    /// In process, a request without `Authorization` comes from the first identity; over HTTPS it is
    /// anonymous (401 except `/version` and health checks).
    in_process: bool,
}

/// The API as an axum router (no TLS, no socket): `kube::Client::new(router(state), "default")` works.
/// A request without a token acts as the first identity (a bad token is still 401); use
/// `Impersonate-User` or a token to act as another. A dropped-connection fault is answered 503
/// `ServiceUnavailable` here; see [`service`].
pub fn router(state: Arc<ServerState>) -> Router {
    build_router(state, true)
}

fn build_router(state: Arc<ServerState>, in_process: bool) -> Router {
    Router::new()
        .fallback(handle)
        .with_state(Ctx { state, in_process })
}

/// The error of [`ApiService`] when a dropped-connection fault hits a request.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub struct ConnectionDropped;

/// [`router`] as a service whose dropped-connection faults are errors rather than responses: over
/// HTTPS the connection is closed without an answer; in process a client sees a transport error.
#[derive(Debug, Clone)]
pub struct ApiService {
    router: Router,
}

/// The API as an [`ApiService`], in process (callers without a token act as the first identity).
pub fn service(state: Arc<ServerState>) -> ApiService {
    ApiService {
        router: router(state),
    }
}

/// The API as served over HTTPS: callers without a token are anonymous.
pub(crate) fn network_service(state: Arc<ServerState>) -> ApiService {
    ApiService {
        router: build_router(state, false),
    }
}

impl<B> tower::Service<http::Request<B>> for ApiService
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = ConnectionDropped;
    type Future = Pin<Box<dyn Future<Output = Result<Response, ConnectionDropped>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let router = self.router.clone();
        Box::pin(async move {
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                Err(ConnectionDropped)
            } else {
                Ok(response)
            }
        })
    }
}

async fn handle(State(ctx): State<Ctx>, request: Request) -> Response {
    let state = &ctx.state;
    let method = request.method().to_string();
    let uri = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_string(), |p| p.to_string());
    let (response, user) = respond(state, ctx.in_process, request).await;
    let dropped = response.extensions().get::<DropConnection>().is_some();
    state.record(RequestRecord {
        method,
        uri,
        status: if dropped {
            0
        } else {
            response.status().as_u16()
        },
        user,
    });
    response
}

/// Paths anyone may read without a token.
fn is_public(path: &str) -> bool {
    matches!(path, "/version" | "/healthz" | "/livez" | "/readyz")
}

/// Parsed query parameters (tolerates `?&limit=2`).
#[derive(Debug, Default)]
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (percent_decode(k), percent_decode(v)),
                    None => (percent_decode(p), String::new()),
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What representation the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Table(&'static str),
    Metadata(&'static str),
}

/// Picks the first acceptable media type of the `Accept` header; `None` when none is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Some(Format::Json);
    };
    if accept.trim().is_empty() {
        return Some(Format::Json);
    }
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                params.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if !matches!(mime.as_str(), "application/json" | "application/*" | "*/*") {
            continue;
        }
        let version = match params.get("v").map(String::as_str) {
            Some("v1") | None => "meta.k8s.io/v1",
            Some("v1beta1") => "meta.k8s.io/v1beta1",
            Some(_) => continue,
        };
        match params.get("as").map(String::as_str) {
            None => return Some(Format::Json),
            Some("Table") => return Some(Format::Table(version)),
            Some("PartialObjectMetadataList" | "PartialObjectMetadata") => {
                return Some(Format::Metadata(version));
            }
            Some(_) => continue,
        }
    }
    None
}

async fn respond(
    state: &ServerState,
    in_process: bool,
    request: Request,
) -> (Response, Option<String>) {
    let path = request.uri().path().to_string();
    let default = in_process.then(|| state.identities.first()).flatten();
    let principal = match auth::authenticate(request.headers(), &state.identities, default) {
        Ok(Some(p)) => Some(p),
        Ok(None) if is_public(&path) => None,
        Ok(None) | Err(AuthError::Unauthorized) => return (status::unauthorized(), None),
        Err(AuthError::CannotImpersonate {
            caller,
            target,
            resource,
        }) => {
            let message = format!(
                "{target} is forbidden: User \"{caller}\" cannot impersonate resource \"{resource}\" in API group \"\" at the cluster scope"
            );
            let response = status::failure(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &message,
                status::details("", resource, None),
            );
            return (response, Some(caller));
        }
    };
    let user = principal.as_ref().map(|p| p.user.clone());
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();

    let faultable =
        state.faults.faults().include_discovery || is_resource_read(request.method(), &segments);
    if faultable {
        let latency = state.faults.faults().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(fault) = state.faults.next() {
            return (fault_response(fault), user);
        }
    }

    let Some(principal) = principal else {
        // Anonymous callers only reach the public paths.
        let response = match segments.as_slice() {
            ["version"] => version(state),
            _ => healthy(),
        };
        return (response, user);
    };
    let response = route(state, &principal, request, &segments).await;
    (response, user)
}

/// Whether a request reads resources (not `/version`, discovery or an access review).
fn is_resource_read(method: &Method, segments: &[&str]) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && matches!(segments, ["api", _, _, ..] | ["apis", _, _, _, ..])
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::TooManyRequests => {
            let mut r = status::failure(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests, please try again later.",
                json!({"retryAfterSeconds": 1}),
            );
            r.headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::InternalError => status::failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "Internal error occurred: injected fault",
            json!({"causes": [{"message": "injected fault"}]}),
        ),
        Fault::Drop => {
            let mut r = status::failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "connection dropped by fault injection",
                json!({}),
            );
            r.extensions_mut().insert(DropConnection);
            r
        }
    }
}

/// `/healthz`, `/livez`, `/readyz`: plain `ok`.
fn healthy() -> Response {
    let mut response = Response::new(Body::from("ok"));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

pub(crate) fn json_value(code: StatusCode, value: &Value) -> Response {
    status::json_response(code, value.to_string().into_bytes())
}

async fn route(
    state: &ServerState,
    principal: &Principal,
    request: Request,
    segments: &[&str],
) -> Response {
    let method = request.method().clone();
    let is_get = method == Method::GET || method == Method::HEAD;
    let (group, version, rest): (&str, &str, &[&str]) = match segments {
        ["version"] if is_get => return version(state),
        ["healthz" | "livez" | "readyz"] if is_get => {
            return healthy();
        }
        ["api"] if is_get => {
            let host = request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            return json_value(
                StatusCode::OK,
                &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs":
                        [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}),
            );
        }
        ["apis"] if is_get => {
            let groups: Vec<Value> = all_groups(&state.store)
                .iter()
                .map(|(g, vs)| group_json(g, vs))
                .collect();
            return json_value(
                StatusCode::OK,
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            );
        }
        ["apis", group] if is_get => {
            return match all_groups(&state.store).iter().find(|(g, _)| g == group) {
                Some((g, vs)) => {
                    let mut v = group_json(g, vs);
                    v["kind"] = json!("APIGroup");
                    v["apiVersion"] = json!("v1");
                    json_value(StatusCode::OK, &v)
                }
                None => status::unknown_path(),
            };
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return status::unknown_path(),
    };

    if method == Method::POST {
        return match (group, version, rest) {
            (
                "authorization.k8s.io",
                "v1",
                [kind @ ("selfsubjectaccessreviews" | "selfsubjectrulesreviews")],
            )
            | ("authentication.k8s.io", "v1" | "v1beta1", [kind @ "selfsubjectreviews"]) => {
                reviews::handle(&state.store, principal, group, version, kind, request).await
            }
            _ if resource_list(state, group, version).is_some() => {
                status::method_not_allowed("the coder-sec test API server serves only get and list")
            }
            _ => status::unknown_path(),
        };
    }
    if !is_get {
        return status::method_not_allowed(
            "the coder-sec test API server serves only get and list",
        );
    }
    let query = Query::parse(request.uri().query());
    if matches!(query.get("watch"), Some("true" | "1")) {
        return status::method_not_allowed("the coder-sec test API server does not serve watch");
    }
    let Some(format) = negotiate(request.headers()) else {
        return status::failure(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/json;as=Table;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
            json!({}),
        );
    };
    let find = |plural: &str| state.store.resource(group, version, plural);
    match rest {
        [] => resource_list(state, group, version).unwrap_or_else(status::unknown_path),
        ["namespaces", ns, plural] => match find(plural) {
            Some(r) if r.namespaced => list(state, principal, r, Some(ns), &query, format),
            _ => status::unknown_path(),
        },
        ["namespaces", ns, plural, name] => match find(plural) {
            Some(r) if r.namespaced => get(state, principal, r, Some(ns), name, format),
            _ => status::unknown_path(),
        },
        [plural] => match find(plural) {
            Some(r) => list(state, principal, r, None, &query, format),
            None => status::unknown_path(),
        },
        [plural, name] => match find(plural) {
            Some(r) if !r.namespaced => get(state, principal, r, None, name, format),
            _ => status::unknown_path(),
        },
        _ => status::unknown_path(),
    }
}

/// The opaque continue token: where the next page starts and which page it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ContinueToken {
    resource: String,
    namespace: String,
    start: usize,
    page: u32,
    inconsistent: bool,
}

impl ContinueToken {
    fn encode(&self, resource_version: &str) -> String {
        let rv: i64 = if self.inconsistent {
            -1
        } else {
            resource_version.parse().unwrap_or(0)
        };
        let body = json!({"v": "meta.k8s.io/v1", "rv": rv, "r": self.resource,
            "ns": self.namespace, "start": self.start, "page": self.page});
        URL_SAFE_NO_PAD.encode(body.to_string())
    }

    fn decode(token: &str) -> Option<ContinueToken> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim_end_matches('=')).ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        Some(ContinueToken {
            resource: v.get("r")?.as_str()?.to_string(),
            namespace: v.get("ns")?.as_str()?.to_string(),
            start: usize::try_from(v.get("start")?.as_u64()?).ok()?,
            page: u32::try_from(v.get("page")?.as_u64()?).ok()?,
            inconsistent: v.get("rv")?.as_i64()? < 0,
        })
    }
}

fn list_kind(resource: &Resource, format: Format) -> (String, String) {
    match format {
        Format::Json => (format!("{}List", resource.kind), resource.api_version()),
        Format::Metadata(v) => ("PartialObjectMetadataList".into(), v.into()),
        Format::Table(v) => ("Table".into(), v.into()),
    }
}

fn push_metadata_object(out: &mut Vec<u8>, object: &StoredObject<'_>, api_version: &str) {
    out.extend_from_slice(b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"");
    out.extend_from_slice(api_version.as_bytes());
    out.extend_from_slice(b"\",\"metadata\":");
    out.extend_from_slice(object.metadata());
    out.push(b'}');
}

fn push_row(out: &mut Vec<u8>, object: &StoredObject<'_>, now: i64) {
    out.extend_from_slice(b"{\"cells\":[");
    let name = Value::String(object.name().to_string()).to_string();
    out.extend_from_slice(name.as_bytes());
    let before = object.cells_before_age();
    if !before.is_empty() {
        out.push(b',');
        out.extend_from_slice(before.as_bytes());
    }
    let age = object.created().map_or_else(
        || "<unknown>".to_string(),
        |t| table::human_duration(now - t),
    );
    out.extend_from_slice(format!(",\"{age}\"").as_bytes());
    let after = object.cells_after_age();
    if !after.is_empty() {
        out.push(b',');
        out.extend_from_slice(after.as_bytes());
    }
    out.extend_from_slice(b"],\"object\":");
    push_metadata_object(out, object, "meta.k8s.io/v1");
    out.push(b'}');
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The 403 Status for `verb` on `resource` when the principal may not read it, else `None`.
fn forbid(
    principal: &Principal,
    resource: &Resource,
    verb: &str,
    name: Option<&str>,
    namespace: Option<&str>,
) -> Option<Response> {
    let allowed = principal.allowed(
        &resource.group,
        &resource.plural,
        resource.namespaced,
        namespace,
    );
    (!allowed).then(|| {
        status::forbidden(
            &principal.user,
            verb,
            &resource.group,
            &resource.plural,
            name,
            namespace,
        )
    })
}

fn list(
    state: &ServerState,
    principal: &Principal,
    resource: &Resource,
    namespace: Option<&str>,
    query: &Query,
    format: Format,
) -> Response {
    if let Some(denied) = forbid(principal, resource, "list", None, namespace) {
        return denied;
    }
    let labels = match LabelSelector::parse(query.get("labelSelector").unwrap_or("")) {
        Ok(s) => s,
        Err(e) => return status::bad_request(&e.0),
    };
    let fields =
        match FieldSelector::parse(query.get("fieldSelector").unwrap_or(""), &resource.plural) {
            Ok(s) => s,
            Err(e) => return status::bad_request(&e.0),
        };
    let limit = match query.get("limit").filter(|l| !l.is_empty()) {
        None => usize::MAX,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
            Ok(_) => usize::MAX,
            Err(_) => return status::bad_request(&format!("invalid limit {l:?}")),
        },
    };
    let qualified = resource.qualified();
    let ns_key = namespace.unwrap_or("").to_string();
    let range = resource.range(namespace);
    let (start, page, inconsistent) = match query.get("continue").filter(|c| !c.is_empty()) {
        None => (0, 1, false),
        Some(raw) => {
            let Some(token) = ContinueToken::decode(raw)
                .filter(|t| t.resource == qualified && t.namespace == ns_key)
            else {
                return status::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                );
            };
            if let Some(after) = state.faults.faults().expire_continue_after_pages
                && !token.inconsistent
                && token.page > after
            {
                let fresh = ContinueToken {
                    inconsistent: true,
                    ..token.clone()
                };
                return status::failure_with_metadata(
                    StatusCode::GONE,
                    "Expired",
                    status::EXPIRED_MESSAGE,
                    json!({}),
                    json!({"continue": fresh.encode(&state.resource_version)}),
                );
            }
            (token.start, token.page, token.inconsistent)
        }
    };
    let selects = |o: &StoredObject<'_>| labels.matches(o) && fields.matches(o);
    let unfiltered = labels.is_empty() && fields.is_empty();
    let total = range.len();

    let (kind, api_version) = list_kind(resource, format);
    let now = now();
    let mut items = Vec::with_capacity(if limit == usize::MAX {
        (start..total)
            .map(|i| resource.object(range.start + i).json().len() + 1)
            .sum()
    } else {
        limit.saturating_mul(1024).min(64 << 20)
    });
    let mut count = 0usize;
    let mut next = None;
    for i in start..total {
        let object = resource.object(range.start + i);
        if !selects(&object) {
            continue;
        }
        if count == limit {
            next = Some(i);
            break;
        }
        if count > 0 {
            items.push(b',');
        }
        match format {
            Format::Json => items.extend_from_slice(object.json()),
            Format::Metadata(v) => push_metadata_object(&mut items, &object, v),
            Format::Table(_) => push_row(&mut items, &object, now),
        }
        count += 1;
    }
    let mut metadata = serde_json::Map::new();
    metadata.insert("resourceVersion".into(), json!(state.resource_version));
    if let Some(next) = next {
        let token = ContinueToken {
            resource: qualified,
            namespace: ns_key,
            start: next,
            page: page + 1,
            inconsistent,
        };
        metadata.insert(
            "continue".into(),
            json!(token.encode(&state.resource_version)),
        );
        if unfiltered {
            metadata.insert("remainingItemCount".into(), json!(total - next));
        }
    }
    let mut body = Vec::with_capacity(items.len() + 512);
    let mut head =
        json!({"kind": kind, "apiVersion": api_version, "metadata": metadata}).to_string();
    head.pop(); // the closing brace: fields follow
    body.extend_from_slice(head.as_bytes());
    if let Format::Table(_) = format {
        body.extend_from_slice(b",\"columnDefinitions\":");
        body.extend_from_slice(
            table::column_definitions(&resource.plural)
                .to_string()
                .as_bytes(),
        );
        body.extend_from_slice(b",\"rows\":[");
    } else {
        body.extend_from_slice(b",\"items\":[");
    }
    body.extend_from_slice(&items);
    body.extend_from_slice(b"]}");
    status::json_response(StatusCode::OK, body)
}

fn get(
    state: &ServerState,
    principal: &Principal,
    resource: &Resource,
    namespace: Option<&str>,
    name: &str,
    format: Format,
) -> Response {
    if let Some(denied) = forbid(principal, resource, "get", Some(name), namespace) {
        return denied;
    }
    let Some(object) = resource.get(namespace.unwrap_or(""), name) else {
        return status::not_found(&resource.group, &resource.plural, name);
    };
    let mut body = Vec::with_capacity(object.json().len() + 256);
    match format {
        Format::Json => {
            body.extend_from_slice(
                format!(
                    "{{\"kind\":{},\"apiVersion\":{},",
                    json!(resource.kind),
                    json!(resource.api_version())
                )
                .as_bytes(),
            );
            body.extend_from_slice(&object.json()[1..]);
        }
        Format::Metadata(v) => push_metadata_object(&mut body, &object, v),
        Format::Table(v) => {
            body.extend_from_slice(
                format!(
                    "{{\"kind\":\"Table\",\"apiVersion\":\"{v}\",\"metadata\":{{\"resourceVersion\":\"{}\"}},\"columnDefinitions\":{},\"rows\":[",
                    state.resource_version,
                    table::column_definitions(&resource.plural)
                )
                .as_bytes(),
            );
            push_row(&mut body, &object, now());
            body.extend_from_slice(b"]}");
        }
    }
    status::json_response(StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tolerates_empty_segments_and_decodes() {
        let q = Query::parse(Some("&limit=2&labelSelector=app%3Dx%2Ctier+in+%28a%29"));
        assert_eq!(q.get("limit"), Some("2"));
        assert_eq!(q.get("labelSelector"), Some("app=x,tier in (a)"));
    }

    #[test]
    fn negotiation() {
        let mut h = HeaderMap::new();
        assert_eq!(negotiate(&h), Some(Format::Json));
        h.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
        );
        assert_eq!(negotiate(&h), Some(Format::Table("meta.k8s.io/v1")));
        h.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("application/vnd.kubernetes.protobuf"),
        );
        assert_eq!(negotiate(&h), None);
    }

    #[test]
    fn continue_tokens_round_trip() {
        let t = ContinueToken {
            resource: "pods".into(),
            namespace: "".into(),
            start: 4,
            page: 3,
            inconsistent: false,
        };
        assert_eq!(ContinueToken::decode(&t.encode("1042")), Some(t));
        assert_eq!(ContinueToken::decode("garbage"), None);
    }
}
