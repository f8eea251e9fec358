//! One module per subcommand; each turns parsed arguments into an exit code.
mod dev_check;
mod dev_new;
mod grade;
mod init;
mod learner;

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, Command, DevCommand};

/// The exit codes of the user-facing contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Success = 0,
    /// Graded, and something failed.
    Failure = 1,
    /// Usage or configuration error.
    Usage = 2,
}

impl From<Code> for ExitCode {
    fn from(code: Code) -> ExitCode {
        ExitCode::from(code as u8)
    }
}

pub fn dispatch(cli: Cli) -> Result<Code> {
    let flag = cli.curriculum.as_deref();
    match cli.command.unwrap_or(Command::Watch { poll: false }) {
        Command::Watch { poll } => crate::watch::run(flag, poll),
        Command::Init(args) => init::run(flag, &args),
        Command::Run { exercise } => learner::run(flag, exercise.as_deref()),
        Command::Hint { exercise, all } => learner::hint(flag, exercise.as_deref(), all),
        Command::Reset { exercise, yes } => learner::reset(flag, &exercise, yes),
        Command::Solution { exercise } => learner::solution(flag, &exercise),
        Command::Progress { json } => learner::progress(flag, json),
        Command::List { plain } => learner::list(flag, plain),
        Command::Dev(DevCommand::Check { jobs, record, exercises }) => dev_check::run(flag, jobs, record, &exercises),
        Command::Dev(DevCommand::New { target, title }) => dev_new::run(flag, &target, title.as_deref()),
        Command::Grade(args) => grade::run(flag, &args),
        Command::CiTemplate => {
            print!("{}", CI_TEMPLATE);
            Ok(Code::Success)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "roadmap", &mut std::io::stdout());
            Ok(Code::Success)
        }
    }
}

/// The classroom workflow `roadmap ci-template` prints (also in the README).
pub const CI_TEMPLATE: &str = include_str!("../docs/github-classroom.yml");
