//! The course: its validated model and the files behind it.
mod load;
mod model;
mod source;

#[cfg(test)]
pub use load::parse;
pub use load::{CurriculumErrors, SUITE_FILE, load};
#[cfg(test)]
pub use model::Stage;
pub use model::{Curriculum, Exercise, Kind, Runner, Service};
pub use source::CourseFiles;

use std::path::{Path, PathBuf};

/// A loaded curriculum together with the files it was read from.
#[derive(Debug, Clone)]
pub struct Course {
    pub files: CourseFiles,
    pub curriculum: Curriculum,
    /// Whether runs are compared with their suites' manifests. Off only while `dev check
    /// --record` writes new ones.
    pub check_manifests: bool,
}

impl Course {
    pub fn open(files: CourseFiles) -> Result<Course, CurriculumErrors> {
        let curriculum = load(&files)?;
        Ok(Course { files, curriculum, check_manifests: true })
    }

    /// The recorded manifest of `exercise`'s suite, if the course has one.
    pub fn manifest(&self, exercise: &Exercise) -> anyhow::Result<Option<crate::manifest::Manifest>> {
        if !self.check_manifests {
            return Ok(None);
        }
        crate::manifest::Manifest::of(&self.files, exercise)
    }
}

/// Finds the nearest folder at or above `start` that holds a `curriculum.toml`.
pub fn find_curriculum_dir(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|dir| dir.join("curriculum.toml").is_file()).map(Path::to_path_buf)
}
