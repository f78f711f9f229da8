//! workerd's recent output lines, numbered, shared by the supervisor (which fills it), the crash
//! report, and the front proxy (which reads what workerd said while a request was in flight).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many lines are kept.
const KEPT: usize = 80;

#[derive(Default)]
struct Lines {
    kept: VecDeque<String>,
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
        lines.kept.push_back(line);
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
        lines.kept.iter().skip(skip).cloned().collect()
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
    }
}
