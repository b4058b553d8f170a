//! Flags and environment resolved once into settings: kubeconfig (merged as kubectl merges it),
//! context, namespaces, impersonation, timeouts, output path. Errors here are usage errors (exit 2).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::capture::retry::RetryPolicy;

/// Longest wait to connect to the API server, TLS handshake included (kubectl waits 10 s for the
/// handshake). It applies whatever `--request-timeout` says, `0` included.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `--request-timeout` when not given: a request timeout is on by default, unlike kubectl's.
pub const DEFAULT_REQUEST_TIMEOUT: &str = "60s";
use crate::cli::{CaptureArgs, KubeArgs};
use crate::env::Env;

/// A flag or the environment does not describe a usable capture.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A kubeconfig file could not be read or parsed.
    #[error("cannot read kubeconfig `{path}`")]
    ReadKubeconfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// Two kubeconfig files of `KUBECONFIG` do not merge.
    #[error("cannot merge kubeconfig `{path}` into the files before it in `KUBECONFIG`")]
    MergeKubeconfig {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No kubeconfig anywhere and not inside a cluster.
    #[error("no kubeconfig found (looked at {looked}) and not running inside a cluster")]
    NoKubeconfig {
        /// Where we looked.
        looked: String,
    },
    /// The kubeconfig has no usable context, cluster or user for the flags given.
    #[error("kubeconfig context{} cannot be used", .context.as_deref().map(|c| format!(" `{c}`")).unwrap_or_default())]
    Context {
        /// The context asked for, if any.
        context: Option<String>,
        /// The cause.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// `--request-timeout` does not parse.
    #[error("`--request-timeout {value}` is not a duration")]
    Timeout {
        /// The value given.
        value: String,
    },
    /// A namespace name is not a DNS label.
    #[error("`--namespace {value}` is not a valid namespace name")]
    Namespace {
        /// The value given.
        value: String,
    },
    /// `--coder-url` without a token.
    #[error("`--coder-url` needs a Coder session token in `CODER_SESSION_TOKEN`")]
    NoCoderToken,
    /// The flags after `--` on `scan` are not analysis flags.
    #[error("the flags after `--` are not valid for `analyze`: {message}")]
    AnalyzeFlags {
        /// clap's message.
        message: String,
    },
    /// `-o` names an existing file and `--force` was not given.
    #[error("`{path}` already exists")]
    OutputExists {
        /// The target.
        path: PathBuf,
    },
    /// `-o` names a folder.
    #[error("`{path}` is a folder; `-o` takes the snapshot's file name")]
    OutputIsFolder {
        /// The target.
        path: PathBuf,
    },
    /// `--coder-url` does not parse.
    #[error("`--coder-url {value}` is not an http(s) URL")]
    CoderUrl {
        /// The value given.
        value: String,
    },
}

impl SettingsError {
    /// A `hint:` line for the operator, where one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            SettingsError::NoKubeconfig { .. } => {
                Some("pass `--kubeconfig PATH`, or set `KUBECONFIG`")
            }
            SettingsError::Context { .. } => Some(
                "list contexts with `kubectl config get-contexts`; pick one with `--context NAME`",
            ),
            SettingsError::Timeout { .. } => {
                Some("use a number with a unit: `30s`, `2m`, `1h`; `0` for no limit")
            }
            SettingsError::OutputExists { .. } => {
                Some("pass `--force` to replace it, or choose another name with `-o`")
            }
            SettingsError::NoCoderToken => {
                Some("create one with `coder tokens create` and `export CODER_SESSION_TOKEN=...`")
            }
            _ => None,
        }
    }
}

/// Where to connect and what to cover.
#[derive(Clone)]
pub struct KubeSettings {
    /// The client configuration (impersonation and timeouts applied).
    pub config: kube::Config,
    /// The kubeconfig context used, if any (none in-cluster).
    pub context: Option<String>,
    /// Namespaces to capture; empty means all namespaces.
    pub namespaces: Vec<String>,
    /// Longest wait for one request, connecting and reading the whole answer included; `None`
    /// when `--request-timeout 0`.
    pub request_timeout: Option<Duration>,
}

