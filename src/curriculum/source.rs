//! Where course files come from: the trees embedded in the binary, or a folder on disk
//! (a mentor's checkout or a third-party curriculum).
use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::safe_fs;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

#[derive(Debug, Clone)]
pub enum CourseFiles {
    Embedded,
    Disk(PathBuf),
}

impl CourseFiles {
    /// Describes the source for messages: `embedded` or the folder's path.
    pub fn describe(&self) -> String {
        match self {
            CourseFiles::Embedded => "the curriculum built into roadmap".to_string(),
            CourseFiles::Disk(root) => root.display().to_string(),
        }
    }

    /// The name of `curriculum.toml` as messages should show it.
    pub fn manifest_display(&self) -> String {
        match self {
            CourseFiles::Embedded => "curriculum.toml".to_string(),
            CourseFiles::Disk(root) => root.join("curriculum.toml").display().to_string(),
        }
    }

    pub fn read(&self, rel: &str) -> Result<Cow<'static, [u8]>> {
        match self {
            CourseFiles::Embedded => embedded::FILES
                .iter()
                .find(|(name, _)| *name == rel)
                .map(|(_, bytes)| Cow::Borrowed(*bytes))
                .with_context(|| format!("{rel} is not part of the built-in curriculum")),
            CourseFiles::Disk(root) => {
                let path = root.join(rel);
                fs::read(&path).map(Cow::Owned).with_context(|| format!("cannot read {}", path.display()))
            }
        }
    }

    pub fn read_string(&self, rel: &str) -> Result<String> {
        let bytes = self.read(rel)?;
        String::from_utf8(bytes.into_owned()).with_context(|| format!("{rel} is not UTF-8"))
    }

    pub fn is_file(&self, rel: &str) -> bool {
        match self {
            CourseFiles::Embedded => embedded::FILES.iter().any(|(name, _)| *name == rel),
            CourseFiles::Disk(root) => root.join(rel).is_file(),
        }
    }

    /// Every file below `prefix`, as paths relative to `prefix`, sorted.
    pub fn files_under(&self, prefix: &str) -> Vec<String> {
        let prefix = format!("{}/", prefix.trim_end_matches('/'));
        let mut out = match self {
            CourseFiles::Embedded => {
                embedded::FILES.iter().filter_map(|(name, _)| name.strip_prefix(&prefix).map(str::to_string)).collect()
            }
            CourseFiles::Disk(root) => {
                let mut out = Vec::new();
                walk(&root.join(&prefix), Path::new(""), &mut out);
                out
            }
        };
        out.sort();
        out
    }

    /// The names of the immediate subfolders of `prefix`.
    pub fn subdirs(&self, prefix: &str) -> Vec<String> {
        let mut out: Vec<String> = match self {
            CourseFiles::Embedded => {
                let mut names: Vec<String> = self
                    .files_under(prefix)
                    .into_iter()
                    .filter_map(|f| f.split_once('/').map(|(dir, _)| dir.to_string()))
                    .collect();
                names.dedup();
                names
            }
            CourseFiles::Disk(root) => fs::read_dir(root.join(prefix))
                .map(|entries| {
                    entries
                        .flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default(),
        };
        out.sort();
        out.dedup();
        out
    }

    pub fn dir_exists(&self, prefix: &str) -> bool {
        match self {
            CourseFiles::Embedded => !self.files_under(prefix).is_empty(),
            CourseFiles::Disk(root) => root.join(prefix).is_dir(),
        }
    }

    /// Writes every file below `prefix` into `dest`, keeping relative paths, without
    /// following a link below `dest` (see `extract_within`).
    pub fn extract(&self, prefix: &str, dest: &Path) -> Result<Vec<String>> {
        self.extract_within(prefix, dest, dest)
    }

    /// Writes every file below `prefix` into `dest`, keeping relative paths. No folder
    /// between `root` and a file may be a symbolic link (the write is refused), and a
    /// link in a file's place is replaced by the file (see `safe_fs::write`).
    pub fn extract_within(&self, prefix: &str, root: &Path, dest: &Path) -> Result<Vec<String>> {
        let files = self.files_under(prefix);
        for rel in &files {
            let bytes = self.read(&format!("{}/{rel}", prefix.trim_end_matches('/')))?;
            safe_fs::write(root, &dest.join(rel), &bytes)?;
        }
        Ok(files)
    }
}

fn walk(dir: &Path, rel: &Path, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == "node_modules" || name == ".roadmap" {
            continue;
        }
        let rel = rel.join(&name);
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), &rel, out),
            Ok(t) if t.is_file() => out.push(rel.to_string_lossy().replace('\\', "/")),
            _ => {}
        }
    }
}
