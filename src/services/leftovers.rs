//! What killed roadmap processes leave outside a workspace: the throwaway services of
//! `roadmap grade` and `roadmap dev check` (servers still running, their clusters), and
//! the clusters kept in the temp folder (as root) of workspaces that were deleted. The
//! next process to start a private server cleans them up.
//!
//! Throwaway services are listed in a registry folder in the temp folder, one file per
//! state folder. Their lease (see `lease`) tells whether their process still runs: a
//! lease nobody holds means it was killed, as a living one holds it from before it
//! registers until after it unregisters.
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{daemon, lease};

/// Records that the throwaway services in `state_dir`, with their cluster at
/// `cluster`, belong to this process. Call it while holding their lease.
pub fn register(state_dir: &Path, cluster: &Path) -> Result<()> {
    let registry = registry();
    fs::create_dir_all(&registry).with_context(|| format!("cannot create {}", registry.display()))?;
    let entry = entry(state_dir);
    let text = format!("{}\n{}\n", state_dir.display(), cluster.display());
    fs::write(&entry, text).with_context(|| format!("cannot write {}", entry.display()))
}

/// Removes the throwaway services in `state_dir` once nothing uses them any more: their
/// cluster, their state and their registry entry.
pub fn remove_throwaway(state_dir: &Path, cluster: &Path) {
    lease::clean_unused(state_dir, || remove(state_dir, cluster));
}

/// Cleans up after killed processes; `current` is the cluster of the caller, which is
/// never touched.
pub fn clean(current: &Path) {
    clean_throwaways();
    remove_orphan_clusters(current);
}

fn clean_throwaways() {
    let Ok(entries) = fs::read_dir(registry()) else { return };
    for entry in entries.flatten().map(|e| e.path()) {
        let text = fs::read_to_string(&entry).unwrap_or_default();
        let mut lines = text.lines();
        let (Some(state_dir), Some(cluster)) = (lines.next(), lines.next()) else {
            let _ = fs::remove_file(&entry);
            continue;
        };
        let (state_dir, cluster) = (Path::new(state_dir), Path::new(cluster));
        if state_dir.is_dir() {
            lease::clean_unused(state_dir, || remove(state_dir, cluster));
        } else {
            // Its folder was deleted with the lease in it; a server can still run on a
            // cluster kept in the temp folder.
            stop_server_of(cluster);
            remove(state_dir, cluster);
        }
    }
}

fn remove(state_dir: &Path, cluster: &Path) {
    let _ = fs::remove_dir_all(cluster);
    let _ = fs::remove_file(cluster.with_extension("owner"));
    let _ = fs::remove_dir_all(state_dir);
    let _ = fs::remove_file(entry(state_dir));
}

/// Stops the postgres that runs on `cluster`, if one does.
fn stop_server_of(cluster: &Path) {
    let pid = fs::read_to_string(cluster.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    if let Some(pid) = pid.filter(|&pid| daemon::runs(pid, &format!("-D {}", cluster.display()))) {
        daemon::stop(pid, libc::SIGINT, None);
    }
}

/// Removes the clusters (kept in the temp folder when running as root) of workspaces
/// that no longer exist and whose server is not running, so deleted workspaces do not
/// leave their databases behind.
fn remove_orphan_clusters(current: &Path) {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_owner_file = path.extension().is_some_and(|e| e == "owner");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !is_owner_file || !name.starts_with("roadmap-pg-") || path.with_extension("") == current {
            continue;
        }
        let owner = fs::read_to_string(&path).unwrap_or_default();
        if owner.is_empty() || Path::new(&owner).exists() {
            continue;
        }
        let cluster = path.with_extension("");
        let running = fs::read_to_string(cluster.join("postmaster.pid"))
            .ok()
            .and_then(|pid| pid.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
            .is_some_and(daemon::alive);
        if !running {
            let _ = fs::remove_dir_all(&cluster);
            let _ = fs::remove_file(&path);
        }
    }
}

/// The registry of this user's throwaway services.
fn registry() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    std::env::temp_dir().join(format!("roadmap-throwaway-{uid}"))
}

fn entry(state_dir: &Path) -> PathBuf {
    registry().join(super::path_key(state_dir))
}
