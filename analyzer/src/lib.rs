//! `coder-sec-analyzer`: reads a snapshot offline and answers "from where can an attacker get to what,
//! by which steps, and what do we fix first?". It carries no network code: a test proves that its
//! dependency tree holds no network crate.
//!
//! The data's path: [`inventory`] (typed, indexed snapshot) → [`rbac`] (effective permissions) and
//! [`coder`] (Coder detection) → [`techniques`] build the [`graph`] → [`paths`] searches it, while
//! [`findings`] check what is not a path → [`report`] (pure, serialisable; every path and finding
//! with a [`fingerprint`], accepted risks hidden by [`suppress`]) → [`present`] (text, JSON,
//! Markdown, SARIF, HTML). [`diff`] compares two reports, [`export`] hands the graph to other tools
//! (OpenGraph, DOT), [`schema`] generates the JSON schemas. [`catalog`] and [`seed`] hold the codes
//! and the seed coverage table.

pub mod catalog;
pub mod cause;
pub mod cli;
pub mod coder;
pub mod commands;
pub mod coverage;
pub mod diff;
pub mod environment;
pub mod exit;
pub mod export;
pub mod findings;
pub mod fingerprint;
pub mod fixplan;
pub mod graph;
pub mod inventory;
pub mod memory;
pub mod netpol;
pub mod output;
pub mod paths;
pub mod present;
pub mod rbac;
pub mod report;
pub mod schema;
pub mod seed;
pub mod severity;
pub mod suppress;
pub mod techniques;
pub mod timings;
