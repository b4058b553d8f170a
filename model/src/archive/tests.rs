//! Round trips and the hostile archive classes the reader must refuse.

use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;
use crate::format::{KindStatus, MANIFEST_PATH, Manifest, Source};
use crate::kinds::{self, KindSpec};

fn pods() -> &'static KindSpec {
    kinds::lookup("v1", "Pod").unwrap()
}

fn write_sample(dir: &Path, objects: &[Value]) -> (PathBuf, Manifest) {
    let target = dir.join("snap.tar.zst");
    let mut writer = SnapshotWriter::create(&target).unwrap();
    let mut spool = writer.spool_kind(pods()).unwrap();
    for o in objects {
        spool.push(o).unwrap();
    }
    writer.add_kind(pods(), spool.finish().unwrap());
    writer.add_unread_kind(
        kinds::lookup("v1", "Secret").unwrap(),
        KindStatus::Forbidden,
        "secrets is forbidden",
    );
    let (manifest, _) = writer
        .finish(Manifest::new("test", "0", Source::Capture))
        .unwrap();
    (target, manifest)
}

fn pod(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name}})
}

/// Every entry (path, bytes) and the mismatches.
type ReadAll = (Vec<(String, Vec<u8>)>, Vec<Mismatch>);

fn read_all(path: &Path, limits: ReadLimits) -> Result<ReadAll, ArchiveError> {
    let reader = SnapshotReader::open(path, limits)?;
    let mut out = Vec::new();
    let outcome = reader.stream(|info, r| {
        let mut bytes = Vec::new();
        r.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        out.push((info.path.clone(), bytes));
        Ok(())
    })?;
    Ok((out, outcome.mismatches))
}

#[test]
fn round_trip_sorts_by_namespace_then_name() {
    let dir = tempfile::tempdir().unwrap();
    let (path, manifest) = write_sample(dir.path(), &[pod("b", "x"), pod("a", "z"), pod("a", "y")]);
    assert_eq!(manifest.kinds.len(), 2);
    assert_eq!(manifest.kinds[0].count, 3);
    assert_eq!(manifest.kinds[1].status, KindStatus::Forbidden);
    let (entries, mismatches) = read_all(&path, ReadLimits::default()).unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    let text = String::from_utf8(entries[0].1.clone()).unwrap();
    let names: Vec<String> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{}/{}",
                v["metadata"]["namespace"].as_str().unwrap(),
                v["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["a/y", "a/z", "b/x"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o644,
            "snapshots are ordinary files, not private temporaries"
        );
    }
    // Two writes of the same state in a different order give identical files.
    let dir2 = tempfile::tempdir().unwrap();
    let (_, m2) = write_sample(dir2.path(), &[pod("a", "y"), pod("a", "z"), pod("b", "x")]);
    assert_eq!(manifest.kinds[0].sha256, m2.kinds[0].sha256);
}

