//! The command line: clap types only. Flag doc comments are the `--help` text; they are resolved into
//! [`crate::settings`] before any work starts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

const EXIT_CODES_HELP: &str = "\
Exit codes of capture:
  0    complete: every kind was read
  3    complete with blind spots: the snapshot was written, but some kinds (or Coder API
       endpoints) were forbidden or unreadable; the manifest lists them
  2    usage error (bad flag, unknown context, unreadable kubeconfig)
  1    failed (the API server gave no answer, say): nothing was written at the target
  130  interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP): nothing was written, no temporary file left
analyze, inspect and verify exit as `coder-sec` does: 0 clean, 1 findings at or above `--fail-on`
(verify: hash mismatches), 2 usage or input error.";

const CAPTURE_AFTER_HELP: &str = "\
Examples:
  kubectl coder-sec capture
  kubectl coder-sec capture --context prod -n coder -n coder-workspaces -o prod.tar.zst
  kubectl coder-sec capture -o prod.tar.zst --force --request-timeout 2m
  CODER_SESSION_TOKEN=$(coder tokens create) kubectl coder-sec capture --coder-url https://coder.example.com

Exit codes:
  0    complete: every kind was read
  3    complete with blind spots: the snapshot was written, but some kinds (or Coder API
       endpoints) were forbidden or unreadable; the manifest lists them
  2    usage error (bad flag, unknown context, unreadable kubeconfig, `-o` exists without --force)
  1    failed (the API server gave no answer, say): nothing was written at the target
  130  interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP): nothing was written, no temporary file left

A namespace-scoped capture (`-n`) exits 3: what lies outside its namespaces is a blind spot.
Without a terminal, progress is a line every 5 s (`CODER_SEC_PROGRESS_INTERVAL` seconds).";

/// Capture a Kubernetes cluster running Coder into one redacted snapshot, and analyse it offline.
///
/// `capture` lists every kind coder-sec analyses (paged, in parallel, with retries), redacts each
/// object as it arrives, and writes one `.tar.zst` snapshot. Secret values never reach the disk.
/// Snapshots are analysed offline by `coder-sec` (or `analyze` here).
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-coder_sec",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture the cluster into a redacted snapshot (`.tar.zst`).
    #[command(after_help = CAPTURE_AFTER_HELP)]
    Capture(CaptureArgs),
    /// Capture, keep the snapshot, then analyse it (`analyze` flags go after `--`).
    #[command(after_help = SCAN_EXIT_CODES_HELP)]
    Scan(ScanArgs),
    /// Analyse a snapshot offline: attack paths and findings, exactly as `coder-sec analyze`.
    Analyze(crate::commands::analyze::Args),
    /// Show what a snapshot holds, before attaching it to a ticket (as `coder-sec inspect`).
    Inspect(crate::commands::inspect::Args),
    /// Find paths from or to one object, as `coder-sec paths` (what it reaches, who reaches it).
    Paths(crate::commands::paths::Args),
    /// Check every file of a snapshot against the hashes in its manifest (as `coder-sec verify`).
    Verify(crate::commands::verify::Args),
    /// Print a shell completion script for `kubectl-coder_sec` (bash, zsh or fish).
    #[command(after_help = COMPLETION_HELP)]
    Completion {
        /// The shell to write the script for.
        #[arg(value_enum)]
        shell: crate::commands::completion::Shell,
    },
    /// Shell completion for kubectl (run by the `kubectl_complete-coder_sec` executable).
    #[command(name = "__complete", hide = true)]
    Complete {
        /// The words after `coder-sec`; the last one is being completed.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

const COMPLETION_HELP: &str = "\
`kubectl coder-sec ...` (kubectl 1.26 and later) completes through the executable
`kubectl_complete-coder_sec`, which `cargo install --path plugin` installs beside the plugin;
krew does not install it, so copy it onto your PATH from the release archive or build it.
The scripts printed here complete the binary called directly, `kubectl-coder_sec ...`.

Examples:
  kubectl coder-sec completion bash > ~/.local/share/bash-completion/completions/kubectl-coder_sec
  kubectl coder-sec completion zsh > \"${fpath[1]}/_kubectl-coder_sec\"
  kubectl coder-sec completion fish > ~/.config/fish/completions/kubectl-coder_sec.fish";

const SCAN_EXIT_CODES_HELP: &str = "\
Example:
  kubectl coder-sec scan --context prod -o prod.tar.zst -- --format json --fail-on high

Exit codes: the analysis' exit code when it is not 0; else 0 (complete) or 3 (complete with
blind spots); 2 usage error; 1 capture failed (nothing written); 130 interrupted (143 SIGTERM,
129 SIGHUP; a signal during the analysis keeps the snapshot).";

/// `scan` flags: `capture`'s, then the analysis' after `--`.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Capture flags.
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// Flags for the analysis of the snapshot, after `--`.
    #[arg(last = true, value_name = "ANALYZE_FLAGS")]
    pub analyze: Vec<OsString>,
}

