//! The analyzer's integration tests: one binary, a module per area, helpers in `support`.

mod catalog_docs;
mod cli;
mod coder_state;
mod export;
mod external;
mod html;
mod load;
mod network_free;
mod reports;
mod scenarios;
mod support;
