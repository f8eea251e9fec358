//! Writing into a workspace without following symbolic links.
//!
//! A workspace belongs to the learner, who can put a link anywhere in it: a starter
//! file that points at a copy of `/etc/passwd`, or a solutions folder that points at
//! another project. Writing through such a link would overwrite a file roadmap was
//! never asked to touch, so every write below a boundary (the workspace root, or a
//! scratch folder roadmap owns) goes through these helpers:
//!
//! - folders on the way are checked with `lstat`, and a link among them is refused,
//!   because a linked folder redirects every file below it and roadmap cannot tell
//!   whether the learner meant that;
//! - files are written to a temporary file in the same folder and renamed over the
//!   destination, which is atomic and replaces a link in the last place rather than
//!   writing to what it points at.
//!
//! The checks and the writes are separate system calls, so a process racing roadmap
//! could swap a folder for a link in between. That is accepted: the learner's own code
//! already runs as the same user and could write anywhere directly; what these helpers
//! prevent is roadmap itself doing it, on a link left lying around.
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};

/// The path of `path` below `root`, made only of plain names, so walking it from
/// `root` visits every folder the write will pass through.
fn below<'a>(root: &Path, path: &'a Path) -> Result<&'a Path> {
    let rel = path
        .strip_prefix(root)
        .with_context(|| format!("{} is not inside {}; roadmap only writes there", path.display(), root.display()))?;
    if let Some(odd) = rel.components().find(|c| !matches!(c, Component::Normal(_))) {
        bail!("{} goes through `{}`; roadmap only writes to plain paths", path.display(), odd.as_os_str().display());
    }
    Ok(rel)
}

/// The refusal for a link at `link`, named relative to `root` as the learner sees it.
fn link_error(root: &Path, link: &Path) -> anyhow::Error {
    let shown = link.strip_prefix(root).unwrap_or(link);
    anyhow::anyhow!(
        "{} is a symbolic link; roadmap does not write through links (remove it and try again)",
        shown.display()
    )
}

