//! Certifying an image layout, or an oci-archive of one, written by any tool, against the
//! image-spec 1.1: one case per quoted sentence of image-layout.md, descriptor.md,
//! image-index.md, manifest.md, config.md, annotations.md and layer.md.
//!
//! The subject is the layout directory (an archive is first unpacked, as it is, into a fresh
//! directory). Its observation is read once and shared by the cases: every entry under
//! `blobs/` hashed, every document and descriptor reachable from `index.json` read as raw
//! JSON (so one broken field does not hide the others), and — for the layer cases — every
//! layer of every image decompressed as its media type says and its tar entries listed. Each
//! case picks what its sentence is about and judges it with a pure function; a case that finds
//! offenders in many blobs says how many and shows the first few.
//!
//! ```no_run
//! use carrack_conformance::{Format, RunOptions};
//! use carrack_conformance::image::{ImageSubject, certify};
//!
//! let subject = ImageSubject::open("/tmp/image.tar".as_ref(), None)?;
//! let report = certify(&subject, &RunOptions::default());
//! print!("{}", report.render(Format::Text));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use carrack_spec::Rule;

use crate::case::{Case, Verdict};
use crate::report::Report;
use crate::runner::RunOptions;

mod annotations;
mod archive;
mod changes;
mod config;
mod descriptor;
mod layer;
mod layout;
mod manifest;
mod scan;
mod tarscan;
mod walk;

use scan::Scan;
use tarscan::Layer;

/// The layout under test.
#[derive(Debug)]
pub struct ImageSubject {
    source: PathBuf,
    dir: PathBuf,
    extracted: bool,
    scan: OnceLock<Scan>,
    layers: OnceLock<Vec<Layer>>,
}

impl ImageSubject {
    /// The layout at `path`: a directory, or an oci-archive (a tar file), which is unpacked
    /// into a fresh directory under `work` (the system's temporary directory when `None`),
    /// removed when the subject is dropped. An archive with an entry that is not a file or a
    /// directory, or whose name is absolute or has `..`, is refused.
    pub fn open(path: &Path, work: Option<&Path>) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let (dir, extracted) = if meta.is_dir() {
            (path.to_path_buf(), false)
        } else {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let parent = work.map_or_else(std::env::temp_dir, Path::to_path_buf);
            std::fs::create_dir_all(&parent)?;
            let dir = parent.join(format!(
                "carrack-certify-image-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            if let Err(e) = archive::extract(path, &dir) {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", path.display()),
                ));
            }
            (dir, true)
        };
        Ok(Self {
            source: path.to_path_buf(),
            dir,
            extracted,
            scan: OnceLock::new(),
            layers: OnceLock::new(),
        })
    }

    /// The layout directory (where an archive was unpacked).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What was given: the directory or the archive.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The layout as read (once, by the first case that needs it).
    pub(crate) fn scan(&self) -> &Scan {
        self.scan.get_or_init(|| Scan::read(&self.dir))
    }

    /// The images' layers as read (once).
    pub(crate) fn layers(&self) -> &[Layer] {
        self.layers
            .get_or_init(|| tarscan::read_layers(&self.dir, self.scan()))
    }
}

impl Drop for ImageSubject {
    fn drop(&mut self) {
        if self.extracted {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Every image case, in order: layout, descriptors, indexes, manifests, configurations,
/// annotations, layers.
pub fn cases() -> Vec<Case<ImageSubject>> {
    let mut all = layout::cases();
    all.extend(descriptor::cases());
    all.extend(manifest::cases());
    all.extend(config::cases());
    all.extend(annotations::cases());
    all.extend(layer::cases());
    all
}

/// Runs the cases `opts` selects against `subject`.
pub fn certify(subject: &ImageSubject, opts: &RunOptions) -> Report {
    let all = cases();
    let results = crate::runner::run(&all, subject, opts);
    let what = if subject.extracted {
        format!(
            "{} (oci-archive, unpacked at {})",
            subject.source.display(),
            subject.dir.display()
        )
    } else {
        format!("{} (image layout)", subject.source.display())
    };
    Report {
        subject: what,
        results,
        leftovers: Vec::new(),
    }
}

/// A rule of the image-spec.
pub(crate) const fn rule(
    chapter: &'static str,
    section: &'static str,
    quote: &'static str,
) -> Rule {
    Rule::image(chapter, section, quote)
}

/// The first three of `items`, and how many more there are.
pub(crate) fn few(items: &[String]) -> String {
    let mut s = items.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > 3 {
        s.push_str(&format!(" (and {} more)", items.len() - 3));
    }
    s
}

/// Passes with `ok` when nothing is in `bad`, else fails naming the count and the first few.
pub(crate) fn verdict(bad: &[String], ok: impl Into<String>) -> Verdict {
    if bad.is_empty() {
        Verdict::pass(ok)
    } else {
        Verdict::fail(format!("{} found: {}", bad.len(), few(bad)))
    }
}

/// Whether `s` is an RFC 3339 § 5.6 `date-time` (`T` and `Z` in either case, seconds up to
/// 60 for a leap second, the day valid for its month).
pub(crate) fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        if d.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(d).ok()?.parse().ok()
        } else {
            None
        }
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let (Some(y), Some(m), Some(d), Some(hh), Some(mm), Some(ss)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if d == 0 || d > days || hh > 23 || mm > 59 || ss > 60 {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let start = i;
        while at(i, b"0123456789") {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && at(i + 3, b":")
                && num(i + 1..i + 3).is_some_and(|h| h <= 23)
                && num(i + 4..i + 6).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

/// The judge of the case `id` (for the unit tests of judges written inline).
#[cfg(test)]
pub(crate) fn judge_of(id: &str) -> fn(&serde_json::Value) -> Verdict {
    cases()
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.judge)
        .unwrap_or_else(|| panic!("no case {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_date_times() {
        for ok in [
            "2015-10-31T22:22:56.015925234Z",
            "1985-04-12T23:20:50.52Z",
            "1996-12-19T16:39:57-08:00",
            "1990-12-31T23:59:60Z",
            "2024-02-29t00:00:00z",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2015-10-31 22:22:56Z",
            "2015-10-31T22:22:56",
            "2023-02-29T00:00:00Z",
            "2015-13-01T00:00:00Z",
            "2015-10-31T22:22:56.Z",
            "2015-10-31T22:22:56+0100",
            "yesterday",
            "",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn few_shows_three_and_counts_the_rest() {
        let items: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        assert_eq!(few(&items), "1; 2; 3 (and 2 more)");
        assert_eq!(verdict(&[], "fine"), Verdict::pass("fine"));
        assert_eq!(verdict(&items[..1], "fine"), Verdict::fail("1 found: 1"));
    }

    #[test]
    fn ids_are_unique_and_under_image() {
        let all = cases();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        assert!(ids.iter().all(|i| i.starts_with("image/")));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }
}
