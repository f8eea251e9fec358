//! The roadmap map: every phase with its progress, every exercise with its status.
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::Theme;
use crate::curriculum::Kind;
use crate::render::human::phase_label;
use crate::watch::state::{AppState, Mark, mark};

const BAR: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let [top, list, detail] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let (done, total) = state.overall();
    let mut head = vec![
        Span::styled(" Roadmap ", theme.accent()),
        Span::styled(format!(" {done}/{total} done "), theme.bold()),
        Span::styled(format!(" filter: {} ", state.map.filter.label()), theme.dim()),
    ];
    if state.map.searching || !state.map.search.is_empty() {
        head.push(Span::styled(format!(" /{}", state.map.search), theme.warn()));
        if state.map.searching {
            head.push(Span::styled("▏", theme.warn()));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(head)), top);

    let (lines, selected_line) = rows(state, theme, list.width as usize);
    // Keep the selection in view: scroll so it sits in the middle third.
    let height = list.height as usize;
    let scroll = selected_line.saturating_sub(height / 3).min(lines.len().saturating_sub(height));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), list);
    draw_detail(frame, detail, state, theme);
}

/// The map's lines, and which line holds the selected exercise.
fn rows(state: &AppState, theme: &Theme, width: usize) -> (Vec<Line<'static>>, usize) {
    let visible = state.visible_exercises();
    let curriculum = &state.course.curriculum;
    let id_width = curriculum.exercises.iter().map(|e| e.id.len()).max().unwrap_or(10);
    let mut lines = Vec::new();
    let mut selected_line = 0;
    for phase in &curriculum.phases {
        let in_phase: Vec<usize> =
            visible.iter().copied().filter(|&i| curriculum.exercises[i].phase == phase.id).collect();
        if in_phase.is_empty() && (!state.map.search.is_empty() || state.map.filter != Default::default()) {
            continue;
        }
        let (done, total) = state.phase_done(&phase.id);
        let filled = (done * BAR).checked_div(total).unwrap_or(0);
        let complete = total > 0 && done == total;
        let label = phase_label(curriculum, &phase.id);
        let pad = width.saturating_sub(label.len() + BAR + 12).min(40);
        lines.push(Line::from(vec![
            Span::styled(format!(" {label}{}", " ".repeat(pad)), theme.heading()),
            Span::styled("█".repeat(filled), theme.ok()),
            Span::styled("░".repeat(BAR - filled), theme.dim()),
            Span::styled(format!(" {done}/{total}"), theme.bold()),
            Span::styled(if complete { " ★ complete" } else { "" }.to_string(), theme.ok()),
        ]));
        for i in in_phase {
            let e = &curriculum.exercises[i];
            let position = visible.iter().position(|&v| v == i).unwrap_or(usize::MAX);
            let is_selected = position == state.map.selected;
            if is_selected {
                selected_line = lines.len();
            }
            let (symbol, style) = match mark(state, e) {
                Mark::Done => ("✓", theme.ok()),
                Mark::Failing => ("✗", theme.bad()),
                Mark::NotStarted => ("·", theme.dim()),
                Mark::NeedsService => ("◆", theme.warn()),
            };
            let pointer = if i == state.current { "▸" } else { " " };
            let project = match &e.stage {
                Some(stage) => format!(" [stage {}/{}]", stage.number, stage.count),
                None if e.kind == Kind::Project => " [project]".to_string(),
                None => String::new(),
            };
            let needs = state.needs_service.get(&e.id).map(|_| {
                let names: Vec<&str> = e.services.iter().map(|s| s.name()).collect();
                format!(" (needs {})", names.join(", "))
            });
            let mut line = Line::from(vec![
                Span::raw(format!("  {pointer}")),
                Span::styled(format!("{symbol} "), style),
                Span::raw(format!("{:id_width$}  ", e.id)),
                Span::styled(format!("{}{project}{}", e.title, needs.unwrap_or_default()), theme.dim()),
            ]);
            if is_selected {
                line = line.style(theme.selected());
            }
            lines.push(line);
        }
    }
    if visible.is_empty() {
        lines.push(Line::styled("  nothing matches; esc clears the search, f changes the filter", theme.warn()));
    }
    (lines, selected_line)
}

/// The selected exercise's phase: its goal and the production code worth reading.
fn draw_detail(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let visible = state.visible_exercises();
    let Some(&index) = visible.get(state.map.selected) else { return };
    let e = &state.course.curriculum.exercises[index];
    let Some(phase) = state.course.curriculum.phase(&e.phase) else { return };
    let mut lines = vec![Line::from(vec![Span::styled("goal: ", theme.bold()), Span::raw(phase.goal.clone())])];
    for r in phase.reading.iter().take(2) {
        lines.push(Line::from(vec![
            Span::styled("read: ", theme.bold()),
            Span::raw(format!("{} — {}", r.title, r.why)),
        ]));
    }
    let block = Block::new().borders(Borders::TOP).border_style(theme.dim());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(block), area);
}
