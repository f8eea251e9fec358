//! Redis: a private `redis-server` on a free port with no persistence, shared by the
//! roadmap processes of a workspace (see `lease`); or the server in `REDIS_URL`.
//!
//! Every run flushes the database it is given. So that runs which overlap (two
//! terminals, parallel grading) never see or flush each other's keys, each run of the
//! private server gets a logical database of its own, drawn from a pool of indexes
//! guarded by lock files in the state folder, and handed over as `redis://host:port/n`.
//! `REDIS_URL` names one database of the learner's choice; runs against it share it.
use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::daemon;
use super::deadline::{self, SETUP};
use super::lease::{Lease, Recorded, Starting};
use super::lock::{LockFile, Mode};

/// The name the private server is recorded under in the state folder.
const SERVICE: &str = "redis";
/// Logical databases of the private server, one per run in progress.
const POOL: u32 = 64;

pub struct Redis {
    pub started_in: Duration,
    target: Target,
    kind: Kind,
}

enum Kind {
    /// The folder of the database pool's lock files.
    Private { pool: PathBuf },
    /// `REDIS_URL`, handed to runs as the learner wrote it.
    External { url: String },
}

/// The Redis database one run may use and flush.
pub struct RunRedis {
    pub url: String,
    /// Held until the run ends, so no other run is given the same database.
    _slot: Option<LockFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    user: Option<String>,
    password: Option<String>,
    db: u32,
}

impl Redis {
    /// Uses the private server of the lease's folder: the one another roadmap process
    /// runs there, or a new one.
    pub fn private(binary: &Path, lease: &Lease) -> Result<Redis> {
        let started = Instant::now();
        let starting = lease.starting()?;
        let alone = starting.alone()?;
        let mut port = None;
        if let Some(server) = starting.recorded(SERVICE).filter(Recorded::running) {
            match command_ok(&Target::local(server.port), &["PING"], SETUP) {
                Ok(()) => port = Some(server.port),
                // Nobody uses it: it was left by a killed process, and is wedged.
                Err(_) if alone => daemon::stop(server.pid, server.signal, None),
                Err(e) => {
                    return Err(e.context(format!(
                        "the private Redis (pid {}) that another roadmap process uses is not usable",
                        server.pid
                    )));
                }
            }
        }
        let port = match port {
            Some(port) => port,
            None => start_server(binary, &starting, lease.dir())?,
        };
        let pool = lease.dir().join("redis-db");
        Ok(Redis { started_in: started.elapsed(), target: Target::local(port), kind: Kind::Private { pool } })
    }

    /// Uses the server in `url` (REDIS_URL).
    pub fn external(url: &str) -> Result<Redis> {
        let started = Instant::now();
        let target = parse_url(url)?;
        command_ok(&target, &["PING"], SETUP).with_context(|| format!("cannot reach Redis at {}", redact(url)))?;
        Ok(Redis { started_in: started.elapsed(), target, kind: Kind::External { url: url.to_string() } })
    }

    /// An empty database for one run.
    pub fn for_run(&self) -> Result<RunRedis> {
        match &self.kind {
            Kind::External { url } => {
                command_ok(&self.target, &["FLUSHDB"], SETUP)?;
                Ok(RunRedis { url: url.clone(), _slot: None })
            }
            Kind::Private { pool } => {
                let (db, slot) = take_slot(pool, SETUP)?;
                let target = Target { db, ..self.target.clone() };
                command_ok(&target, &["FLUSHDB"], SETUP)?;
                Ok(RunRedis { url: format!("redis://{}:{}/{db}", target.host, target.port), _slot: Some(slot) })
            }
        }
    }
}

impl Target {
    fn local(port: u16) -> Target {
        Target { host: "127.0.0.1".into(), port, user: None, password: None, db: 0 }
    }
}

/// Starts the private server on a free port and records it.
fn start_server(binary: &Path, starting: &Starting, state_dir: &Path) -> Result<u16> {
    let port = daemon::free_port()?;
    let log = state_dir.join("redis.log");
    let mut command = Command::new(binary);
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--databases", &POOL.to_string(), "--daemonize", "no", "--dir"])
        .arg(state_dir);
    daemon::prepare(&mut command, None, &log)?;
    let mut child = daemon::spawn("redis-server", command)?;
    // Redis rewrites its process title to `redis-server 127.0.0.1:<port>`.
    let server = Recorded { pid: child.id(), port, signal: libc::SIGTERM, marker: format!(":{port}") };
    let target = Target::local(port);
    let ready = starting.record(SERVICE, &server).and_then(|()| {
        daemon::wait_ready(&mut child, "redis-server", &log, Duration::from_secs(10), || {
            command_ok(&target, &["PING"], SETUP).is_ok()
        })
    });
    match ready {
        Ok(()) => {
            starting.keep(child);
            Ok(port)
        }
        Err(e) => {
            daemon::stop(server.pid, server.signal, Some(&mut child));
            starting.forget(SERVICE);
            Err(e)
        }
    }
}

