//! Parses and validates `curriculum.toml` and the trees it describes.
//!
//! Every problem becomes a [`Diagnostic`] naming the file, line, column and field, and
//! the loader collects all of them instead of stopping at the first, so a mentor fixes
//! a broken curriculum in one pass.
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::model::{Curriculum, Exercise, Kind, Phase, Reading, Runner, Service, Stage};
use super::source::CourseFiles;
use crate::runner::Results;

/// One problem found in a curriculum, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line and column; absent for problems that belong to a folder, not a line.
    pub position: Option<(usize, usize)>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// The loader's failure: every diagnostic it found.
#[derive(Debug, thiserror::Error)]
pub struct CurriculumErrors(pub Vec<Diagnostic>);

impl fmt::Display for CurriculumErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "the curriculum has {n} problem{}:", if n == 1 { "" } else { "s" })?;
        for d in &self.0 {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

pub const KNOWN_FORMAT: u32 = 1;
const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The entry point of every hidden suite, below `checks/<phase>/<id>/`.
pub const SUITE_FILE: &str = "suite.test.js";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCurriculum {
    format: Spanned<u32>,
    /// The memory every run may use unless an exercise says otherwise ("1GiB").
    #[serde(default)]
    memory: Option<Spanned<String>>,
    #[serde(default, rename = "phase")]
    phases: Vec<Spanned<RawPhase>>,
    #[serde(default, rename = "exercise")]
    exercises: Vec<Spanned<RawExercise>>,
    #[serde(default, rename = "project")]
    projects: Vec<Spanned<RawProject>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    id: Spanned<String>,
    phase: Spanned<String>,
    title: Spanned<String>,
    files: Spanned<Vec<Spanned<String>>>,
    #[serde(rename = "stage")]
    stages: Spanned<Vec<Spanned<RawStage>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    memory: Option<Spanned<String>>,
    #[serde(default)]
    points: Option<Spanned<u32>>,
    hints: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    reading: Vec<RawReading>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReading {
    title: String,
    url: String,
    why: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    id: Spanned<String>,
    phase: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    files: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    services: Vec<Spanned<String>>,
    #[serde(default)]
    timeout: Option<Spanned<String>>,
    #[serde(default)]
    memory: Option<Spanned<String>>,
    #[serde(default)]
    points: Option<Spanned<u32>>,
    hints: Spanned<Vec<Spanned<String>>>,
    /// A command runner instead of Node: the command and how its results are read.
    #[serde(default)]
    command: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    results: Option<Spanned<String>>,
}

/// Turns byte offsets into line and column for messages.
struct Locator<'a> {
    file: String,
    text: &'a str,
}

impl Locator<'_> {
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rfind('\n').map_or(before.chars().count(), |nl| before[nl + 1..].chars().count()) + 1;
        (line, column)
    }

    fn at(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            position: Some(self.position(span.start)),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The key of the `key = value` line an offset falls on, for parse errors whose
    /// message does not say which field was wrong.
    fn key_at(&self, offset: usize) -> Option<String> {
        let start = self.text[..offset.min(self.text.len())].rfind('\n').map_or(0, |i| i + 1);
        let line = self.text[start..].lines().next()?;
        let (key, _) = line.split_once('=')?;
        let key = key.trim();
        (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
            .then(|| key.to_string())
    }
}

/// Reads and validates a curriculum from `files`, including its folders.
pub fn load(files: &CourseFiles) -> Result<Curriculum, CurriculumErrors> {
    let name = files.manifest_display();
    let text = files.read_string("curriculum.toml").map_err(|e| {
        CurriculumErrors(vec![Diagnostic {
            file: name.clone(),
            position: None,
            field: None,
            message: format!("{e:#}"),
        }])
    })?;
    let curriculum = parse(&name, &text)?;
    let problems = check_trees(&curriculum, files, &Locator { file: name, text: &text });
    if problems.is_empty() { Ok(curriculum) } else { Err(CurriculumErrors(problems)) }
}

/// Parses and validates `curriculum.toml` alone, without looking at the trees.
pub fn parse(file: &str, text: &str) -> Result<Curriculum, CurriculumErrors> {
    let loc = Locator { file: file.to_string(), text };
    let raw: RawCurriculum = toml::from_str(text).map_err(|e| CurriculumErrors(vec![parse_error(&loc, &e)]))?;
    let mut problems = Vec::new();

    if *raw.format.get_ref() != KNOWN_FORMAT {
        problems.push(loc.at(
            raw.format.span(),
            "format",
            format!("format {} is not supported; this roadmap reads format {KNOWN_FORMAT}", raw.format.get_ref()),
        ));
    }

    let default_memory =
        check_memory(&loc, raw.memory.as_ref(), "memory", crate::runner::DEFAULT_MEMORY, &mut problems);

    let mut phases = Vec::new();
    let mut phase_ids: HashMap<String, Range<usize>> = HashMap::new();
    for raw_phase in raw.phases {
        let p = raw_phase.into_inner();
        check_id(&loc, &p.id, "phase.id", &mut problems);
        if let Some(first) = phase_ids.get(p.id.get_ref()) {
            problems.push(loc.at(
                p.id.span(),
                "phase.id",
                format!(
                    "duplicate phase id `{}` (first defined on line {})",
                    p.id.get_ref(),
                    loc.position(first.start).0
                ),
            ));
        } else {
            phase_ids.insert(p.id.get_ref().clone(), p.id.span());
        }
        if p.title.get_ref().trim().is_empty() {
            problems.push(loc.at(p.title.span(), "phase.title", "must not be empty"));
        }
        phases.push(Phase {
            id: p.id.into_inner(),
            title: p.title.into_inner(),
            goal: p.goal,
            reading: p.reading.into_iter().map(|r| Reading { title: r.title, url: r.url, why: r.why }).collect(),
        });
    }

    let mut exercises = Vec::new();
    let mut exercise_ids: HashMap<String, Range<usize>> = HashMap::new();
    for raw_exercise in raw.exercises {
        let e = raw_exercise.into_inner();
        let id = e.id.get_ref().clone();
        let field = |name: &str| format!("exercise `{id}` {name}");
        check_id(&loc, &e.id, "exercise.id", &mut problems);
        if let Some(first) = exercise_ids.get(&id) {
            problems.push(loc.at(
                e.id.span(),
                "exercise.id",
                format!("duplicate exercise id `{id}` (first defined on line {})", loc.position(first.start).0),
            ));
        } else {
            exercise_ids.insert(id.clone(), e.id.span());
        }
        if !phase_ids.contains_key(e.phase.get_ref()) {
            let known: Vec<&str> = phases.iter().map(|p| p.id.as_str()).collect();
            problems.push(loc.at(
                e.phase.span(),
                field("phase"),
                format!("unknown phase `{}` (phases: {})", e.phase.get_ref(), known.join(", ")),
            ));
        }
        if e.title.get_ref().trim().is_empty() {
            problems.push(loc.at(e.title.span(), field("title"), "must not be empty"));
        }
        let kind = match e.kind.as_ref().map(|k| k.get_ref().as_str()) {
            None | Some("exercise") => Kind::Exercise,
            Some("project") => Kind::Project,
            Some(other) => {
                let span = e.kind.as_ref().map(Spanned::span).unwrap_or_default();
                problems.push(loc.at(
                    span,
                    field("kind"),
                    format!("unknown kind `{other}` (expected `exercise` or `project`)"),
                ));
                Kind::Exercise
            }
        };
        check_files(&loc, &e.files, &field("files"), &mut problems);
        let services = check_services(&loc, &e.services, &field("services"), &mut problems);
        let timeout = check_timeout(&loc, e.timeout.as_ref(), &field("timeout"), &mut problems);
        let memory = check_memory(&loc, e.memory.as_ref(), &field("memory"), default_memory, &mut problems);
        check_hints(&loc, &e.hints, &field("hints"), &mut problems);
        let runner = check_runner(&loc, e.command.as_ref(), e.results.as_ref(), &field, &mut problems);
        exercises.push(Exercise {
            id,
            phase: e.phase.into_inner(),
            title: e.title.into_inner(),
            kind,
            files: e.files.into_inner().into_iter().map(Spanned::into_inner).collect(),
            services,
            timeout,
            memory,
            points: e.points.map_or(10, Spanned::into_inner),
            hints: e.hints.into_inner().into_iter().map(Spanned::into_inner).collect(),
            stage: None,
            runner,
        });
    }

    for raw_project in raw.projects {
        let p = raw_project.into_inner();
        let project = p.id.get_ref().clone();
        check_id(&loc, &p.id, "project.id", &mut problems);
        if exercise_ids.contains_key(&project) {
            problems.push(loc.at(p.id.span(), "project.id", format!("`{project}` is already an exercise id")));
        }
        if !phase_ids.contains_key(p.phase.get_ref()) {
            problems.push(loc.at(
                p.phase.span(),
                format!("project `{project}` phase"),
                format!("unknown phase `{}`", p.phase.get_ref()),
            ));
        }
        check_files(&loc, &p.files, &format!("project `{project}` files"), &mut problems);
        if p.stages.get_ref().is_empty() {
            problems.push(loc.at(
                p.stages.span(),
                format!("project `{project}` stage"),
                "a project needs at least one [[project.stage]]",
            ));
        }
        let count = p.stages.get_ref().len();
        let files: Vec<String> = p.files.into_inner().into_iter().map(Spanned::into_inner).collect();
        let mut earlier: Vec<String> = Vec::new();
        for (i, raw_stage) in p.stages.into_inner().into_iter().enumerate() {
            let st = raw_stage.into_inner();
            check_id(&loc, &st.id, "project.stage.id", &mut problems);
            let id = format!("{project}/{}", st.id.get_ref());
            let field = |name: &str| format!("stage `{id}` {name}");
            if let Some(first) = exercise_ids.get(&id) {
                problems.push(loc.at(
                    st.id.span(),
                    "project.stage.id",
                    format!("duplicate stage id `{id}` (first defined on line {})", loc.position(first.start).0),
                ));
            } else {
                exercise_ids.insert(id.clone(), st.id.span());
            }
            let services = check_services(&loc, &st.services, &field("services"), &mut problems);
            let timeout = check_timeout(&loc, st.timeout.as_ref(), &field("timeout"), &mut problems);
            let memory = check_memory(&loc, st.memory.as_ref(), &field("memory"), default_memory, &mut problems);
            check_hints(&loc, &st.hints, &field("hints"), &mut problems);
            exercises.push(Exercise {
                id: id.clone(),
                phase: p.phase.get_ref().clone(),
                title: st.title.into_inner(),
                kind: Kind::Project,
                files: files.clone(),
                services,
                timeout,
                memory,
                points: st.points.map_or(10, Spanned::into_inner),
                hints: st.hints.into_inner().into_iter().map(Spanned::into_inner).collect(),
                stage: Some(Stage {
                    project: project.clone(),
                    project_title: p.title.get_ref().clone(),
                    number: i + 1,
                    count,
                    id: st.id.into_inner(),
                    earlier: earlier.clone(),
                }),
                runner: Runner::Node,
            });
            earlier.push(id);
        }
    }
    if exercises.is_empty() && problems.is_empty() {
        problems.push(Diagnostic {
            file: loc.file.clone(),
            position: None,
            field: Some("exercise".into()),
            message: "the curriculum has no exercises".into(),
        });
    }

    if problems.is_empty() { Ok(Curriculum { phases, exercises }) } else { Err(CurriculumErrors(problems)) }
}

fn check_runner(
    loc: &Locator,
    command: Option<&Spanned<Vec<String>>>,
    results: Option<&Spanned<String>>,
    field: &dyn Fn(&str) -> String,
    problems: &mut Vec<Diagnostic>,
) -> Runner {
    let Some(command) = command else {
        if let Some(results) = results {
            problems.push(loc.at(results.span(), field("results"), "`results` only applies with a `command`"));
        }
        return Runner::Node;
    };
    if command.get_ref().is_empty() || command.get_ref()[0].trim().is_empty() {
        problems.push(loc.at(command.span(), field("command"), "must name a program, e.g. [\"sh\", \"run.sh\"]"));
    }
    let results = match results {
        None => Results::ExitCode,
        Some(spec) => Results::parse(spec.get_ref()).unwrap_or_else(|| {
            problems.push(loc.at(
                spec.span(),
                field("results"),
                format!("`{}` is not one of \"exit-code\", \"tap\", \"tap:FILE\", \"junit:FILE\"", spec.get_ref()),
            ));
            Results::ExitCode
        }),
    };
    Runner::Command { argv: command.get_ref().clone(), results }
}

fn check_files(loc: &Locator, files: &Spanned<Vec<Spanned<String>>>, field: &str, problems: &mut Vec<Diagnostic>) {
    if files.get_ref().is_empty() {
        problems.push(loc.at(files.span(), field, "must name at least one starter file"));
    }
    for file in files.get_ref() {
        let f = file.get_ref();
        if f.is_empty() || f.starts_with('/') || f.split('/').any(|part| part == ".." || part.is_empty()) {
            problems.push(loc.at(
                file.span(),
                field,
                format!("`{f}` must be a relative path inside the exercise folder"),
            ));
        }
    }
}

fn check_services(loc: &Locator, raw: &[Spanned<String>], field: &str, problems: &mut Vec<Diagnostic>) -> Vec<Service> {
    let mut services = BTreeSet::new();
    for service in raw {
        match Service::from_name(service.get_ref()) {
            Some(s) => {
                services.insert(s);
            }
            None => {
                let known: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();
                problems.push(loc.at(
                    service.span(),
                    field,
                    format!("unknown service `{}` (known: {})", service.get_ref(), known.join(", ")),
                ));
            }
        }
    }
    services.into_iter().collect()
}

fn check_timeout(
    loc: &Locator,
    raw: Option<&Spanned<String>>,
    field: &str,
    problems: &mut Vec<Diagnostic>,
) -> Duration {
    let Some(t) = raw else { return Duration::from_secs(10) };
    match humantime::parse_duration(t.get_ref()) {
        Ok(d) if !d.is_zero() && d <= MAX_TIMEOUT => d,
        Ok(_) => {
            problems.push(loc.at(t.span(), field, "must be more than 0 and at most 10m"));
            Duration::from_secs(10)
        }
        Err(err) => {
            problems.push(loc.at(t.span(), field, format!("`{}` is not a duration like \"10s\" ({err})", t.get_ref())));
            Duration::from_secs(10)
        }
    }
}

/// A size like "512MiB", "1GiB" or "800MB", between 64 MiB and 16 GiB.
fn check_memory(
    loc: &Locator,
    raw: Option<&Spanned<String>>,
    field: &str,
    default: u64,
    problems: &mut Vec<Diagnostic>,
) -> u64 {
    let Some(m) = raw else { return default };
    match parse_size(m.get_ref()) {
        Some(bytes) if (64 << 20..=16 << 30).contains(&bytes) => bytes,
        Some(_) => {
            problems.push(loc.at(m.span(), field, "must be between 64MiB and 16GiB"));
            default
        }
        None => {
            problems.push(loc.at(
                m.span(),
                field,
                format!("`{}` is not a size like \"512MiB\" or \"1GiB\"", m.get_ref()),
            ));
            default
        }
    }
}

/// Bytes in "512MiB", "1GiB", "800MB", "2G".
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let scale: u64 = match unit.trim() {
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    number.checked_mul(scale)
}

fn check_hints(loc: &Locator, hints: &Spanned<Vec<Spanned<String>>>, field: &str, problems: &mut Vec<Diagnostic>) {
    if hints.get_ref().is_empty() {
        problems.push(loc.at(hints.span(), field, "must have at least one hint"));
    }
    for hint in hints.get_ref() {
        if hint.get_ref().trim().is_empty() {
            problems.push(loc.at(hint.span(), field, "a hint must not be empty"));
        }
    }
}

fn check_id(loc: &Locator, id: &Spanned<String>, field: &str, problems: &mut Vec<Diagnostic>) {
    let s = id.get_ref();
    let valid = !s.is_empty()
        && s.split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if !valid {
        problems.push(loc.at(
            id.span(),
            field,
            format!("`{s}` is not a kebab-case id (lowercase letters, digits and single dashes)"),
        ));
    }
}

fn parse_error(loc: &Locator, error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim().to_string();
    let span = error.span();
    // serde names the field in its message for unknown and missing fields; otherwise
    // the key on the offending line is the field.
    let field = quoted_after(&message, "unknown field `")
        .or_else(|| quoted_after(&message, "missing field `"))
        .or_else(|| span.as_ref().and_then(|s| loc.key_at(s.start)));
    Diagnostic { file: loc.file.clone(), position: span.map(|s| loc.position(s.start)), field, message }
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_string())
}

