//! PostgreSQL: a private server started from the machine's PostgreSQL binaries (the
//! embedded default: no server needs to be installed or running), or the server in
//! `DATABASE_URL`. Every run gets a fresh, empty database, dropped when the run ends.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::daemon::{self, Daemon, RunAs};

/// The superuser of the private cluster.
const SUPERUSER: &str = "roadmap";

pub struct Postgres {
    /// Where run databases live: `postgres://user@host:port/` without a database.
    base: Base,
    /// `None` once the server is being stopped.
    admin: Mutex<Option<postgres::Client>>,
    next: AtomicU64,
    prefix: String,
    _daemon: Option<Daemon>,
    /// A cluster made for one throwaway session (dev check), removed on drop.
    remove_on_drop: Option<PathBuf>,
    pub started_in: Duration,
}

enum Base {
    Private { port: u16 },
    External { url: String },
}

/// Finds the server binaries: `ROADMAP_PG_BIN`, then `pg_config --bindir`, then PATH,
/// then the versioned folders distributions install to.
pub fn find_binaries() -> Option<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "postgres"].iter().all(|b| daemon::is_executable(&dir.join(b)));
    if let Some(dir) = std::env::var_os("ROADMAP_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_all(d));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_all(&dir) {
            return Some(dir);
        }
    }
    if let Some(initdb) = daemon::which("initdb") {
        let dir = initdb.parent().map(Path::to_path_buf).unwrap_or_default();
        if has_all(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = ["/usr/lib/postgresql", "/usr/local/lib/postgresql", "/opt/homebrew/opt"]
        .iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path().join("bin")))
        .filter(|dir| has_all(dir))
        .collect();
    versions.sort_by_key(|d| {
        d.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok())
    });
    versions.pop()
}

impl Postgres {
    /// Starts a private server from `bin`. Its cluster is created once (`initdb`) and
    /// reused; `state_dir` holds the pid file and log.
    pub fn start(bin: &Path, state_dir: &Path, cluster: &Path, ephemeral: bool) -> Result<Postgres> {
        let started = Instant::now();
        std::fs::create_dir_all(state_dir).with_context(|| format!("cannot create {}", state_dir.display()))?;
        let pid_file = state_dir.join("postgres.pid");
        daemon::stop_leftover(&pid_file, "postgres");
        // PostgreSQL refuses to run as root; as root, run it as the `postgres` user.
        let run_as = if daemon::running_as_root() {
            Some(RunAs::lookup("postgres").context(
                "roadmap is running as root, PostgreSQL refuses to, and there is no `postgres` user to run it as",
            )?)
        } else {
            None
        };
        let log = state_dir.join("postgres.log");
        if !cluster.join("PG_VERSION").is_file() {
            init_cluster(bin, cluster, run_as, &log)?;
        }
        let port = daemon::free_port()?;
        let mut command = Command::new(bin.join("postgres"));
        command.arg("-D").arg(cluster).args(["-p", &port.to_string()]).args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=32MB",
            "-c",
            "logging_collector=off",
        ]);
        command.current_dir(cluster);
        daemon::prepare(&mut command, run_as, &log)?;
        // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave.
        let mut server = Daemon::spawn("postgres", command, pid_file, libc::SIGINT)?;
        let config = format!("host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres connect_timeout=2");
        let mut admin = None;
        daemon::wait_ready(&mut server, &log, Duration::from_secs(20), || {
            admin = postgres::Client::connect(&config, postgres::NoTls).ok();
            admin.is_some()
        })?;
        Ok(Postgres {
            base: Base::Private { port },
            admin: Mutex::new(admin),
            next: AtomicU64::new(1),
            prefix: format!("run_{}", std::process::id()),
            _daemon: Some(server),
            remove_on_drop: ephemeral.then(|| cluster.to_path_buf()),
            started_in: started.elapsed(),
        })
    }

    /// Uses the server in `url` (DATABASE_URL) to create run databases on.
    pub fn external(url: &str) -> Result<Postgres> {
        let started = Instant::now();
        let admin = postgres::Client::connect(url, postgres::NoTls)
            .with_context(|| format!("cannot connect to DATABASE_URL ({})", super::redis::redact(url)))?;
        Ok(Postgres {
            base: Base::External { url: url.to_string() },
            admin: Mutex::new(Some(admin)),
            next: AtomicU64::new(1),
            prefix: format!("roadmap_run_{}", std::process::id()),
            _daemon: None,
            remove_on_drop: None,
            started_in: started.elapsed(),
        })
    }

    /// A fresh, empty database for one run; dropped with the returned lease.
    pub fn fresh_database(self: &Arc<Self>) -> Result<RunDatabase> {
        let name = format!("{}_{}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed));
        // FILE_COPY from the pristine template is the fastest way to an empty database
        // when the cluster is small and fsync is off.
        let strategy = if matches!(self.base, Base::Private { .. }) { " STRATEGY FILE_COPY" } else { "" };
        let mut admin = self.admin.lock().expect("admin lock");
        admin
            .as_mut()
            .context("the server is stopping")?
            .batch_execute(&format!("CREATE DATABASE \"{name}\" TEMPLATE template0{strategy}"))
            .context("cannot create a database for the run (does the user in DATABASE_URL have CREATEDB?)")?;
        let url = match &self.base {
            Base::Private { port } => format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{name}"),
            Base::External { url } => with_database(url, &name),
        };
        Ok(RunDatabase { owner: Arc::clone(self), name, url })
    }

    fn drop_database(&self, name: &str) {
        if let Ok(mut admin) = self.admin.lock() {
            if let Some(client) = admin.as_mut() {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Leave as a client, stop the server, then remove a throwaway cluster.
        if let Ok(mut admin) = self.admin.lock() {
            admin.take();
        }
        self._daemon.take();
        if let Some(cluster) = self.remove_on_drop.take() {
            let _ = std::fs::remove_dir_all(cluster);
        }
    }
}

/// A database that exists for one run.
pub struct RunDatabase {
    owner: Arc<Postgres>,
    name: String,
    pub url: String,
}

impl Drop for RunDatabase {
    fn drop(&mut self) {
        self.owner.drop_database(&self.name);
    }
}

fn init_cluster(bin: &Path, cluster: &Path, run_as: Option<RunAs>, log: &Path) -> Result<()> {
    std::fs::create_dir_all(cluster).with_context(|| format!("cannot create {}", cluster.display()))?;
    if let Some(user) = run_as {
        user.chown(cluster)?;
    }
    let mut command = Command::new(bin.join("initdb"));
    command.arg("-D").arg(cluster).args([
        "-U",
        SUPERUSER,
        "--auth=trust",
        "--no-sync",
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
    ]);
    command.current_dir(cluster);
    daemon::prepare(&mut command, run_as, log)?;
    let status = command.status().context("cannot run initdb")?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(cluster);
        bail!("initdb failed ({status}): {}", daemon::log_tail(log));
    }
    Ok(())
}

/// `url` with its database replaced by `name`, keeping credentials and parameters.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/app?sslmode=disable", "run_1"),
            "postgres://u:p@h:5432/run_1?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
        assert_eq!(with_database("postgres://h:1/", "x"), "postgres://h:1/x");
    }
}
