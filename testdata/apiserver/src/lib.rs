//! A test Kubernetes API server: serves scenario files (kubectl/helm YAML or JSON, read with
//! `coder_sec_model::manifests`) over the real REST API, so kubectl and kube-rs can be pointed at a
//! "cluster" that does not exist.
//!
//! ```text
//! scenario files ─load once─▶ store (per resource: objects sorted by namespace/name, JSON bytes ready)
//! request ─▶ authenticate (bearer token, Impersonate-*) ─▶ faults ─▶ route
//!            ├─ /version, /api, /apis, /api/v1, /apis/G/V     discovery (legacy JSON)
//!            ├─ GET list/get of every resource               JSON, PartialObjectMetadata, Table; paging
//!            └─ POST self-subject access/rules/reviews       JSON or protobuf in, JSON out
//! ```
//!
//! Use [`TestServer`] for HTTPS (kubectl, end-to-end tests), or [`router`] / [`service`] in process
//! (`kube::Client::new(router(state), "default")`).
//!
//! Kinds outside `coder_sec_model::kinds::KINDS` found in scenario files are served too, under their
//! object's `apiVersion`, with a plural derived by [`store::naive_plural`].

mod api;
mod auth;
mod discovery;
mod faults;
mod options;
mod reviews;
mod select;
mod server;
mod stall;
mod status;
pub mod store;
mod table;
mod tls;

pub use api::{
    ApiService, ConnectionDropped, REQUEST_LOG_CAPACITY, RequestRecord, ServerState, router,
    service,
};
pub use options::{
    AUTHENTICATED_GROUP, Faults, IdentitySpec, MASTERS_GROUP, ServerOptions, parse_identity,
    read_identities_file,
};
pub use server::{KUBECONFIG_CLUSTER, TestServer};
pub use stall::StallServer;
pub use status::EXPIRED_MESSAGE;
pub use store::LoadError;
pub use tls::TlsError;
