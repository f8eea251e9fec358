//! The command-line interface: the user-facing contract of `roadmap`.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "roadmap",
    version,
    about = "From Node.js beginner to senior backend engineer: graded, hands-on exercises in your terminal."
)]
pub struct Cli {
    /// Read the course from this folder (holding a curriculum.toml) instead of the built-in one.
    #[arg(long, global = true, value_name = "DIR")]
    pub curriculum: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the current exercise and grade it on every save (the default).
    Watch {
        /// Poll for changes instead of using file-system events (network drives, WSL /mnt).
        #[arg(long)]
        poll: bool,
    },
    /// Create a learner workspace.
    Init(InitArgs),
    /// Grade one exercise (the current one when omitted).
    Run { exercise: Option<String> },
    /// Show the next hint of an exercise (the current one when omitted).
    Hint {
        exercise: Option<String>,
        /// Show every hint at once.
        #[arg(long)]
        all: bool,
    },
    /// Restore an exercise's starter files.
    Reset {
        exercise: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
    },
    /// Write the reference solution under solutions/ (only after you passed).
    Solution { exercise: String },
    /// Show how far you are.
    Progress {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// List phases and exercises with their status.
    List {
        /// Plain text, no colours (the default when piped).
        #[arg(long)]
        plain: bool,
    },
    /// Grade one workspace for CI, or a whole class of them (never changes a submission).
    Grade(GradeArgs),
    /// Print a GitHub Actions workflow that grades a classroom's workspaces.
    CiTemplate,
    /// Tools for mentors who write exercises.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace.
    #[arg(default_value = "node-roadmap")]
    pub dir: PathBuf,
    /// Do not run `npm ci` (run it yourself later).
    #[arg(long)]
    pub no_install: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GradeArgs {
    #[command(subcommand)]
    pub command: Option<GradeCommand>,
    /// The workspaces to grade (default: the one around the current folder). With more
    /// than one (`class/*/`), or with --out-dir or --shard, every submission gets its own
    /// reports and the class a summary.
    pub dirs: Vec<PathBuf>,
    /// Output format: human, json, junit or markdown; `FORMAT=FILE` writes to a file.
    /// Repeat for several formats in one run. (One workspace only.)
    #[arg(long, value_name = "FORMAT[=FILE]")]
    pub format: Vec<String>,
    /// Write the (single) format to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Where a class's reports go: one folder per submission and class.md, class.csv
    /// and class.json.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Grade only these phases, exercises or projects (a week's assignment).
    #[arg(long, value_name = "PHASE|EXERCISE", value_delimiter = ',', num_args = 1..)]
    pub only: Vec<String>,
    /// Grade only shard K of N of the submissions (for CI matrix jobs); join the shards'
    /// class.json with `roadmap grade merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Packages to grade with (a folder holding node_modules, or node_modules itself),
    /// for submissions that carry none of their own.
    #[arg(long, value_name = "DIR")]
    pub node_modules: Option<PathBuf>,
    /// How many suites to run at once (default: the number of cores).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Pass (exit 0) when at least this many points are earned, even if some exercises
    /// fail; for a class, every submission must reach it.
    #[arg(long, value_name = "POINTS")]
    pub fail_under: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum GradeCommand {
    /// Join the class.json of several shards into one class summary.
    Merge {
        /// The class.json files of the shards.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where class.md, class.csv and class.json go.
        #[arg(long, value_name = "DIR", default_value = "roadmap-grades")]
        out_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Validate the curriculum and prove every starter fails and every solution passes.
    Check {
        /// How many suites to run at once (default: the number of cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Write each suite's manifest (its tests, and which ones the starter already
        /// passes) from this check's runs, instead of comparing with the recorded one.
        #[arg(long)]
        record: bool,
        /// Check only these exercises.
        exercises: Vec<String>,
    },
    /// Scaffold a new exercise (task, starter, suite, solution, curriculum entry).
    New {
        /// PHASE/EXERCISE, e.g. 02-express/cookie-sessions.
        target: String,
        /// The exercise's title.
        #[arg(long)]
        title: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
