//! End-to-end tests of `kubectl coder-sec`: the real binary, through kubectl's plugin mechanism where
//! kubectl is installed, against the test API server and the fake Coder API.

mod capture;
mod failures;
mod krew;
mod support;
