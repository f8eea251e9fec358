//! The infrastructure exercises declare (PostgreSQL, Redis, RabbitMQ), handed to suites
//! as connection URLs. The engine starts private servers itself, on free ports, once
//! per session, and gives every run a clean slate (a fresh database, a flushed Redis).
//! `DATABASE_URL`, `REDIS_URL` and `AMQP_URL` point it at servers of the learner's
//! instead. A service that cannot be had makes the exercise `needs-service` with the
//! command that fixes it; it is never skipped or faked.
mod daemon;
mod postgres;
mod redis;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::curriculum::Service;
use postgres::{Postgres, RunDatabase};
use redis::Redis;

/// A service that is not available, and how to make it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub service: Service,
    pub message: String,
    pub fix: String,
}

impl Service {
    /// The environment variable that hands this service to suites, and that a learner
    /// sets to use their own server.
    pub fn env_var(self) -> &'static str {
        match self {
            Service::Postgres => "DATABASE_URL",
            Service::Redis => "REDIS_URL",
            Service::Amqp => "AMQP_URL",
        }
    }
}

const INSTALL_POSTGRES: &str = "install PostgreSQL (Debian/Ubuntu: `sudo apt install postgresql`, macOS: `brew install postgresql@16`), or export DATABASE_URL=postgres://USER@HOST:5432/DB";
const INSTALL_REDIS: &str = "install Redis (Debian/Ubuntu: `sudo apt install redis-server`, macOS: `brew install redis`), or export REDIS_URL=redis://HOST:6379";
const SET_AMQP: &str = "export AMQP_URL=amqp://guest:guest@127.0.0.1:5672 (roadmap does not start RabbitMQ; `sudo apt install rabbitmq-server` or `brew install rabbitmq` runs one)";

/// What one run gets: environment variables, and leases that clean up after it.
pub struct Prepared {
    pub env: Vec<(String, String)>,
    _databases: Vec<RunDatabase>,
}

/// The services of one session (a `roadmap run`, a watch session, a dev check).
pub struct Services {
    state_dir: PathBuf,
    ephemeral: bool,
    postgres: OnceLock<Result<Arc<Postgres>, Missing>>,
    redis: OnceLock<Result<Redis, Missing>>,
}

impl Services {
    /// Services for a workspace: state (pid files, logs, the database cluster) lives in
    /// `<root>/.roadmap/services/` and is reused by later sessions.
    pub fn for_workspace(root: &Path) -> Services {
        Services {
            state_dir: root.join(".roadmap").join("services"),
            ephemeral: false,
            postgres: OnceLock::new(),
            redis: OnceLock::new(),
        }
    }

    /// Services for a throwaway folder: everything is removed when they stop.
    pub fn ephemeral(root: &Path) -> Services {
        Services { ephemeral: true, ..Services::for_workspace(root) }
    }

    /// Starts (once) what `needs` lists and sets up a clean slate for one run.
    pub fn prepare(&self, needs: &[Service]) -> Result<Prepared, Missing> {
        let mut prepared = Prepared { env: Vec::new(), _databases: Vec::new() };
        for &service in needs {
            let url = match service {
                Service::Postgres => {
                    let pg = self.postgres.get_or_init(|| self.start_postgres().map(Arc::new)).clone()?;
                    let db = pg.fresh_database().map_err(|e| missing(service, format!("{e:#}"), INSTALL_POSTGRES))?;
                    let url = db.url.clone();
                    prepared._databases.push(db);
                    url
                }
                Service::Redis => {
                    let redis = self.redis.get_or_init(|| self.start_redis()).as_ref().map_err(Clone::clone)?;
                    redis.flush().map_err(|e| {
                        missing(service, format!("cannot flush Redis before the run: {e:#}"), INSTALL_REDIS)
                    })?;
                    redis.url.clone()
                }
                Service::Amqp => amqp_url()?,
            };
            prepared.env.push((service.env_var().to_string(), url));
        }
        Ok(prepared)
    }