/// Fails if any component of `path` below `root` is a symbolic link. Components that
/// do not exist yet end the walk: nothing below them exists either.
pub fn refuse_links(root: &Path, path: &Path) -> Result<()> {
    let mut current = root.to_path_buf();
    for part in below(root, path)?.components() {
        current.push(part);
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(link_error(root, &current)),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", current.display())),
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents below `root`, refusing to pass through a link
/// or to treat a file as a folder. `root` itself is created as any folder would be:
/// it is the boundary the caller trusts, such as a new workspace `roadmap init` fills.
pub fn create_dir_all(root: &Path, dir: &Path) -> Result<()> {
    let rel = below(root, dir)?;
    if !root.is_dir() {
        fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    }
    let mut current = root.to_path_buf();
    for part in rel.components() {
        current.push(part);
        // Created only when missing; if something appears between the check and the
        // creation, it is inspected like anything that was there before.
        let meta = match fs::symlink_metadata(&current) {
            Err(e) if e.kind() == ErrorKind::NotFound => match fs::create_dir(&current) {
                Ok(()) => continue,
                Err(e) if e.kind() == ErrorKind::AlreadyExists => fs::symlink_metadata(&current),
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", current.display())),
            },
            other => other,
        }
        .with_context(|| format!("cannot inspect {}", current.display()))?;
        if meta.file_type().is_symlink() {
            return Err(link_error(root, &current));
        }
        if !meta.is_dir() {
            bail!("{} exists and is not a folder", current.display());
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` below `root`, creating its folders.
///
/// A link in the folders on the way is refused (see `create_dir_all`). A link at
/// `path` itself is replaced by the regular file: the caller asked for this file to
/// hold these bytes, and the rename that does it never touches the link's target. A
/// regular file being replaced keeps its permissions.
pub fn write(root: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        bail!("{} is not a file path", path.display());
    };
    create_dir_all(root, parent)?;
    let previous = fs::symlink_metadata(path).ok().filter(|m| m.is_file());
    let tmp = temp_path(parent, name);
    // `create_new` is O_CREAT|O_EXCL, which fails rather than follow a link that
    // appeared at the temporary name.
    let written = OpenOptions::new().write(true).create_new(true).open(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        if let Some(previous) = &previous {
            file.set_permissions(previous.permissions())?;
        }
        Ok(())
    });
    let result = written.and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// A name next to `name` in `dir` that no other write uses. It ends in `.tmp`, which
/// the watcher ignores as an editor's temporary file, so a write is seen once, as the
/// rename.
fn temp_path(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{}.roadmap-{}-{n}.tmp", name.to_string_lossy(), std::process::id()))
}

/// Removes whatever is at `path` unless it is a real folder: a link is unlinked (its
/// target is left alone), a file deleted. For scratch folders roadmap owns and lays
/// out afresh, where nothing the learner put is meant to survive.
pub fn remove_unless_dir(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot inspect {}", path.display())),
    }
}

/// Copies the folder `from` into `to` below `root` for a backup: files by content,
/// links as links (never the content of what they point at, which may be outside the
/// workspace and not the learner's to copy), folders recursively except
/// `node_modules`. Anything else (a socket, a FIFO) is skipped: reading a FIFO would
/// block, and neither is the learner's work.
pub fn copy_dir(root: &Path, from: &Path, to: &Path) -> Result<()> {
    create_dir_all(root, to)?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        // `DirEntry::file_type` does not follow links, so a link is seen as one.
        let kind = entry.file_type().with_context(|| format!("cannot inspect {}", source.display()))?;
        if kind.is_dir() {
            if entry.file_name() != "node_modules" {
                copy_dir(root, &source, &target)?;
            }
        } else if kind.is_symlink() {
            let points_to =
                fs::read_link(&source).with_context(|| format!("cannot read the link {}", source.display()))?;
            std::os::unix::fs::symlink(&points_to, &target)
                .with_context(|| format!("cannot back up the link {}", source.display()))?;
        } else if kind.is_file() {
            let bytes = fs::read(&source).with_context(|| format!("cannot back up {}", source.display()))?;
            write(root, &target, &bytes)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    fn is_link(path: &Path) -> bool {
        fs::symlink_metadata(path).unwrap().file_type().is_symlink()
    }

    #[test]
    fn write_creates_folders_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, &root.join("a/b/c.txt"), b"hello").unwrap();
        assert_eq!(fs::read_to_string(root.join("a/b/c.txt")).unwrap(), "hello");
        write(root, &root.join("a/b/c.txt"), b"again").unwrap();
        assert_eq!(fs::read_to_string(root.join("a/b/c.txt")).unwrap(), "again");
        let names: Vec<_> = fs::read_dir(root.join("a/b")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["c.txt"]);
    }

    #[test]
    fn write_replaces_a_final_link_and_leaves_its_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("passwd");
        fs::write(&outside, "root:x:0:0").unwrap();
        let root = dir.path().join("ws");
        fs::create_dir(&root).unwrap();
        symlink(&outside, root.join("sum.js")).unwrap();
        write(&root, &root.join("sum.js"), b"starter").unwrap();
        assert_eq!(fs::read_to_string(&outside).unwrap(), "root:x:0:0");
        assert!(!is_link(&root.join("sum.js")));
        assert_eq!(fs::read_to_string(root.join("sum.js")).unwrap(), "starter");
    }

    #[test]
    fn write_replaces_a_dangling_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("not-yet");
        let root = dir.path().join("ws");
        fs::create_dir(&root).unwrap();
        symlink(&outside, root.join("sum.js")).unwrap();
        write(&root, &root.join("sum.js"), b"starter").unwrap();
        assert!(!outside.exists(), "the link's target must not be created");
        assert_eq!(fs::read_to_string(root.join("sum.js")).unwrap(), "starter");
    }

    #[test]
    fn write_refuses_a_linked_folder_anywhere_on_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        let root = dir.path().join("ws");
        fs::create_dir_all(root.join("solutions")).unwrap();
        symlink(&elsewhere, root.join("solutions/basics")).unwrap();
        let err = write(&root, &root.join("solutions/basics/sum/sum.js"), b"x").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "solutions/basics is a symbolic link; roadmap does not write through links (remove it and try again)"
        );
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing is created behind the link");

        // The folder holding the file, too.
        fs::remove_file(root.join("solutions/basics")).unwrap();
        fs::create_dir(root.join("solutions/basics")).unwrap();
        symlink(&elsewhere, root.join("solutions/basics/sum")).unwrap();
        let err = write(&root, &root.join("solutions/basics/sum/sum.js"), b"x").unwrap_err();
        assert!(format!("{err:#}").starts_with("solutions/basics/sum is a symbolic link"), "{err:#}");
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn write_keeps_the_permissions_of_the_file_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.sh");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o750)).unwrap();
        write(dir.path(), &file, b"new").unwrap();
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o750);
    }

    #[test]
    fn paths_outside_the_root_or_with_dot_dot_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        fs::create_dir(&root).unwrap();
        assert!(write(&root, &dir.path().join("x"), b"x").is_err());
        assert!(write(&root, &root.join("../x"), b"x").is_err());
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn a_missing_root_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new/ws");
        write(&root, &root.join("package.json"), b"{}").unwrap();
        assert_eq!(fs::read_to_string(root.join("package.json")).unwrap(), "{}");
    }

    #[test]
    fn a_file_in_the_way_of_a_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "file").unwrap();
        let err = create_dir_all(dir.path(), &dir.path().join("a/b")).unwrap_err();
        assert!(format!("{err:#}").contains("exists and is not a folder"), "{err:#}");
    }

    #[test]
    fn refuse_links_names_the_first_link_and_stops_at_missing_parts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("exercises/basics")).unwrap();
        refuse_links(root, &root.join("exercises/basics/sum/sum.js")).unwrap();
        symlink(dir.path(), root.join("exercises/basics/sum")).unwrap();
        let err = refuse_links(root, &root.join("exercises/basics/sum/sum.js")).unwrap_err();
        assert!(format!("{err:#}").starts_with("exercises/basics/sum is a symbolic link"), "{err:#}");
    }

    #[test]
    fn remove_unless_dir_unlinks_links_and_keeps_folders() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("keep"), "keep").unwrap();
        let link = dir.path().join("run");
        symlink(&elsewhere, &link).unwrap();
        remove_unless_dir(&link).unwrap();
        assert!(fs::symlink_metadata(&link).is_err());
        assert_eq!(fs::read_to_string(elsewhere.join("keep")).unwrap(), "keep");
        remove_unless_dir(&elsewhere).unwrap();
        assert!(elsewhere.is_dir());
        remove_unless_dir(&dir.path().join("missing")).unwrap();
    }

    #[test]
    fn copy_dir_copies_links_as_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("passwd");
        fs::write(&outside, "secret").unwrap();
        let root = dir.path().join("ws");
        fs::create_dir_all(root.join("ex/sub")).unwrap();
        fs::create_dir_all(root.join("ex/node_modules/pkg")).unwrap();
        fs::write(root.join("ex/sum.js"), "mine").unwrap();
        fs::write(root.join("ex/sub/more.js"), "more").unwrap();
        symlink(&outside, root.join("ex/link.js")).unwrap();
        copy_dir(&root, &root.join("ex"), &root.join("backup/ex")).unwrap();
        assert_eq!(fs::read_to_string(root.join("backup/ex/sum.js")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(root.join("backup/ex/sub/more.js")).unwrap(), "more");
        assert!(is_link(&root.join("backup/ex/link.js")));
        assert_eq!(fs::read_link(root.join("backup/ex/link.js")).unwrap(), outside);
        assert!(!root.join("backup/ex/node_modules").exists());
    }
}
