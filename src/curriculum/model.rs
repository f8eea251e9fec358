//! The validated course: what the loader returns and every command reads.
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Curriculum {
    pub phases: Vec<Phase>,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub goal: String,
    pub reading: Vec<Reading>,
}

#[derive(Debug, Clone)]
pub struct Reading {
    pub title: String,
    pub url: String,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exercise,
    Project,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Postgres,
    Redis,
    Amqp,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Postgres, Service::Redis, Service::Amqp];

    pub fn name(self) -> &'static str {
        match self {
            Service::Postgres => "postgres",
            Service::Redis => "redis",
            Service::Amqp => "amqp",
        }
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: String,
    pub phase: String,
    pub title: String,
    pub kind: Kind,
    /// The starter files the learner edits, the main one first.
    pub files: Vec<String>,
    pub services: Vec<Service>,
    pub timeout: Duration,
    pub points: u32,
    pub hints: Vec<String>,
}

impl Exercise {
    /// `<phase>/<id>`: the exercise's folder below `exercises/`, `solutions/` and `checks/`.
    pub fn rel_dir(&self) -> String {
        format!("{}/{}", self.phase, self.id)
    }
}

impl Curriculum {
    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercises.iter().find(|e| e.id == id)
    }

    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.exercises.iter().position(|e| e.id == id)
    }

    /// Position of a phase, which is its number in the course ("Phase 0 · Prerequisites").
    pub fn phase_number(&self, id: &str) -> usize {
        self.phases.iter().position(|p| p.id == id).unwrap_or(0)
    }

    pub fn exercises_in<'a>(&'a self, phase: &'a str) -> impl Iterator<Item = &'a Exercise> + 'a {
        self.exercises.iter().filter(move |e| e.phase == phase)
    }
}
