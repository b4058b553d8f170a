//! Integration tests of coder-sec-model: one binary, a module per area, helpers in `support`.

mod canaries;
mod docs;
mod fuzz;
mod property;
mod redteam;
mod support;
