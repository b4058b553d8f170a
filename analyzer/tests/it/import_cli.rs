//! `coder-sec import` as a user runs it: existing targets, inputs as targets, files that are not
//! Kubernetes objects, endless sources, and signals arriving mid-import.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn coder_sec(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coder-sec"))
        .args(args)
        .output()
        .expect("coder-sec runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: app\n";

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

#[test]
fn existing_targets_need_force_and_inputs_are_never_targets() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.yaml");
    std::fs::write(&input, POD).unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "keep").unwrap();

    let o = coder_sec(&[&p("import"), &input, &p("-o"), &notes]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already exists") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "keep");

    for args in [
        vec![p("import"), input.clone(), p("-o"), input.clone()],
        vec![
            p("import"),
            input.clone(),
            p("-o"),
            input.clone(),
            p("--force"),
        ],
        vec![
            p("import"),
            dir.path().into(),
            p("-o"),
            input.clone(),
            p("--force"),
        ],
    ] {
        let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        let o = coder_sec(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("one of the inputs"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&input).unwrap(), POD);
    }

    let o = coder_sec(&[&p("import"), &input, &p("-o"), &notes, &p("--force")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(dir.path()), ["in.yaml", "notes.txt"]);
}

#[test]
fn chart_files_are_skipped_with_a_warning_and_strict_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir(&chart).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: coder\n").unwrap();
    std::fs::write(chart.join("values.yaml"), "coder: {}\n").unwrap();
    std::fs::write(chart.join("pod.yaml"), POD).unwrap();
    let out = dir.path().join("out.tar.zst");
    let o = coder_sec(&[&p("import"), &chart, &p("-o"), &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: skipped `") && err.contains("Chart.yaml` document 1"),
        "{err}"
    );
    assert!(err.contains("1 objects of 1 kinds"), "{err}");

    let strict = dir.path().join("strict.tar.zst");
    let o = coder_sec(&[&p("import"), &chart, &p("-o"), &strict, &p("--strict")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--strict"), "{}", stderr(&o));

    let nothing = dir.path().join("nothing.tar.zst");
    let o = coder_sec(&[&p("import"), &chart.join("values.yaml"), &p("-o"), &nothing]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing to import"), "{}", stderr(&o));
    assert_eq!(names(dir.path()), ["chart", "out.tar.zst"]);
}

#[cfg(unix)]
#[test]
fn endless_device_is_refused_at_the_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.tar.zst");
    let o = coder_sec(&[&p("import"), &p("/dev/zero"), &p("-o"), &out]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/zero` holds more than"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(dir.path()), Vec::<String>::new());
}

/// A FIFO that nobody writes holds the import in its reading phase; each signal must end it with
/// exit 128 + the signal's number, nothing at the target and no temporary file.
#[cfg(unix)]
#[test]
fn signals_stop_an_import_and_leave_nothing() {
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.yaml");
        std::fs::write(&input, POD).unwrap();
        let fifo = dir.path().join("never.yaml");
        let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_coder-sec"))
            .arg("import")
            .arg(&input)
            .arg(&fifo)
            .arg("-o")
            .arg(out_dir.join("snap.tar.zst"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The import has started writing once its spool folder exists.
        let started = Instant::now();
        while names(&out_dir).is_empty() {
            assert!(started.elapsed() < Duration::from_secs(30), "never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(200));
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{signal}: {}", stderr(&o));
        assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
        assert_eq!(names(&out_dir), Vec::<String>::new(), "SIG{signal}");
    }
}
