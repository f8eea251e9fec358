//! `roadmap ci-template` (docs/github-classroom.yml) and the release workflow that
//! publishes the binaries it installs: both parse, pin current majors of their
//! actions, name only real roadmap flags, and their shell steps do what they say when
//! bash runs them here against a real workspace.
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Sandbox, roadmap};
use serde_yaml::Value;
use tempfile::TempDir;

/// The current major of every action the workflows may use. A new major is a
/// deliberate bump here and in the workflows, after reading its breaking changes.
const ACTIONS: &[(&str, &str)] = &[
    ("actions/checkout", "v7"),
    ("actions/setup-node", "v7"),
    ("actions/cache", "v5"),
    ("actions/upload-artifact", "v7"),
    ("actions/download-artifact", "v8"),
    ("mikepenz/action-junit-report", "v6"),
    ("softprops/action-gh-release", "v3"),
    ("classroom-resources/autograding-grading-reporter", "v1"),
];

const REPO_ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn template() -> Value {
    let printed = roadmap().arg("ci-template").assert().success().get_output().stdout.clone();
    let docs = fs::read(Path::new(REPO_ROOT).join("docs/github-classroom.yml")).unwrap();
    assert_eq!(printed, docs, "`roadmap ci-template` prints docs/github-classroom.yml");
    serde_yaml::from_slice(&printed).expect("the template parses as YAML")
}

fn release() -> Value {
    let text = fs::read_to_string(Path::new(REPO_ROOT).join(".github/workflows/release.yml")).unwrap();
    serde_yaml::from_str(&text).expect("the release workflow parses as YAML")
}

fn steps(workflow: &Value) -> Vec<&Value> {
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    jobs.values().flat_map(|job| job["steps"].as_sequence().expect("every job has steps")).collect()
}

fn step<'a>(workflow: &'a Value, name: &str) -> &'a Value {
    steps(workflow).into_iter().find(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("a step {name:?}"))
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("an env value is a scalar, not {other:?}"),
    }
}

/// A `run:` step of a workflow, run the way GitHub's Linux runner runs it (`bash
/// --noprofile --norc -eo pipefail FILE`) with the workflow's `env:` and then the
/// step's. Every `${{ … }}` in those values must be given in `expressions`, so a new
/// expression in the workflow is a test failure here rather than an untested value.
struct Step<'a> {
    workflow: &'a Value,
    name: &'a str,
    expressions: Vec<(&'a str, String)>,
    env: Vec<(String, String)>,
}