#[test]
fn late_disorder_sorts_everything_stably() {
    // In order for a while (no index kept), then out of order: the index is rebuilt from the file.
    let mut objects: Vec<Value> = (0..150).map(|i| pod("a", &format!("p{i:03}"))).collect();
    objects.push(pod("a", "p000"));
    objects.push(pod("0-first", "x"));
    objects.extend((0..20).rev().map(|i| pod("b", &format!("q{i:02}"))));
    let mut dup = pod("a", "p000");
    dup["spec"] = json!({"second": true});
    objects.push(dup);
    let dir = tempfile::tempdir().unwrap();
    let (path, manifest) = write_sample(dir.path(), &objects);
    assert_eq!(manifest.kinds[0].count, objects.len() as u64);
    let (entries, _) = read_all(&path, ReadLimits::default()).unwrap();
    let lines: Vec<Value> = String::from_utf8(entries[0].1.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut expected = objects.clone();
    expected.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["metadata"]["namespace"].as_str().unwrap().to_string(),
                v["metadata"]["name"].as_str().unwrap().to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    assert_eq!(
        lines, expected,
        "sorted by namespace then name, equal keys in arrival order"
    );
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("snap.tar.zst");
    {
        let writer = SnapshotWriter::create(&target).unwrap();
        let mut spool = writer.spool_kind(pods()).unwrap();
        spool.push(&pod("a", "b")).unwrap();
        // Dropped here, as on an error or Ctrl-C.
    }
    assert!(!target.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temporary files left behind"
    );
}

#[test]
fn tampered_file_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let (path, manifest) = write_sample(dir.path(), &[pod("a", "b")]);
    // Rebuild the archive with the same manifest but different pod content.
    let mut entries = vec![(
        MANIFEST_PATH.to_string(),
        serde_json::to_vec(&manifest).unwrap(),
    )];
    entries.push((pods().archive_path(), b"{\"tampered\":true}\n".to_vec()));
    entries.push(("extra.json".to_string(), b"{}".to_vec()));
    let bad = dir.path().join("bad.tar.zst");
    write_raw(
        &bad,
        &entries
            .iter()
            .map(|(n, b)| RawEntry::file(n, b))
            .collect::<Vec<_>>(),
    );
    let (_, mismatches) = read_all(&bad, ReadLimits::default()).unwrap();
    assert!(
        matches!(mismatches[0], Mismatch::Hash { .. }),
        "{mismatches:?}"
    );
    assert!(
        mismatches
            .iter()
            .any(|m| matches!(m, Mismatch::Unlisted { .. }))
    );
    let _ = path;
}

#[test]
fn missing_file_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let (_, manifest) = write_sample(dir.path(), &[pod("a", "b")]);
    let bad = dir.path().join("missing.tar.zst");
    let m = serde_json::to_vec(&manifest).unwrap();
    write_raw(&bad, &[RawEntry::file(MANIFEST_PATH, &m)]);
    let (_, mismatches) = read_all(&bad, ReadLimits::default()).unwrap();
    assert_eq!(
        mismatches,
        vec![Mismatch::Missing {
            path: pods().archive_path()
        }]
    );
}

// --- hostile archives -------------------------------------------------------------------------

/// One raw tar entry, written byte by byte so that names the `tar` crate would refuse can be built.
struct RawEntry {
    name: Vec<u8>,
    typeflag: u8,
    data: Vec<u8>,
    link: Vec<u8>,
}

impl RawEntry {
    fn file(name: &str, data: &[u8]) -> Self {
        RawEntry {
            name: name.as_bytes().to_vec(),
            typeflag: b'0',
            data: data.to_vec(),
            link: Vec::new(),
        }
    }
}

