//! The opt-in timing log (`ROADMAP_TIMING_LOG=FILE`): one JSON line per verdict with
//! the time from the learner's save (the file's modification time) to the verdict
//! being on screen. The benchmark reads it; nothing else writes to it.
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct TimingLog {
    file: File,
    saves: HashMap<u64, SystemTime>,
}

impl TimingLog {
    pub fn from_env() -> Option<TimingLog> {
        let path = std::env::var_os("ROADMAP_TIMING_LOG")?;
        let file = OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some(TimingLog { file, saves: HashMap::new() })
    }

    /// Run `run` was started by a save at `saved`.
    pub fn started(&mut self, run: u64, saved: SystemTime) {
        self.saves.insert(run, saved);
    }

    /// The verdict of `run` has just been drawn.
    pub fn rendered(&mut self, run: u64, exercise: &str, status: &str) {
        let Some(saved) = self.saves.remove(&run) else { return };
        let now = SystemTime::now();
        let ms = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let latency = now.duration_since(saved).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let line = serde_json::json!({
            "exercise": exercise, "run": run, "status": status,
            "saved_ms": ms(saved), "rendered_ms": ms(now), "latency_ms": latency,
        });
        // One write per line, so a reader never sees half of one.
        let _ = self.file.write_all(format!("{line}\n").as_bytes());
    }
}
