//! `coder-sec-analyzer`: reads a snapshot offline and answers "from where can an attacker get to what,
//! by which steps, and what do we fix first?". It carries no network code: a test proves that its
//! dependency tree holds no network crate.

pub mod cli;
pub mod commands;
pub mod output;
