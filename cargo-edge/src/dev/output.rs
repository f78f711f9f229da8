//! workerd's recent output lines, numbered, shared by the supervisor (which fills it), the crash
//! report, and the front proxy (which reads what workerd said while a request was in flight).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many lines are kept.
const KEPT: usize = 80;

#[derive(Default)]
struct Lines {
    kept: VecDeque<(Instant, String)>,
    /// Lines pushed since the start, kept or not.
    total: u64,
}

/// A handle to one workerd's output; clones share it.
#[derive(Clone, Default)]
pub struct Output(Arc<Mutex<Lines>>);

impl Output {
    fn lock(&self) -> std::sync::MutexGuard<'_, Lines> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, line: String) {
        let mut lines = self.lock();
        if lines.kept.len() == KEPT {
            lines.kept.pop_front();
        }
        lines.kept.push_back((Instant::now(), line));
        lines.total += 1;
    }

    /// The number of lines pushed so far: a mark for [`Self::since`].
    pub fn mark(&self) -> u64 {
        self.lock().total
    }

    /// The kept lines pushed after `mark`.
    pub fn since(&self, mark: u64) -> Vec<String> {
        let lines = self.lock();
        let first = lines.total - lines.kept.len() as u64;
        let skip = mark.saturating_sub(first) as usize;
        lines
            .kept
            .iter()
            .skip(skip)
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// The kept lines printed in the last `window`.
    pub fn recent(&self, window: Duration) -> Vec<String> {
        let lines = self.lock();
        let now = Instant::now();
        let recent = |at: &Instant| now.duration_since(*at) <= window;
        lines
            .kept
            .iter()
            .filter(|(at, _)| recent(at))
            .map(|(_, l)| l.clone())
            .collect()
    }

    /// Every kept line.
    pub fn lines(&self) -> Vec<String> {
        self.since(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_since_a_mark() {
        let output = super::Output::default();
        output.push("a".into());
        let mark = output.mark();
        output.push("b".into());
        assert_eq!(output.since(mark), ["b"]);
        for i in 0..200 {
            output.push(i.to_string());
        }
        assert_eq!(output.lines().len(), super::KEPT);
        assert_eq!(output.since(output.mark()), Vec::<String>::new());
        assert_eq!(
            output.recent(std::time::Duration::from_secs(60)).len(),
            super::KEPT
        );
        assert!(output.recent(std::time::Duration::ZERO).len() < super::KEPT);
    }
}