    fn start_postgres(&self) -> Result<Postgres, Missing> {
        if let Some(url) = env_url("DATABASE_URL") {
            return Postgres::external(&url).map_err(|e| {
                missing(
                    Service::Postgres,
                    format!("{e:#}"),
                    "start the server in DATABASE_URL, or unset DATABASE_URL to let roadmap start its own",
                )
            });
        }
        let Some(bin) = postgres::find_binaries() else {
            return Err(missing(
                Service::Postgres,
                "no PostgreSQL server binaries (initdb, postgres) were found".into(),
                INSTALL_POSTGRES,
            ));
        };
        let cluster = self.cluster_dir();
        if cluster.starts_with(std::env::temp_dir()) {
            remove_orphan_clusters(&cluster);
            // Which workspace the cluster belongs to, so it can be removed once that is gone.
            let _ = std::fs::write(cluster.with_extension("owner"), self.state_dir.to_string_lossy().as_bytes());
        }
        Postgres::start(&bin, &self.state_dir, &cluster, self.ephemeral).map_err(|e| {
            missing(Service::Postgres, format!("could not start a private PostgreSQL: {e:#}"), INSTALL_POSTGRES)
        })
    }

    /// As root, PostgreSQL runs as the `postgres` user, which must be able to reach its
    /// cluster: that rules out a workspace inside a private home or temp folder, so the
    /// cluster goes to a folder of its own in the system's temp directory.
    fn cluster_dir(&self) -> PathBuf {
        if daemon::running_as_root() {
            let key = self
                .state_dir
                .to_string_lossy()
                .bytes()
                .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
            std::env::temp_dir().join(format!("roadmap-pg-{key:016x}"))
        } else {
            self.state_dir.join("postgres")
        }
    }

    fn start_redis(&self) -> Result<Redis, Missing> {
        if let Some(url) = env_url("REDIS_URL") {
            return Redis::external(&url).map_err(|e| {
                missing(
                    Service::Redis,
                    format!("{e:#}"),
                    "start the server in REDIS_URL, or unset REDIS_URL to let roadmap start its own",
                )
            });
        }
        let binary =
            std::env::var_os("ROADMAP_REDIS_SERVER").map(PathBuf::from).or_else(|| daemon::which("redis-server"));
        let Some(binary) = binary.filter(|b| daemon::is_executable(b)) else {
            return Err(missing(Service::Redis, "redis-server was not found on PATH".into(), INSTALL_REDIS));
        };
        Redis::start(&binary, &self.state_dir)
            .map_err(|e| missing(Service::Redis, format!("could not start a private Redis: {e:#}"), INSTALL_REDIS))
    }

    /// How long starting each service took this session, for reports.
    pub fn start_times(&self) -> Vec<(&'static str, Duration)> {
        let mut out = Vec::new();
        if let Some(Ok(pg)) = self.postgres.get() {
            out.push(("postgres", pg.started_in));
        }
        if let Some(Ok(redis)) = self.redis.get() {
            out.push(("redis", redis.started_in));
        }
        out
    }
}

/// Removes the clusters (kept in the temp folder when running as root) of workspaces
/// that no longer exist and whose server is not running, so deleted workspaces do not
/// leave their databases behind.
fn remove_orphan_clusters(current: &Path) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_owner_file = path.extension().is_some_and(|e| e == "owner");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !is_owner_file || !name.starts_with("roadmap-pg-") || path.with_extension("") == current {
            continue;
        }
        let owner = std::fs::read_to_string(&path).unwrap_or_default();
        if owner.is_empty() || Path::new(&owner).exists() {
            continue;
        }
        let cluster = path.with_extension("");
        let running = std::fs::read_to_string(cluster.join("postmaster.pid"))
            .ok()
            .and_then(|pid| pid.lines().next().and_then(|l| l.trim().parse::<u32>().ok()))
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !running {
            let _ = std::fs::remove_dir_all(&cluster);
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn env_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

fn amqp_url() -> Result<String, Missing> {
    let Some(url) = env_url("AMQP_URL") else {
        return Err(missing(Service::Amqp, "AMQP_URL is not set".into(), SET_AMQP));
    };
    let host_port =
        url.split("://").nth(1).unwrap_or("").rsplit('@').next().unwrap_or("").split('/').next().unwrap_or("");
    let address = if host_port.contains(':') { host_port.to_string() } else { format!("{host_port}:5672") };
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if reachable {
        Ok(url)
    } else {
        Err(missing(Service::Amqp, format!("nothing answers at AMQP_URL ({})", redis::redact(&url)), SET_AMQP))
    }
}

fn missing(service: Service, detail: String, fix: &str) -> Missing {
    Missing { service, message: format!("needs {}: {detail}", service.name()), fix: fix.to_string() }
}