/// Checks that the trees hold exactly the declared exercises and projects, each with
/// all its parts.
fn check_trees(curriculum: &Curriculum, files: &CourseFiles, loc: &Locator) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let folder_problem =
        |path: String, message: String| Diagnostic { file: path, position: None, field: None, message };
    let id_span = |id: &str| {
        let bare = id.rsplit('/').next().unwrap_or(id);
        loc.text.find(&format!("\"{bare}\"")).map(|i| i + 1).unwrap_or(0)
    };

    for exercise in &curriculum.exercises {
        let at = id_span(&exercise.id);
        let what = if exercise.stage.is_some() { "stage" } else { "exercise" };
        let missing = |part: &str, path: String| {
            loc.at(at..at, format!("{what} `{}`", exercise.id), format!("{part} {path} is missing"))
        };
        let starter = exercise.starter_rel();
        // A project's starter is shared by its stages: report it once, with the first.
        let first_of_project = exercise.stage.as_ref().is_none_or(|s| s.number == 1);
        if first_of_project {
            if !files.dir_exists(&starter) {
                problems.push(missing("the starter folder", format!("{starter}/")));
                continue;
            }
            if !files.is_file(&format!("{starter}/README.md")) {
                problems.push(missing("the task", format!("{starter}/README.md")));
            }
            for file in &exercise.files {
                if !files.is_file(&format!("{starter}/{file}")) {
                    problems.push(missing("the starter file", format!("{starter}/{file}")));
                }
            }
        }
        if !files.dir_exists(&exercise.solutions_rel()) {
            problems.push(missing("the solution folder", format!("{}/", exercise.solutions_rel())));
        }
        match exercise.runner {
            Runner::Node if !files.is_file(&format!("{}/{SUITE_FILE}", exercise.checks_rel())) => {
                problems.push(missing("the hidden suite", format!("{}/{SUITE_FILE}", exercise.checks_rel())));
            }
            Runner::Command { .. } if !files.dir_exists(&exercise.checks_rel()) => {
                problems.push(missing("the hidden checks folder", format!("{}/", exercise.checks_rel())));
            }
            _ => {}
        }
    }

    let declared: BTreeSet<String> = curriculum.exercises.iter().map(|e| e.checks_rel()).collect();
    let projects: BTreeSet<&str> =
        curriculum.exercises.iter().filter_map(|e| e.stage.as_ref().map(|s| s.project.as_str())).collect();
    let phases: BTreeSet<&str> = curriculum.phases.iter().map(|p| p.id.as_str()).collect();
    for tree in ["exercises", "solutions", "checks"] {
        for phase in files.subdirs(tree) {
            if phase == "projects" && tree != "exercises" {
                for project in files.subdirs(&format!("{tree}/projects")) {
                    for stage in files.subdirs(&format!("{tree}/projects/{project}")) {
                        if !declared.contains(&format!("checks/projects/{project}/{stage}")) {
                            problems.push(folder_problem(
                                format!("{tree}/projects/{project}/{stage}/"),
                                "orphan folder: no stage with this id in a [[project]] of curriculum.toml".into(),
                            ));
                        }
                    }
                }
                continue;
            }
            if !phases.contains(phase.as_str()) {
                problems.push(folder_problem(
                    format!("{tree}/{phase}/"),
                    "orphan folder: no phase with this id in curriculum.toml".into(),
                ));
                continue;
            }
            for id in files.subdirs(&format!("{tree}/{phase}")) {
                if !declared.contains(&format!("checks/{phase}/{id}")) {
                    problems.push(folder_problem(
                        format!("{tree}/{phase}/{id}/"),
                        "orphan folder: no exercise with this id and phase in curriculum.toml".into(),
                    ));
                }
            }
        }
    }
    for project in files.subdirs("projects") {
        if !projects.contains(project.as_str()) {
            problems.push(folder_problem(
                format!("projects/{project}/"),
                "orphan folder: no [[project]] with this id in curriculum.toml".into(),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHASE: &str = "format = 1\n[[phase]]\nid = \"basics\"\ntitle = \"Basics\"\n";

    fn exercise(extra: &str) -> String {
        format!(
            "{PHASE}\n[[exercise]]\nid = \"hello\"\nphase = \"basics\"\ntitle = \"Hello\"\nfiles = [\"hello.js\"]\nhints = [\"look\"]\n{extra}"
        )
    }

    fn errors(text: &str) -> Vec<Diagnostic> {
        parse("curriculum.toml", text).expect_err("should be rejected").0
    }

    #[test]
    fn accepts_a_minimal_curriculum_with_defaults() {
        let c = parse("curriculum.toml", &exercise("")).unwrap();
        let e = &c.exercises[0];
        assert_eq!(e.starter_rel(), "exercises/basics/hello");
        assert_eq!(e.checks_rel(), "checks/basics/hello");
        assert_eq!(e.timeout, Duration::from_secs(10));
        assert_eq!(e.points, 10);
        assert_eq!(e.kind, Kind::Exercise);
        assert!(e.services.is_empty());
    }

    #[test]
    fn unknown_field_names_the_line_and_field() {
        let d = &errors(&exercise("hint = \"typo\"\n"))[0];
        assert_eq!(d.field.as_deref(), Some("hint"));
        assert_eq!(d.file, "curriculum.toml");
        assert!(d.message.contains("unknown field"), "{d}");
        assert_eq!(d.position.unwrap().0, 12, "{d}");
    }

    #[test]
    fn syntax_error_has_a_position() {
        let d = &errors("format = 1\n[[phase]\n")[0];
        assert_eq!(d.position.unwrap().0, 2, "{d}");
    }

    #[test]
    fn wrong_type_names_the_key_on_the_line() {
        let d = &errors(&exercise("points = \"ten\"\n"))[0];
        assert_eq!(d.field.as_deref(), Some("points"), "{d}");
        assert_eq!(d.position.unwrap().0, 12, "{d}");
    }

    #[test]
    fn missing_field_is_named() {
        let d = &errors(&format!(
            "{PHASE}[[exercise]]\nid = \"x\"\nphase = \"basics\"\nfiles = [\"a.js\"]\nhints = [\"h\"]\n"
        ))[0];
        assert_eq!(d.field.as_deref(), Some("title"), "{d}");
    }

    #[test]
    fn duplicate_ids_point_at_the_second() {
        let text = format!(
            "{}\n[[exercise]]\nid = \"hello\"\nphase = \"basics\"\ntitle = \"Again\"\nfiles = [\"a.js\"]\nhints = [\"h\"]\n",
            exercise("")
        );
        let d = &errors(&text)[0];
        assert!(d.message.contains("duplicate exercise id `hello` (first defined on line 7)"), "{d}");
        assert_eq!(d.position.unwrap().0, 14);
    }

    #[test]
    fn duplicate_phase_ids_are_rejected() {
        let d = &errors(&format!("{PHASE}[[phase]]\nid = \"basics\"\ntitle = \"Again\"\n"))[0];
        assert!(d.message.contains("duplicate phase id"), "{d}");
    }

    #[test]
    fn unknown_service_lists_the_known_ones() {
        let d = &errors(&exercise("services = [\"mongo\"]\n"))[0];
        assert_eq!(d.field.as_deref(), Some("exercise `hello` services"));
        assert!(d.message.contains("unknown service `mongo` (known: postgres, redis, amqp)"), "{d}");
        assert_eq!(d.position.unwrap(), (12, 13));
    }

    #[test]
    fn empty_hints_are_rejected() {
        let text = exercise("").replace("hints = [\"look\"]", "hints = []");
        assert!(errors(&text)[0].message.contains("at least one hint"));
        let text = exercise("").replace("hints = [\"look\"]", "hints = [\"  \"]");
        assert!(errors(&text)[0].message.contains("must not be empty"));
    }

    #[test]
    fn unknown_phase_is_rejected() {
        let d = &errors(&exercise("").replace("phase = \"basics\"", "phase = \"nope\""))[0];
        assert!(d.message.contains("unknown phase `nope` (phases: basics)"), "{d}");
    }

    #[test]
    fn bad_ids_timeouts_kinds_and_paths_are_rejected() {
        let all = errors(
            &exercise("timeout = \"soon\"\nkind = \"lab\"\n")
                .replace("id = \"hello\"", "id = \"Hello_World\"")
                .replace("[\"hello.js\"]", "[\"../up.js\"]"),
        );
        let text: Vec<String> = all.iter().map(ToString::to_string).collect();
        assert_eq!(all.len(), 4, "{text:#?}");
        assert!(text[0].contains("not a kebab-case id"));
        assert!(text.iter().any(|t| t.contains("`../up.js` must be a relative path")));
        assert!(text.iter().any(|t| t.contains("`soon` is not a duration")));
        assert!(text.iter().any(|t| t.contains("unknown kind `lab`")));
    }

    #[test]
    fn projects_expand_into_stages_that_know_their_place() {
        let text = format!(
            "{PHASE}[[project]]\nid = \"shop\"\nphase = \"basics\"\ntitle = \"Shop\"\nfiles = [\"shop.js\"]\n\
             [[project.stage]]\nid = \"cart\"\ntitle = \"Cart\"\nhints = [\"h\"]\n\
             [[project.stage]]\nid = \"codes\"\ntitle = \"Codes\"\npoints = 30\nhints = [\"h\"]\n"
        );
        let c = parse("curriculum.toml", &text).unwrap();
        let ids: Vec<&str> = c.exercises.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["shop/cart", "shop/codes"]);
        let second = c.exercises[1].stage.as_ref().unwrap();
        assert_eq!(
            (second.number, second.count, second.earlier.as_slice()),
            (2, 2, ["shop/cart".to_string()].as_slice())
        );
        assert_eq!(c.exercises[1].starter_rel(), "projects/shop");
        assert_eq!(c.exercises[1].checks_rel(), "checks/projects/shop/codes");
        assert_eq!(c.exercises[1].points, 30);
    }

    #[test]
    fn a_project_without_stages_or_with_a_stage_typo_is_rejected() {
        let bare =
            format!("{PHASE}[[project]]\nid = \"shop\"\nphase = \"basics\"\ntitle = \"Shop\"\nfiles = [\"a.js\"]\n");
        assert_eq!(errors(&bare)[0].field.as_deref(), Some("stage"), "{:?}", errors(&bare));
        let typo = format!("{bare}[[project.stage]]\nid = \"a\"\ntitle = \"A\"\nhints = [\"h\"]\nhint = \"x\"\n");
        let d = &errors(&typo)[0];
        assert_eq!(d.field.as_deref(), Some("hint"), "{d}");
    }

    #[test]
    fn unsupported_format_is_rejected() {
        let d = &errors(&PHASE.replace("format = 1", "format = 2"))[0];
        assert_eq!(d.field.as_deref(), Some("format"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = exercise("services = [\"mongo\", \"kafka\"]\n").replace("hints = [\"look\"]", "hints = []");
        assert_eq!(errors(&text).len(), 3);
    }

    #[test]
    fn tree_problems_name_missing_parts_and_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("curriculum.toml"), exercise("")).unwrap();
        std::fs::create_dir_all(root.join("exercises/basics/hello")).unwrap();
        std::fs::write(root.join("exercises/basics/hello/hello.js"), "").unwrap();
        std::fs::create_dir_all(root.join("exercises/basics/stray")).unwrap();
        std::fs::create_dir_all(root.join("checks/other")).unwrap();
        let problems = load(&CourseFiles::Disk(root.to_path_buf())).unwrap_err().0;
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("exercises/basics/hello/README.md is missing")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("solutions/basics/hello/ is missing")), "{text:#?}");
        assert!(text.iter().any(|t| t.contains("checks/basics/hello/suite.test.js is missing")), "{text:#?}");
        assert!(text.iter().any(|t| t.starts_with("exercises/basics/stray/: orphan folder")), "{text:#?}");
        assert!(text.iter().any(|t| t.starts_with("checks/other/: orphan folder")), "{text:#?}");
        assert!(text[0].contains(":7:"), "points at the exercise id line: {text:#?}");
    }
}
