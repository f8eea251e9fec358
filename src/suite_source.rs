//! The source of one test in a hidden suite, for `test_code` in Exercism-shaped results:
//! a teacher (or a learner after the fact) sees exactly what a test checks.
use std::collections::BTreeMap;

use crate::curriculum::{Course, Exercise, SUITE_FILE};
use crate::report::Report;

/// The longest excerpt kept: a test longer than this is cut, with a marker.
const MAX_CODE: usize = 4000;

/// `test_code` for every test of `report` whose source can be found, keyed by the name
/// in the report. A stage's report holds earlier stages' tests: each is looked up in its
/// own stage's suite.
pub fn test_codes(course: &Course, exercise: &Exercise, report: &Report) -> BTreeMap<String, String> {
    let mut suites: Vec<(Option<String>, &Exercise)> = vec![(crate::score::stage_prefix(exercise), exercise)];
    if let Some(stage) = &exercise.stage {
        for id in &stage.earlier {
            if let Some(earlier) = course.curriculum.exercise(id) {
                suites.push((crate::score::stage_prefix(earlier), earlier));
            }
        }
    }
    let mut codes = BTreeMap::new();
    for (prefix, suite_owner) in suites {
        let Ok(source) = course.files.read_string(&format!("{}/{SUITE_FILE}", suite_owner.checks_rel())) else {
            continue;
        };
        for test in &report.tests {
            let name = match &prefix {
                Some(p) => match test.name.strip_prefix(p.as_str()) {
                    Some(rest) => rest,
                    None => continue,
                },
                None => test.name.as_str(),
            };
            let leaf = name.rsplit(" › ").next().unwrap_or(name);
            if let Some(code) = test_code(&source, leaf) {
                codes.insert(test.name.clone(), code);
            }
        }
    }
    codes
}

/// The call `test('leaf', …)` or `it('leaf', …)` in `source`, from its first line to
/// its closing parenthesis.
pub fn test_code(source: &str, leaf: &str) -> Option<String> {
    let start = ['\'', '"', '`'].iter().find_map(|q| {
        let literal = format!("{q}{leaf}{q}");
        source.match_indices(&literal).map(|(at, _)| at).find(|&at| {
            let before = source[..at].trim_end();
            before.ends_with("test(") || before.ends_with("it(")
        })
    })?;
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let open = source[..start].rfind('(')?;
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (offset, c) in source[open..].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let end = open + offset + 1;
                    let mut code = source[line_start..end].to_string();
                    if source[end..].starts_with(';') {
                        code.push(';');
                    }
                    if code.len() > MAX_CODE {
                        let cut = (0..=MAX_CODE).rev().find(|i| code.is_char_boundary(*i)).unwrap_or(0);
                        code.truncate(cut);
                        code.push_str("\n// …");
                    }
                    return Some(code);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::test_code;

    #[test]
    fn finds_a_test_with_strings_braces_and_nesting() {
        let source = "describe('sum', () => {\n  it('adds ) and }', { timeout: 1000 }, () => {\n    assert.equal(sum(1, 2), 3, 'a \\' quote');\n  });\n\n  it(\"other\", () => {});\n});\n";
        assert_eq!(
            test_code(source, "adds ) and }").unwrap(),
            "  it('adds ) and }', { timeout: 1000 }, () => {\n    assert.equal(sum(1, 2), 3, 'a \\' quote');\n  });"
        );
        assert_eq!(test_code(source, "other").unwrap(), "  it(\"other\", () => {});");
        assert_eq!(test_code(source, "missing"), None);
        assert_eq!(test_code("const x = 'other';", "other"), None, "only a test's name counts");
    }
}
