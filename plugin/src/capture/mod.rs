//! The capture pipeline: who am I, what is served, every kind listed in parallel into its spool, the
//! access reviews, Coder's state, the optional Coder API, then the manifest and the atomic write.

pub mod discovery;
pub mod identity;
pub mod lister;
pub mod observe;
pub mod platform;
pub mod progress;
pub mod request;
pub mod retry;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use coder_sec_model::archive::ArchiveError;
use coder_sec_model::format::{BlindSpot, Manifest, Source};
use coder_sec_model::{KINDS, KindSpec, KindStatus, Redactor, SnapshotWriter};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use self::discovery::{Discovery, Served};
use self::lister::{KindOutcome, ListContext, Paging, SpoolError};
use self::observe::Observer;
use self::progress::Progress;
use self::request::{RequestError, Requester};
use crate::coder::detect::CoderDetector;
use crate::coder::workspaces::{ScanError, WORKSPACE_KINDS, WorkspaceSummary};
use crate::settings::CaptureSettings;

/// The tool name written into manifests.
pub const TOOL_NAME: &str = "kubectl-coder_sec";

/// Longest wait for `/version`, the first request (shorter when `--request-timeout` is).
pub const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Archive path of the access reviews.
pub const RULES_PATH: &str = "identity/rules.jsonl";
/// Archive path of the Coder deployments found.
pub const DEPLOYMENTS_PATH: &str = "coder/deployments.json";
/// Archive path of the redacted Helm releases of Coder's charts.
pub const HELM_RELEASES_PATH: &str = "coder/helm-releases.jsonl";
/// Archive path of the workspace counts.
pub const WORKSPACES_PATH: &str = "coder/workspaces.json";
/// Archive path of the workspace objects, one line each.
pub const WORKSPACE_OBJECTS_PATH: &str = "coder/workspaces.jsonl";

/// A capture that could not produce a snapshot. Nothing is left at the target.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The snapshot's temporary files could not be created.
    #[error("cannot create the snapshot `{path}`")]
    Create {
        /// The target.
        path: PathBuf,
        /// The cause.
        #[source]
        source: ArchiveError,
    },
    /// The API server did not answer.
    #[error("cannot reach the API server at `{url}`")]
    Unreachable {
        /// The server.
        url: String,
        /// The cause.
        #[source]
        source: RequestError,
    },
    /// The API server refused the credentials.
    #[error("the API server at `{url}` refused the credentials")]
    Unauthorized {
        /// The server.
        url: String,
        /// The cause.
        #[source]
        source: RequestError,
    },
    /// A kind could not be spooled to disk.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// Another file could not be spooled to disk.
    #[error("cannot spool `{path}`")]
    File {
        /// The archive path.
        path: String,
        /// The cause.
        #[source]
        source: ArchiveError,
    },
    /// The archive could not be written.
    #[error("cannot write the snapshot `{path}`")]
    Write {
        /// The target.
        path: PathBuf,
        /// The cause.
        #[source]
        source: ArchiveError,
    },
    /// A listing task panicked.
    #[error("a listing task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl CaptureError {
    /// A `hint:` line, where one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            CaptureError::Unreachable {
                source: RequestError::Tls { .. },
                ..
            } => Some(
                "the kubeconfig's `certificate-authority-data` does not match the server's certificate; `--insecure-skip-tls-verify` skips the check (insecure)",
            ),
            CaptureError::Unreachable {
                source: RequestError::Unreachable { .. },
                ..
            } => Some(
                "the server accepted no connection or sent no answer in time; check the context (`--context`), the network and proxies, and `--request-timeout` (`kubectl get --raw /version` should answer)",
            ),
            CaptureError::Unreachable { .. } => Some(
                "check the context (`--context`), the network, and `--request-timeout`; `kubectl get --raw /version` should answer",
            ),
            CaptureError::Unauthorized { .. } => {
                Some("refresh the credentials (`kubectl auth whoami` should answer)")
            }
            CaptureError::Create { .. } | CaptureError::Write { .. } => {
                Some("check that the folder of `-o` exists and is writable, and has free space")
            }
            _ => None,
        }
    }
}