impl std::fmt::Debug for KubeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeSettings")
            .field("cluster_url", &self.config.cluster_url)
            .field("context", &self.context)
            .field("namespaces", &self.namespaces)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

/// The optional Coder API capture.
#[derive(Clone)]
pub struct CoderApiSettings {
    /// Base URL of the Coder deployment.
    pub url: http::Uri,
    /// Session token (never printed).
    pub token: String,
}

impl std::fmt::Debug for CoderApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoderApiSettings")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Everything `capture` needs, resolved.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    /// Connection and scope.
    pub kube: KubeSettings,
    /// The snapshot's path.
    pub output: PathBuf,
    /// Kinds listed at once.
    pub concurrency: usize,
    /// Objects per page.
    pub chunk_size: u32,
    /// Retry policy for each request.
    pub retry: RetryPolicy,
    /// Only look for coderd here.
    pub coder_namespace: Option<String>,
    /// The Coder API capture, if asked for.
    pub coder_api: Option<CoderApiSettings>,
    /// Whether to draw progress and the summary on stderr.
    pub quiet: bool,
    /// Whether colour is allowed.
    pub color: bool,
    /// Replace an existing file at `output`.
    pub force: bool,
    /// Time between progress lines when stderr is not a terminal.
    pub progress_interval: Duration,
    /// Tests only: how long to block just before writing the archive.
    pub archive_pause: Option<Duration>,
}

impl CaptureSettings {
    /// Resolves `capture` flags.
    pub async fn resolve(args: &CaptureArgs, env: &Env) -> Result<Self, SettingsError> {
        let kube = resolve_kube(&args.kube, env).await?;
        let output = match &args.output {
            Some(path) => path.clone(),
            None => PathBuf::from(default_output_name(
                kube.context.as_deref(),
                time::OffsetDateTime::now_utc(),
            )),
        };
        let coder_api = match &args.coder_url {
            None => None,
            Some(url) => {
                let parsed: http::Uri = url
                    .trim_end_matches('/')
                    .parse()
                    .ok()
                    .filter(|u: &http::Uri| {
                        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
                    })
                    .ok_or_else(|| SettingsError::CoderUrl { value: url.clone() })?;
                let token = env
                    .coder_session_token
                    .clone()
                    .ok_or(SettingsError::NoCoderToken)?;
                Some(CoderApiSettings { url: parsed, token })
            }
        };
        if let Some(ns) = &args.coder_namespace {
            check_namespace(ns)?;
        }
        check_output(&output, args.force)?;
        Ok(CaptureSettings {
            kube,
            output,
            concurrency: args.concurrency as usize,
            chunk_size: args.chunk_size,
            retry: RetryPolicy {
                max_attempts: args.max_attempts,
                ..RetryPolicy::default()
            },
            coder_namespace: args.coder_namespace.clone(),
            coder_api,
            quiet: args.quiet,
            color: !env.no_color,
            force: args.force,
            progress_interval: env
                .progress_interval
                .unwrap_or(crate::capture::progress::DEFAULT_INTERVAL),
            archive_pause: env.archive_pause,
        })
    }
}

