//! The signals that stop a capture (SIGINT, SIGTERM, SIGHUP): received by a task, so the capture's
//! own work, blocking or not, is never where a signal lands. The command then drops the capture
//! (removing every temporary file), keeps nothing at the target, and exits with 128 + the signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::sync::watch;

/// SIGINT's number, for Ctrl-C on platforms without Unix signals.
pub const SIGINT: i32 = 2;

/// Listens for the stopping signals from creation on. Create it inside a Tokio runtime.
#[derive(Debug, Clone)]
pub struct Signals {
    received: Arc<AtomicI32>,
    rx: watch::Receiver<i32>,
}

impl Signals {
    /// Installs the handlers and starts listening.
    pub fn listen() -> std::io::Result<Signals> {
        let received = Arc::new(AtomicI32::new(0));
        let (tx, rx) = watch::channel(0);
        let store = received.clone();
        let notify = move |n: i32| {
            store.store(n, Ordering::SeqCst);
            let _ = tx.send(n);
        };
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut int = signal(SignalKind::interrupt())?;
            let mut term = signal(SignalKind::terminate())?;
            let mut hup = signal(SignalKind::hangup())?;
            tokio::spawn(async move {
                let n = tokio::select! {
                    _ = int.recv() => SIGINT,
                    _ = term.recv() => 15,
                    _ = hup.recv() => 1,
                };
                notify(n);
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                notify(SIGINT);
            }
        });
        Ok(Signals { received, rx })
    }

    /// The signal received, if any.
    pub fn received(&self) -> Option<i32> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            n => Some(n),
        }
    }

    /// Waits for a signal and returns its number.
    pub async fn wait(&self) -> i32 {
        let mut rx = self.rx.clone();
        let signal = rx.wait_for(|n| *n != 0).await.map(|n| *n);
        match signal {
            Ok(n) => n,
            // The listener is gone without a signal: wait forever, as no signal will come.
            Err(_) => std::future::pending().await,
        }
    }
}

/// The exit code for a process stopped by signal `n`: 128 + `n` (130 for Ctrl-C).
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// The signal's name, for messages.
pub fn name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}
