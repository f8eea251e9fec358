//! A readable difference between an assertion's expected and actual values: a line
//! diff for objects and multi-line text, the first differing character for long
//! single-line strings.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    /// Only in the expected value.
    Expected(String),
    /// Only in the actual value.
    Actual(String),
    /// Points at the first differing character of the line above.
    Caret(usize),
}

/// Lines to show for `expected` versus `actual` (both rendered by Node's inspector).
pub fn diff(expected: &str, actual: &str) -> Vec<DiffLine> {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    if e.len() <= 1 && a.len() <= 1 {
        let (e, a) = (e.first().copied().unwrap_or(""), a.first().copied().unwrap_or(""));
        let mut out = vec![DiffLine::Expected(e.to_string()), DiffLine::Actual(a.to_string())];
        if let Some(at) = first_difference(e, a).filter(|_| e.chars().count() > 20 || a.chars().count() > 20) {
            out.push(DiffLine::Caret(at));
        }
        return out;
    }
    line_diff(&e, &a)
}

fn first_difference(a: &str, b: &str) -> Option<usize> {
    let mut chars = a.chars().zip(b.chars()).enumerate();
    match chars.find(|(_, (x, y))| x != y) {
        Some((i, _)) => Some(i),
        None if a.chars().count() != b.chars().count() => Some(a.chars().count().min(b.chars().count())),
        None => None,
    }
}

/// A longest-common-subsequence line diff; values in assertion messages are small.
fn line_diff(e: &[&str], a: &[&str]) -> Vec<DiffLine> {
    let (n, m) = (e.len(), a.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if e[i] == a[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && e[i] == a[j] {
            out.push(DiffLine::Same(e[i].to_string()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(DiffLine::Expected(e[i].to_string()));
            i += 1;
        } else {
            out.push(DiffLine::Actual(a[j].to_string()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use DiffLine::*;

    #[test]
    fn objects_differ_line_by_line() {
        let d = diff("{\n  a: 1,\n  b: 2\n}", "{\n  a: 1,\n  b: 3\n}");
        assert_eq!(
            d,
            [
                Same("{".into()),
                Same("  a: 1,".into()),
                Expected("  b: 2".into()),
                Actual("  b: 3".into()),
                Same("}".into())
            ]
        );
    }

    #[test]
    fn long_strings_point_at_the_first_difference() {
        let d = diff("'the quick brown fox jumps'", "'the quick brown cat jumps'");
        assert_eq!(d[2], Caret(17));
    }

    #[test]
    fn short_values_need_no_caret() {
        assert_eq!(diff("3", "0"), [Expected("3".into()), Actual("0".into())]);
    }
}
