//! Watching the learner's files: a watcher over `exercises/` whose events are filtered
//! (no access noise, no editor swap or backup files, no `node_modules`), debounced and
//! mapped to the exercises they belong to.
//!
//! The debouncing is ours rather than notify-debouncer-full's: that crate's thread
//! wakes every few milliseconds even when nothing changes, and watch mode must cost
//! nothing while the learner reads. Here a thread blocks until the first event, then
//! collects until the files have been quiet for `QUIET`.
use std::collections::BTreeSet;
use std::path::{Component, Path};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

/// Long enough to merge an editor's write-temp-and-rename (or vim's
/// backup-and-rename) into one save, short enough to feel instant.
const QUIET: Duration = Duration::from_millis(8);
const POLL_INTERVAL: Duration = Duration::from_millis(300);

/// Keeps the watcher alive; dropping it stops watching.
pub enum Watcher {
    Native(#[allow(dead_code)] RecommendedWatcher),
    Poll(#[allow(dead_code)] PollWatcher),
}

/// Watches `<root>/exercises` and calls `on_change` with the ids of exercises whose
/// files changed, or `on_error` with a description when the watcher fails.
pub fn watch(
    root: &Path,
    poll: bool,
    on_change: impl Fn(BTreeSet<String>) + Send + 'static,
    on_error: impl Fn(String) + Send + 'static,
) -> Result<Watcher> {
    let exercises = root.join("exercises");
    let projects = root.join("projects");
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let handler = move |event| {
        let _ = tx.send(event);
    };
    let watcher = if poll {
        let config = notify::Config::default().with_poll_interval(POLL_INTERVAL).with_compare_contents(true);
        let mut w = PollWatcher::new(handler, config).context("cannot start the polling watcher")?;
        for dir in [&exercises, &projects].into_iter().filter(|d| d.is_dir()) {
            w.watch(dir, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", dir.display()))?;
        }
        Watcher::Poll(w)
    } else {
        let mut w =
            RecommendedWatcher::new(handler, notify::Config::default()).context("cannot start the file watcher")?;
        for dir in [&exercises, &projects].into_iter().filter(|d| d.is_dir()) {
            w.watch(dir, RecursiveMode::Recursive).with_context(|| format!("cannot watch {}", dir.display()))?;
        }
        Watcher::Native(w)
    };
    let root = root.to_path_buf();
    std::thread::spawn(move || debounce(&rx, &root, on_change, on_error));
    Ok(watcher)
}

/// Turns bursts of raw events into one set of changed exercises per burst.
fn debounce(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    root: &Path,
    on_change: impl Fn(BTreeSet<String>),
    on_error: impl Fn(String),
) {
    // Blocks without a timeout while nothing happens: no wake-ups when idle.
    while let Ok(first) = rx.recv() {
        let mut changed = BTreeSet::new();
        let mut errors = Vec::new();
        let mut take = |event: notify::Result<notify::Event>| match event {
            Ok(e) if !matches!(e.kind, EventKind::Access(_) | EventKind::Other) => {
                changed.extend(e.paths.iter().filter_map(|p| exercise_of(root, p)));
            }
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        };
        take(first);
        loop {
            match rx.recv_timeout(QUIET) {
                Ok(event) => take(event),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if !errors.is_empty() {
            on_error(errors.join("; "));
        }
        if !changed.is_empty() {
            on_change(changed);
        }
    }
}

/// What a changed path belongs to: the exercise id for `<root>/exercises/<phase>/<id>/…`,
/// the project id for `<root>/projects/<project>/…`; nothing for an editor's temporary
/// file or anything inside `node_modules`.
pub fn exercise_of(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<&str> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    if parts.iter().any(|p| *p == "node_modules" || *p == ".git") || is_editor_noise(parts.last()?) {
        return None;
    }
    match parts.as_slice() {
        ["exercises", _phase, id, _file, ..] => Some((*id).to_string()),
        ["projects", project, _file, ..] => Some((*project).to_string()),
        _ => None,
    }
}

/// Swap, backup and lock files that editors write next to the real one.
fn is_editor_noise(name: &str) -> bool {
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".swo")
        || name.ends_with(".tmp")
        || name.ends_with(".kate-swp")
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name == ".DS_Store"
}

/// Where native file events are known to be unreliable, a reason to suggest `--poll`.
pub fn unreliable_here(root: &Path) -> Option<&'static str> {
    let wsl = std::fs::read_to_string("/proc/version").is_ok_and(|v| v.to_lowercase().contains("microsoft"));
    if wsl && root.starts_with("/mnt/") {
        return Some("this workspace is on a Windows drive under WSL, where file events often do not arrive");
    }
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let network = mounts.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && ["nfs", "nfs4", "cifs", "smb3", "sshfs", "fuse.sshfs", "9p"].contains(&f[2])).then(|| f[1])
    });
    let mut best: Option<&str> = None;
    for mount in network {
        if root.starts_with(mount) && best.is_none_or(|b| mount.len() > b.len()) {
            best = Some(mount);
        }
    }
    best.map(|_| "this workspace is on a network file system, where file events often do not arrive")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn paths_map_to_their_exercise() {
        let base = Path::new("/ws");
        assert_eq!(exercise_of(base, Path::new("/ws/projects/shop/src/app.js")).as_deref(), Some("shop"));
        assert_eq!(
            exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk/du.js")).as_deref(),
            Some("fs-walk")
        );
        assert_eq!(
            exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk/lib/x.js")).as_deref(),
            Some("fs-walk")
        );
        assert_eq!(exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk")), None);
        assert_eq!(exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk/.du.js.swp")), None);
        assert_eq!(exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk/du.js~")), None);
        assert_eq!(exercise_of(base, Path::new("/ws/exercises/01-node-core/fs-walk/4913")), None);
        assert_eq!(exercise_of(base, Path::new("/ws/exercises/p/x/node_modules/a.js")), None);
        assert_eq!(exercise_of(base, Path::new("/ws/.roadmap/run/x/suite.test.js")), None);
    }

    #[test]
    fn an_atomic_save_is_seen_as_a_change_of_its_exercise() {
        let dir = tempfile::tempdir().unwrap();
        let ex = dir.path().join("exercises/basics/sum");
        std::fs::create_dir_all(&ex).unwrap();
        std::fs::write(ex.join("sum.js"), "old").unwrap();
        let (tx, rx) = mpsc::channel();
        let _w = watch(dir.path(), false, move |c| tx.send(c).unwrap(), |e| panic!("{e}")).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Write to a temporary name, then rename over the real file, as editors do.
        std::fs::write(ex.join("sum.js.tmp"), "new").unwrap();
        std::fs::rename(ex.join("sum.js.tmp"), ex.join("sum.js")).unwrap();
        let changed = rx.recv_timeout(Duration::from_secs(5)).expect("no event for the save");
        assert_eq!(changed.into_iter().collect::<Vec<_>>(), ["sum"]);
    }
}
