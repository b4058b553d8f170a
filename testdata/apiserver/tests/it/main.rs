//! Integration tests of the test API server: the router in process (no socket), HTTPS behaviour, and
//! faithfulness against the real kubectl.

mod binary;
mod https;
mod kube_rs;
mod kubectl;
mod router;
mod support;
