//! Nothing fails silently: servers that never answer, signals at every phase, targets that exist,
//! namespaces that do not.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coder_sec_test_apiserver::{Faults, StallServer};

use crate::support::*;

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Captures from a server that accepts and never answers; returns the output and how long it took.
async fn capture_from_stall(scheme: &str, flags: &[&str]) -> (std::process::Output, Duration) {
    let stall = StallServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("k");
    std::fs::write(&kubeconfig, stall.kubeconfig(scheme)).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let mut c = plugin(dir.path());
    c.arg("capture")
        .args(flags)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("-o")
        .arg(out_dir.join("snap.tar.zst"));
    let started = Instant::now();
    let output = run(c).await;
    let took = started.elapsed();
    assert_eq!(
        names(&out_dir),
        Vec::<String>::new(),
        "{}",
        describe(&output)
    );
    (output, took)
}

/// A TLS handshake that never completes gives up on the default timeouts: 3 attempts of at most 10 s
/// each (it took 4 min 17 s before), then exit 1 with a hint and nothing left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_tls_handshake_gives_up_on_default_timeouts() {
    let (output, took) = capture_from_stall("https", &["-q"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no answer from the API server") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// A server that accepts and never answers a request hits the request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_server_hits_the_request_timeout() {
    let (output, took) = capture_from_stall("http", &["-q", "--request-timeout", "1s"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no answer from the API server") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("timed out") || stderr.contains("request timeout"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// Runs `c`, waits until `ready` (given each stderr line, and between lines) says the phase to
/// interrupt has come, sends `signal`, and returns the exit status and the whole stderr.
async fn interrupt(
    mut c: Command,
    signal: &'static str,
    mut ready: impl FnMut(Option<&str>) -> bool + Send + 'static,
) -> (std::process::ExitStatus, String) {
    tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                all.push_str(&line);
                all.push('\n');
                let _ = tx.send(line);
            }
            all
        });
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < Duration::from_secs(60), "never ready");
            match lines.recv_timeout(Duration::from_millis(20)) {
                Ok(line) if ready(Some(&line)) => break,
                Err(_) if ready(None) => break,
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        (output.status, reader.join().unwrap())
    })
    .await
    .unwrap()
}

const SIGNALS: [(&str, i32); 3] = [("INT", 130), ("TERM", 143), ("HUP", 129)];

/// Each signal while kinds are being listed (the target's folder holds the spool): exit 128 + the
/// signal, and nothing in the folder (no snapshot, no spool folder, no temporary file).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_while_listing_leave_nothing() {
    let cluster = Cluster::start(
        Vec::new(),
        Faults {
            latency: Duration::from_millis(300),
            ..Faults::default()
        },
    )
    .await;
    for (signal, code) in SIGNALS {
        let out_dir = cluster.path(&format!("out-{signal}"));
        std::fs::create_dir(&out_dir).unwrap();
        let c = cluster.capture(&["-q", "--chunk-size", "1"], &out_dir.join("s.tar.zst"));
        let watched = out_dir.clone();
        let (status, stderr) = interrupt(c, signal, move |_| !names(&watched).is_empty()).await;
        assert_eq!(status.code(), Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains(&format!("interrupted (SIG{signal})")),
            "{stderr}"
        );
        assert_eq!(names(&out_dir), Vec::<String>::new(), "SIG{signal}");
    }
}

/// Each signal while the archive is written (held there by the test-only pause, which blocks as a
/// long write does): it was swallowed before, leaving exit 0 and a snapshot.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_while_writing_the_archive_leave_nothing() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    for (signal, code) in SIGNALS {
        let out_dir = cluster.path(&format!("archive-{signal}"));
        std::fs::create_dir(&out_dir).unwrap();
        let mut c = cluster.capture(&[], &out_dir.join("s.tar.zst"));
        c.env("CODER_SEC_TEST_ARCHIVE_PAUSE_MS", "2500")
            .env("CODER_SEC_PROGRESS_INTERVAL", "1");
        let (status, stderr) = interrupt(c, signal, |line| {
            line.is_some_and(|l| l.contains("writing the snapshot archive"))
        })
        .await;
        assert_eq!(status.code(), Some(code), "SIG{signal}: {stderr}");
        assert_eq!(names(&out_dir), Vec::<String>::new(), "SIG{signal}");
        // Without a terminal, progress still shows: the phases, and a line every interval.
        assert!(stderr.contains("progress ["), "{stderr}");
        assert!(stderr.contains("steps done"), "{stderr}");
    }
}

/// `-o` never replaces a file silently: refused (exit 2, hint) unless `--force`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_output_is_refused_unless_force() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let out = cluster.path("notes.txt");
    std::fs::write(&out, "keep me").unwrap();
    let output = run(cluster.capture(&["-q"], &out)).await;
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    let output = run(cluster.capture(&["-q", "--force"], &out)).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(Snapshot::read(&out).manifest.object_count() > 0);
    let leftovers: Vec<String> = names(cluster.dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".coder-sec"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `-n nosuchns` is no longer silent: a warning, and blind spots for the missing namespace and for
/// everything outside the namespaces captured (exit 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_namespace_and_namespace_scope_are_said() {
    let cluster = Cluster::start(Vec::new(), Faults::default()).await;
    let out = cluster.path("ns.tar.zst");
    let output = run(cluster.capture(&["-n", "nosuchns,default"], &out)).await;
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: namespace `nosuchns` does not exist"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: namespace-scoped capture"),
        "{stderr}"
    );
    let spots = Snapshot::read(&out).manifest.blind_spots;
    assert!(
        spots.iter().any(|b| b.subject == "namespace `nosuchns`"),
        "{spots:?}"
    );
    assert!(
        spots.iter().any(
            |b| b.subject == "namespaces other than `default`, `nosuchns`"
                && b.hides.contains("cluster-scoped")
        ),
        "{spots:?}"
    );
}
