//! The analyzer's integration tests: one binary, a module per area, helpers in `support`.

mod bootstrap;
mod breadth;
mod catalog_docs;
mod cli;
mod coder_state;
mod decisions;
mod export;
mod external;
mod html;
mod import_cli;
mod integrity;
mod load;
mod network_free;
mod redaction;
mod reports;
mod scenarios;
mod snapshot_cli;
mod support;