/// A written snapshot.
#[derive(Debug)]
pub struct Outcome {
    /// The final manifest.
    pub manifest: Manifest,
    /// The archive's size in bytes.
    pub size: u64,
    /// Where it was written.
    pub path: PathBuf,
    /// Requests retried after transient failures.
    pub retries: u64,
}

impl Outcome {
    /// Kinds that were forbidden or unreadable.
    pub fn unread(&self) -> impl Iterator<Item = &coder_sec_model::KindEntry> {
        self.manifest
            .kinds
            .iter()
            .filter(|k| matches!(k.status, KindStatus::Forbidden | KindStatus::Error))
    }
}

/// Captures the cluster behind `client` into `target` (the command renames it to `settings.output`
/// once done; errors name `settings.output`).
pub async fn run(
    client: kube::Client,
    settings: &CaptureSettings,
    progress: &Progress,
    target: &std::path::Path,
) -> Result<Outcome, CaptureError> {
    let url = settings.kube.config.cluster_url.to_string();
    let api = Requester::new(client, settings.retry).with_timeout(settings.kube.request_timeout);
    let writer = SnapshotWriter::create(target).map_err(|source| CaptureError::Create {
        path: settings.output.clone(),
        source,
    })?;
    let redactor = Arc::new(Redactor::new());
    let mut manifest = Manifest::new(TOOL_NAME, env!("CARGO_PKG_VERSION"), Source::Capture);
    let mut blind_spots: BTreeSet<BlindSpot> = BTreeSet::new();
    let fatal = |source: RequestError| match source {
        RequestError::Unauthorized { .. } => CaptureError::Unauthorized {
            url: url.clone(),
            source,
        },
        _ => CaptureError::Unreachable {
            url: url.clone(),
            source,
        },
    };

    // `/version` answers at once on a healthy server: a shorter wait tells a dead one sooner.
    let probe = api.with_timeout(settings.kube.request_timeout.map(|t| t.min(PROBE_TIMEOUT)));
    let version: Value = probe.get_json("/version").await.map_err(fatal)?;
    let git_version = version
        .get("gitVersion")
        .and_then(Value::as_str)
        .map(str::to_string);

    match identity::who_am_i(&api).await {
        Ok(identity) => manifest.identity = Some(identity),
        Err(e @ RequestError::Unauthorized { .. }) => return Err(fatal(e)),
        Err(e) => {
            blind_spots.insert(BlindSpot {
                subject: "capturing identity".into(),
                reason: format!("SelfSubjectReview failed: {e}"),
                hides: "who made the capture, so which blind spots come from its rights".into(),
            });
        }
    }

    let discovery = match Discovery::read(&api).await {
        Ok(d) => d,
        Err(e @ RequestError::Unauthorized { .. }) => return Err(fatal(e)),
        Err(e) => {
            blind_spots.insert(BlindSpot {
                subject: "API discovery".into(),
                reason: format!("`/apis` failed: {e}"),
                hides:
                    "which add-on kinds (cert-manager, Cilium, Calico, Istio) the cluster serves"
                        .into(),
            });
            Discovery::everything()
        }
    };
    check_namespaces(&api, settings, progress, &mut blind_spots).await?;
    for (gv, message) in &discovery.failures {
        blind_spots.insert(BlindSpot {
            subject: format!("API discovery of `{gv}`"),
            reason: message.clone(),
            hides: "whether the kinds of that group are served; they were listed anyway".into(),
        });
    }

    // List every served kind, in parallel, each into its own spool.
    let writer = Arc::new(writer);
    let observer = Arc::new(Observer::new(settings.coder_namespace.clone()));
    let ctx = Arc::new(ListContext {
        api: api.clone(),
        writer: writer.clone(),
        redactor: redactor.clone(),
        observer: observer.clone(),
        paging: Paging {
            chunk_size: settings.chunk_size,
            max_restarts: lister::MAX_RESTARTS,
        },
    });
    let listed = list_all(&ctx, &discovery, settings, progress).await?;
    drop(ctx);
    // A server that stopped answering made every kind fail: that is no snapshot.
    if let Some(gone) = api.gone() {
        return Err(fatal(gone));
    }
    let node = observer.node();
    let seen_namespaces = observer.namespaces();
    let coder = Arc::try_unwrap(observer)
        .map(Observer::into_coder)
        .unwrap_or_else(|_| unreachable!("every listing task has ended"));
    let mut writer =
        Arc::try_unwrap(writer).unwrap_or_else(|_| unreachable!("every listing task has ended"));

    write_workspaces(&mut writer, &listed)?;
    record_kinds(&mut writer, listed, &mut blind_spots);

    let review_namespaces: Vec<String> = if settings.kube.namespaces.is_empty() {
        seen_namespaces.into_iter().collect()
    } else {
        settings.kube.namespaces.clone()
    };
    write_rules(
        &mut writer,
        &api,
        &review_namespaces,
        settings,
        progress,
        &mut blind_spots,
    )
    .await?;
    write_coder_state(&mut writer, &coder)?;

    if let Some(coder_api) = &settings.coder_api {
        let bar = progress.line("Coder API");
        let spots = crate::coder::api::capture(coder_api, &mut writer, &redactor).await?;
        bar.set_position(crate::coder::api::ENDPOINTS.len() as u64);
        progress.finish(&bar, if spots.is_empty() { "done" } else { "partial" });
        blind_spots.extend(spots);
    }

    if let Some(gone) = api.gone() {
        return Err(fatal(gone));
    }
    manifest.cluster.server_version = git_version.clone();
    manifest.cluster.platform =
        platform::guess_platform(git_version.as_deref(), node.as_ref(), &discovery.groups)
            .map(str::to_string);
    manifest.cluster.context = settings.kube.context.clone();
    manifest.scope.namespaces = settings.kube.namespaces.clone();
    manifest.redaction = redactor.summary();
    manifest.blind_spots = blind_spots.into_iter().collect();
    progress.phase(&format!(
        "writing the snapshot archive for `{}`",
        settings.output.display()
    ));
    if let Some(pause) = settings.archive_pause {
        // Tests only (`CODER_SEC_TEST_ARCHIVE_PAUSE_MS`): blocks as a long archive write would.
        std::thread::sleep(pause);
    }
    let (manifest, size) = writer
        .finish(manifest)
        .map_err(|source| CaptureError::Write {
            path: settings.output.clone(),
            source,
        })?;
    Ok(Outcome {
        manifest,
        size,
        path: target.to_path_buf(),
        retries: api.stats().retries.load(Ordering::Relaxed),
    })
}

