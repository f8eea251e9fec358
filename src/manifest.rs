//! A suite's manifest: the names of the tests it reports, recorded by `roadmap dev check`
//! from the reference solution's run and kept beside the suite (`checks/…/tests.manifest`).
//!
//! The engine compares every run's reported tests with it, so a run that reports fewer,
//! more or duplicated tests (a crash that silenced the reporter, or learner code that
//! forged events) cannot pass. It also marks the tests the untouched starter already
//! passes: those earn no points, so an untouched workspace scores nothing.
use std::collections::BTreeSet;

use crate::curriculum::{CourseFiles, Exercise};

pub const FILE: &str = "tests.manifest";

// Written by `roadmap dev check --record`, which is not wired to the CLI yet.
const HEADER: &str = "# The tests this suite reports, recorded by `roadmap dev check --record` from the reference\n# solution's run. `=` marks a test the untouched starter already passes (it earns no points);\n# `+` a test only a solution passes. roadmap compares every run's tests with this list.\n";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Every test, in the order the solution reported them.
    pub tests: Vec<String>,
    /// The tests the starter passes.
    pub starter_passes: BTreeSet<String>,
}

impl Manifest {
    /// The recorded manifest of `exercise`'s suite, read from the course (never from a
    /// run folder, which the learner's code can write to), if the course has one.
    pub fn of(files: &CourseFiles, exercise: &Exercise) -> anyhow::Result<Option<Manifest>> {
        use anyhow::Context;
        let rel = format!("{}/{FILE}", exercise.checks_rel());
        if !files.is_file(&rel) {
            return Ok(None);
        }
        let text = files.read_string(&rel)?;
        Manifest::parse(&text).map(Some).map_err(anyhow::Error::msg).with_context(|| format!("{rel} is not valid"))
    }

    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut manifest = Manifest::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (mark, name) = line.split_at_checked(2).ok_or_else(|| format!("line {}: too short", i + 1))?;
            let name = name.to_string();
            match mark {
                "+ " => {}
                "= " => {
                    manifest.starter_passes.insert(name.clone());
                }
                _ => return Err(format!("line {}: expected `+ NAME` or `= NAME`", i + 1)),
            }
            if manifest.tests.contains(&name) {
                return Err(format!("line {}: `{name}` is listed twice", i + 1));
            }
            manifest.tests.push(name);
        }
        Ok(manifest)
    }

    pub fn render(&self) -> String {
        let mut out = HEADER.to_string();
        for name in &self.tests {
            let mark = if self.starter_passes.contains(name) { '=' } else { '+' };
            out.push_str(&format!("{mark} {name}\n"));
        }
        out
    }

    /// How `reported` (test names in the order a run reported them) differs from the
    /// manifest: tests never reported, tests not in the suite, tests reported twice.
    pub fn compare(&self, reported: &[String]) -> Mismatch {
        let mut seen = BTreeSet::new();
        let mut mismatch = Mismatch::default();
        for name in reported {
            if !seen.insert(name.as_str()) {
                mismatch.duplicated.push(name.clone());
            } else if !self.tests.contains(name) {
                mismatch.extra.push(name.clone());
            }
        }
        mismatch.missing = self.tests.iter().filter(|t| !seen.contains(t.as_str())).cloned().collect();
        mismatch
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mismatch {
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub duplicated: Vec<String>,
}

impl Mismatch {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.duplicated.is_empty()
    }

    /// Only tests that should not exist (extra or twice): never innocent.
    pub fn is_forgery(&self) -> bool {
        !self.extra.is_empty() || !self.duplicated.is_empty()
    }

    pub fn describe(&self) -> String {
        let list = |names: &[String]| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        let mut parts = Vec::new();
        if !self.extra.is_empty() {
            parts.push(format!("tests that are not in the suite were reported: {}", list(&self.extra)));
        }
        if !self.duplicated.is_empty() {
            parts.push(format!("tests were reported twice: {}", list(&self.duplicated)));
        }
        if !self.missing.is_empty() {
            parts.push(format!("tests of the suite were never reported: {}", list(&self.missing)));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn round_trips_and_marks_starter_passes() {
        let mut m = Manifest { tests: names(&["adds › two numbers", "exports sum"]), ..Manifest::default() };
        m.starter_passes.insert("exports sum".into());
        let text = m.render();
        assert!(text.contains("\n+ adds › two numbers\n= exports sum\n"), "{text}");
        assert_eq!(Manifest::parse(&text).unwrap(), m);
    }

    #[test]
    fn bad_lines_and_duplicates_are_refused() {
        assert!(Manifest::parse("x\n").unwrap_err().contains("line 1"));
        assert!(Manifest::parse("+ a\n= a\n").unwrap_err().contains("twice"));
    }

    #[test]
    fn compare_finds_missing_extra_and_duplicated() {
        let m = Manifest { tests: names(&["a", "b", "c"]), ..Manifest::default() };
        assert!(m.compare(&names(&["c", "a", "b"])).is_empty());
        let mismatch = m.compare(&names(&["a", "a", "x"]));
        assert_eq!(mismatch.missing, names(&["b", "c"]));
        assert_eq!(mismatch.extra, names(&["x"]));
        assert_eq!(mismatch.duplicated, names(&["a"]));
        assert!(mismatch.is_forgery());
        assert!(!m.compare(&names(&["a"])).is_forgery());
    }
}
