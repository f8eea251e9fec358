//! `roadmap dev new PHASE/EXERCISE`: scaffolds the four parts of an exercise (task,
//! starter, hidden suite, solution) and its curriculum entry, each placeholder marked so
//! that `roadmap dev check` lists exactly what is left to write.
use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Code;
use super::dev_check::SCAFFOLD;
use crate::context::{course_files, open_course};
use crate::curriculum::{CourseFiles, SUITE_FILE};

pub fn run(flag: Option<&Path>, target: &str, title: Option<&str>) -> Result<Code> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let files = course_files(flag, None, &cwd)?;
    let CourseFiles::Disk(root) = files.clone() else {
        bail!(
            "dev new works in a curriculum folder: run it inside one (a folder with curriculum.toml) or pass --curriculum DIR"
        );
    };
    let Some((phase, id)) = target.trim_end_matches('/').split_once('/') else {
        bail!("name the exercise as PHASE/EXERCISE, e.g. `roadmap dev new 02-express/cookie-sessions`");
    };
    let kebab = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
    };
    if !kebab(id) {
        bail!("`{id}` is not a kebab-case id (lowercase letters, digits and single dashes)");
    }
    // The course must be sound before it grows: a broken curriculum.toml is reported first.
    let course = open_course(files)?;
    if course.curriculum.phase(phase).is_none() {
        let known: Vec<&str> = course.curriculum.phases.iter().map(|p| p.id.as_str()).collect();
        bail!("there is no phase `{phase}` (phases: {})", known.join(", "));
    }
    if course.curriculum.exercise(id).is_some() {
        bail!("an exercise `{id}` exists already");
    }
    let title = title.map_or_else(|| format!("{SCAFFOLD} a title for {id}"), str::to_string);

    let parts = [
        (format!("exercises/{phase}/{id}/README.md"), task(&title)),
        (format!("exercises/{phase}/{id}/index.js"), STARTER.to_string()),
        (format!("solutions/{phase}/{id}/index.js"), SOLUTION.to_string()),
        (format!("checks/{phase}/{id}/{SUITE_FILE}"), SUITE.to_string()),
    ];
    for (rel, _) in &parts {
        if root.join(rel).exists() {
            bail!("{rel} exists already; dev new never overwrites files");
        }
    }
    for (rel, text) in &parts {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("files live in folders"))?;
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        println!("  created {rel}");
    }
    let entry = format!(
        "\n[[exercise]]\nid = \"{id}\"\nphase = \"{phase}\"\ntitle = \"{title}\"\nkind = \"exercise\"\nfiles = [\"index.js\"]\ntimeout = \"10s\"\npoints = 10\nhints = [\n  \"{SCAFFOLD} a nudge\",\n  \"{SCAFFOLD} a more concrete pointer\",\n]\n"
    );
    let manifest = root.join("curriculum.toml");
    fs::OpenOptions::new()
        .append(true)
        .open(&manifest)
        .and_then(|mut f| f.write_all(entry.as_bytes()))
        .with_context(|| format!("cannot append to {}", manifest.display()))?;
    println!("  added [[exercise]] `{id}` to curriculum.toml");
    println!("\nNext: write the parts marked {SCAFFOLD}, then `roadmap dev check {id}` lists what is left.");
    Ok(Code::Success)
}

fn task(title: &str) -> String {
    format!(
        "# {title}\n\n## Why it matters\n\n{SCAFFOLD}: the production failure this prevents, in two or three sentences.\n\n\
         ## Your task\n\n{SCAFFOLD}: the exact contract: exported names and signatures, routes, status codes, error shapes.\n\n\
         ## Done when\n\n- {SCAFFOLD}: one line per behaviour the suite checks\n\n\
         ## Further reading\n\n- {SCAFFOLD}: the official documentation page\n"
    )
}

const STARTER: &str = "// TODO(scaffold): the starter learners receive: the contract's exports, with TODOs.\n\
export function solve() {\n  // TODO: learners work here.\n  throw new Error('TODO: implement solve');\n}\n";

const SOLUTION: &str = "// TODO(scaffold): the reference solution, as a senior engineer would write it.\n\
export function solve() {\n  throw new Error('TODO(scaffold): write the reference solution');\n}\n";

const SUITE: &str = "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n\
import { importExercise, requireExport } from './support.mjs';\n\n\
const mod = await importExercise('index.js');\nconst solve = requireExport(mod, 'solve', 'function', 'index.js');\n\n\
// TODO(scaffold): 5–15 tests against the task's contract: the happy path, edge cases,\n\
// error paths and the mistake everyone makes. Every assertion message teaches.\n\
test('solve works', { timeout: 2000 }, () => {\n  assert.equal(typeof solve, 'function');\n  assert.fail('TODO(scaffold): write the hidden suite');\n});\n";
