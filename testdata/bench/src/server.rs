//! The test API server, in its own child process, serving a scenario folder on loopback.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};

/// A running `coder-sec-test-apiserver`; killed (by its pid) when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Seconds from spawn until it printed its address (loading the scenario included).
    pub ready_seconds: f64,
}

impl Server {
    /// Starts the server on `scenario` and writes its kubeconfig to `kubeconfig`.
    pub fn start(binary: &Path, scenario: &Path, kubeconfig: &Path) -> anyhow::Result<Server> {
        let t = Instant::now();
        let mut child = Command::new(binary)
            .arg("--scenario")
            .arg(scenario)
            .args(["--listen", "127.0.0.1:0", "--write-kubeconfig"])
            .arg(kubeconfig)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot run `{}`", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .context("cannot read the server's address")?;
        let ready_seconds = t.elapsed().as_secs_f64();
        let mut server = Server {
            child,
            ready_seconds,
        };
        if !line.trim().starts_with("https://") {
            let status = server.child.try_wait().ok().flatten();
            bail!("the test API server did not start ({status:?})");
        }
        Ok(server)
    }

    /// The server's peak RSS so far (`VmHWM`), in bytes.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        crate::phase::vm_hwm(&status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
