//! Coder: detection in the cluster's objects, the workspace summary, and the optional read of Coder's
//! REST API.

pub mod api;
pub mod detect;
pub mod view;
pub mod workspaces;
