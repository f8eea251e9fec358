//! What a command works on: the course, and (for learner commands) the workspace and
//! its progress, recovered if it was lost or damaged.
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use crate::curriculum::{Course, CourseFiles, Exercise, find_curriculum_dir};
use crate::grade;
use crate::progress::{Aside, Progress, ProgressStore, Recovery};
use crate::services::Services;
use crate::workspace::Workspace;

/// Picks the course: `--curriculum DIR`, else the one the workspace was created from,
/// else a `curriculum.toml` at or above the current folder, else the built-in one.
pub fn course_files(flag: Option<&Path>, workspace: Option<&Workspace>, cwd: &Path) -> Result<CourseFiles> {
    if let Some(dir) = flag {
        if !dir.join("curriculum.toml").is_file() {
            bail!("{} holds no curriculum.toml", dir.display());
        }
        return Ok(CourseFiles::Disk(absolute(dir)?));
    }
    if let Some(ws) = workspace {
        return Ok(ws.course_files());
    }
    Ok(find_curriculum_dir(cwd).map_or(CourseFiles::Embedded, CourseFiles::Disk))
}

pub fn open_course(files: CourseFiles) -> Result<Course> {
    Course::open(files).map_err(anyhow::Error::new)
}

pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// A learner command's world.
pub struct Learner {
    pub course: Course,
    pub workspace: Workspace,
    pub store: ProgressStore,
    pub progress: Progress,
}

impl Learner {
    pub fn open(flag: Option<&Path>) -> Result<Learner> {
        let cwd = std::env::current_dir().context("cannot read the current folder")?;
        let Some(workspace) = Workspace::find(&cwd)? else {
            bail!(
                "{} is not inside a roadmap workspace. Create one with `roadmap init` (then `cd node-roadmap`), or `cd` into yours",
                cwd.display()
            );
        };
        let course = open_course(course_files(flag, Some(&workspace), &cwd)?)?;
        let store = ProgressStore::new(workspace.progress_path());
        let (progress, recovery) = store.load()?;
        let mut learner = Learner { course, workspace, store, progress };
        if let Some(recovery) = recovery {
            learner.recover(recovery)?;
        }
        Ok(learner)
    }

    /// Rebuilds lost or damaged progress. What the file still shows is kept, and the
    /// exercises it does not show as done are re-checked if the learner changed them
    /// (an untouched starter cannot have been passed).
    fn recover(&mut self, recovery: Recovery) -> Result<()> {
        let unsure: Vec<&Exercise> = self
            .course
            .curriculum
            .exercises
            .iter()
            .filter(|e| !self.progress.is_done(&e.id) && self.workspace.is_touched(&self.course.files, e))
            .collect();
        let path = self.store.path().display();
        match &recovery {
            Recovery::Missing if unsure.is_empty() => return Ok(()),
            Recovery::Missing => eprintln!(
                "roadmap: {path} is missing; rebuilding it by re-checking the {} exercise(s) you changed…",
                unsure.len()
            ),
            Recovery::Damaged { reason, aside } => {
                let aside = match aside {
                    Aside::Copied(copy) => format!("A copy of it is kept as {} so nothing is lost", copy.display()),
                    Aside::NotCopied(why) => format!("It was left as it is ({why})"),
                };
                let recheck = match unsure.len() {
                    0 => "no other exercise needs re-checking".to_string(),
                    n => format!("is re-checking the {n} other exercise(s) you changed…"),
                };
                eprintln!(
                    "roadmap: {path} {reason}. {aside}. roadmap kept everything it could read from it ({} done) and {recheck}",
                    self.progress.done_count()
                );
            }
        }
        if !self.store.writable() {
            eprintln!(
                "roadmap: the workspace is read-only, so progress cannot be rebuilt now; showing what could be read."
            );
            return Ok(());
        }
        let services = Services::for_workspace(&self.workspace.root);
        let reports = grade::parallel(&unsure, grade::default_jobs(), |e| {
            grade::grade(&self.course, &self.workspace, &services, e, |_| {})
        });
        let mut progress = self.progress.clone();
        for (exercise, report) in unsure.iter().zip(reports) {
            match report {
                Ok(report) => progress.record_exercise(exercise, report.status.label(), report.status.is_pass()),
                // One exercise that cannot be graded must not cost the others their passes.
                Err(e) => eprintln!("roadmap: could not re-check {}: {e:#}", exercise.id),
            }
        }
        if progress.current.as_deref().and_then(|id| self.course.curriculum.exercise(id)).is_none() {
            progress.current = self.next_pending(&progress, None);
        }
        self.store.replace(&progress)?;
        eprintln!("roadmap: progress rebuilt: {} exercise(s) done.", progress.done_count());
        self.progress = progress;
        Ok(())
    }

    /// The first exercise not done, searching after `after` first and then from the start.
    pub fn next_pending(&self, progress: &Progress, after: Option<&str>) -> Option<String> {
        let all = &self.course.curriculum.exercises;
        let start = after.and_then(|id| self.course.curriculum.index_of(id)).map_or(0, |i| i + 1);
        all[start..].iter().chain(all[..start].iter()).find(|e| !progress.is_done(&e.id)).map(|e| e.id.clone())
    }

    /// The exercise the learner is on.
    pub fn current(&self) -> &Exercise {
        let exercises = &self.course.curriculum.exercises;
        self.progress
            .current
            .as_deref()
            .and_then(|id| self.course.curriculum.exercise(id))
            .or_else(|| self.next_pending(&self.progress, None).and_then(|id| self.course.curriculum.exercise(&id)))
            .unwrap_or(&exercises[0])
    }

    /// Resolves an exercise named on the command line (a project's name means its
    /// current stage), or the current one.
    pub fn exercise(&self, name: Option<&str>) -> Result<&Exercise> {
        match name {
            None => Ok(self.current()),
            Some(name) => {
                match self.course.curriculum.project_stage(name.trim_end_matches('/'), |id| self.progress.is_done(id)) {
                    Some(stage) => Ok(stage),
                    None => find_exercise(&self.course, name),
                }
            }
        }
    }
}

/// Looks an exercise up by id, or by its `<phase>/<id>` path; suggests near misses.
pub fn find_exercise<'a>(course: &'a Course, name: &str) -> Result<&'a Exercise> {
    let name = name.trim_end_matches('/');
    // An exercise id, a project stage (`project/stage`), or a path ending in an id.
    let id = name.rsplit('/').next().unwrap_or(name);
    if let Some(e) = course.curriculum.exercise(name).or_else(|| course.curriculum.exercise(id)) {
        return Ok(e);
    }
    let close: Vec<&str> = course
        .curriculum
        .exercises
        .iter()
        .map(|e| e.id.as_str())
        .filter(|c| c.contains(id) || id.contains(*c) || edit_distance(c, id) <= 2)
        .take(3)
        .collect();
    if close.is_empty() {
        bail!("there is no exercise `{name}`; `roadmap list` shows them all")
    }
    bail!("there is no exercise `{name}`; did you mean {}?", close.join(", "))
}

/// Levenshtein distance, for suggesting the exercise a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn typos_are_near() {
        assert_eq!(super::edit_distance("closures-countr", "closures-counter"), 1);
        assert_eq!(super::edit_distance("fs-wlak", "fs-walk"), 2);
        assert!(super::edit_distance("sum", "greet") > 2);
    }
}
