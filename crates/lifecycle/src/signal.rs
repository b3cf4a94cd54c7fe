//! Waiting for the signal that starts a graceful shutdown, with one rule for a signal
//! whose handler cannot be installed.

use std::fmt;
use std::future::{Future, pending};
use std::io;

use tokio::signal::unix::{SignalKind, signal};

/// A signal that starts a graceful shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shutdown {
    /// SIGTERM: Kubernetes (or any supervisor) stopping the pod.
    Terminate,
    /// SIGINT: Ctrl-C while developing.
    Interrupt,
}

impl fmt::Display for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Terminate => "SIGTERM",
            Self::Interrupt => "SIGINT",
        })
    }
}

/// Resolves on SIGTERM or SIGINT, whichever comes first, and logs which.
///
/// A handler that cannot be installed is logged as an error, and the other signal
/// still starts the shutdown. If neither can be installed, that is logged and this
/// never resolves: the process keeps serving until it is killed. It never panics and
/// never starts a shutdown by itself.
pub async fn shutdown_signal() {
    let received = |kind: SignalKind| {
        signal(kind).map(|mut stream| async move {
            // `None` only once the runtime is going away: nothing more will come.
            let _ = stream.recv().await;
        })
    };
    let signal = first_of(
        received(SignalKind::terminate()),
        received(SignalKind::interrupt()),
    )
    .await;
    tracing::info!("{signal} received, shutting down");
}

/// The first of SIGTERM (`term`) and SIGINT (`int`) to arrive, each being the future
/// that resolves on it or the error that installing its handler ran into.
async fn first_of(
    term: io::Result<impl Future<Output = ()>>,
    int: io::Result<impl Future<Output = ()>>,
) -> Shutdown {
    match (term, int) {
        (Ok(term), Ok(int)) => tokio::select! {
            () = term => Shutdown::Terminate,
            () = int => Shutdown::Interrupt,
        },
        (Ok(term), Err(error)) => {
            cannot_listen(Shutdown::Interrupt, Shutdown::Terminate, &error);
            term.await;
            Shutdown::Terminate
        }
        (Err(error), Ok(int)) => {
            cannot_listen(Shutdown::Terminate, Shutdown::Interrupt, &error);
            int.await;
            Shutdown::Interrupt
        }
        (Err(term_error), Err(int_error)) => {
            tracing::error!(
                sigterm.error = %term_error,
                sigint.error = %int_error,
                "cannot listen for SIGTERM ({term_error}) nor SIGINT ({int_error}): \
                 no graceful shutdown, the process runs until it is killed"
            );
            pending().await
        }
    }
}

fn cannot_listen(missing: Shutdown, other: Shutdown, error: &io::Error) {
    tracing::error!(
        %error,
        "cannot listen for {missing} ({error}): only {other} starts a graceful shutdown"
    );
}

#[cfg(test)]
mod tests {
    use std::future::ready;
    use std::time::Duration;

    use super::*;

    fn cannot_install() -> io::Result<std::future::Ready<()>> {
        Err(io::Error::other("no signal handler here"))
    }

    fn never() -> io::Result<std::future::Pending<()>> {
        Ok(pending())
    }

    #[tokio::test]
    async fn the_first_signal_to_arrive_wins() {
        assert_eq!(first_of(Ok(ready(())), never()).await, Shutdown::Terminate);
        assert_eq!(first_of(never(), Ok(ready(()))).await, Shutdown::Interrupt);
    }

    #[tokio::test]
    async fn a_signal_without_a_handler_leaves_the_other_one_working() {
        assert_eq!(
            first_of(cannot_install(), Ok(ready(()))).await,
            Shutdown::Interrupt
        );
        assert_eq!(
            first_of(Ok(ready(())), cannot_install()).await,
            Shutdown::Terminate
        );
    }

    /// Whether `future` is still waiting after a while.
    async fn still_waiting(future: impl Future) -> bool {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn a_missing_handler_does_not_start_a_shutdown() {
        assert!(still_waiting(first_of(cannot_install(), never())).await);
        assert!(still_waiting(first_of(never(), cannot_install())).await);
    }

    #[tokio::test]
    async fn without_any_handler_the_process_keeps_running() {
        assert!(still_waiting(first_of(cannot_install(), cannot_install())).await);
    }

    #[tokio::test]
    async fn a_real_sigterm_resolves_it() {
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        // The first poll installs both handlers; from then on SIGTERM no longer ends
        // this test process.
        assert!(still_waiting(&mut shutdown).await);
        let sent = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("kill -TERM {}", std::process::id()))
            .status()
            .expect("sh runs");
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(5), shutdown)
            .await
            .expect("SIGTERM resolves the shutdown signal");
    }
}
