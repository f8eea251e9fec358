//! The watch-mode screens. Every view is a function of `&AppState` that draws into a
//! ratatui `Frame` and does no I/O, so each screen is snapshot-tested.
mod diff;
mod exercise;
mod map;
mod overlay;
mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::watch::state::{AppState, Screen};
pub use theme::Theme;

/// Draws the whole screen for `state`.
pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme) {
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(frame.area());
    match state.screen {
        Screen::Exercise => exercise::draw(frame, body, state, theme),
        Screen::Map => map::draw(frame, body, state, theme),
    }
    frame.render_widget(Paragraph::new(footer_line(state, theme)), footer);
    if let Some(overlay) = &state.overlay {
        overlay::draw(frame, overlay, theme);
    }
}

/// The keys of the current screen; the rest are in the help overlay (`?`).
fn footer_line(state: &AppState, theme: &Theme) -> Line<'static> {
    let keys: &[(&str, &str)] = match state.screen {
        Screen::Exercise => &[
            ("n", "next"),
            ("p", "prev"),
            ("h", "hint"),
            ("l", "map"),
            ("r", "rerun"),
            ("x", "reset"),
            ("s", "solution"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Screen::Map if state.map.searching => &[("type", "search"), ("enter", "done"), ("esc", "clear")],
        Screen::Map => &[
            ("↑↓", "move"),
            ("enter", "open"),
            ("/", "search"),
            ("f", "filter"),
            ("l", "back"),
            ("?", "help"),
            ("q", "quit"),
        ],
    };
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::styled(format!(" {what} "), theme.dim()));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests;
