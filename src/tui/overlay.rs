//! Boxes drawn over a screen: help, the reset question, and the reference solution.
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Theme;
use crate::watch::state::Overlay;

/// Every key of watch mode, listed once: the help overlay renders this table.
pub const KEYS: &[(&str, &str)] = &[
    ("n", "next exercise (after a pass)"),
    ("p", "previous exercise"),
    ("h", "one more hint"),
    ("l", "the roadmap map (and back)"),
    ("r", "run the tests again"),
    ("x", "reset the exercise to its starter (asks first)"),
    ("s", "show the reference solution (after a pass)"),
    ("?", "this help"),
    ("q", "quit (also Ctrl-C)"),
    ("map: ↑↓ j k", "move; PgUp/PgDn to jump"),
    ("map: enter", "open the selected exercise"),
    ("map: /", "search by id or title"),
    ("map: f", "filter: all, pending, done"),
];

pub fn draw(frame: &mut Frame, overlay: &Overlay, theme: &Theme) {
    let area = frame.area();
    match overlay {
        Overlay::Help => {
            let mut lines: Vec<Line> = KEYS
                .iter()
                .map(|(key, what)| {
                    Line::from(vec![Span::styled(format!("{key:>12}  "), theme.key()), Span::raw(*what)])
                })
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("Saving any file of the exercise grades it again.", theme.dim()));
            lines.push(Line::styled("Press any key to close.", theme.dim()));
            boxed(frame, centered(area, 64, lines.len() as u16 + 2), " Keys ", lines, theme);
        }
        Overlay::ConfirmReset(id) => {
            let lines = vec![
                Line::raw(format!("Reset {id} to its starter files?")),
                Line::styled("Your current files are backed up in .roadmap/backup/ first.", theme.dim()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(" y ", theme.key()),
                    Span::raw("reset   "),
                    Span::styled(" any other key ", theme.key()),
                    Span::raw("keep my files"),
                ]),
            ];
            boxed(frame, centered(area, 62, 6), " Reset? ", lines, theme);
        }
        Overlay::Solution { exercise, path, text } => {
            let mut lines = vec![Line::styled(format!("Written to {path}"), theme.dim()), Line::raw("")];
            lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
            let height = area.height.saturating_sub(2).max(3);
            boxed(
                frame,
                centered(area, area.width.saturating_sub(4).min(100), height),
                &format!(" Reference solution · {exercise} "),
                lines,
                theme,
            );
        }
    }
}

fn boxed(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title.to_string(), theme.accent()))
        .border_style(theme.accent());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    cell
}
