//! The text of `progress.toml`: TOML under a comment header whose integrity line holds
//! a checksum of the rest and how many exercises and passes it records.
//!
//! A file cut short at a line boundary is still valid TOML, so without the integrity
//! line it would load and silently drop the passes it lost. The line sits at the top so
//! that a cut never removes it.
use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use super::{ExerciseProgress, Progress, VERSION};

const HEADER: &str = "# Your roadmap progress. roadmap rewrites this file; it is safe to commit.\n";
const INTEGRITY: &str = "# integrity:";
const INTEGRITY_NOTE: &str = "(roadmap checks this line; a file edited by hand is kept, with a warning)";

/// What a progress file turned out to hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Intact, or written by a version of roadmap that had no integrity line.
    Sound(Progress),
    /// Unreadable, or readable but not what roadmap wrote: `salvaged` is everything
    /// that could still be read, and `reason` completes "progress.toml …".
    Damaged { salvaged: Progress, reason: String },
    /// Written by a newer roadmap, which this one must not rewrite.
    Newer(u32),
}

pub fn encode(progress: &Progress) -> Result<String> {
    let progress = Progress { version: VERSION, ..progress.clone() };
    let body = format!("\n{}", toml::to_string_pretty(&progress).context("cannot encode progress")?);
    let counts = Counts::of(&progress);
    Ok(format!(
        "{HEADER}{INTEGRITY} fnv1a64={:016x} exercises={} done={} {INTEGRITY_NOTE}\n{body}",
        checksum(&body),
        counts.exercises,
        counts.done
    ))
}

