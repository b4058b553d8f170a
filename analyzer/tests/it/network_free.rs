//! The analyzer never opens a socket: no network crate may enter its dependency tree.

use std::process::Command;

const NETWORK_CRATES: &[&str] = &[
    "tokio", "hyper", "reqwest", "rustls", "openssl", "kube", "axum", "h2", "mio", "socket2",
];

#[test]
fn no_network_crates() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "coder-sec-analyzer",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(super::support::root())
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let mut found = Vec::new();
    for line in tree.lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        if NETWORK_CRATES.contains(&name)
            || name.starts_with("kube-")
            || name.starts_with("tokio-")
            || name.starts_with("hyper-")
        {
            found.push(line.to_string());
        }
    }
    assert!(
        found.is_empty(),
        "network crates in the analyzer's tree: {found:?}"
    );
}
