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
}

impl Course {
    pub fn open(files: CourseFiles) -> Result<Course, CurriculumErrors> {
        let curriculum = load(&files)?;
        Ok(Course { files, curriculum })
    }
}

/// Finds the nearest folder at or above `start` that holds a `curriculum.toml`.
pub fn find_curriculum_dir(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|dir| dir.join("curriculum.toml").is_file()).map(Path::to_path_buf)
}