/// Takes the first database of the pool no other run holds, waiting at most `limit`
/// for one to come free.
fn take_slot(pool: &Path, limit: Duration) -> Result<(u32, LockFile)> {
    let start = Instant::now();
    loop {
        for db in 0..POOL {
            let slot = LockFile::open(&pool.join(format!("{db}.lock")))?;
            if slot.try_lock(Mode::Exclusive)? {
                return Ok((db, slot));
            }
        }
        if start.elapsed() > limit {
            bail!("all {POOL} databases of the private Redis are held by runs in progress");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends one command (after AUTH and SELECT as needed) and checks for a non-error
/// reply, all within `limit`.
fn command_ok(target: &Target, args: &[&str], limit: Duration) -> Result<()> {
    let what = format!("Redis at {}:{}", target.host, target.port);
    let start = Instant::now();
    let remaining = || limit.checked_sub(start.elapsed()).filter(|d| !d.is_zero()).unwrap_or(Duration::from_millis(1));
    let silent = |e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => deadline::did_not_answer(&what, limit),
        _ => anyhow::Error::new(e),
    };
    let address = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {}", target.host))?
        .next()
        .with_context(|| format!("{} has no address", target.host))?;
    let mut stream = TcpStream::connect_timeout(&address, remaining()).map_err(silent)?;
    let mut commands: Vec<Vec<&str>> = Vec::new();
    match (&target.user, &target.password) {
        (Some(user), Some(password)) => commands.push(vec!["AUTH", user, password]),
        (None, Some(password)) => commands.push(vec!["AUTH", password]),
        _ => {}
    }
    let db = target.db.to_string();
    if target.db != 0 {
        commands.push(vec!["SELECT", &db]);
    }
    commands.push(args.to_vec());
    let mut request = Vec::new();
    for command in &commands {
        request.extend(format!("*{}\r\n", command.len()).bytes());
        for arg in command {
            request.extend(format!("${}\r\n{arg}\r\n", arg.len()).bytes());
        }
    }
    stream.set_write_timeout(Some(remaining()))?;
    stream.write_all(&request).map_err(silent)?;
    let mut reader = BufReader::new(stream);
    for _ in &commands {
        reader.get_ref().set_read_timeout(Some(remaining()))?;
        let mut line = String::new();
        reader.read_line(&mut line).map_err(silent)?;
        if line.is_empty() {
            bail!("Redis closed the connection");
        }
        if let Some(error) = line.strip_prefix('-') {
            bail!("Redis answered: {}", error.trim());
        }
    }
    Ok(())
}

fn parse_url(url: &str) -> Result<Target> {
    let rest = url
        .strip_prefix("redis://")
        .with_context(|| format!("REDIS_URL must start with redis:// (got {})", redact(url)))?;
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (hostport, db) = match rest.split_once('/') {
        Some((hp, db)) => (hp, db),
        None => (rest, ""),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().with_context(|| format!("bad port in REDIS_URL: {p}"))?),
        None => (hostport, 6379),
    };
    // `user:password`, `:password`, or (as redis-cli reads it) a bare password.
    let (user, password) = match auth.map(|a| a.split_once(':')) {
        Some(Some((user, password))) => (Some(user), Some(password)),
        Some(None) => (None, auth),
        None => (None, None),
    };
    let user = user.filter(|u| !u.is_empty()).map(str::to_string);
    let password = password.filter(|p| !p.is_empty()).map(str::to_string);
    let db = if db.is_empty() {
        0
    } else {
        db.parse().with_context(|| format!("bad database number in REDIS_URL: {db}"))?
    };
    Ok(Target { host: if host.is_empty() { "127.0.0.1".into() } else { host.into() }, port, user, password, db })
}

/// A URL fit for messages: any password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            let user = auth.split_once(':').map_or(auth, |(u, _)| u);
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_with_auth_and_database() {
        let t = parse_url("redis://:secret@cache:6380/3").unwrap();
        assert_eq!(t, Target { host: "cache".into(), port: 6380, user: None, password: Some("secret".into()), db: 3 });
        let t = parse_url("redis://alice:pw@cache:6380").unwrap();
        assert_eq!((t.user.as_deref(), t.password.as_deref(), t.db), (Some("alice"), Some("pw"), 0));
        assert_eq!(parse_url("redis://localhost").unwrap().port, 6379);
        assert!(parse_url("http://x").is_err());
        assert_eq!(redact("redis://user:pw@h:1/0"), "redis://user:***@h:1/0");
    }
}
