//! The lines our NDJSON reporter (`js/reporter.mjs`) writes, as typed events.
//!
//! Every line is `SEQ MAC JSON`: a sequence number from 0, an HMAC-SHA256 of `SEQ JSON`
//! under the run's key, and the event. The key reaches the reporter once, before the
//! learner's code loads, so a line the learner's code writes, replays or swallows does
//! not verify, and the run is an `error` instead of a forged pass.
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReporterEvent {
    Start {
        name: String,
    },
    Pass {
        name: String,
        #[serde(default)]
        duration_ms: f64,
    },
    Fail {
        name: String,
        #[serde(default)]
        duration_ms: f64,
        #[serde(default)]
        suite: bool,
        error: ErrorInfo,
    },
    Skip {
        name: String,
    },
    Summary {
        key: String,
        value: f64,
    },
    Diagnostic {
        message: String,
    },
    /// The reporter was invoked a second time: something other than Node's test runner
    /// called it.
    Tampered {
        reason: String,
    },
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct ErrorInfo {
    /// Node's `failureType`: `testCodeFailure`, `uncaughtException`, `testTimeoutFailure`, …
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub error_name: Option<String>,
    pub location: Option<String>,
    pub stack: Option<String>,
}

/// Why a line on the reporter's channel was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not signed with the run's key: something else wrote to the channel.
    Forged,
    /// Signed, but not the line that was due: lines were dropped or replayed.
    OutOfOrder { expected: u64, got: u64 },
    /// Signed and in order, but not an event this engine understands.
    Unreadable(String),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Forged => {
                write!(f, "a line on the grading channel was not written by roadmap's reporter (forged or garbled)")
            }
            LineError::OutOfOrder { expected, got } => {
                write!(f, "the grading channel lost or repeated events (expected event {expected}, got {got})")
            }
            LineError::Unreadable(why) => write!(f, "the reporter wrote an event roadmap cannot read ({why})"),
        }
    }
}

/// The verifying end of one run's reporter channel.
pub struct Channel {
    mac: Hmac<Sha256>,
    next: u64,
}

impl Channel {
    pub fn new(key: &str) -> Channel {
        Channel { mac: Hmac::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any size"), next: 0 }
    }

    /// Verifies and parses the next line.
    pub fn read(&mut self, line: &[u8]) -> Result<ReporterEvent, LineError> {
        let mut parts = line.splitn(3, |b| *b == b' ');
        let (Some(seq), Some(mac), Some(json)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(LineError::Forged);
        };
        let seq_value: u64 = std::str::from_utf8(seq).ok().and_then(|s| s.parse().ok()).ok_or(LineError::Forged)?;
        let expected_mac = decode_hex(mac).ok_or(LineError::Forged)?;
        let mut check = self.mac.clone();
        check.update(seq);
        check.update(b" ");
        check.update(json);
        check.verify_slice(&expected_mac).map_err(|_| LineError::Forged)?;
        if seq_value != self.next {
            return Err(LineError::OutOfOrder { expected: self.next, got: seq_value });
        }
        self.next += 1;
        serde_json::from_slice(json).map_err(|e| LineError::Unreadable(e.to_string()))
    }
}

fn decode_hex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2).map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

/// A signed line, as the reporter writes it (tests use it to play the reporter).
#[cfg(test)]
pub fn sign(key: &str, seq: u64, json: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{seq} {json}").as_bytes());
    let tag: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("{seq} {tag} {json}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn parses_a_failure_with_expected_and_actual() {
        let line = r#"{"event":"fail","name":"a › b","duration_ms":1.5,"error":{"kind":"testCodeFailure","message":"nope","expected":"3","actual":"0","location":"m.js:2:3"}}"#;
        let ReporterEvent::Fail { name, error, suite, .. } =
            Channel::new(KEY).read(sign(KEY, 0, line).as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(name, "a › b");
        assert!(!suite);
        assert_eq!(error.expected.as_deref(), Some("3"));
        assert_eq!(error.location.as_deref(), Some("m.js:2:3"));
    }

    #[test]
    fn unsigned_forged_replayed_and_unknown_lines_are_refused() {
        let mut channel = Channel::new(KEY);
        assert_eq!(channel.read(b"hello"), Err(LineError::Forged));
        assert_eq!(channel.read(br#"{"event":"end"}"#), Err(LineError::Forged));
        assert_eq!(channel.read(sign("another key", 0, r#"{"event":"end"}"#).as_bytes()), Err(LineError::Forged));
        let tampered = sign(KEY, 0, r#"{"event":"fail","name":"a"}"#).replace("fail", "pass");
        assert_eq!(channel.read(tampered.as_bytes()), Err(LineError::Forged));
        let first = sign(KEY, 0, r#"{"event":"start","name":"a"}"#);
        assert!(channel.read(first.as_bytes()).is_ok());
        assert_eq!(channel.read(first.as_bytes()), Err(LineError::OutOfOrder { expected: 1, got: 0 }));
        assert!(matches!(
            channel.read(sign(KEY, 1, r#"{"event":"teleport"}"#).as_bytes()),
            Err(LineError::Unreadable(_))
        ));
    }

    #[test]
    fn a_lone_surrogate_escape_is_unreadable_not_ignored() {
        // What JSON.stringify makes of a lone UTF-16 surrogate; the reporter replaces
        // them, and anything that still slips through must not vanish silently.
        let line = sign(KEY, 0, r#"{"event":"diagnostic","message":"\ud800"}"#);
        let mut channel = Channel::new(KEY);
        assert!(matches!(channel.read(line.as_bytes()), Err(LineError::Unreadable(_))));
    }
}
