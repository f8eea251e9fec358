//! PostgreSQL: a private server started from the machine's PostgreSQL binaries (the
//! embedded default: no server needs to be installed or running), shared by the roadmap
//! processes of a workspace (see `lease`), or the server in `DATABASE_URL`. Every run
//! gets a fresh, empty database, dropped when the run ends; every query the engine sends
//! has a deadline.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use super::daemon::{self, RunAs};
use super::deadline::{self, SETUP};
use super::lease::{Lease, Recorded, Starting};

/// The superuser of the private cluster.
const SUPERUSER: &str = "roadmap";
/// The name the private server is recorded under in the state folder.
const SERVICE: &str = "postgres";
/// Run databases on the private server: `run_<pid>_<n>`, so the databases of a process
/// that died can be told from those of one that still runs.
const PRIVATE_PREFIX: &str = "run_";
/// Numbers run databases across the whole process: two sessions of one process (their
/// names share the pid) may use the same shared server.
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

pub struct Postgres {
    /// Where run databases live: `postgres://user@host:port/` without a database.
    base: Base,
    /// The administrative connection, or why there is none any more (the server is
    /// stopping, or it stopped answering and the connection was abandoned).
    admin: Mutex<Result<postgres::Client, String>>,
    prefix: String,
    /// How long one administrative query may take.
    limit: Duration,
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
    /// Uses the private server of the lease's folder: the one another roadmap process
    /// runs there, or a new one (the cluster is created once, with `initdb`, and reused).
    pub fn private(bin: &Path, lease: &Lease, cluster: &Path) -> Result<Postgres> {
        let started = Instant::now();
        let starting = lease.starting()?;
        let alone = starting.alone()?;
        let mut found = None;
        if let Some(server) = starting.recorded(SERVICE).filter(Recorded::running) {
            match connect(admin_config(server.port), "the private PostgreSQL", SETUP) {
                Ok(admin) => found = Some((server.port, admin)),
                // Nobody uses it: it was left by a killed process, and is wedged.
                Err(_) if alone => daemon::stop(server.pid, server.signal, None),
                Err(e) => {
                    return Err(e.context(format!(
                        "the private PostgreSQL (pid {}) that another roadmap process uses is not usable",
                        server.pid
                    )));
                }
            }
        }
        let (port, admin) = match found {
            Some(found) => found,
            None => {
                if alone {
                    stop_unrecorded(cluster);
                }
                start_server(bin, &starting, lease.dir(), cluster)?
            }
        };
        drop(starting);
        let postgres = Postgres {
            base: Base::Private { port },
            admin: Mutex::new(Ok(admin)),
            prefix: format!("{PRIVATE_PREFIX}{}", std::process::id()),
            limit: SETUP,
            started_in: started.elapsed(),
        };
        postgres.drop_databases_of_dead_processes()?;
        Ok(postgres)
    }

    /// Uses the server in `url` (DATABASE_URL) to create run databases on.
    pub fn external(url: &str) -> Result<Postgres> {
        let started = Instant::now();
        let what = format!("the server in DATABASE_URL ({})", super::redis::redact(url));
        let admin = connect(url.to_string(), &what, SETUP)
            .with_context(|| format!("cannot connect to DATABASE_URL ({})", super::redis::redact(url)))?;
        Ok(Postgres {
            base: Base::External { url: url.to_string() },
            admin: Mutex::new(Ok(admin)),
            prefix: format!("roadmap_run_{}", std::process::id()),
            limit: SETUP,
            started_in: started.elapsed(),
        })
    }