/// Refuses a target that is a folder, or that exists without `--force`. (The final rename checks
/// again: a file that appears meanwhile is not replaced either.)
pub fn check_output(output: &Path, force: bool) -> Result<(), SettingsError> {
    match std::fs::metadata(output) {
        Ok(meta) if meta.is_dir() => Err(SettingsError::OutputIsFolder {
            path: output.to_path_buf(),
        }),
        Ok(_) if !force => Err(SettingsError::OutputExists {
            path: output.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Resolves connection flags the way kubectl does: `--kubeconfig`, else the merged `KUBECONFIG`
/// list (missing files skipped), else `~/.kube/config`, else the in-cluster service account.
pub async fn resolve_kube(args: &KubeArgs, env: &Env) -> Result<KubeSettings, SettingsError> {
    let mut namespaces: Vec<String> = Vec::new();
    for ns in &args.namespaces {
        check_namespace(ns)?;
        if !namespaces.contains(ns) {
            namespaces.push(ns.clone());
        }
    }
    namespaces.sort();
    let request_timeout = if args.request_timeout.trim().is_empty() {
        parse_timeout(DEFAULT_REQUEST_TIMEOUT)?
    } else {
        parse_timeout(&args.request_timeout)?
    };
    let (mut config, context) = match load_kubeconfig(args.kubeconfig.as_deref(), env)? {
        Some(kubeconfig) => {
            let options = KubeConfigOptions {
                context: args.context.clone(),
                cluster: args.cluster.clone(),
                user: args.user.clone(),
            };
            let context = args
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|source| SettingsError::Context {
                    context: context.clone(),
                    source,
                })?;
            (config, context)
        }
        None => match kube::Config::incluster() {
            Ok(config) => (config, None),
            Err(_) => {
                return Err(SettingsError::NoKubeconfig {
                    looked: looked_at(env),
                });
            }
        },
    };
    if let Some(user) = &args.as_user {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !args.as_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(args.as_groups.clone());
    }
    if let Some(uid) = &args.as_uid {
        config.auth_info.impersonate_uid = Some(uid.clone());
    }
    if args.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    // Connecting (TLS included) never waits longer than the connect timeout, nor than the request
    // timeout; reading waits at most the request timeout between bytes (the requester also bounds
    // each whole request by it).
    config.connect_timeout = Some(match request_timeout {
        Some(t) => t.min(CONNECT_TIMEOUT),
        None => CONNECT_TIMEOUT,
    });
    config.read_timeout = request_timeout;
    // The lister retries with its own policy and needs to see 429s, 5xx and their headers.
    config.default_retry = false;
    Ok(KubeSettings {
        config,
        context,
        namespaces,
        request_timeout,
    })
}

/// Reads the kubeconfig kubectl would read. `None` when there is none at all.
pub fn load_kubeconfig(
    explicit: Option<&Path>,
    env: &Env,
) -> Result<Option<Kubeconfig>, SettingsError> {
    if let Some(path) = explicit {
        return Kubeconfig::read_from(path).map(Some).map_err(|source| {
            SettingsError::ReadKubeconfig {
                path: path.to_path_buf(),
                source,
            }
        });
    }
    if let Some(list) = &env.kubeconfig {
        let mut merged: Option<Kubeconfig> = None;
        for path in std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()) {
            // kubectl skips files of the list that do not exist.
            if !path.exists() {
                continue;
            }
            let next =
                Kubeconfig::read_from(&path).map_err(|source| SettingsError::ReadKubeconfig {
                    path: path.clone(),
                    source,
                })?;
            merged = Some(match merged {
                None => next,
                Some(first) => first
                    .merge(next)
                    .map_err(|source| SettingsError::MergeKubeconfig { path, source })?,
            });
        }
        return Ok(merged);
    }
    let Some(home) = &env.home else {
        return Ok(None);
    };
    let path = home.join(".kube").join("config");
    if !path.exists() {
        return Ok(None);
    }
    Kubeconfig::read_from(&path)
        .map(Some)
        .map_err(|source| SettingsError::ReadKubeconfig { path, source })
}

fn looked_at(env: &Env) -> String {
    match (&env.kubeconfig, &env.home) {
        (Some(list), _) => format!("`KUBECONFIG={}`", list.to_string_lossy()),
        (None, Some(home)) => format!("`{}`", home.join(".kube/config").display()),
        (None, None) => "`~/.kube/config` (no `HOME`)".to_string(),
    }
}

/// Parses kubectl's `--request-timeout`: `0` or nothing (no limit), a bare number of seconds, or numbers with
/// units `ms`, `s`, `m`, `h` (`1m30s`).
pub fn parse_timeout(value: &str) -> Result<Option<Duration>, SettingsError> {
    let err = || SettingsError::Timeout {
        value: value.to_string(),
    };
    let text = value.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok((seconds > 0).then(|| Duration::from_secs(seconds)));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(err)?;
        let number: f64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        total += Duration::from_secs_f64(number * scale);
        rest = &rest[unit_len..];
    }
    Ok((!total.is_zero()).then_some(total))
}

fn check_namespace(ns: &str) -> Result<(), SettingsError> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(SettingsError::Namespace {
            value: ns.to_string(),
        })
    }
}

