//! Watching the worker's sources (its crate and its path dependencies) for saves.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{Event, EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Folders a change in which never needs a rebuild.
const IGNORED: &[&str] = &["target", ".git", ".edge", "node_modules"];

/// A live watcher; dropping it stops watching.
pub struct SourceWatcher {
    _watcher: notify::RecommendedWatcher,
    changes: mpsc::UnboundedReceiver<PathBuf>,
}

impl SourceWatcher {
    /// Watch every folder in `roots`, recursively.
    pub fn new(roots: &[PathBuf]) -> notify::Result<SourceWatcher> {
        let (sender, changes) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
            let Ok(event) = event else { return };
            if !matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) {
                return;
            }
            for path in event.paths.into_iter().filter(|p| relevant(p)) {
                let _ = sender.send(path);
            }
        })?;
        for root in roots {
            watcher.watch(root, RecursiveMode::Recursive)?;
        }
        Ok(SourceWatcher {
            _watcher: watcher,
            changes,
        })
    }

    /// Wait for a change, then for the burst of events a save makes to settle (`quiet`).
    /// Returns the changed paths, or `None` when the watcher is gone.
    pub async fn next_change(&mut self, quiet: Duration) -> Option<Vec<PathBuf>> {
        let first = self.changes.recv().await?;
        let mut paths = vec![first];
        while let Ok(Some(path)) = tokio::time::timeout(quiet, self.changes.recv()).await {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        Some(paths)
    }
}

/// Whether a change to `path` can change the build: not in build output, not an editor's
/// swap or backup file.
pub fn relevant(path: &Path) -> bool {
    let ignored_dir = path
        .components()
        .any(|c| IGNORED.iter().any(|i| c.as_os_str() == *i));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let scratch = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name == "4913"
        || is_sed_temporary(name);
    !ignored_dir && !scratch
}

/// `sed -i` writes `sedXXXXXX` (six random letters and digits) beside the file, then renames it.
fn is_sed_temporary(name: &str) -> bool {
    name.strip_prefix("sed")
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_and_editor_scratch_files_are_ignored() {
        assert!(relevant(Path::new("/w/api/src/lib.rs")));
        assert!(relevant(Path::new("/w/api/Cargo.toml")));
        assert!(!relevant(Path::new("/w/api/target/debug/x.rlib")));
        assert!(!relevant(Path::new("/w/api/.edge/state/kv.sqlite")));
        assert!(!relevant(Path::new("/w/api/src/.lib.rs.swp")));
        assert!(!relevant(Path::new("/w/api/src/lib.rs~")));
        assert!(!relevant(Path::new("/w/api/src/sedAb12Cd")));
        assert!(!relevant(Path::new("/w/api/src/#lib.rs#")));
        assert!(!relevant(Path::new("/w/api/src/lib.rs___jb_tmp___")));
        assert!(relevant(Path::new("/w/api/src/sed.rs")));
    }

    #[tokio::test]
    async fn a_save_is_reported_once_after_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        let mut watcher = SourceWatcher::new(&[dir.path().to_path_buf()]).unwrap();
        let file = dir.path().join("src/lib.rs");
        std::fs::write(&file, "a").unwrap();
        std::fs::write(&file, "ab").unwrap();
        let changes = tokio::time::timeout(
            Duration::from_secs(10),
            watcher.next_change(Duration::from_millis(100)),
        )
        .await
        .expect("a change is seen")
        .unwrap();
        assert!(
            changes.iter().any(|p| p.ends_with("src/lib.rs")),
            "{changes:?}"
        );
    }
}