pub fn decode(bytes: &[u8]) -> Decoded {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Decoded::Damaged {
            salvaged: salvage(&String::from_utf8_lossy(bytes)),
            reason: "could not be read (it is not UTF-8 text)".to_string(),
        };
    };
    // Read the version first, so that a newer file is refused even when its fields are
    // ones this roadmap does not know.
    if let Some(version) = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("version").and_then(|v| v.as_integer()))
        .filter(|v| *v > i64::from(VERSION))
    {
        return Decoded::Newer(u32::try_from(version).unwrap_or(u32::MAX));
    }
    let progress = match toml::from_str::<Progress>(text) {
        Ok(progress) => progress,
        Err(e) => {
            return Decoded::Damaged {
                salvaged: salvage(text),
                reason: format!("could not be read ({})", describe_toml_error(text, &e)),
            };
        }
    };
    let damaged = |reason: String| Decoded::Damaged { salvaged: progress.clone(), reason };
    match integrity_line(text) {
        None if progress.version < 2 => Decoded::Sound(progress),
        None => damaged("has lost its integrity line (edited by hand or by another program?)".to_string()),
        Some((line, body)) => match Integrity::parse(line) {
            None => damaged("has an unreadable integrity line (edited by hand or by another program?)".to_string()),
            Some(recorded) if recorded.checksum == checksum(body) => Decoded::Sound(progress),
            Some(recorded) => {
                let now = Counts::of(&progress);
                if now.exercises < recorded.counts.exercises || now.done < recorded.counts.done {
                    damaged(format!(
                        "does not match its integrity line: it was written with {} exercise(s), {} done, and now holds {}, {} done (cut short?)",
                        recorded.counts.exercises, recorded.counts.done, now.exercises, now.done
                    ))
                } else {
                    damaged("does not match its integrity line (edited by hand or by another program?)".to_string())
                }
            }
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    exercises: usize,
    done: usize,
}

impl Counts {
    fn of(progress: &Progress) -> Counts {
        Counts { exercises: progress.exercises.len(), done: progress.done_count() }
    }
}

struct Integrity {
    checksum: u64,
    counts: Counts,
}

impl Integrity {
    fn parse(line: &str) -> Option<Integrity> {
        let fields: BTreeMap<&str, &str> =
            line.strip_prefix(INTEGRITY)?.split_whitespace().filter_map(|f| f.split_once('=')).collect();
        Some(Integrity {
            checksum: u64::from_str_radix(fields.get("fnv1a64")?, 16).ok()?,
            counts: Counts {
                exercises: fields.get("exercises")?.parse().ok()?,
                done: fields.get("done")?.parse().ok()?,
            },
        })
    }
}

/// The integrity line among the leading comments, and the text after it.
fn integrity_line(text: &str) -> Option<(&str, &str)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with('#') {
            return None;
        }
        if line.starts_with(INTEGRITY) {
            return Some((line.trim_end(), &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// FNV-1a, 64 bits: enough to notice damage, which is all it is for (anyone can
/// recompute it). Line endings are normalised so a checkout with CRLF still matches.
fn checksum(body: &str) -> u64 {
    body.replace("\r\n", "\n")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A piece of a progress file: any of its fields, none required.
#[derive(Deserialize)]
struct Fragment {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    exercises: BTreeMap<String, ExerciseProgress>,
}

/// Everything that can still be read from a file that does not parse: the file is cut
/// into its tables, and each table is read alone, dropping trailing lines until what
/// is left parses (a file cut mid-line keeps the start of its last table).
fn salvage(text: &str) -> Progress {
    let mut tables: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            tables.push(Vec::new());
        }
        tables.last_mut().expect("there is always a table").push(line);
    }
    let mut progress = Progress::default();
    for lines in tables {
        let fragment = (1..=lines.len()).rev().find_map(|n| toml::from_str::<Fragment>(&lines[..n].join("\n")).ok());
        let Some(fragment) = fragment else { continue };
        if progress.current.is_none() {
            progress.current = fragment.current;
        }
        for (id, entry) in fragment.exercises {
            progress.exercises.entry(id).or_insert(entry);
        }
    }
    progress
}

fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let line = error.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    match line {
        Some(line) => format!("line {line}: {}", error.message().trim()),
        None => error.message().trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::State;

    fn three_done() -> Progress {
        let mut p = Progress { current: Some("d".into()), ..Progress::default() };
        for id in ["a", "b", "c"] {
            p.record(id, "pass", true);
        }
        p.record("d", "fail", false);
        p
    }

    #[test]
    fn what_is_written_reads_back_sound() {
        let p = three_done();
        let text = encode(&p).unwrap();
        assert!(text.lines().nth(1).unwrap().starts_with("# integrity: fnv1a64="), "{text}");
        assert_eq!(decode(text.as_bytes()), Decoded::Sound(p.clone()));
        assert_eq!(decode(text.replace('\n', "\r\n").as_bytes()), Decoded::Sound(p));
    }

    #[test]
    fn a_file_cut_at_any_line_boundary_is_damaged_and_keeps_what_it_still_shows() {
        let p = three_done();
        let text = encode(&p).unwrap();
        let cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < text.len()).collect();
        let mut parsed_cuts = 0;
        for cut in cuts {
            match decode(&text.as_bytes()[..cut]) {
                Decoded::Damaged { salvaged, .. } => {
                    for (id, entry) in &salvaged.exercises {
                        assert!(entry.state <= p.exercises[id].state, "nothing is invented");
                    }
                    if toml::from_str::<Progress>(&text[..cut]).is_ok() {
                        parsed_cuts += 1;
                    }
                }
                other => panic!("a file cut at byte {cut} decoded as {other:?}"),
            }
        }
        assert!(parsed_cuts > 3, "the cuts that still parse are the ones that matter");
    }

    #[test]
    fn a_cut_says_how_much_was_lost() {
        let text = encode(&three_done()).unwrap();
        let cut = &text[..text.find("[exercises.c]").unwrap()];
        let Decoded::Damaged { salvaged, reason } = decode(cut.as_bytes()) else { panic!() };
        assert_eq!(salvaged.done_count(), 2);
        assert!(reason.contains("written with 4 exercise(s), 3 done, and now holds 2, 2 done"), "{reason}");
    }

    #[test]
    fn an_edit_is_damage_that_keeps_the_edit() {
        let text = encode(&three_done()).unwrap().replace("current = \"d\"", "current = \"a\"");
        let Decoded::Damaged { salvaged, reason } = decode(text.as_bytes()) else { panic!() };
        assert_eq!(salvaged.current.as_deref(), Some("a"));
        assert_eq!(salvaged.done_count(), 3);
        assert!(reason.contains("edited by hand"), "{reason}");
        let without_line: String =
            text.lines().filter(|l| !l.starts_with(INTEGRITY)).map(|l| format!("{l}\n")).collect();
        assert!(
            matches!(decode(without_line.as_bytes()), Decoded::Damaged { reason, .. } if reason.contains("lost its integrity line"))
        );
    }

    #[test]
    fn a_version_1_file_without_integrity_line_is_sound() {
        let text = "# Your roadmap progress.\n\nversion = 1\ncurrent = \"b\"\n\n[exercises.a]\nstate = \"done\"\nattempts = 2\n";
        let Decoded::Sound(p) = decode(text.as_bytes()) else { panic!() };
        assert_eq!((p.version, p.is_done("a"), p.current.as_deref()), (1, true, Some("b")));
    }

    #[test]
    fn a_newer_file_is_recognised_even_with_unknown_fields() {
        assert_eq!(decode(b"version = 9\nshiny = true\n"), Decoded::Newer(9));
    }

    #[test]
    fn garbage_is_damaged_and_a_file_cut_mid_line_keeps_its_whole_tables() {
        let Decoded::Damaged { salvaged, reason } = decode(&[0xff, 0xfe, 0x00]) else { panic!() };
        assert_eq!((salvaged, reason.as_str()), (Progress::default(), "could not be read (it is not UTF-8 text)"));

        let text = encode(&three_done()).unwrap();
        let cut = &text[..text.find("[exercises.c]").unwrap() + "[exercises.c]\nstate = \"do".len()];
        let Decoded::Damaged { salvaged, reason } = decode(cut.as_bytes()) else { panic!() };
        assert!(reason.starts_with("could not be read (line "), "{reason}");
        assert_eq!(salvaged.current.as_deref(), Some("d"));
        assert!(salvaged.is_done("a") && salvaged.is_done("b") && !salvaged.is_done("c"));

        // The cut falls after `state`: the table is read without its later lines.
        let cut = &text[..text.find("[exercises.c]").unwrap() + "[exercises.c]\nstate = \"done\"\natt".len()];
        let Decoded::Damaged { salvaged, .. } = decode(cut.as_bytes()) else { panic!() };
        assert_eq!(salvaged.state("c"), State::Done);
    }
}