fn tar_bytes(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = [0u8; 512];
        h[..e.name.len()].copy_from_slice(&e.name);
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        let size = format!("{:011o}", e.data.len());
        h[124..135].copy_from_slice(size.as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = e.typeflag;
        h[157..157 + e.link.len()].copy_from_slice(&e.link);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let cksum = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(cksum.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(&e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

fn write_raw(path: &Path, entries: &[RawEntry]) {
    let bytes = tar_bytes(entries);
    let file = File::create(path).unwrap();
    let mut enc = zstd::stream::Encoder::new(file, 3).unwrap();
    enc.include_checksum(true).unwrap();
    enc.write_all(&bytes).unwrap();
    enc.finish().unwrap();
}

fn manifest_bytes() -> Vec<u8> {
    serde_json::to_vec(&Manifest::new("t", "0", Source::Import)).unwrap()
}

fn refusal(entries: Vec<RawEntry>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.tar.zst");
    write_raw(&path, &entries);
    match read_all(&path, ReadLimits::default()) {
        Ok(r) => panic!("hostile archive accepted: {:?}", r.1),
        Err(e) => e.to_string(),
    }
}

fn with_manifest(entry: RawEntry) -> Vec<RawEntry> {
    vec![RawEntry::file(MANIFEST_PATH, &manifest_bytes()), entry]
}

#[test]
fn refuses_path_traversal() {
    let err = refusal(with_manifest(RawEntry::file("../../etc/passwd", b"x")));
    assert!(err.contains("`..`") && err.contains("etc/passwd"), "{err}");
    let err = refusal(with_manifest(RawEntry::file("resources/../x", b"x")));
    assert!(err.contains("`..`"), "{err}");
}

#[test]
fn refuses_absolute_paths() {
    let err = refusal(with_manifest(RawEntry::file("/etc/passwd", b"x")));
    assert!(
        err.contains("absolute") && err.contains("/etc/passwd"),
        "{err}"
    );
}

#[test]
fn refuses_links_and_devices() {
    let mut link = RawEntry::file("link", b"");
    link.typeflag = b'2';
    link.link = b"/etc/shadow".to_vec();
    let err = refusal(with_manifest(link));
    assert!(err.contains("links are not allowed"), "{err}");
    let mut hard = RawEntry::file("hard", b"");
    hard.typeflag = b'1';
    hard.link = b"manifest.json".to_vec();
    assert!(refusal(with_manifest(hard)).contains("links are not allowed"));
    let mut dev = RawEntry::file("dev", b"");
    dev.typeflag = b'3';
    assert!(refusal(with_manifest(dev)).contains("devices"));
    let mut fifo = RawEntry::file("fifo", b"");
    fifo.typeflag = b'6';
    assert!(refusal(with_manifest(fifo)).contains("devices and fifos"));
}

#[test]
fn refuses_control_characters() {
    let err = refusal(with_manifest(RawEntry::file("bad\x1b[31mname", b"x")));
    assert!(
        err.contains("control characters") && err.contains("\\u{1b}"),
        "{err}"
    );
}

#[test]
fn refuses_duplicate_names() {
    let mut entries = with_manifest(RawEntry::file("a.json", b"{}"));
    entries.push(RawEntry::file("a.json", b"{}"));
    let err = refusal(entries);
    assert!(err.contains("duplicate") && err.contains("a.json"), "{err}");
}

#[test]
fn refuses_missing_or_misplaced_manifest() {
    let err = refusal(vec![RawEntry::file("resources/core/v1/pods.jsonl", b"")]);
    assert!(
        err.contains("first entry is `resources/core/v1/pods.jsonl`"),
        "{err}"
    );
    let err = refusal(vec![RawEntry::file(MANIFEST_PATH, b"not json")]);
    assert!(err.contains("manifest"), "{err}");
}

#[test]
fn refuses_newer_major_format() {
    let err = refusal(vec![RawEntry::file(
        MANIFEST_PATH,
        br#"{"format-version":"9.0"}"#,
    )]);
    assert!(err.contains("bad manifest"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.tar.zst");
    write_raw(
        &path,
        &[RawEntry::file(
            MANIFEST_PATH,
            br#"{"format-version":"9.0"}"#,
        )],
    );
    let err = SnapshotReader::open(&path, ReadLimits::default()).unwrap_err();
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(chain.contains("9.0 is newer"), "{chain}");
}

#[test]
fn refuses_decompression_bombs() {
    // 64 MiB of zeros compresses to a few kilobytes: the ratio limit stops it.
    let limits = ReadLimits {
        ratio_grace_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.tar.zst");
    write_raw(
        &path,
        &with_manifest(RawEntry::file("zeros", &vec![0u8; 64 << 20])),
    );
    let err = read_all(&path, limits).unwrap_err().to_string();
    assert!(
        err.contains("compression ratio") && err.contains("zeros"),
        "{err}"
    );
}

#[test]
fn enforces_size_and_count_limits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.tar.zst");
    write_raw(
        &path,
        &with_manifest(RawEntry::file("big", &vec![b'x'; 4096])),
    );
    let limits = ReadLimits {
        max_entry_bytes: 1000,
        ..ReadLimits::default()
    };
    let err = read_all(&path, limits).unwrap_err().to_string();
    assert!(
        err.contains("per-entry size") && err.contains("`big`"),
        "{err}"
    );
    let limits = ReadLimits {
        max_total_bytes: 2000,
        ..ReadLimits::default()
    };
    let err = read_all(&path, limits).unwrap_err().to_string();
    assert!(err.contains("total size"), "{err}");
    let mut entries = with_manifest(RawEntry::file("a", b""));
    entries.push(RawEntry::file("b", b""));
    entries.push(RawEntry::file("c", b""));
    write_raw(&path, &entries);
    let limits = ReadLimits {
        max_entries: 3,
        ..ReadLimits::default()
    };
    let err = read_all(&path, limits).unwrap_err().to_string();
    assert!(err.contains("entry count") && err.contains("`c`"), "{err}");
    let limits = ReadLimits {
        max_manifest_bytes: 10,
        ..ReadLimits::default()
    };
    let err = SnapshotReader::open(&path, limits).unwrap_err().to_string();
    assert!(err.contains("manifest.json"), "{err}");
}

#[test]
fn refuses_garbage_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.tar.zst");
    std::fs::write(&path, b"this is not zstd").unwrap();
    let err = SnapshotReader::open(&path, ReadLimits::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("garbage.tar.zst"), "{err}");
    let (good, _) = write_sample(dir.path(), &[pod("a", "b")]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.tar.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert!(read_all(&cut, ReadLimits::default()).is_err());
}

#[test]
fn json_lines_errors_name_entry_and_line() {
    let mut input: &[u8] = b"{\"a\":1}\n\nnot json\n";
    let err = read_json_lines(
        Path::new("s.tar.zst"),
        "resources/x.jsonl",
        &mut input,
        1024,
        |_, _| Ok(()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("resources/x.jsonl") && err.contains("line 3"),
        "{err}"
    );
    let long = format!("{{\"a\":\"{}\"}}\n", "x".repeat(100));
    let mut input = long.as_bytes();
    let err = read_json_lines(Path::new("s"), "e", &mut input, 50, |_, _| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("line length"), "{err}");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut input = deep.as_bytes();
    assert!(read_json_lines(Path::new("s"), "e", &mut input, 1 << 20, |_, _| Ok(())).is_err());
}

#[test]
fn spooled_reader_gives_the_sorted_lines() {
    let dir = tempfile::tempdir().unwrap();
    let writer = SnapshotWriter::create(&dir.path().join("s.tar.zst")).unwrap();
    let mut spool = writer.spool_kind(pods()).unwrap();
    for (ns, name) in [("b", "x"), ("a", "z"), ("a", "y")] {
        spool.push(&pod(ns, name)).unwrap();
    }
    let spooled = spool.finish().unwrap();
    let names: Vec<String> = spooled
        .reader()
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(&l.unwrap()).unwrap();
            v["metadata"]["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(names, ["y", "z", "x"]);
}

// --- integrity of the whole archive ------------------------------------------------------------

/// A sample archive's bytes and the mismatches of a variant of them (or the error's text).
fn read_bytes(bytes: Vec<u8>) -> Result<ReadAll, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("variant.tar.zst");
    std::fs::write(&path, bytes).unwrap();
    read_all(&path, ReadLimits::default()).map_err(|e| error_chain(&e))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn sample_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = write_sample(dir.path(), &[pod("a", "b"), pod("a", "c")]);
    std::fs::read(path).unwrap()
}

#[test]
fn written_archives_carry_a_content_checksum_that_catches_changes() {
    let good = sample_bytes();
    assert_eq!(good[..4], [0x28, 0xB5, 0x2F, 0xFD]);
    assert_ne!(good[4] & 0x04, 0, "the frame header announces a checksum");
    assert!(read_bytes(good.clone()).unwrap().1.is_empty());
    // The checksum itself changed: the content no longer matches it.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let (_, mismatches) = read_bytes(bad).unwrap();
    assert_eq!(mismatches, vec![Mismatch::ContentChecksum]);
    // The flag cleared: the checksum's four bytes now trail the frame.
    let mut bad = good;
    bad[4] &= !0x04;
    let (_, mismatches) = read_bytes(bad).unwrap();
    assert!(
        mismatches.contains(&Mismatch::NoContentChecksum)
            && mismatches
                .iter()
                .any(|m| matches!(m, Mismatch::TrailingData { .. })),
        "{mismatches:?}"
    );
}

#[test]
fn a_changed_manifest_is_caught_by_the_checksum() {
    // The manifest has no hash of its own: a changed kind name in it, re-compressed without the
    // original checksum (as a damaged or hand-edited file would be), is refused.
    let good = sample_bytes();
    let tar = zstd::stream::decode_all(&good[..]).unwrap();
    let at = tar
        .windows(9)
        .position(|w| w == b"\"kind\": \"")
        .expect("the manifest names a kind");
    let mut changed = tar.clone();
    changed[at + 9] ^= 0x20;
    // Re-compressed with the same frame header (checksum flag set) and the old checksum.
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    enc.include_checksum(true).unwrap();
    enc.write_all(&changed).unwrap();
    let mut bytes = enc.finish().unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&good[good.len() - 4..]);
    let (_, mismatches) = read_bytes(bytes).unwrap();
    assert_eq!(mismatches, vec![Mismatch::ContentChecksum]);
}

#[test]
fn trailing_garbage_is_a_mismatch() {
    let mut bytes = sample_bytes();
    bytes.extend_from_slice(b"garbage after the frame");
    let (_, mismatches) = read_bytes(bytes).unwrap();
    assert!(
        matches!(mismatches[..], [Mismatch::TrailingData { .. }]),
        "{mismatches:?}"
    );
    // Data after the tar's end, inside the compressed stream.
    let mut tar = zstd::stream::decode_all(&sample_bytes()[..]).unwrap();
    tar.extend_from_slice(&[0u8; 512]);
    tar.extend_from_slice(b"hidden");
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
    enc.include_checksum(true).unwrap();
    enc.write_all(&tar).unwrap();
    let (_, mismatches) = read_bytes(enc.finish().unwrap()).unwrap();
    assert!(
        matches!(mismatches[..], [Mismatch::TrailingData { .. }]),
        "{mismatches:?}"
    );
}

#[test]
fn a_new_archive_without_checksum_is_a_mismatch_and_an_old_one_is_not() {
    let tar = zstd::stream::decode_all(&sample_bytes()[..]).unwrap();
    let plain = zstd::stream::encode_all(&tar[..], 3).unwrap();
    assert_eq!(plain[4] & 0x04, 0);
    let (_, mismatches) = read_bytes(plain).unwrap();
    assert_eq!(mismatches, vec![Mismatch::NoContentChecksum]);
    // Format 1.0 predates the checksum.
    let mut manifest = Manifest::new("t", "0", Source::Import);
    manifest.format_version = "1.0".into();
    let old = tar_bytes(&[RawEntry::file(
        MANIFEST_PATH,
        &serde_json::to_vec(&manifest).unwrap(),
    )]);
    let (_, mismatches) = read_bytes(zstd::stream::encode_all(&old[..], 3).unwrap()).unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
}

#[test]
fn a_changed_object_count_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut manifest) = write_sample(dir.path(), &[pod("a", "b"), pod("a", "c")]);
    let (entries, _) = read_all(&dir.path().join("snap.tar.zst"), ReadLimits::default()).unwrap();
    manifest.kinds[0].count = 12;
    let bad = dir.path().join("count.tar.zst");
    write_raw(
        &bad,
        &[
            RawEntry::file(MANIFEST_PATH, &serde_json::to_vec(&manifest).unwrap()),
            RawEntry::file(&entries[0].0, &entries[0].1),
        ],
    );
    let (_, mismatches) = read_all(&bad, ReadLimits::default()).unwrap();
    assert_eq!(
        mismatches,
        vec![Mismatch::Count {
            path: pods().archive_path(),
            expected: 12,
            actual: 2
        }]
    );
    assert_eq!(
        mismatches[0].to_string(),
        "`resources/core/v1/pods.jsonl`: 2 objects, manifest says 12"
    );
}

#[test]
fn a_pipe_is_read_once_from_start_to_end() {
    // A reader that cannot seek or be opened again, as a pipe or FIFO.
    struct Pipe(std::io::Cursor<Vec<u8>>, u64);
    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let most = buf.len().min(7);
            let n = self.0.read(&mut buf[..most])?;
            self.1 += n as u64;
            Ok(n)
        }
    }
    let bytes = sample_bytes();
    let len = bytes.len() as u64;
    let reader = SnapshotReader::from_reader(
        Path::new("-"),
        Box::new(Pipe(std::io::Cursor::new(bytes), 0)),
        ReadLimits::default(),
    )
    .unwrap();
    assert_eq!(reader.manifest().kinds[0].count, 2);
    let mut lines = 0;
    let outcome = reader
        .stream(|_, r| {
            lines += r.lines().count();
            Ok(())
        })
        .unwrap();
    assert!(outcome.mismatches.is_empty(), "{:?}", outcome.mismatches);
    assert_eq!(lines, 2);
    assert_eq!(outcome.archive_bytes, len);
}

#[test]
fn damage_messages_never_quote_the_archive() {
    // A tar header whose numeric fields hold text: the tar crate's own message quotes the header.
    let mut tar = tar_bytes(&[RawEntry::file(MANIFEST_PATH, &manifest_bytes())]);
    tar[148..156].copy_from_slice(b"\x1b]SECRET");
    let bytes = zstd::stream::encode_all(&tar[..], 3).unwrap();
    let err = read_bytes(bytes).unwrap_err();
    assert!(
        err.contains("variant.tar.zst") && err.contains("damaged tar"),
        "{err}"
    );
    assert!(!err.contains("SECRET") && !err.contains('\u{1b}'), "{err}");
    // A refused name is escaped and cut short.
    let long = format!("\x1b[2J{}", "n".repeat(300));
    let err = refusal(with_manifest(RawEntry {
        name: long.as_bytes()[..100].to_vec(),
        typeflag: b'0',
        data: Vec::new(),
        link: Vec::new(),
    }));
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{err}");
}

#[test]
fn records_the_tar_reader_buffers_itself_are_held_to_the_limits() {
    // A GNU long name of 32 MiB of zeros before the manifest: the tar crate reads it into memory
    // itself, outside any entry's budget; the stream's own limits stop it.
    let long = RawEntry {
        name: b"././@LongLink".to_vec(),
        typeflag: b'L',
        data: vec![0u8; 32 << 20],
        link: Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.tar.zst");
    write_raw(
        &path,
        &[long, RawEntry::file(MANIFEST_PATH, &manifest_bytes())],
    );
    let limits = ReadLimits {
        ratio_grace_bytes: 1 << 20,
        max_entries: 10,
        ..ReadLimits::default()
    };
    let err = SnapshotReader::open(&path, limits).unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains("compression ratio limit"), "{text}");
}

#[test]
fn write_errors_name_the_target_not_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let target = file.join("snap.tar.zst");
    let Err(err) = SnapshotWriter::create(&target) else {
        panic!("a snapshot under a file was created");
    };
    let text = error_chain(&err);
    assert!(text.contains("a-file/snap.tar.zst"), "{text}");
    assert!(!text.contains(".coder-sec"), "{text}");
}
