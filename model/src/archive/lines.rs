//! JSON Lines: one bounded line reader that every reader of JSON Lines goes through.

use std::io::{self, BufRead, Read};
use std::path::Path;

use serde_json::Value;

use super::ArchiveError;

/// Why [`append_line`] read no line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The reader failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The line is longer than the limit (it is left half read).
    #[error("line longer than the limit")]
    TooLong,
}

/// Appends the next line of `reader` (its `\n` included) to `buf`, reading at most `max_line + 1`
/// bytes, so an endless line never fills memory: the bytes read, 0 at the end of the input. Every
/// reader of JSON Lines goes through here, so the limit is applied in one place.
pub fn append_line(
    reader: &mut dyn BufRead,
    max_line: u64,
    buf: &mut Vec<u8>,
) -> Result<usize, LineError> {
    let read = reader
        .take(max_line.saturating_add(1))
        .read_until(b'\n', buf)?;
    if read as u64 > max_line {
        return Err(LineError::TooLong);
    }
    Ok(read)
}

/// Reads JSON Lines from `reader`, calling `each` with the 1-based line number and the parsed value.
/// Lines longer than `max_line` and lines that are not JSON are errors naming the entry and line.
pub fn read_json_lines<F>(
    archive: &Path,
    entry: &str,
    reader: &mut dyn BufRead,
    max_line: u64,
    mut each: F,
) -> Result<u64, ArchiveError>
where
    F: FnMut(u64, Value) -> Result<(), String>,
{
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = match append_line(reader, max_line, &mut line) {
            Ok(read) => read,
            Err(LineError::Io(source)) => {
                return Err(ArchiveError::Corrupt {
                    archive: archive.to_path_buf(),
                    source,
                });
            }
            Err(LineError::TooLong) => {
                return Err(ArchiveError::Limit {
                    archive: archive.to_path_buf(),
                    entry: entry.to_string(),
                    limit: "line length",
                    detail: format!("line {} is longer than {max_line} bytes", n + 1),
                });
            }
        };
        if read == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = serde_json::from_slice(&line).map_err(|source| ArchiveError::Line {
            archive: archive.to_path_buf(),
            entry: entry.to_string(),
            line: n,
            source,
        })?;
        each(n, value).map_err(|message| ArchiveError::Visitor {
            archive: archive.to_path_buf(),
            entry: entry.to_string(),
            message,
        })?;
    }
    Ok(n)
}