impl<'a> Step<'a> {
    fn new(workflow: &'a Value, name: &'a str) -> Step<'a> {
        Step { workflow, name, expressions: Vec::new(), env: Vec::new() }
    }

    fn expression(mut self, expression: &'a str, value: &str) -> Self {
        self.expressions.push((expression, value.to_string()));
        self
    }

    fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env.push((key.to_string(), value.as_ref().to_string_lossy().into_owned()));
        self
    }

    fn run(&self, cwd: &Path) -> Output {
        let step = step(self.workflow, self.name);
        let script = step["run"].as_str().unwrap_or_else(|| panic!("{:?} is a run step", self.name));
        assert!(!script.contains("${{"), "{:?} reads expressions through env, never inline: {script}", self.name);
        let mut env = BTreeMap::new();
        for map in [&self.workflow["env"], &step["env"]] {
            for (k, v) in map.as_mapping().into_iter().flatten() {
                let mut value = scalar(v);
                if let Some(inner) = value.strip_prefix("${{").and_then(|v| v.strip_suffix("}}")) {
                    let inner = inner.trim();
                    value = self
                        .expressions
                        .iter()
                        .find(|(e, _)| *e == inner)
                        .unwrap_or_else(|| panic!("the test gives a value for `{inner}` in {:?}", self.name))
                        .1
                        .clone();
                }
                env.insert(scalar(k), value);
            }
        }
        env.extend(self.env.iter().cloned());
        let file = tempfile::NamedTempFile::new().unwrap();
        fs::write(file.path(), script).unwrap();
        Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(file.path())
            .current_dir(cwd)
            .env_remove("NO_COLOR")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("AMQP_URL")
            .envs(env)
            .output()
            .unwrap()
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn write_exe(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// `PATH` with `dir` first, so the fakes in it shadow the real commands.
fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// The `roadmap …` command lines of a script: the logical lines (backslash
/// continuations joined) whose first word is roadmap itself.
fn roadmap_invocations(script: &str) -> Vec<String> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|line| {
            line.split_whitespace().next().is_some_and(|w| w.trim_matches('"').ends_with("/roadmap") || w == "roadmap")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_action_is_pinned_to_its_current_major() {
    let mut used = Vec::new();
    for workflow in [template(), release()] {
        for s in steps(&workflow) {
            let Some(uses) = s["uses"].as_str() else { continue };
            let (action, reference) = uses.split_once('@').unwrap_or_else(|| panic!("{uses} is pinned"));
            let (_, major) = ACTIONS
                .iter()
                .find(|(a, _)| *a == action)
                .unwrap_or_else(|| panic!("{action} is in the allow-list of current majors"));
            assert_eq!(reference, *major, "{action} is pinned to its current major");
            used.push(action.to_string());
        }
    }
    for (action, _) in ACTIONS {
        assert!(used.iter().any(|u| u == action), "{action} is still used, or leaves the allow-list");
    }
}

#[test]
fn every_roadmap_command_in_the_template_exists_with_its_flags() {
    let workflow = template();
    let mut invocations = Vec::new();
    for s in steps(&workflow) {
        invocations.extend(s["run"].as_str().map(roadmap_invocations).unwrap_or_default());
    }
    assert!(invocations.iter().any(|i| i.contains(" grade ")), "the template grades: {invocations:?}");
    assert!(invocations.iter().any(|i| i.ends_with(" --version")), "the install step shows the version");
    for invocation in &invocations {
        let args: Vec<&str> = invocation.split_whitespace().skip(1).collect();
        let subcommand = args.first().filter(|a| !a.starts_with('-') && !a.starts_with('$'));
        let mut help = roadmap();
        help.args(subcommand).arg("--help");
        let help = text(&help.assert().success().get_output().stdout);
        let flags = invocation.match_indices("--").map(|(at, _)| {
            let rest = &invocation[at..];
            rest[..rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len())].to_string()
        });
        for flag in flags {
            assert!(help.contains(&flag), "`roadmap {subcommand:?} --help` lists {flag} of `{invocation}`");
        }
    }
    let grade = step(&workflow, "Grade")["run"].as_str().unwrap();
    for format in
        ["--format human", "junit=roadmap-junit.xml", "markdown=roadmap-summary.md", "json=roadmap-results.json"]
    {
        assert!(grade.contains(format), "{grade}");
    }
    assert!(
        fs::read_to_string(Path::new(REPO_ROOT).join("README.md")).unwrap().contains("roadmap ci-template"),
        "the README points teachers at the template"
    );
}

#[test]
fn the_template_is_what_github_classroom_reads() {
    let workflow = template();
    // Classroom takes the points only from this workflow name and a single job of
    // this name.
    assert_eq!(workflow["name"].as_str(), Some("Autograding Tests"));
    let jobs = workflow["jobs"].as_mapping().unwrap();
    assert_eq!(jobs.keys().map(scalar).collect::<Vec<_>>(), ["run-autograding-tests"]);
    // The reporter reads `<RUNNER>_RESULTS` for each runner id it is given.
    let reporter = steps(&workflow)
        .into_iter()
        .find(|s| {
            s["uses"].as_str().is_some_and(|u| u.starts_with("classroom-resources/autograding-grading-reporter@"))
        })
        .expect("a reporter step");
    let runners = reporter["with"]["runners"].as_str().unwrap();
    for runner in runners.split(',').map(str::trim) {
        assert!(steps(&workflow).iter().any(|s| s["id"].as_str() == Some(runner)), "a step has the id {runner}");
        let results = &reporter["env"][format!("{}_RESULTS", runner.to_uppercase()).as_str()];
        assert_eq!(results.as_str(), Some(format!("${{{{ steps.{runner}.outputs.result }}}}").as_str()));
    }
    let env = &workflow["env"];
    assert_eq!(env["ROADMAP_REPO"].as_str(), Some("your-org/roadmap"), "the placeholder stays marked");
    assert_eq!(
        env["ROADMAP_TAG"].as_str(),
        Some(format!("v{}", env!("CARGO_PKG_VERSION")).as_str()),
        "the printed template pins the release of the roadmap that prints it"
    );
    assert_eq!(env["FAIL_UNDER"].as_str(), Some(""), "no threshold unless the teacher sets one");
    let setup_node = steps(&workflow)
        .into_iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/setup-node@")))
        .unwrap();
    assert_eq!(setup_node["with"]["node-version"].as_u64(), Some(22));
    // The course's packages come from the workspace's lock file, as learners install them.
    assert_eq!(step(&workflow, "Install the course's packages")["run"].as_str(), Some("npm ci"));
    let install = step(&workflow, "Install roadmap")["run"].as_str().unwrap();
    assert!(install.contains("--tag \"$ROADMAP_TAG\"") && !install.contains("--branch"), "{install}");
}

/// A workspace of the fixture course with `sum` solved (10 of 30 points) and a
/// `roadmap` on PATH that grades it with the fixture course, as a course's own
/// roadmap build grades with its built-in one. Every call's arguments are logged.
struct Classroom {
    sb: Sandbox,
    bin: TempDir,
    github: TempDir,
}

impl Classroom {
    fn new() -> Classroom {
        let sb = Sandbox::new();
        fs::create_dir(sb.ws().join("node_modules")).unwrap();
        sb.solve("sum");
        let bin = tempfile::tempdir().unwrap();
        write_exe(
            &bin.path().join("roadmap"),
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$ARGS_LOG\"\nexec '{}' --curriculum '{}' \"$@\"\n",
                env!("CARGO_BIN_EXE_roadmap"),
                sb.course().display()
            ),
        );
        Classroom { sb, bin, github: tempfile::tempdir().unwrap() }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.github.path().join(name)
    }

    fn args(&self) -> String {
        fs::read_to_string(self.file("args")).unwrap_or_default()
    }

    fn grade(&self, workflow: &Value, fail_under: Option<&str>) -> Output {
        let _ = fs::remove_file(self.file("args"));
        let mut step =
            Step::new(workflow, "Grade").env("PATH", path_with(self.bin.path())).env("ARGS_LOG", self.file("args"));
        if let Some(points) = fail_under {
            step = step.env("FAIL_UNDER", points);
        }
        step.run(&self.sb.ws())
    }

    /// The Classroom step's result for this grade outcome, decoded.
    fn points(&self, workflow: &Value, outcome: &str) -> serde_json::Value {
        let output = self.file("output");
        let _ = fs::remove_file(&output);
        let out = Step::new(workflow, "Points for GitHub Classroom")
            .expression("steps.grade.outcome", outcome)
            .env("GITHUB_OUTPUT", &output)
            .run(&self.sb.ws());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let written = fs::read_to_string(&output).unwrap();
        let encoded = written.strip_prefix("result=").and_then(|r| r.strip_suffix('\n')).expect("one result= line");
        assert!(!encoded.contains(char::is_whitespace), "one line of base64");
        fs::write(self.file("encoded"), encoded).unwrap();
        let decoded = Command::new("base64").arg("--decode").arg(self.file("encoded")).output().unwrap();
        assert!(decoded.status.success(), "valid base64");
        serde_json::from_slice(&decoded.stdout).expect("the result is JSON")
    }
}

/// What GitHub Classroom's reporter posts: the sum of the tests' scores out of the
/// result's max_score (classroom-resources/autograding-grading-reporter, NotifyClassroom).
fn classroom_points(result: &serde_json::Value) -> (f64, f64) {
    let earned = result["tests"].as_array().unwrap().iter().map(|t| t["score"].as_f64().unwrap()).sum();
    (earned, result["max_score"].as_f64().unwrap())
}

fn assert_reporter_shape(result: &serde_json::Value) {
    assert_eq!(result["version"], 1);
    for test in result["tests"].as_array().unwrap() {
        for key in ["name", "status", "score", "message", "test_code", "filename", "line_no", "duration"] {
            assert!(test.get(key).is_some(), "{key} in {test}");
        }
        assert!(["pass", "fail", "error"].contains(&test["status"].as_str().unwrap()), "{test}");
        // The reporter prints " - line N" unless line_no is exactly 0.
        assert_eq!(test["line_no"], 0);
    }
}

#[test]
fn the_grade_step_uses_fail_under_only_when_set_and_classroom_gets_roadmaps_points() {
    let workflow = template();
    let class = Classroom::new();
    let ws = class.sb.ws();

    // The template's FAIL_UNDER (empty): no threshold, so greet's failure fails the run.
    let out = class.grade(&workflow, None);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Points 10/30"), "{}", text(&out.stdout));
    assert!(class.args().starts_with("grade ") && !class.args().contains("--fail-under"), "{}", class.args());
    let results: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ws.join("roadmap-results.json")).unwrap()).unwrap();
    assert!(ws.join("roadmap-junit.xml").is_file() && ws.join("roadmap-summary.md").is_file());

    let failed = class.points(&workflow, "failure");
    assert_reporter_shape(&failed);
    assert_eq!(failed["status"], "fail");
    assert_eq!(failed["max_score"], results["points"]["possible"]);
    assert_eq!(classroom_points(&failed), (10.0, 30.0));
    assert_eq!(classroom_points(&failed).0, results["points"]["earned"].as_f64().unwrap());
    let tests = failed["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2, "one test per exercise");
    assert_eq!((tests[0]["name"].as_str(), tests[0]["status"].as_str()), (Some("sum: Add two numbers"), Some("pass")));
    assert_eq!((tests[1]["status"].as_str(), tests[1]["score"].as_f64()), (Some("fail"), Some(0.0)));

    // The Summary step publishes the Markdown summary.
    let summary = class.file("summary");
    let out = Step::new(&workflow, "Summary").env("GITHUB_STEP_SUMMARY", &summary).run(&ws);
    assert!(out.status.success() && fs::read_to_string(&summary).unwrap().contains("sum"));

    // A threshold the learner meets passes the run, and the Classroom result with it.
    let out = class.grade(&workflow, Some("5"));
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(class.args().contains("--fail-under 5"), "{}", class.args());
    let passed = class.points(&workflow, "success");
    assert_eq!(passed["status"], "pass");
    assert_eq!(classroom_points(&passed), (10.0, 30.0));

    // One the learner misses fails it.
    let out = class.grade(&workflow, Some("25"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(class.args().contains("--fail-under 25"), "{}", class.args());
}

#[test]
fn a_run_that_could_not_grade_gives_classroom_an_error_and_no_points() {
    let workflow = template();
    let class = Classroom::new();
    let ws = class.sb.ws();
    // A submission that brings its own "results" gets nothing from them.
    let forged = r#"{"points":{"earned":30,"possible":30},"exercises":[]}"#;
    fs::write(ws.join("roadmap-results.json"), forged).unwrap();

    let out = Step::new(&workflow, "Grade")
        .env("PATH", path_with(class.bin.path()))
        .env("ARGS_LOG", class.file("args"))
        .env("ROADMAP_NODE", "/nonexistent/node")
        .run(&ws);
    assert_eq!(out.status.code(), Some(2), "roadmap could not grade: {}", text(&out.stderr));
    assert!(!ws.join("roadmap-results.json").exists(), "the forged results are gone");
    let result = class.points(&workflow, "failure");
    assert_reporter_shape(&result);
    assert_eq!((result["status"].as_str(), result["max_score"].as_f64()), (Some("error"), Some(0.0)));

    // Nor when an earlier step failed and Grade never ran.
    fs::write(ws.join("roadmap-results.json"), forged).unwrap();
    let result = class.points(&workflow, "skipped");
    assert_eq!((result["status"].as_str(), classroom_points(&result)), (Some("error"), (0.0, 0.0)));
}

/// The release workflow's Package step run on a stand-in build, and the template's
/// Install roadmap step run against what it packaged, with `curl` and `cargo` faked
/// on PATH (no network here): the names, the checksum and the fallback line up.
#[test]
fn the_install_step_takes_the_release_archive_checks_it_and_falls_back_to_cargo_install() {
    let workflow = template();
    let tag = scalar(&workflow["env"]["ROADMAP_TAG"]);
    let repo = scalar(&workflow["env"]["ROADMAP_REPO"]);
    let target = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    };
    let root = tempfile::tempdir().unwrap();
    let (checkout, releases, bin, home) =
        (root.path().join("checkout"), root.path().join("releases"), root.path().join("bin"), root.path().join("home"));
    write_exe(
        &checkout.join("target").join(target).join("release/roadmap"),
        "#!/bin/sh\necho \"roadmap from the release\"\n",
    );
    for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        fs::write(checkout.join(file), file).unwrap();
    }
    let out = Step::new(&release(), "Package")
        .expression("github.ref_name", &tag)
        .expression("matrix.target", target)
        .run(&checkout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let archive = format!("roadmap-{tag}-{target}.tar.gz");
    fs::create_dir(&releases).unwrap();
    for name in [archive.clone(), format!("{archive}.sha256")] {
        fs::copy(checkout.join("dist").join(&name), releases.join(&name)).unwrap();
    }

    // curl serves the release's files from `releases`, and nothing else; cargo only
    // says what it was asked to do.
    let prefix = format!("https://github.com/{repo}/releases/download/{tag}/");
    write_exe(
        &bin.join("curl"),
        &format!(
            "#!/bin/sh\nwhile [ $# -gt 1 ]; do\n  case \"$1\" in -o) out=\"$2\"; shift ;; esac\n  shift\ndone\n\
             echo \"$1\" >> '{log}'\ncase \"$1\" in '{prefix}'*) cp \"{releases}/${{1#'{prefix}'}}\" \"$out\" 2>/dev/null || exit 22 ;;\n\
             *) exit 22 ;;\nesac\n",
            log = root.path().join("curl.log").display(),
            releases = releases.display(),
        ),
    );
    write_exe(
        &bin.join("cargo"),
        &format!(
            "#!/bin/sh\necho \"$*\" > '{log}'\nmkdir -p \"$HOME/.cargo/bin\"\n\
             printf '#!/bin/sh\\necho roadmap built by cargo\\n' > \"$HOME/.cargo/bin/roadmap\"\n\
             chmod +x \"$HOME/.cargo/bin/roadmap\"\n",
            log = root.path().join("cargo.log").display()
        ),
    );
    let install = |cache_hit: &str| {
        Step::new(&workflow, "Install roadmap")
            .expression("steps.roadmap-cache.outputs.cache-hit", cache_hit)
            .env("PATH", path_with(&bin))
            .env("HOME", &home)
            .env("GITHUB_PATH", root.path().join("github_path"))
            .run(root.path())
    };
    let installed = home.join(".cargo/bin/roadmap");

    let out = install("");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("roadmap from the release"), "{}", text(&out.stdout));
    assert!(!root.path().join("cargo.log").exists(), "no build when the release has the binary");
    let curl_log = fs::read_to_string(root.path().join("curl.log")).unwrap();
    assert_eq!(curl_log.lines().next(), Some(format!("{prefix}{archive}").as_str()));
    let github_path = fs::read_to_string(root.path().join("github_path")).unwrap();
    assert_eq!(github_path.trim(), home.join(".cargo/bin").display().to_string());

    // A cached install is used as it is.
    fs::remove_file(root.path().join("curl.log")).unwrap();
    let out = install("true");
    assert!(out.status.success() && text(&out.stdout).contains("roadmap from the release"));
    assert!(!root.path().join("curl.log").exists(), "nothing downloaded on a cache hit");

    // An archive that does not match its checksum stops the job, without a build.
    fs::remove_file(&installed).unwrap();
    let mut bytes = fs::read(releases.join(&archive)).unwrap();
    bytes.push(0);
    fs::write(releases.join(&archive), bytes).unwrap();
    let out = install("");
    assert!(!out.status.success(), "a tampered archive fails the step");
    assert!(!installed.exists() && !root.path().join("cargo.log").exists());

    // A release without binaries: cargo install of the same tag.
    fs::remove_file(releases.join(&archive)).unwrap();
    let out = install("");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("roadmap built by cargo"));
    assert_eq!(
        fs::read_to_string(root.path().join("cargo.log")).unwrap().trim(),
        format!("install --locked --git https://github.com/{repo} --tag {tag} roadmap")
    );
}