/// For a capture limited with `-n`: a warning and a blind spot for each namespace that does not exist,
/// and one blind spot for everything outside the namespaces.
async fn check_namespaces(
    api: &Requester,
    settings: &CaptureSettings,
    progress: &Progress,
    blind_spots: &mut BTreeSet<BlindSpot>,
) -> Result<(), CaptureError> {
    let namespaces = &settings.kube.namespaces;
    if namespaces.is_empty() {
        return Ok(());
    }
    for ns in namespaces {
        match api
            .get_json::<Value>(&format!("/api/v1/namespaces/{ns}"))
            .await
        {
            Err(RequestError::NotFound { .. }) => {
                progress.warn(&format!(
                    "namespace `{ns}` does not exist: nothing can be captured in it"
                ));
                blind_spots.insert(BlindSpot {
                    subject: format!("namespace `{ns}`"),
                    reason: "asked for with `--namespace`, but it does not exist (404)".into(),
                    hides:
                        "nothing in it, if the name is right; if it is a typo, the namespace meant"
                            .into(),
                });
            }
            Err(e @ RequestError::Unauthorized { .. }) => {
                return Err(CaptureError::Unauthorized {
                    url: settings.kube.config.cluster_url.to_string(),
                    source: e,
                });
            }
            // Present, or not ours to read (listing will say): nothing to add.
            _ => {}
        }
    }
    let list = namespaces
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    progress.warn(&format!(
        "namespace-scoped capture ({list}): cluster-scoped kinds are captured, objects in other namespaces are not"
    ));
    blind_spots.insert(BlindSpot {
        subject: format!("namespaces other than {list}"),
        reason: "the capture was limited with `--namespace`".into(),
        hides: "pods, service accounts, secrets, roles and bindings in every other namespace: \
                the cluster-scoped view (cluster roles, their bindings, nodes) names subjects and \
                paths there that the snapshot cannot follow"
            .into(),
    });
    Ok(())
}

