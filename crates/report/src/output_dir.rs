//! An output directory replaced all at once: a run writes every file into a private staging
//! directory beside the target, then swaps it in, so the target holds either the previous
//! run's complete set or this run's — never a mix, never a stale file of a load that no longer
//! exists, and two runs into the same `--out` never share a half-written file. A directory
//! that holds files meshtwin did not write is never replaced.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The file whose presence marks a directory as a meshtwin output set.
pub const MARKER: &str = "summary.json";

/// Staging directories made by this process, for unique names.
static STAGED: AtomicU64 = AtomicU64::new(0);

/// Staging directories not yet committed or dropped, for [`abandon_all`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Remove every staging directory this process has not committed — what an interrupted run
/// does before it exits, so it leaves the previous output set as it was and nothing beside it.
pub fn abandon_all() {
    let live = LIVE.lock().map(|mut l| std::mem::take(&mut *l));
    for dir in live.unwrap_or_default() {
        let _ = fs::remove_dir_all(dir);
    }
}

fn forget(dir: &Path) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|d| d != dir);
    }
}

/// Whether `dir` may be replaced: it does not exist, is empty, or holds a meshtwin output set
/// (a `summary.json`, or a `compare.json` / `report.html` of the other commands).
pub fn check_replaceable(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(m) if !m.is_dir() => {
            return Err(io::Error::other(format!(
                "{} exists and is not a directory",
                dir.display()
            )))
        }
        Ok(_) => {}
    }
    let owned = [MARKER, "compare.json", "report.html"]
        .iter()
        .any(|f| dir.join(f).is_file());
    if owned || fs::read_dir(dir)?.next().is_none() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "refusing to replace {}: it holds files meshtwin did not write (no {MARKER})",
            dir.display()
        )))
    }
}

/// A staging directory for `target`'s new contents.
pub struct Staging {
    target: PathBuf,
    dir: PathBuf,
}

impl Staging {
    /// Check that `target` may be replaced and that its parent is writable, and make the
    /// staging directory beside it (`.<name>.partial-<pid>-<n>`).
    pub fn new(target: &Path) -> io::Result<Staging> {
        check_replaceable(target)?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::other(format!("{} names no directory", target.display())))?
            .to_string_lossy()
            .into_owned();
        let n = STAGED.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!(".{name}.partial-{}-{n}", std::process::id()));
        fs::create_dir(&dir)?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(dir.clone());
        }
        Ok(Staging {
            target: target.to_path_buf(),
            dir,
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Swap the staged files in for the target's, and return the files now in the target,
    /// sorted. Runs committing to the same target at once each replace it whole, the last
    /// one winning.
    pub fn commit(self) -> io::Result<Vec<String>> {
        let name = self.dir.file_name().expect("staging has a name");
        let old = self
            .dir
            .with_file_name(name.to_string_lossy().replace(".partial-", ".old-"));
        for _ in 0..RACE_RETRIES {
            check_replaceable(&self.target)?;
            let had_old = match fs::rename(&self.target, &old) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            match fs::rename(&self.dir, &self.target) {
                Ok(()) => {
                    if had_old {
                        fs::remove_dir_all(&old)?;
                    }
                    return list_files(&self.target);
                }
                // Another run put its set in place between the two renames: go again.
                Err(_) if self.target.exists() => {
                    if had_old {
                        fs::remove_dir_all(&old)?;
                    }
                    std::thread::yield_now();
                }
                Err(e) => {
                    if had_old {
                        let _ = fs::rename(&old, &self.target);
                    }
                    return Err(e);
                }
            }
        }
        Err(io::Error::other(format!(
            "other runs kept replacing {} at the same time; this run's outputs were not written",
            self.target.display()
        )))
    }
}

/// Attempts at swapping a staging directory in while other runs swap theirs.
const RACE_RETRIES: usize = 1000;

fn list_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut files: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(files)
}

impl Drop for Staging {
    /// An abandoned staging directory (an error while writing) is removed; after a commit
    /// there is nothing left to remove.
    fn drop(&mut self) {
        forget(&self.dir);
        let _ = fs::remove_dir_all(&self.dir);
    }
}
