//! One module per subcommand: each has clap `Args` and a `run` that resolves them and calls the
//! library. The plugin embeds the same `Args`, so `kubectl coder-sec X` and `coder-sec X` agree.

pub mod analyze;
pub mod diff;
pub mod export;
pub mod import;
pub mod inspect;
pub mod paths;
pub mod verify;

use coder_sec_model::ReadLimits;

/// Limits applied when reading a snapshot; the defaults suit the largest supported clusters.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Refuse snapshots whose files add up to more than this many uncompressed bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_total_bytes)]
    pub max_total_bytes: u64,
    /// Refuse any single file larger than this many uncompressed bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ReadLimits::default().max_entry_bytes)]
    pub max_entry_bytes: u64,
    /// Refuse snapshots that decompress more than this many times their compressed size.
    #[arg(long, value_name = "RATIO", default_value_t = ReadLimits::default().max_ratio)]
    pub max_ratio: u64,
    /// Refuse snapshots with more than this many files.
    #[arg(long, value_name = "N", default_value_t = ReadLimits::default().max_entries)]
    pub max_entries: u64,
}

impl LimitArgs {
    /// The read limits these flags describe.
    pub fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_total_bytes: self.max_total_bytes,
            max_entry_bytes: self.max_entry_bytes,
            max_ratio: self.max_ratio,
            max_entries: self.max_entries,
            ..ReadLimits::default()
        }
    }
}
