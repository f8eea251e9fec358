//! The lines our NDJSON reporter (`js/reporter.mjs`) writes, as typed events.
use serde::Deserialize;

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

/// Parses one reporter line; lines that are not our events (a learner writing to the
/// same descriptor) are ignored rather than failing the run.
pub fn parse_line(line: &[u8]) -> Option<ReporterEvent> {
    serde_json::from_slice(line).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_failure_with_expected_and_actual() {
        let line = r#"{"event":"fail","name":"a › b","duration_ms":1.5,"error":{"kind":"testCodeFailure","message":"nope","expected":"3","actual":"0","location":"m.js:2:3"}}"#;
        let ReporterEvent::Fail { name, error, suite, .. } = parse_line(line.as_bytes()).unwrap() else { panic!() };
        assert_eq!(name, "a › b");
        assert!(!suite);
        assert_eq!(error.expected.as_deref(), Some("3"));
        assert_eq!(error.location.as_deref(), Some("m.js:2:3"));
    }

    #[test]
    fn ignores_foreign_lines() {
        assert_eq!(parse_line(b"hello"), None);
        assert_eq!(parse_line(br#"{"event":"teleport"}"#), None);
        assert_eq!(parse_line(br#"{"event":"end"}"#), Some(ReporterEvent::End));
    }
}
