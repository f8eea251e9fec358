//! Learner code that reaches for the grader. `roadmap grade` does not fail such code (a
//! pattern is no proof of intent) but lists it beside the points, so a teacher can look.
use std::fs;
use std::path::Path;

/// What is searched for, and what it means.
const PATTERNS: &[(&str, &str)] = &[
    ("ROADMAP_", "reads roadmap's environment variables"),
    ("/proc/self/fd", "opens its own descriptors, where the grading channel is"),
    ("/dev/fd", "opens its own descriptors, where the grading channel is"),
    ("reporter.mjs", "imports roadmap's reporter"),
    ("guard.mjs", "imports roadmap's guard"),
    (".roadmap", "reaches into roadmap's own folder"),
    ("process.binding", "uses Node's internal bindings"),
    ("internalBinding", "uses Node's internal bindings"),
    ("expose-internals", "asks for Node's internals"),
    ("internal/test_runner", "reaches into node:test's internals"),
];

/// Files larger than this are not read: learner code is small, and this must stay fast.
const MAX_FILE: u64 = 1024 * 1024;
const MAX_FLAGS: usize = 20;

/// `file:line: what` for every match in the source files below `dir` (not in
/// `node_modules`), `main_files` first.
pub fn scan(dir: &Path, main_files: &[String]) -> Vec<String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort_by_key(|rel| (!main_files.contains(rel), rel.clone()));
    let mut flags = Vec::new();
    for rel in files {
        let Ok(text) = fs::read_to_string(dir.join(&rel)) else { continue };
        for (number, line) in text.lines().enumerate() {
            for (pattern, what) in PATTERNS {
                if line.contains(pattern) && flags.len() < MAX_FLAGS {
                    flags.push(format!("{rel}:{}: {what} (`{pattern}`)", number + 1));
                }
            }
        }
    }
    flags
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && entry.file_name() != "node_modules" {
            collect(root, &path, out);
        } else if kind.is_file()
            && path.extension().is_some_and(|e| ["js", "mjs", "cjs", "ts", "json", "sh"].iter().any(|x| e == *x))
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE)
        {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_code_that_reaches_for_the_grader() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("sum.js"), "export const sum = (a, b) => a + b;\n").unwrap();
        fs::create_dir(dir.path().join("lib")).unwrap();
        fs::write(
            dir.path().join("lib/x.mjs"),
            "import fs from 'node:fs';\nfs.writeSync(Number(process.env.ROADMAP_REPORT_FD), 'x');\nfs.readdirSync('/proc/self/fd');\n",
        )
        .unwrap();
        fs::create_dir(dir.path().join("node_modules")).unwrap();
        fs::write(dir.path().join("node_modules/y.js"), "process.binding('fs')").unwrap();
        let flags = scan(dir.path(), &["sum.js".into()]);
        assert_eq!(
            flags,
            [
                "lib/x.mjs:2: reads roadmap's environment variables (`ROADMAP_`)",
                "lib/x.mjs:3: opens its own descriptors, where the grading channel is (`/proc/self/fd`)",
            ]
        );
        assert!(scan(&dir.path().join("missing"), &[]).is_empty());
    }
}
