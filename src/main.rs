//! `roadmap`: graded, hands-on exercises from Node.js beginner to senior backend engineer.
mod class;
mod cli;
mod commands;
mod context;
mod curriculum;
mod flags;
mod grade;
mod manifest;
mod progress;
mod render;
mod report;
mod runner;
mod safe_fs;
mod score;
mod services;
mod signals;
mod suite_source;
mod tui;
mod watch;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    signals::install();
    let cli = cli::Cli::parse();
    let code = match commands::dispatch(cli) {
        Ok(code) => code.into(),
        Err(error) => {
            eprintln!("roadmap: {error:#}");
            commands::Code::Usage.into()
        }
    };
    runner::release();
    code
}
