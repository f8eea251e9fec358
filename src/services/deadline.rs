//! Bounds on talking to servers. A server can accept a connection and then say nothing
//! (a wedged process, a proxy with nothing behind it); without a bound the learner's run
//! would wait forever and look like their code hung.
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Result, anyhow};

/// How long connecting to a service, or one administrative query, may take.
pub const SETUP: Duration = Duration::from_secs(10);

/// Runs `work` on a thread of its own and waits at most `limit` for it. The PostgreSQL
/// client offers no bound on its handshake or its queries, so the only way to stop
/// waiting is to stop waiting for the thread: on a timeout it is left blocked on its
/// socket, and whatever it owned is lost with it. `what` names the server in the error.
pub fn within<T: Send + 'static>(limit: Duration, what: &str, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("service-setup".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| anyhow!("cannot start a thread to talk to {what}: {e}"))?;
    rx.recv_timeout(limit).map_err(|_| did_not_answer(what, limit))
}

/// The error for a server that stayed silent.
pub fn did_not_answer(what: &str, limit: Duration) -> anyhow::Error {
    anyhow!("{what} did not answer within {} s", limit.as_secs_f32())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_slow_answer_is_given_up_on_at_the_limit() {
        let start = Instant::now();
        let error = within(Duration::from_millis(100), "the server", || std::thread::sleep(Duration::from_secs(5)))
            .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(error.to_string(), "the server did not answer within 0.1 s");
        assert_eq!(within(Duration::from_secs(5), "the server", || 42).unwrap(), 42);
    }
}