/// Connection flags, parsed by the plugin itself: kubectl passes no global flags to plugins.
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: `KUBECONFIG`, merged, else `~/.kube/config`).
    #[arg(long, value_name = "PATH", help_heading = "Connection")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use instead of the context's.
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use instead of the context's.
    #[arg(long, value_name = "NAME", help_heading = "Connection")]
    pub user: Option<String>,
    /// Capture only this namespace (repeatable, or comma-separated). Cluster-scoped kinds (nodes,
    /// cluster roles...) are still captured. Default: all namespaces.
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        value_delimiter = ',',
        help_heading = "Connection"
    )]
    pub namespaces: Vec<String>,
    /// Capture all namespaces (the default).
    #[arg(
        short = 'A',
        long,
        conflicts_with = "namespaces",
        help_heading = "Connection"
    )]
    pub all_namespaces: bool,
    /// Impersonate this user.
    #[arg(long = "as", value_name = "USER", help_heading = "Connection")]
    pub as_user: Option<String>,
    /// Impersonate this group (repeatable).
    #[arg(long = "as-group", value_name = "GROUP", help_heading = "Connection")]
    pub as_groups: Vec<String>,
    /// Impersonate this UID.
    #[arg(long = "as-uid", value_name = "UID", help_heading = "Connection")]
    pub as_uid: Option<String>,
    /// Longest wait for one request, its whole answer included (`30s`, `2m`; `0` = no limit).
    /// Connecting, TLS handshake included, waits at most 10 s whatever this says. When 3 requests in
    /// a row get no answer at all, the capture gives up (exit 1).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = crate::settings::DEFAULT_REQUEST_TIMEOUT,
        help_heading = "Connection"
    )]
    pub request_timeout: String,
    /// Do not verify the server's certificate (insecure).
    #[arg(long, help_heading = "Connection")]
    pub insecure_skip_tls_verify: bool,
}

/// `capture` flags.
#[derive(Debug, Clone, Args)]
pub struct CaptureArgs {
    /// Connection flags.
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Where to write the snapshot (default: `coder-sec-<context>-<UTC time>.tar.zst` here). An
    /// existing file is refused unless `--force`.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace the file at `-o` if there is one.
    #[arg(long)]
    pub force: bool,
    /// How many kinds to list at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// Objects per page (`limit`), as kubectl's `--chunk-size`. Memory follows the page, never the
    /// cluster.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub chunk_size: u32,
    /// How many times one request is tried before its kind is recorded as unreadable.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub max_attempts: u32,
    /// Look for coderd and provisioner deployments only in this namespace (default: everywhere).
    #[arg(long, value_name = "NS", help_heading = "Coder")]
    pub coder_namespace: Option<String>,
    /// Also read Coder's REST API at this URL (`https://coder.example.com`), with the session token
    /// from `CODER_SESSION_TOKEN`. Every response is redacted before it is written.
    #[arg(long, value_name = "URL", help_heading = "Coder")]
    pub coder_url: Option<String>,
    /// No progress display and no summary on stderr (errors and warnings are still printed).
    /// Without a terminal, progress is a line every few seconds (`CODER_SEC_PROGRESS_INTERVAL`
    /// seconds, default 5).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// The name shown in help and usage: `kubectl coder-sec` when run as a kubectl plugin (argv0's
/// file name starts with `kubectl-`), else the binary's own name.
pub fn display_name(argv0: &Path) -> String {
    let base = argv0
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match base.strip_prefix("kubectl-") {
        Some(rest) => format!("kubectl {}", rest.replace('_', "-")),
        None if base.is_empty() => "kubectl-coder_sec".to_string(),
        None => base,
    }
}

/// Parses arguments, naming the program in help as kubectl would show it.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let name = display_name(Path::new(
        args.first().map_or("".as_ref(), |a| a.as_os_str()),
    ));
    let mut command = Cli::command().bin_name(name.clone()).display_name(name);
    let matches = command.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plugin_mode_name() {
        assert_eq!(
            display_name(Path::new("/usr/local/bin/kubectl-coder_sec")),
            "kubectl coder-sec"
        );
        assert_eq!(
            display_name(Path::new("target/debug/coder-sec-x")),
            "coder-sec-x"
        );
    }

    #[test]
    fn help_says_kubectl_coder_sec() {
        let err = parse(["/x/kubectl-coder_sec", "capture", "--help"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("kubectl coder-sec capture"), "{text}");
        assert!(text.contains("Exit codes"), "{text}");
    }

    /// The `--help` of the plugin's own commands, as kubectl users see it.
    #[test]
    fn help_snapshots() {
        for sub in ["", "capture", "scan"] {
            let mut args = vec!["/usr/local/bin/kubectl-coder_sec"];
            if !sub.is_empty() {
                args.push(sub);
            }
            args.push("--help");
            let text = parse(args).unwrap_err().to_string();
            let name = if sub.is_empty() { "help" } else { sub };
            insta::assert_snapshot!(format!("help-{name}"), text);
        }
    }

    #[test]
    fn namespaces_repeat_and_split() {
        let cli = parse([
            "kubectl-coder_sec",
            "capture",
            "-n",
            "a,b",
            "--namespace",
            "c",
        ])
        .unwrap();
        let Command::Capture(args) = cli.command else {
            panic!("not capture");
        };
        assert_eq!(args.kube.namespaces, ["a", "b", "c"]);
        assert!(parse(["kubectl-coder_sec", "capture", "-n", "a", "-A"]).is_err());
    }
}
