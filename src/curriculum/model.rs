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
    /// Bytes of memory a run may use, all its processes together.
    pub memory: u64,
    pub points: u32,
    pub hints: Vec<String>,
    /// Set for the stages of a staged project: one codebase that grows stage by stage.
    pub stage: Option<Stage>,
    pub runner: Runner,
}

/// How an exercise is graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// A `node:test` suite (`suite.test.js`) run by Node with roadmap's reporter.
    Node,
    /// Any command, run in the suite's folder; its results are read as declared
    /// (exit code, TAP or JUnit). For exercises in other stacks: a Rust crate graded by
    /// `cargo test`, a shell script, …
    Command { argv: Vec<String>, results: crate::runner::Results },
}

/// Where a stage sits in its project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub project: String,
    pub project_title: String,
    /// 1-based.
    pub number: usize,
    pub count: usize,
    pub id: String,
    /// The exercise ids of the earlier stages, first stage first.
    pub earlier: Vec<String>,
}

impl Exercise {
    /// What one run of this exercise may use.
    pub fn limits(&self) -> crate::runner::Limits {
        crate::runner::Limits { memory: self.memory, ..crate::runner::Limits::default() }
    }

    /// The learner's folder in the course and in a workspace: `exercises/<phase>/<id>`,
    /// or `projects/<project>` for every stage of a project.
    pub fn starter_rel(&self) -> String {
        match &self.stage {
            None => format!("exercises/{}/{}", self.phase, self.id),
            Some(stage) => format!("projects/{}", stage.project),
        }
    }

    /// The hidden suite's folder: `checks/<phase>/<id>` or `checks/projects/<project>/<stage>`.
    pub fn checks_rel(&self) -> String {
        match &self.stage {
            None => format!("checks/{}/{}", self.phase, self.id),
            Some(stage) => format!("checks/projects/{}/{}", stage.project, stage.id),
        }
    }

    /// The reference solution's folder (for a stage: the whole codebase after that stage).
    pub fn solutions_rel(&self) -> String {
        match &self.stage {
            None => format!("solutions/{}/{}", self.phase, self.id),
            Some(stage) => format!("solutions/projects/{}/{}", stage.project, stage.id),
        }
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
        // An id like `12-must-build` carries its number; otherwise it is the position.
        let prefix: String = id.chars().take_while(char::is_ascii_digit).collect();
        prefix.parse().unwrap_or_else(|_| self.phases.iter().position(|p| p.id == id).unwrap_or(0))
    }

    /// The stage a project is at: the first one not in `done`, else the last.
    pub fn project_stage<'a>(&'a self, project: &str, done: impl Fn(&str) -> bool) -> Option<&'a Exercise> {
        let stages: Vec<&Exercise> =
            self.exercises.iter().filter(|e| e.stage.as_ref().is_some_and(|s| s.project == project)).collect();
        stages.iter().find(|e| !done(&e.id)).or(stages.last()).copied()
    }

    pub fn exercises_in<'a>(&'a self, phase: &'a str) -> impl Iterator<Item = &'a Exercise> + 'a {
        self.exercises.iter().filter(move |e| e.phase == phase)
    }
}