/// What listing every kind gave, and which kinds were listed namespace by namespace because they were
/// forbidden cluster-wide.
struct Listed {
    outcomes: Vec<(&'static KindSpec, KindOutcome)>,
    /// `(group, plural)` → the cluster-wide 403 message.
    fallback: BTreeMap<(&'static str, &'static str), String>,
}

/// Lists every served kind in parallel, each into its own spool; then lists the namespaced kinds
/// forbidden cluster-wide again, namespace by namespace.
async fn list_all(
    ctx: &Arc<ListContext>,
    discovery: &Discovery,
    settings: &CaptureSettings,
    progress: &Progress,
) -> Result<Listed, CaptureError> {
    let namespaces = Arc::new(settings.kube.namespaces.clone());
    let semaphore = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut tasks: KindTasks = JoinSet::new();
    let mut outcomes: Vec<(&'static KindSpec, KindOutcome)> = Vec::new();
    for spec in KINDS {
        let served = discovery.serves(spec);
        if served == Served::No || (spec.optional && served == Served::Unknown) {
            let message = if spec.optional {
                "not served by this cluster (add-on not installed)"
            } else {
                "not served by this API server"
            };
            outcomes.push((
                spec,
                KindOutcome::Unread {
                    status: KindStatus::NotFound,
                    message: message.into(),
                },
            ));
            continue;
        }
        spawn_kind(
            &mut tasks,
            ctx,
            &semaphore,
            progress,
            spec,
            namespaces.clone(),
            "",
        );
    }
    let mut first_pass = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        first_pass.push(joined.map_err(CaptureError::Task)??);
    }
    // An identity with rights in some namespaces only may not list a namespaced kind cluster-wide;
    // list those kinds again namespace by namespace, in every namespace seen so far.
    let mut per_namespace: Vec<String> = ctx.observer.namespaces().into_iter().collect();
    if !per_namespace.contains(&settings.kube.config.default_namespace) {
        per_namespace.push(settings.kube.config.default_namespace.clone());
        per_namespace.sort();
    }
    let per_namespace = Arc::new(per_namespace);
    let mut fallback = BTreeMap::new();
    for (spec, outcome) in first_pass {
        let forbidden = match &outcome {
            KindOutcome::Unread {
                status: KindStatus::Forbidden,
                message,
            } => Some(message.clone()),
            _ => None,
        };
        let retry = settings.kube.namespaces.is_empty() && spec.namespaced;
        if let (true, Some(message)) = (retry, forbidden) {
            fallback.insert((spec.group, spec.plural), message);
            let note = "forbidden cluster-wide; per namespace";
            spawn_kind(
                &mut tasks,
                ctx,
                &semaphore,
                progress,
                spec,
                per_namespace.clone(),
                note,
            );
        } else {
            outcomes.push((spec, outcome));
        }
    }
    while let Some(joined) = tasks.join_next().await {
        outcomes.push(joined.map_err(CaptureError::Task)??);
    }
    Ok(Listed { outcomes, fallback })
}

/// Adds each kind to the writer, and a blind spot for each kind (or namespace) not read.
fn record_kinds(
    writer: &mut SnapshotWriter,
    listed: Listed,
    blind_spots: &mut BTreeSet<BlindSpot>,
) {
    let Listed { outcomes, fallback } = listed;
    for (spec, outcome) in outcomes {
        match outcome {
            KindOutcome::Complete {
                spooled,
                forbidden_namespaces,
                ..
            } => {
                writer.add_kind(spec, spooled);
                if let Some(message) = fallback.get(&(spec.group, spec.plural)) {
                    blind_spots.insert(BlindSpot {
                        subject: format!("{} cluster-wide", spec.label()),
                        reason: format!(
                            "forbidden: {message}; listed namespace by namespace instead"
                        ),
                        hides: "objects in namespaces the capture did not see (all of them where the namespace list is forbidden too)".into(),
                    });
                }
                if !forbidden_namespaces.is_empty() {
                    let names: Vec<&str> = forbidden_namespaces
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect();
                    blind_spots.insert(BlindSpot {
                        subject: format!("{} in namespaces {}", spec.label(), names.join(", ")),
                        reason: format!("forbidden: {}", forbidden_namespaces[0].1),
                        hides: coder_sec_model::blind::hides(spec).into(),
                    });
                }
            }
            KindOutcome::Unread {
                status,
                mut message,
            } => {
                // Forbidden cluster-wide and in every namespace: the cluster-wide answer says it best.
                if let (KindStatus::Forbidden, Some(cluster_wide)) =
                    (status, fallback.get(&(spec.group, spec.plural)))
                {
                    message = format!("{cluster_wide} (and in each namespace)");
                }
                if matches!(status, KindStatus::Forbidden | KindStatus::Error) {
                    blind_spots.insert(BlindSpot {
                        subject: spec.label(),
                        reason: format!("{status}: {message}"),
                        hides: coder_sec_model::blind::hides(spec).into(),
                    });
                }
                writer.add_unread_kind(spec, status, message);
            }
        }
    }
}

/// Writes `identity/rules.jsonl`: a `SelfSubjectRulesReview` per namespace.
async fn write_rules(
    writer: &mut SnapshotWriter,
    api: &Requester,
    namespaces: &[String],
    settings: &CaptureSettings,
    progress: &Progress,
    blind_spots: &mut BTreeSet<BlindSpot>,
) -> Result<(), CaptureError> {
    let bar = progress.line("identity rules (SelfSubjectRulesReview)");
    // Each review goes to the spool as it arrives: with 10,000 namespaces, holding them all would make
    // memory grow with the cluster.
    let file_error = |source| CaptureError::File {
        path: RULES_PATH.to_string(),
        source,
    };
    let mut spool = writer.spool(RULES_PATH.to_string()).map_err(file_error)?;
    let mut reviews = futures::stream::iter(namespaces.iter())
        .map(|ns| identity::rules_in(api, ns))
        .buffered(settings.concurrency.max(1));
    let mut answered = 0u64;
    let mut first_error: Option<String> = None;
    let mut all_failed = true;
    while let Some(review) = reviews.next().await {
        bar.inc(1);
        answered += 1;
        match review.get("error") {
            Some(error) => {
                first_error.get_or_insert_with(|| error.as_str().unwrap_or("").to_string());
            }
            None => all_failed = false,
        }
        spool.push(&review).map_err(file_error)?;
    }
    progress.finish(&bar, "done");
    if answered > 0 && all_failed {
        blind_spots.insert(BlindSpot {
            subject: "identity rules".into(),
            reason: format!(
                "SelfSubjectRulesReview failed: {}",
                first_error.unwrap_or_default()
            ),
            hides: "what the capturing identity may read, so which kinds are missing for lack of rights".into(),
        });
    }
    writer.add_file(
        spool.finish().map_err(file_error)?,
        "SelfSubjectRulesReview of the capturing identity, one line per namespace",
    );

    Ok(())
}

/// Writes `coder/workspaces.jsonl` and `coder/workspaces.json` from the spooled workspace kinds,
/// reading them back line by line (see [`crate::coder::workspaces`]).
fn write_workspaces(writer: &mut SnapshotWriter, listed: &Listed) -> Result<(), CaptureError> {
    let file_error = |source| CaptureError::File {
        path: WORKSPACE_OBJECTS_PATH.to_string(),
        source,
    };
    let mut spool = writer
        .spool(WORKSPACE_OBJECTS_PATH.to_string())
        .map_err(file_error)?;
    let mut summary = WorkspaceSummary::default();
    let mut line = Vec::new();
    for (group, kind, _) in WORKSPACE_KINDS {
        let Some((spec, spooled)) =
            listed
                .outcomes
                .iter()
                .find_map(|(spec, outcome)| match outcome {
                    KindOutcome::Complete { spooled, .. }
                        if (spec.group, spec.kind) == (group, kind) =>
                    {
                        Some((spec, spooled))
                    }
                    _ => None,
                })
        else {
            continue;
        };
        let reader = spooled.reader().map_err(file_error)?;
        summary
            .scan(kind, reader, |object| {
                line.clear();
                serde_json::to_writer(&mut line, object).map_err(|source| {
                    ArchiveError::Serialize {
                        path: WORKSPACE_OBJECTS_PATH.to_string(),
                        source,
                    }
                })?;
                line.push(b'\n');
                spool.push_raw(&line)
            })
            .map_err(|e| {
                file_error(match e {
                    ScanError::Read(source) => ArchiveError::Io {
                        path: PathBuf::from(spec.archive_path()),
                        source,
                    },
                    ScanError::Emit(e) => e,
                })
            })?;
    }
    writer.add_file(
        spool.finish().map_err(file_error)?,
        "Coder workspace objects (pods, deployments, volume claims), one line each with the workspace and owner labels",
    );
    add_document(
        writer,
        WORKSPACES_PATH,
        "Coder workspaces: counts of workspaces and of their pods, deployments and volume claims",
        &summary.document(),
    )
}

/// Writes `coder/deployments.json` and `coder/helm-releases.jsonl`.
fn write_coder_state(
    writer: &mut SnapshotWriter,
    coder: &CoderDetector,
) -> Result<(), CaptureError> {
    add_document(
        writer,
        DEPLOYMENTS_PATH,
        "Coder deployments found (coderd, provisioners, workspace proxies), namespaces and Helm releases",
        &coder.deployments_document(),
    )?;
    add_lines(
        writer,
        HELM_RELEASES_PATH,
        "Helm releases of Coder's charts, decoded and redacted",
        coder.helm_records(),
    )?;

    Ok(())
}

type KindTasks = JoinSet<Result<(&'static KindSpec, KindOutcome), SpoolError>>;

/// Lists one kind in a task once `semaphore` lets it, with a progress line (`note` added to it).
fn spawn_kind(
    tasks: &mut KindTasks,
    ctx: &Arc<ListContext>,
    semaphore: &Arc<Semaphore>,
    progress: &Progress,
    spec: &'static KindSpec,
    namespaces: Arc<Vec<String>>,
    note: &'static str,
) {
    let ctx = ctx.clone();
    let semaphore = semaphore.clone();
    let progress = progress.clone();
    tasks.spawn(async move {
        let _permit = semaphore.acquire_owned().await;
        let bar = progress.line(&spec.label());
        bar.set_message(if note.is_empty() { "listing" } else { note });
        let set_count = |n: u64| bar.set_position(n);
        let outcome = lister::list_kind(&ctx, spec, &namespaces, &set_count).await?;
        let status = match &outcome {
            KindOutcome::Complete { restarts: 0, .. } => "done".to_string(),
            KindOutcome::Complete { restarts, .. } => {
                format!("done ({restarts} restarts after 410)")
            }
            KindOutcome::Unread { status, .. } => status.to_string(),
        };
        if note.is_empty() {
            progress.finish(&bar, &status);
        } else {
            progress.finish(&bar, &format!("{status} ({note})"));
        }
        Ok((spec, outcome))
    });
}

/// Adds a single JSON document as a file.
pub fn add_document(
    writer: &mut SnapshotWriter,
    path: &str,
    description: &str,
    document: &Value,
) -> Result<(), CaptureError> {
    let file_error = |source| CaptureError::File {
        path: path.to_string(),
        source,
    };
    let mut spool = writer.spool(path.to_string()).map_err(file_error)?;
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    bytes.push(b'\n');
    spool.push_raw(&bytes).map_err(file_error)?;
    writer.add_file(spool.finish().map_err(file_error)?, description);
    Ok(())
}

/// Adds JSON Lines as a file.
pub fn add_lines<'a>(
    writer: &mut SnapshotWriter,
    path: &str,
    description: &str,
    lines: impl Iterator<Item = &'a Value>,
) -> Result<(), CaptureError> {
    let file_error = |source| CaptureError::File {
        path: path.to_string(),
        source,
    };
    let mut spool = writer.spool(path.to_string()).map_err(file_error)?;
    for line in lines {
        spool.push(line).map_err(file_error)?;
    }
    writer.add_file(spool.finish().map_err(file_error)?, description);
    Ok(())
}
