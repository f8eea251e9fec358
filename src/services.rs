//! The infrastructure exercises declare (PostgreSQL, Redis, RabbitMQ), handed to suites
//! as connection URLs. A service that cannot be had makes the exercise
//! `needs-service` with the command that fixes it; it is never faked.
use crate::curriculum::Service;

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

    fn fix(self) -> &'static str {
        match self {
            Service::Postgres => {
                "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres  (any PostgreSQL 14+ you can reach)"
            }
            Service::Redis => "export REDIS_URL=redis://127.0.0.1:6379  (start one with `redis-server --port 6379`)",
            Service::Amqp => "export AMQP_URL=amqp://guest:guest@127.0.0.1:5672  (a RabbitMQ you can reach)",
        }
    }
}

/// The environment a run needs for `services`, or the first one that is missing.
pub fn environment(
    services: &[Service],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, Missing> {
    services
        .iter()
        .map(|&service| match lookup(service.env_var()).filter(|v| !v.trim().is_empty()) {
            Some(url) => Ok((service.env_var().to_string(), url)),
            None => Err(Missing {
                service,
                message: format!("needs {}: {} is not set", service.name(), service.env_var()),
                fix: service.fix().to_string(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_from_the_environment() {
        let env = environment(&[Service::Redis], |k| (k == "REDIS_URL").then(|| "redis://x".to_string())).unwrap();
        assert_eq!(env, [("REDIS_URL".to_string(), "redis://x".to_string())]);
        assert!(environment(&[], |_| None).unwrap().is_empty());
    }

    #[test]
    fn a_missing_service_says_how_to_fix_it() {
        let missing =
            environment(&[Service::Postgres, Service::Amqp], |k| (k == "DATABASE_URL").then(String::new)).unwrap_err();
        assert_eq!(missing.service, Service::Postgres);
        assert!(missing.fix.starts_with("export DATABASE_URL="), "{}", missing.fix);
    }
}
