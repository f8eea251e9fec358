//! A learner's workspace: where it is, what it holds, and which curriculum it follows.
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::curriculum::{CourseFiles, Exercise};
use crate::safe_fs;

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
    ///
    /// A starter file the learner replaced by a symbolic link is replaced by the regular
    /// starter file, and the link's target is left alone: restoring means "give me the
    /// starter back", which a link to something else is not. A linked folder on the way
    /// is refused instead, since every file below it would land wherever it points.
    pub fn restore_starter(&self, files: &CourseFiles, exercise: &Exercise) -> Result<Vec<String>> {
        files.extract_within(&exercise.starter_rel(), &self.root, &self.exercise_dir(exercise))
    }

    /// Backs the learner's files of `exercise` up under `.roadmap/backup/`, then restores
    /// the starter. Returns the restored files and the backup folder.
    pub fn reset(&self, files: &CourseFiles, exercise: &Exercise) -> Result<(Vec<String>, Option<PathBuf>)> {
        let dir = self.exercise_dir(exercise);
        // Checked before the backup, so a linked exercise folder is neither copied nor
        // written to: the learner gets the refusal and everything stays as it was.
        safe_fs::refuse_links(&self.root, &dir)?;
        let backup = if dir.exists() {
            let stamp = crate::progress::timestamp().replace(':', "");
            // `.roadmap` itself is followed, like every other write of the workspace's
            // state (progress, services): a learner may keep it elsewhere on purpose.
            // Below it, a link is refused.
            let state = self.root.join(".roadmap");
            let backup = state.join("backup").join(format!("{}-{stamp}", exercise.id));
            safe_fs::copy_dir(&state, &dir, &backup)?;
            Some(backup)
        } else {
            None
        };
        Ok((self.restore_starter(files, exercise)?, backup))
    }

    /// Writes the reference solution of `exercise` under `solutions/`, with the same
    /// rules for links as `restore_starter`: the solution replaces a linked file, and a
    /// linked folder is refused.
    pub fn write_solution(&self, files: &CourseFiles, exercise: &Exercise) -> Result<(PathBuf, Vec<String>)> {
        let dest = self.solution_dir(exercise);
        let written = files.extract_within(&exercise.solutions_rel(), &self.root, &dest)?;
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
