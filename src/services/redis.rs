//! Redis: a private `redis-server` on a free port with no persistence, flushed before
//! every run; or the server in `REDIS_URL`, whose selected database is flushed.
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::daemon::{self, Daemon};

pub struct Redis {
    pub url: String,
    pub started_in: Duration,
    target: Target,
    _daemon: Option<Daemon>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    password: Option<String>,
    db: u32,
}

impl Redis {
    /// Starts a private server; its files live in `state_dir`.
    pub fn start(binary: &Path, state_dir: &Path) -> Result<Redis> {
        std::fs::create_dir_all(state_dir).with_context(|| format!("cannot create {}", state_dir.display()))?;
        let pid_file = state_dir.join("redis.pid");
        daemon::stop_leftover(&pid_file, "redis-server");
        let started = std::time::Instant::now();
        let port = daemon::free_port()?;
        let log = state_dir.join("redis.log");
        let mut command = Command::new(binary);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--dir"])
            .arg(state_dir);
        daemon::prepare(&mut command, None, &log)?;
        let mut server = Daemon::spawn("redis-server", command, pid_file, libc::SIGTERM)?;
        let target = Target { host: "127.0.0.1".into(), port, password: None, db: 0 };
        daemon::wait_ready(&mut server, &log, Duration::from_secs(10), || command_ok(&target, &["PING"]).is_ok())?;
        Ok(Redis {
            url: format!("redis://127.0.0.1:{port}"),
            started_in: started.elapsed(),
            target,
            _daemon: Some(server),
        })
    }

    /// Uses the server in `url` (REDIS_URL).
    pub fn external(url: &str) -> Result<Redis> {
        let started = std::time::Instant::now();
        let target = parse_url(url)?;
        command_ok(&target, &["PING"]).with_context(|| format!("cannot reach Redis at {}", redact(url)))?;
        Ok(Redis { url: url.to_string(), started_in: started.elapsed(), target, _daemon: None })
    }

    /// Empties the database suites use, so no run sees another's keys.
    pub fn flush(&self) -> Result<()> {
        command_ok(&self.target, &["FLUSHDB"])
    }
}

/// Sends one command (after AUTH and SELECT as needed) and checks for a non-error reply.
fn command_ok(target: &Target, args: &[&str]) -> Result<()> {
    let mut stream = TcpStream::connect((target.host.as_str(), target.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut commands: Vec<Vec<&str>> = Vec::new();
    if let Some(password) = &target.password {
        commands.push(vec!["AUTH", password]);
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
    stream.write_all(&request)?;
    let mut reader = BufReader::new(stream);
    for _ in &commands {
        let mut line = String::new();
        reader.read_line(&mut line)?;
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
    let password = auth.map(|a| a.split_once(':').map_or(a, |(_, p)| p).to_string()).filter(|p| !p.is_empty());
    let db = if db.is_empty() {
        0
    } else {
        db.parse().with_context(|| format!("bad database number in REDIS_URL: {db}"))?
    };
    Ok(Target { host: if host.is_empty() { "127.0.0.1".into() } else { host.into() }, port, password, db })
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
        assert_eq!(t, Target { host: "cache".into(), port: 6380, password: Some("secret".into()), db: 3 });
        assert_eq!(parse_url("redis://localhost").unwrap().port, 6379);
        assert!(parse_url("http://x").is_err());
        assert_eq!(redact("redis://user:pw@h:1/0"), "redis://user:***@h:1/0");
    }
}
