//! Writing command output: to stdout or atomically to a file, with broken pipes treated as a quiet end.

use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically (temporary file beside it, then rename), or to stdout when
/// `path` is `None` or `-`.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match path {
        Some(p) if p.as_os_str() != "-" => {
            write_atomic(p, bytes).with_context(|| format!("cannot write `{}`", p.display()))
        }
        _ => {
            let mut out = io::stdout().lock();
            match out.write_all(bytes).and_then(|_| out.flush()) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to stdout"),
            }
        }
    }
}

/// Writes a file atomically: a temporary file in the same folder, synced, then renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    // Errors name the user's file (the caller adds it), never the temporary one.
    let mut tmp = tempfile::Builder::new()
        .prefix(".coder-sec-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(coder_sec_model::archive::without_path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| coder_sec_model::archive::without_path(e.error))?;
    Ok(())
}

/// Whether an error chain ends in a broken pipe (the reader went away: not a failure).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Formats a byte count for people: `512 B`, `12.3 KiB`, `4.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(4 << 20), "4.0 MiB");
    }

    #[test]
    fn write_errors_never_name_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        let err = write_output(Some(&file.join("out.json")), b"{}").unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("a-file/out.json"), "{text}");
        assert!(!text.contains(".coder-sec-"), "{text}");
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
