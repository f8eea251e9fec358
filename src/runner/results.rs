//! Reading the results of a `command` runner: its exit code, a TAP stream or a JUnit
//! XML file. Each becomes the same test results the Node runner produces.
use std::time::Duration;

use crate::report::{Failure, TestResult, TestStatus};

/// How a command's results are read, as `curriculum.toml` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Results {
    /// One test: the command passes when it exits 0.
    ExitCode,
    /// TAP, from a file in the run folder or (`None`) from the command's output.
    Tap(Option<String>),
    /// A JUnit XML file in the run folder.
    Junit(String),
}

impl Results {
    pub fn parse(spec: &str) -> Option<Results> {
        Some(match spec.split_once(':') {
            None if spec == "exit-code" => Results::ExitCode,
            None if spec == "tap" => Results::Tap(None),
            Some(("tap", file)) if !file.is_empty() => Results::Tap(Some(file.to_string())),
            Some(("junit", file)) if !file.is_empty() => Results::Junit(file.to_string()),
            _ => return None,
        })
    }
}

/// Test results from TAP (version 12 or 13): `ok N - name`, `not ok N - name`, with
/// an optional YAML block or `#` diagnostics after a failure as its message.
pub fn from_tap(text: &str) -> Vec<TestResult> {
    let mut tests: Vec<TestResult> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_end();
        let (pass, rest) = if let Some(rest) = trimmed.strip_prefix("not ok") {
            (false, rest)
        } else if let Some(rest) = trimmed.strip_prefix("ok") {
            (true, rest)
        } else {
            if let Some(last) = tests.last_mut().filter(|t| t.status == TestStatus::Fail) {
                let detail = trimmed.trim_start().trim_start_matches('#').trim();
                if !detail.is_empty() && detail != "---" && detail != "..." {
                    let failure = last.failure.get_or_insert_with(Failure::default);
                    if !failure.message.is_empty() {
                        failure.message.push('\n');
                    }
                    failure.message.push_str(detail);
                }
            }
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(' ') {
            continue;
        }
        let rest = rest.trim_start();
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
        let name = rest.strip_prefix("- ").unwrap_or(rest);
        // A directive starts at a `#` that begins the description or follows a space.
        let directive_at = name.match_indices('#').map(|(i, _)| i).find(|&i| i == 0 || name[..i].ends_with(' '));
        let (name, directive) = directive_at.map_or((name, ""), |i| (&name[..i], name[i + 1..].trim_start()));
        if directive.to_ascii_uppercase().starts_with("SKIP") {
            continue;
        }
        tests.push(TestResult {
            name: name.trim().to_string(),
            status: if pass { TestStatus::Pass } else { TestStatus::Fail },
            duration: Duration::ZERO,
            failure: (!pass).then(Failure::default),
        });
    }
    for t in &mut tests {
        if let Some(f) = t.failure.as_mut().filter(|f| f.message.is_empty()) {
            f.message = "failed".to_string();
        }
    }
    tests
}

/// Test results from a JUnit XML report: every `testcase`, failed when it holds a
/// `failure` or `error` element, whose message (or text) becomes the failure message.
pub fn from_junit(xml: &str) -> Result<Vec<TestResult>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("the JUnit report is not valid XML: {e}"))?;
    let mut tests = Vec::new();
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = case.attribute("name").unwrap_or("(unnamed)");
        let classname = case.attribute("classname").filter(|c| !c.is_empty());
        let full = classname.map_or_else(|| name.to_string(), |c| format!("{c} › {name}"));
        if case.children().any(|c| c.has_tag_name("skipped")) {
            continue;
        }
        let duration =
            case.attribute("time").and_then(|t| t.parse::<f64>().ok()).map_or(Duration::ZERO, Duration::from_secs_f64);
        let problem = case.children().find(|c| c.has_tag_name("failure") || c.has_tag_name("error"));
        let failure = problem.map(|p| {
            let text = p.text().unwrap_or("").trim();
            let message = p.attribute("message").filter(|m| !m.is_empty()).unwrap_or(if text.is_empty() {
                "failed"
            } else {
                text
            });
            Failure { message: message.to_string(), ..Failure::default() }
        });
        tests.push(TestResult {
            name: full,
            status: if failure.is_some() { TestStatus::Fail } else { TestStatus::Pass },
            duration,
            failure,
        });
    }
    Ok(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(Results::parse("exit-code"), Some(Results::ExitCode));
        assert_eq!(Results::parse("tap"), Some(Results::Tap(None)));
        assert_eq!(Results::parse("tap:out.tap"), Some(Results::Tap(Some("out.tap".into()))));
        assert_eq!(Results::parse("junit:r.xml"), Some(Results::Junit("r.xml".into())));
        assert_eq!(Results::parse("junit:"), None);
        assert_eq!(Results::parse("xunit"), None);
    }

    #[test]
    fn tap_lines_become_tests_with_diagnostics() {
        let tap = "TAP version 13\n1..4\nok 1 - adds\nnot ok 2 - subtracts\n  ---\n  message: expected 1, got 2\n  ...\nok 3 # SKIP later\nok 4 multiplies\n# done\n";
        let tests = from_tap(tap);
        let names: Vec<&str> = tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["adds", "subtracts", "multiplies"]);
        assert_eq!(tests[1].status, TestStatus::Fail);
        assert_eq!(tests[1].failure.as_ref().unwrap().message, "message: expected 1, got 2");
        assert!(from_tap("okay then\n").is_empty());
    }

    #[test]
    fn junit_cases_become_tests() {
        let xml = r#"<testsuites><testsuite name="s"><testcase classname="greet" name="hello" time="0.5"/>
            <testcase name="bye"><failure message="wrong word">expected bye</failure></testcase>
            <testcase name="later"><skipped/></testcase><testcase name="boom"><error>crashed</error></testcase></testsuite></testsuites>"#;
        let tests = from_junit(xml).unwrap();
        assert_eq!(tests.len(), 3);
        assert_eq!(tests[0].name, "greet › hello");
        assert_eq!(tests[0].duration, Duration::from_millis(500));
        assert_eq!(tests[1].failure.as_ref().unwrap().message, "wrong word");
        assert_eq!(tests[2].failure.as_ref().unwrap().message, "crashed");
        assert!(from_junit("<nope").is_err());
    }
}
