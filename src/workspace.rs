//! A learner's workspace: where it is, what it holds, and which curriculum it follows.
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::curriculum::{CourseFiles, Exercise};

pub const MARKER: &str = ".roadmap/workspace.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkspaceConfig {
    format: u32,
    /// Set when the workspace was created from a curriculum folder rather than the
    /// built-in one, so later commands read the same course.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    curriculum: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    curriculum: Option<PathBuf>,
}

impl Workspace {
    /// Finds the workspace containing `start`, walking up.
    pub fn find(start: &Path) -> Result<Option<Workspace>> {
        let Some(root) = start.ancestors().find(|d| d.join(MARKER).is_file()) else {
            return Ok(None);
        };
        let path = root.join(MARKER);
        let text = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let config: WorkspaceConfig =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        Ok(Some(Workspace { root: root.to_path_buf(), curriculum: config.curriculum }))
    }

    /// Writes the marker of a new workspace at `root`.
    pub fn create(root: &Path, curriculum: Option<PathBuf>) -> Result<Workspace> {
        let dir = root.join(".roadmap");
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let config = WorkspaceConfig { format: 1, curriculum: curriculum.clone() };
        let text = toml::to_string(&config).context("cannot encode the workspace config")?;
        fs::write(root.join(MARKER), text).with_context(|| format!("cannot write {}", root.join(MARKER).display()))?;
        Ok(Workspace { root: root.to_path_buf(), curriculum })
    }

    /// The curriculum this workspace was created from.
    pub fn course_files(&self) -> CourseFiles {
        match &self.curriculum {
            Some(dir) => CourseFiles::Disk(dir.clone()),
            None => CourseFiles::Embedded,
        }
    }

    /// The learner's folder for `exercise` (for a project stage: the project's).
    pub fn exercise_dir(&self, exercise: &Exercise) -> PathBuf {
        self.root.join(exercise.starter_rel())
    }

    pub fn solution_dir(&self, exercise: &Exercise) -> PathBuf {
        self.root.join(exercise.solutions_rel())
    }

    /// Where runs lay their suites out (each in a folder of its own).
    pub fn run_root(&self) -> PathBuf {
        self.root.join(".roadmap").join("run")
    }

    pub fn progress_path(&self) -> PathBuf {
        self.root.join(".roadmap").join("progress.toml")
    }

    /// Restores the starter files of `exercise` (its README too), leaving other files alone.
    pub fn restore_starter(&self, files: &CourseFiles, exercise: &Exercise) -> Result<Vec<String>> {
        files.extract(&exercise.starter_rel(), &self.exercise_dir(exercise))
    }

    /// Backs the learner's files of `exercise` up under `.roadmap/backup/`, then restores
    /// the starter. Returns the restored files and the backup folder.
    pub fn reset(&self, files: &CourseFiles, exercise: &Exercise) -> Result<(Vec<String>, Option<PathBuf>)> {
        let dir = self.exercise_dir(exercise);
        let backup = if dir.exists() {
            let stamp = crate::progress::timestamp().replace(':', "");
            let backup = self.root.join(".roadmap/backup").join(format!("{}-{stamp}", exercise.id));
            copy_dir(&dir, &backup)?;
            Some(backup)
        } else {
            None
        };
        Ok((self.restore_starter(files, exercise)?, backup))
    }

    /// Writes the reference solution of `exercise` under `solutions/`.
    pub fn write_solution(&self, files: &CourseFiles, exercise: &Exercise) -> Result<(PathBuf, Vec<String>)> {
        let dest = self.solution_dir(exercise);
        let written = files.extract(&exercise.solutions_rel(), &dest)?;
        Ok((dest, written))
    }

    /// Whether the learner changed any starter file of `exercise`.
    pub fn is_touched(&self, files: &CourseFiles, exercise: &Exercise) -> bool {
        let dir = self.exercise_dir(exercise);
        exercise.files.iter().any(|file| {
            let starter = files.read(&format!("{}/{file}", exercise.starter_rel())).ok();
            let current = fs::read(dir.join(file)).ok();
            starter.as_deref() != current.as_deref()
        })
    }
}

/// Refuses to create a workspace where one would overwrite something.
pub fn check_target(dir: &Path) -> Result<()> {
    if dir.join(MARKER).is_file() {
        bail!("{} is already a roadmap workspace; `cd` into it and run `roadmap`", dir.display());
    }
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        let mut entries = fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} already exists and is not empty; roadmap init never overwrites files. Pick a new folder, e.g. `roadmap init my-roadmap`",
                dir.display()
            );
        }
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            if entry.file_name() != "node_modules" {
                copy_dir(&entry.path(), &target)?;
            }
        } else {
            fs::copy(entry.path(), &target).with_context(|| format!("cannot back up {}", entry.path().display()))?;
        }
    }
    Ok(())
}
