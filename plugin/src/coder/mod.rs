//! Coder: detection in the cluster's objects, and the optional read of Coder's REST API.

pub mod api;
pub mod detect;