    /// A fresh, empty database for one run; dropped with the returned lease.
    pub fn fresh_database(self: &Arc<Self>) -> Result<RunDatabase> {
        let name = format!("{}_{}", self.prefix, NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
        // FILE_COPY from the pristine template is the fastest way to an empty database
        // when the cluster is small and fsync is off.
        let strategy = if matches!(self.base, Base::Private { .. }) { " STRATEGY FILE_COPY" } else { "" };
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE template0{strategy}");
        self.admin(move |client| client.batch_execute(&sql))?
            .context("cannot create a database for the run (does the user in DATABASE_URL have CREATEDB?)")?;
        let url = match &self.base {
            Base::Private { port } => format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{name}"),
            Base::External { url } => with_database(url, &name),
        };
        Ok(RunDatabase { owner: Arc::clone(self), name, url })
    }

    /// Closes the administrative connection, before the server is stopped.
    pub fn close(&self) {
        if let Ok(mut admin) = self.admin.lock() {
            *admin = Err("the server is stopping".into());
        }
    }

    fn drop_database(&self, name: &str) -> Result<()> {
        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        Ok(self.admin(move |client| client.batch_execute(&sql))??)
    }

    /// Drops the run databases that processes which are gone (killed before they could
    /// drop them) left on the private server. Those of running processes, which may be
    /// in the middle of a run, are left alone.
    fn drop_databases_of_dead_processes(&self) -> Result<()> {
        let sql = format!("SELECT datname FROM pg_database WHERE datname LIKE '{PRIVATE_PREFIX}%'");
        let names: Vec<String> = self
            .admin(move |client| client.query(&sql, &[]).map(|rows| rows.iter().map(|r| r.get(0)).collect()))?
            .context("cannot list the run databases")?;
        for name in names {
            if owner_pid(&name).is_some_and(|pid| pid != std::process::id() && !daemon::alive(pid)) {
                self.drop_database(&name).with_context(|| format!("cannot drop {name}, left by a killed roadmap"))?;
            }
        }
        Ok(())
    }

    /// Runs `query` on the administrative connection, waiting at most `self.limit`. The
    /// outer error is about the connection (gone, or silent: then it is abandoned for
    /// good); the inner one is the server's answer.
    fn admin<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<Result<T, postgres::Error>> {
        let mut slot = self.admin.lock().map_err(|_| anyhow!("the administrative connection is unusable"))?;
        let mut client = std::mem::replace(&mut *slot, Err(String::new())).map_err(|why| {
            let error = anyhow!("{why}");
            *slot = Err(why);
            error
        })?;
        let what = match &self.base {
            Base::Private { .. } => "the private PostgreSQL".to_string(),
            Base::External { url } => format!("the server in DATABASE_URL ({})", super::redis::redact(url)),
        };
        match deadline::within(self.limit, &what, move || {
            let answer = query(&mut client);
            (client, answer)
        }) {
            Ok((client, answer)) => {
                *slot = Ok(client);
                Ok(answer)
            }
            Err(silent) => {
                *slot = Err(format!("{silent:#} earlier"));
                Err(silent)
            }
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
        let _ = self.owner.drop_database(&self.name);
    }
}

/// The process that created the private run database `name`, if it is one.
fn owner_pid(name: &str) -> Option<u32> {
    let (pid, n) = name.strip_prefix(PRIVATE_PREFIX)?.split_once('_')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

fn admin_config(port: u16) -> String {
    format!("host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres connect_timeout=2")
}

/// Connects with `config`, giving up after `limit`: the client bounds only the TCP
/// connect itself, not the handshake that follows.
fn connect(config: String, what: &str, limit: Duration) -> Result<postgres::Client> {
    Ok(deadline::within(limit, what, move || postgres::Client::connect(&config, postgres::NoTls))??)
}

/// Starts the private server on a free port and records it.
fn start_server(bin: &Path, starting: &Starting, state_dir: &Path, cluster: &Path) -> Result<(u16, postgres::Client)> {
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
    let mut child = daemon::spawn("postgres", command)?;
    // Recorded at once, so the server is found and stopped even if this process is
    // killed before it is ready. SIGINT is PostgreSQL's "fast" shutdown: it does not
    // wait for clients to leave.
    let server =
        Recorded { pid: child.id(), port, signal: libc::SIGINT, marker: format!("-D {} -p {port}", cluster.display()) };
    let mut admin = None;
    let ready = starting.record(SERVICE, &server).and_then(|()| {
        daemon::wait_ready(&mut child, "postgres", &log, Duration::from_secs(20), || {
            admin = connect(admin_config(port), "the private PostgreSQL", SETUP).ok();
            admin.is_some()
        })
    });
    match (ready, admin) {
        (Ok(()), Some(admin)) => {
            starting.keep(child);
            Ok((port, admin))
        }
        (result, _) => {
            daemon::stop(server.pid, server.signal, Some(&mut child));
            starting.forget(SERVICE);
            Err(result.err().unwrap_or_else(|| anyhow!("postgres never accepted the engine's connection")))
        }
    }
}

/// Stops a server running on `cluster` that no state file records (started by an older
/// roadmap, or one killed between starting it and recording it): PostgreSQL would refuse
/// to start a second one on the cluster.
fn stop_unrecorded(cluster: &Path) {
    let pid = std::fs::read_to_string(cluster.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
    if let Some(pid) = pid.filter(|&pid| daemon::runs(pid, &format!("-D {}", cluster.display()))) {
        daemon::stop(pid, libc::SIGINT, None);
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
    let mut child = command.spawn().context("cannot run initdb")?;
    let limit = Duration::from_secs(60);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for initdb")? {
            break status;
        }
        if started.elapsed() > limit {
            crate::runner::kill_group(child.id());
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(cluster);
            bail!("initdb did not finish within {} s: {}", limit.as_secs(), daemon::log_tail(log));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
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
    use super::*;

    #[test]
    fn an_administrative_query_the_server_never_answers_fails_at_the_deadline() {
        use std::os::unix::fs::PermissionsExt;
        let bin = find_binaries().expect("the PostgreSQL server binaries must be installed");
        let dir = tempfile::tempdir().unwrap();
        // As root the server runs as `postgres`, which must reach its cluster in here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let lease = Lease::take(&dir.path().join("services")).unwrap();
        let mut postgres = Postgres::private(&bin, &lease, &dir.path().join("cluster")).unwrap();
        postgres.limit = Duration::from_millis(500);
        let postgres = Arc::new(postgres);
        let backend: i32 = postgres
            .admin(|client| client.query_one("SELECT pg_backend_pid()", &[]).map(|r| r.get(0)))
            .unwrap()
            .unwrap();
        // A stopped backend holds its connection open and never answers.
        // SAFETY: signalling the server process this test started.
        unsafe { libc::kill(backend, libc::SIGSTOP) };
        let start = Instant::now();
        let error = postgres.fresh_database().err().expect("a silent server cannot create a database");
        let elapsed = start.elapsed();
        let again = postgres.fresh_database().err().expect("the abandoned connection is not used again");
        // SAFETY: as above.
        unsafe { libc::kill(backend, libc::SIGCONT) };
        assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
        assert_eq!(format!("{error:#}"), "the private PostgreSQL did not answer within 0.5 s");
        assert!(format!("{again:#}").contains("did not answer within 0.5 s earlier"), "{again:#}");
        postgres.close();
        drop(lease);
        assert!(!dir.path().join("services/postgres.state").exists(), "the last user stopped the server");
    }

    #[test]
    fn run_databases_name_the_process_that_made_them() {
        assert_eq!(owner_pid("run_4242_7"), Some(4242));
        assert_eq!(owner_pid("run_4242"), None);
        assert_eq!(owner_pid("run_x_1"), None);
        assert_eq!(owner_pid("roadmap_run_4242_1"), None);
    }

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