/// The default snapshot name: `coder-sec-<context>-<YYYYMMDDTHHMMSSZ>.tar.zst`, the context reduced
/// to letters, digits, `.`, `_` and `-` (an EKS ARN becomes `arn-aws-eks-...-cluster-prod`).
pub fn default_output_name(context: Option<&str>, now: time::OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let context = context.map(sanitize).filter(|c| !c.is_empty());
    match context {
        Some(c) => format!("coder-sec-{c}-{stamp}.tar.zst"),
        None => format!("coder-sec-{stamp}.tar.zst"),
    }
}

fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let c = if keep { c } else { '-' };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_matches(|c| c == '-' || c == '.');
    trimmed.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn kubeconfig(name: &str, server: &str, namespace: Option<&str>) -> String {
        let ns = namespace
            .map(|n| format!("\n    namespace: {n}"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {name}\nclusters:\n- name: {name}\n  cluster:\n    server: {server}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}{ns}\nusers:\n- name: {name}\n  user:\n    token: tok-{name}\n"
        )
    }

    fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test]
    async fn kubeconfig_list_merges_first_wins_and_skips_missing() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a",
            &kubeconfig("alpha", "https://10.0.0.1:6443", None),
        );
        let b = write(
            dir.path(),
            "b",
            &kubeconfig("beta", "https://10.0.0.2:6443", Some("team")),
        );
        let list = std::env::join_paths([a, dir.path().join("missing"), b]).unwrap();
        let env = Env {
            kubeconfig: Some(list),
            ..Env::default()
        };
        let merged = load_kubeconfig(None, &env).unwrap().unwrap();
        assert_eq!(merged.current_context.as_deref(), Some("alpha"));
        assert_eq!(merged.contexts.len(), 2);

        let settings = resolve_kube(&KubeArgs::default(), &env).await.unwrap();
        assert_eq!(settings.context.as_deref(), Some("alpha"));
        // Timeouts are on by default: connecting (TLS included) 10 s, each request 60 s.
        assert_eq!(settings.config.connect_timeout, Some(CONNECT_TIMEOUT));
        assert!(CONNECT_TIMEOUT <= Duration::from_secs(15));
        assert_eq!(settings.request_timeout, Some(Duration::from_secs(60)));
        let no_limit = KubeArgs {
            request_timeout: "0".into(),
            ..KubeArgs::default()
        };
        let settings = resolve_kube(&no_limit, &env).await.unwrap();
        assert_eq!(settings.request_timeout, None);
        assert_eq!(settings.config.connect_timeout, Some(CONNECT_TIMEOUT));
        let short = KubeArgs {
            request_timeout: "2s".into(),
            ..KubeArgs::default()
        };
        let settings = resolve_kube(&short, &env).await.unwrap();
        assert_eq!(
            settings.config.connect_timeout,
            Some(Duration::from_secs(2))
        );
        assert_eq!(settings.config.cluster_url.host(), Some("10.0.0.1"));
        assert!(settings.namespaces.is_empty());

        let args = KubeArgs {
            context: Some("beta".into()),
            namespaces: vec!["b".into(), "a".into(), "b".into()],
            as_user: Some("jane".into()),
            as_groups: vec!["ops".into()],
            request_timeout: "1m30s".into(),
            ..KubeArgs::default()
        };
        let settings = resolve_kube(&args, &env).await.unwrap();
        assert_eq!(settings.context.as_deref(), Some("beta"));
        assert_eq!(settings.config.cluster_url.host(), Some("10.0.0.2"));
        assert_eq!(settings.config.default_namespace, "team");
        assert_eq!(settings.namespaces, ["a", "b"]);
        assert_eq!(
            settings.config.auth_info.impersonate.as_deref(),
            Some("jane")
        );
        assert_eq!(settings.config.read_timeout, Some(Duration::from_secs(90)));
        assert_eq!(settings.request_timeout, Some(Duration::from_secs(90)));
        assert_eq!(settings.config.connect_timeout, Some(CONNECT_TIMEOUT));
        assert!(!settings.config.default_retry);
    }

    #[tokio::test]
    async fn explicit_kubeconfig_wins_and_unknown_context_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a",
            &kubeconfig("alpha", "https://10.0.0.1:6443", None),
        );
        let b = write(
            dir.path(),
            "b",
            &kubeconfig("beta", "https://10.0.0.2:6443", None),
        );
        let env = Env {
            kubeconfig: Some(OsString::from(&a)),
            ..Env::default()
        };
        let args = KubeArgs {
            kubeconfig: Some(b),
            ..KubeArgs::default()
        };
        let settings = resolve_kube(&args, &env).await.unwrap();
        assert_eq!(settings.context.as_deref(), Some("beta"));

        let args = KubeArgs {
            context: Some("nope".into()),
            ..args
        };
        let err = resolve_kube(&args, &env).await.unwrap_err();
        assert!(matches!(err, SettingsError::Context { .. }), "{err}");
        assert!(err.to_string().contains("`nope`"));
        assert!(err.hint().is_some());
    }

    #[tokio::test]
    async fn home_kubeconfig_and_nothing_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            home: Some(dir.path().to_path_buf()),
            ..Env::default()
        };
        assert!(load_kubeconfig(None, &env).unwrap().is_none());
        std::fs::create_dir(dir.path().join(".kube")).unwrap();
        write(
            &dir.path().join(".kube"),
            "config",
            &kubeconfig("home", "https://10.0.0.3", None),
        );
        let kc = load_kubeconfig(None, &env).unwrap().unwrap();
        assert_eq!(kc.current_context.as_deref(), Some("home"));
    }

    #[test]
    fn existing_output_needs_force_and_a_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "notes.txt", "keep");
        assert!(check_output(&dir.path().join("new.tar.zst"), false).is_ok());
        let err = check_output(&file, false).unwrap_err();
        assert!(matches!(err, SettingsError::OutputExists { .. }), "{err}");
        assert!(err.hint().unwrap().contains("--force"));
        assert!(check_output(&file, true).is_ok());
        let err = check_output(dir.path(), true).unwrap_err();
        assert!(matches!(err, SettingsError::OutputIsFolder { .. }), "{err}");
    }

    #[test]
    fn bad_namespace_is_refused() {
        assert!(check_namespace("kube-system").is_ok());
        for bad in ["", "Caps", "a_b", "-a", &"x".repeat(64)] {
            assert!(check_namespace(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("0").unwrap(), None);
        assert_eq!(parse_timeout("30").unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("30s").unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m").unwrap(), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_timeout("1h1m1s").unwrap(),
            Some(Duration::from_secs(3661))
        );
        assert_eq!(
            parse_timeout("500ms").unwrap(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_timeout("").unwrap(), None);
        for bad in ["abc", "10x", "s", "-1s"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_output_names() {
        let t = time::macros::datetime!(2026-11-27 03:15:00 UTC);
        assert_eq!(
            default_output_name(Some("kind-dev"), t),
            "coder-sec-kind-dev-20261127T031500Z.tar.zst"
        );
        assert_eq!(
            default_output_name(Some("arn:aws:eks:us-east-1:123456789012:cluster/prod"), t),
            "coder-sec-arn-aws-eks-us-east-1-123456789012-cluster-prod-20261127T031500Z.tar.zst"
        );
        assert_eq!(
            default_output_name(Some("../../etc/passwd"), t),
            "coder-sec-etc-passwd-20261127T031500Z.tar.zst"
        );
        assert_eq!(
            default_output_name(None, t),
            "coder-sec-20261127T031500Z.tar.zst"
        );
        let t = time::macros::datetime!(2026-11-27 05:15:00 +02:00);
        assert!(default_output_name(Some("x"), t).ends_with("20261127T031500Z.tar.zst"));
    }
}
