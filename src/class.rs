//! A class: one row per graded submission, its points in total and per phase, and what
//! was flagged. `roadmap grade` builds it for many workspaces at once; `roadmap grade
//! merge` joins the rows of several shards (CI matrix jobs) into one class summary.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::score::{Scored, Totals, fmt_points};

/// The version of `class.json`; `merge` refuses others.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub version: u32,
    /// The phases, in course order, as the per-phase columns.
    pub phases: Vec<String>,
    pub students: Vec<Student>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Student {
    pub student: String,
    /// The submission's folder, as given on the command line.
    pub path: String,
    /// `graded`, or `error` when the submission could not be graded at all.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub points: f64,
    pub possible: u32,
    pub passing: usize,
    pub exercises: usize,
    /// Earned points per phase id.
    pub phases: BTreeMap<String, f64>,
    pub flags: Vec<String>,
    pub seconds: f64,
}

impl Student {
    pub fn graded(student: String, path: String, scored: &[Scored], totals: &Totals, seconds: f64) -> Student {
        let mut phases = BTreeMap::new();
        for s in scored {
            *phases.entry(s.exercise.phase.clone()).or_insert(0.0) += s.earned;
        }
        for value in phases.values_mut() {
            *value = crate::score::round2(*value);
        }
        Student {
            student,
            path,
            status: "graded".to_string(),
            message: None,
            points: totals.earned,
            possible: totals.possible,
            passing: totals.passing,
            exercises: totals.count,
            phases,
            flags: scored.iter().flat_map(|s| s.flags.iter().map(move |f| format!("{}: {f}", s.exercise.id))).collect(),
            seconds,
        }
    }

    /// A submission that could not be graded (not a workspace, no packages, …): 0 points.
    pub fn failed(student: String, path: String, message: String, possible: u32) -> Student {
        Student {
            student,
            path,
            status: "error".to_string(),
            message: Some(message),
            points: 0.0,
            possible,
            passing: 0,
            exercises: 0,
            phases: BTreeMap::new(),
            flags: Vec::new(),
            seconds: 0.0,
        }
    }
}

impl Class {
    /// Joins shards' classes; a student graded in two shards is an error, since the
    /// shards of one class never overlap.
    pub fn merge(parts: Vec<Class>) -> Result<Class, String> {
        let mut merged = Class { version: VERSION, phases: Vec::new(), students: Vec::new() };
        for part in parts {
            if part.version != VERSION {
                return Err(format!("class version {} is not supported (this roadmap reads {VERSION})", part.version));
            }
            for phase in part.phases {
                if !merged.phases.contains(&phase) {
                    merged.phases.push(phase);
                }
            }
            for student in part.students {
                if merged.students.iter().any(|s| s.path == student.path) {
                    return Err(format!("{} was graded in two shards", student.path));
                }
                merged.students.push(student);
            }
        }
        merged.students.sort_by(|a, b| a.student.cmp(&b.student).then_with(|| a.path.cmp(&b.path)));
        Ok(merged)
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a class serialises") + "\n"
    }

    /// One row per student: spreadsheets and gradebooks import it.
    pub fn csv(&self) -> String {
        let mut out = String::from("student,path,status,points,possible,passing,exercises");
        for phase in &self.phases {
            let _ = write!(out, ",{}", csv_field(phase));
        }
        out.push_str(",flags\n");
        for s in &self.students {
            let _ = write!(
                out,
                "{},{},{},{},{},{},{}",
                csv_field(&s.student),
                csv_field(&s.path),
                s.status,
                fmt_points(s.points),
                s.possible,
                s.passing,
                s.exercises
            );
            for phase in &self.phases {
                let _ = write!(out, ",{}", fmt_points(s.phases.get(phase).copied().unwrap_or(0.0)));
            }
            let _ = writeln!(out, ",{}", s.flags.len());
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Roadmap: class of {}\n", self.students.len());
        out.push_str("| Student | Points |");
        for phase in &self.phases {
            let _ = write!(out, " {phase} |");
        }
        out.push_str(" Flags |\n|---|---|");
        out.push_str(&"---|".repeat(self.phases.len() + 1));
        out.push('\n');
        for s in &self.students {
            let points = match s.status.as_str() {
                "graded" => format!("{}/{}", fmt_points(s.points), s.possible),
                _ => format!("⚠️ {}", s.message.as_deref().unwrap_or("not graded")),
            };
            let _ = write!(out, "| {} | {points} |", markdown_cell(&s.student));
            for phase in &self.phases {
                let _ = write!(out, " {} |", fmt_points(s.phases.get(phase).copied().unwrap_or(0.0)));
            }
            let flags = if s.flags.is_empty() { String::new() } else { format!("⚑ {}", s.flags.len()) };
            let _ = writeln!(out, " {flags} |");
        }
        let flagged: Vec<&Student> = self.students.iter().filter(|s| !s.flags.is_empty()).collect();
        if !flagged.is_empty() {
            out.push_str("\n<details><summary>Flagged for review: code that reaches for the grader</summary>\n\n");
            for s in flagged {
                for flag in &s.flags {
                    let _ = writeln!(out, "- {}: {}", markdown_cell(&s.student), markdown_cell(flag));
                }
            }
            out.push_str("\n</details>\n");
        }
        out
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn student(name: &str, points: f64) -> Student {
        Student {
            student: name.into(),
            path: format!("class/{name}"),
            status: "graded".into(),
            message: None,
            points,
            possible: 30,
            passing: 1,
            exercises: 2,
            phases: BTreeMap::from([("basics".to_string(), points)]),
            flags: Vec::new(),
            seconds: 1.0,
        }
    }

    #[test]
    fn shards_merge_sorted_and_never_twice() {
        let a = Class { version: VERSION, phases: vec!["basics".into()], students: vec![student("zoe", 10.0)] };
        let b = Class { version: VERSION, phases: vec!["basics".into()], students: vec![student("ada", 20.0)] };
        let merged = Class::merge(vec![a.clone(), b]).unwrap();
        assert_eq!(merged.students.iter().map(|s| s.student.as_str()).collect::<Vec<_>>(), ["ada", "zoe"]);
        assert!(Class::merge(vec![a.clone(), a]).unwrap_err().contains("two shards"));
    }

    #[test]
    fn csv_and_markdown_have_a_row_per_student_and_phase_columns() {
        let mut odd = student("o'brien, jr", 12.5);
        odd.flags.push("greet: greet.js:3: reads roadmap's environment variables".into());
        let class = Class { version: VERSION, phases: vec!["basics".into()], students: vec![odd] };
        let csv = class.csv();
        assert_eq!(
            csv,
            "student,path,status,points,possible,passing,exercises,basics,flags\n\"o'brien, jr\",\"class/o'brien, jr\",graded,12.5,30,1,2,12.5,1\n"
        );
        let md = class.markdown();
        assert!(md.contains("| o'brien, jr | 12.5/30 | 12.5 | ⚑ 1 |"), "{md}");
        assert!(md.contains("Flagged for review"), "{md}");
    }
}
