//! The infrastructure exercises declare (PostgreSQL, Redis, RabbitMQ), handed to suites
//! as connection URLs. The engine starts private servers itself, on free ports, shared
//! by the roadmap processes of a workspace and stopped when the last one leaves, and
//! gives every run a clean slate (a fresh database, an empty Redis database of its own).
//! `DATABASE_URL`, `REDIS_URL` and `AMQP_URL` point it at servers of the learner's
//! instead. Every setup step has a deadline. A service that cannot be had makes the
//! exercise `needs-service` with the command that fixes it; it is never skipped or faked.
mod daemon;
mod deadline;
mod lease;
mod leftovers;
mod lock;
mod postgres;
mod redis;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::curriculum::Service;
use lease::Lease;
use postgres::{Postgres, RunDatabase};
use redis::{Redis, RunRedis};

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
    _redis: Vec<RunRedis>,
}

/// The services of one session (a `roadmap run`, a watch session, a dev check).
pub struct Services {
    state_dir: PathBuf,
    ephemeral: bool,
    /// This session's use of the private servers, taken when it first needs one.
    lease: OnceLock<Result<Arc<Lease>, String>>,
    postgres: OnceLock<Result<Arc<Postgres>, Missing>>,
    redis: OnceLock<Result<Redis, Missing>>,
}

impl Services {
    /// Services for a workspace: state (the servers' records, lock files, logs, the
    /// database cluster) lives in `<root>/.roadmap/services/`, shared with the other
    /// roadmap processes in the workspace and reused by later sessions.
    pub fn for_workspace(root: &Path) -> Services {
        Services::new(root, false)
    }

    /// Services for a throwaway folder: their servers, cluster and state are removed
    /// when they stop, or by the next roadmap process if this one is killed.
    pub fn ephemeral(root: &Path) -> Services {
        Services::new(root, true)
    }

    fn new(root: &Path, ephemeral: bool) -> Services {
        Services {
            state_dir: root.join(".roadmap").join("services"),
            ephemeral,
            lease: OnceLock::new(),
            postgres: OnceLock::new(),
            redis: OnceLock::new(),
        }
    }

    /// Starts (once) what `needs` lists and sets up a clean slate for one run.
    pub fn prepare(&self, needs: &[Service]) -> Result<Prepared, Missing> {
        let mut prepared = Prepared { env: Vec::new(), _databases: Vec::new(), _redis: Vec::new() };
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
                    let run = redis.for_run().map_err(|e| {
                        missing(
                            service,
                            format!("cannot get an empty Redis database for the run: {e:#}"),
                            INSTALL_REDIS,
                        )
                    })?;
                    let url = run.url.clone();
                    prepared._redis.push(run);
                    url
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
        let could_not = |e: String| {
            missing(Service::Postgres, format!("could not start a private PostgreSQL: {e}"), INSTALL_POSTGRES)
        };
        let lease = self.lease().map_err(could_not)?;
        let cluster = self.cluster_dir();
        if cluster.starts_with(std::env::temp_dir()) {
            // Which workspace the cluster belongs to, so it can be removed once that is gone.
            let _ = std::fs::write(cluster.with_extension("owner"), self.state_dir.to_string_lossy().as_bytes());
        }
        Postgres::private(&bin, &lease, &cluster).map_err(|e| could_not(format!("{e:#}")))
    }

    /// Joins the users of the private servers, first cleaning up after killed ones.
    fn lease(&self) -> Result<Arc<Lease>, String> {
        self.lease
            .get_or_init(|| {
                leftovers::clean(&self.cluster_dir());
                let lease = Lease::take(&self.state_dir).map_err(|e| format!("{e:#}"))?;
                if self.ephemeral {
                    leftovers::register(&self.state_dir, &self.cluster_dir()).map_err(|e| format!("{e:#}"))?;
                }
                Ok(lease)
            })
            .clone()
    }

    /// As root, PostgreSQL runs as the `postgres` user, which must be able to reach its
    /// cluster: that rules out a workspace inside a private home or temp folder, so the
    /// cluster goes to a folder of its own in the system's temp directory.
    fn cluster_dir(&self) -> PathBuf {
        if daemon::running_as_root() {
            std::env::temp_dir().join(format!("roadmap-pg-{}", path_key(&self.state_dir)))
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
        let could_not =
            |e: String| missing(Service::Redis, format!("could not start a private Redis: {e}"), INSTALL_REDIS);
        let lease = self.lease().map_err(could_not)?;
        Redis::private(&binary, &lease).map_err(|e| could_not(format!("{e:#}")))
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

impl Drop for Services {
    fn drop(&mut self) {
        // Leave as a client before the server may be stopped.
        if let Some(Ok(postgres)) = self.postgres.get() {
            postgres.close();
        }
        if let Some(Ok(lease)) = self.lease.take() {
            lease.leave();
            if self.ephemeral {
                leftovers::remove_throwaway(&self.state_dir, &self.cluster_dir());
            }
        }
    }
}

/// Leaves the private servers (stopping them if this process is their last user): for
/// a stop signal, after which roadmap exits without running destructors.
pub fn leave_all() {
    lease::leave_all();
}

/// A short, stable name for a path, for files that stand for it in the temp folder.
fn path_key(path: &Path) -> String {
    let hash = path
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
    format!("{hash:016x}")
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
