//! `carrack image unpack|bundle|commit`: rootfs and bundles from a layout, and changes back.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carrack_image::{ImageLocation, Layout, PlatformMatcher, Resolved};
use carrack_spec::Document;
use carrack_spec::image::Compression;
use carrack_spec::runtime::Spec;
use carrack_unpack::{
    ApplyOptions, Base, BundleOptions, CommitOptions, IdMap, IdRange, Progress, TREE_FILE, Tree,
};
use serde_json::json;

/// Options shared by `unpack` and `bundle`.
#[derive(Debug, clap::Args)]
pub(crate) struct UnpackArgs {
    /// The platform, os[(os.version)]/arch[/variant] (e.g. linux/arm64, linux/amd64/v3); the
    /// host's by default, its x86-64 level detected.
    #[arg(long)]
    platform: Option<PlatformMatcher>,
    /// Unpack without privilege: owners mapped through --uid-map/--gid-map (container root to
    /// the caller by default), device nodes as empty files, privileged xattrs skipped.
    #[arg(long)]
    rootless: bool,
    /// A uid mapping container:host:size, size 1 if left out (repeatable).
    #[arg(long = "uid-map", value_name = "MAP")]
    uid_map: Vec<IdRange>,
    /// A gid mapping container:host:size, size 1 if left out (repeatable).
    #[arg(long = "gid-map", value_name = "MAP")]
    gid_map: Vec<IdRange>,
    /// Most uncompressed bytes of the whole image.
    #[arg(long, value_name = "BYTES")]
    max_bytes: Option<u64>,
    /// Most uncompressed bytes per compressed byte of a layer.
    #[arg(long, value_name = "N")]
    max_ratio: Option<u64>,
    /// Most entries in all layers.
    #[arg(long, value_name = "N")]
    max_entries: Option<u64>,
    /// Never show a progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

/// Errors of these commands.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Layout(#[from] carrack_image::Error),
    #[error(transparent)]
    Unpack(#[from] carrack_unpack::UnpackError),
    #[error(transparent)]
    Bundle(#[from] carrack_unpack::BundleError),
    #[error(transparent)]
    Tree(#[from] carrack_unpack::TreeError),
    #[error(transparent)]
    Diff(#[from] carrack_unpack::DiffError),
    #[error(transparent)]
    Commit(#[from] carrack_unpack::CommitError),
    #[error("{0}")]
    Usage(String),
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Base {
        path: PathBuf,
        source: carrack_spec::ParseError,
    },
}

fn resolve(
    r: &ImageLocation,
    platform: Option<&PlatformMatcher>,
) -> Result<(Layout, Resolved), CliError> {
    match platform {
        Some(matcher) => Ok(r.resolve(matcher)?),
        None => Ok(r.resolve(&PlatformMatcher::host())?),
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
fn progress_bar() -> carrack_unpack::ProgressFn {
    let last = Mutex::new(Instant::now() - Duration::from_secs(1));
    Arc::new(move |p: &Progress| {
        let Ok(mut last) = last.lock() else { return };
        let done = p.compressed_total > 0 && p.compressed_bytes >= p.compressed_total;
        if last.elapsed() < Duration::from_millis(100) && !done {
            return;
        }
        *last = Instant::now();
        let pct = (p.compressed_bytes * 100)
            .checked_div(p.compressed_total)
            .unwrap_or(0)
            .min(100);
        let filled = usize::try_from(pct * 30 / 100).unwrap_or(0);
        let bar = format!("{}{}", "=".repeat(filled), " ".repeat(30 - filled));
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{bar}] {pct:>3}%  layer {}/{}  {:.1} MiB  {} entries ",
            (p.layer + 1).min(p.layers.max(1)),
            p.layers,
            p.bytes as f64 / 1048576.0,
            p.entries
        );
        let _ = err.flush();
    })
}

fn apply_options(a: &UnpackArgs) -> ApplyOptions {
    let mut opts = ApplyOptions::default();
    let mut map = IdMap {
        uids: a.uid_map.clone(),
        gids: a.gid_map.clone(),
    };
    if a.rootless {
        if map.uids.is_empty() {
            map.uids.push(IdRange {
                container: 0,
                host: nix::unistd::geteuid().as_raw(),
                size: 1,
            });
        }
        if map.gids.is_empty() {
            map.gids.push(IdRange {
                container: 0,
                host: nix::unistd::getegid().as_raw(),
                size: 1,
            });
        }
        opts = ApplyOptions::rootless(map);
    } else if !map.uids.is_empty() || !map.gids.is_empty() {
        opts.id_map = Some(map);
    }
    if let Some(n) = a.max_bytes {
        opts.limits.max_total_bytes = n;
    }
    if let Some(n) = a.max_ratio {
        opts.limits.max_ratio = n;
    }
    if let Some(n) = a.max_entries {
        opts.limits.max_entries = n;
    }
    if !a.quiet && !a.json && std::io::stderr().is_terminal() {
        opts.progress = Some(progress_bar());
    }
    opts
}

fn finish_bar(opts: &ApplyOptions) {
    if opts.progress.is_some() {
        eprintln!();
    }
}

fn summary(
    what: &str,
    dest: &Path,
    image: &Resolved,
    s: &carrack_unpack::LayerStats,
    as_json: bool,
) {
    if as_json {
        println!(
            "{}",
            json!({
                "path": dest, "manifest": image.descriptor.digest, "layers": image.manifest.layers.len(),
                "entries": s.entries, "bytes": s.bytes, "whiteouts": s.whiteouts,
                "placeholders": s.placeholders, "skippedMetadata": s.skipped_metadata,
            })
        );
    } else {
        println!(
            "{what} {} ({} layers) into {}: {} entries, {} bytes, {} whiteouts{}",
            image.descriptor.digest,
            image.manifest.layers.len(),
            dest.display(),
            s.entries,
            s.bytes,
            s.whiteouts,
            if s.placeholders + s.skipped_metadata > 0 {
                format!(
                    "; rootless: {} device placeholders, {} owners/xattrs skipped",
                    s.placeholders, s.skipped_metadata
                )
            } else {
                String::new()
            }
        );
    }
}

/// `carrack image unpack`.
pub(crate) fn unpack(
    image: &ImageLocation,
    dest: &Path,
    tree: Option<&Path>,
    a: &UnpackArgs,
) -> ExitCode {
    report((|| {
        let (layout, found) = resolve(image, a.platform.as_ref())?;
        let opts = apply_options(a);
        let stats = carrack_unpack::unpack(&layout, &found.manifest, dest, &opts);
        finish_bar(&opts);
        let stats = stats?;
        if let Some(t) = tree {
            let mut rec = Tree::record(dest)?;
            rec.manifest = Some(found.descriptor.digest.to_string());
            rec.save(t)?;
        }
        summary("unpacked", dest, &found, &stats, a.json);
        Ok(())
    })())
}

/// `carrack image bundle`.
pub(crate) fn bundle(
    image: &ImageLocation,
    dir: &Path,
    base: Option<&Path>,
    a: &UnpackArgs,
) -> ExitCode {
    report((|| {
        let base = match base {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| CliError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                Some(Spec::from_slice(&bytes).map_err(|source| CliError::Base {
                    path: path.to_path_buf(),
                    source,
                })?)
            }
            None => None,
        };
        let (layout, found) = resolve(image, a.platform.as_ref())?;
        let mut opts = BundleOptions::default();
        opts.apply = apply_options(a);
        opts.base = base;
        let made = carrack_unpack::bundle(&layout, &found, dir, &opts);
        finish_bar(&opts.apply);
        let made = made?;
        summary("bundled", dir, &found, &made.stats, a.json);
        Ok(())
    })())
}

/// Options of `commit`.
#[derive(Debug, clap::Args)]
pub(crate) struct CommitArgs {
    /// The tag of the new image.
    #[arg(long)]
    tag: Option<String>,
    /// What to compare with: a directory holding the base tree, or a tree record; by default
    /// the bundle's carrack.tree.
    #[arg(long, value_name = "PATH")]
    against: Option<PathBuf>,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = Compress::Gzip)]
    compression: Compress,
    /// Clamp file times to this (seconds); defaults to $SOURCE_DATE_EPOCH when set.
    #[arg(long, value_name = "SECONDS")]
    clamp_mtime: Option<i64>,
    /// The history entry's created_by.
    #[arg(long)]
    created_by: Option<String>,
    /// The history entry's comment.
    #[arg(long)]
    comment: Option<String>,
    /// The image author.
    #[arg(long)]
    author: Option<String>,
    /// Host uid to container uid, container:host:size (a rootless bundle's map).
    #[arg(long = "uid-map", value_name = "MAP")]
    uid_map: Vec<IdRange>,
    /// Host gid to container gid, container:host:size.
    #[arg(long = "gid-map", value_name = "MAP")]
    gid_map: Vec<IdRange>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

/// Layer compressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Compress {
    None,
    Gzip,
    Zstd,
}

/// `carrack image commit`.
pub(crate) fn commit(image: &ImageLocation, path: &Path, a: &CommitArgs) -> ExitCode {
    report((|| {
        let (layout, found) = resolve(image, None)?;
        let (rootfs, default_tree) = if path.join("rootfs").is_dir() {
            (path.join("rootfs"), Some(path.join(TREE_FILE)))
        } else {
            (path.to_path_buf(), None)
        };
        let against = a.against.clone().or(default_tree).ok_or_else(|| {
            CliError::Usage(format!(
                "{}: not a bundle (no rootfs/ and {TREE_FILE}); say what to compare with --against",
                path.display()
            ))
        })?;
        let diff = if against.is_dir() {
            carrack_unpack::diff(Base::Dir(&against), &rootfs)?
        } else {
            let tree = Tree::load(&against)?;
            if let Some(m) = &tree.manifest
                && m != found.descriptor.digest.as_str()
            {
                return Err(CliError::Usage(format!(
                    "{}: recorded from {m}, but {image} is {}",
                    against.display(),
                    found.descriptor.digest
                )));
            }
            carrack_unpack::diff(Base::Tree(&tree), &rootfs)?
        };
        let mut opts = CommitOptions::default();
        opts.compression = match a.compression {
            Compress::None => Compression::None,
            Compress::Gzip => Compression::Gzip,
            Compress::Zstd => Compression::Zstd,
        };
        opts.layer.clamp_mtime = a.clamp_mtime.or_else(|| {
            std::env::var("SOURCE_DATE_EPOCH")
                .ok()
                .and_then(|v| v.parse().ok())
        });
        opts.created = opts.layer.clamp_mtime;
        if !a.uid_map.is_empty() || !a.gid_map.is_empty() {
            opts.layer.id_map = Some(IdMap {
                uids: a.uid_map.clone(),
                gids: a.gid_map.clone(),
            });
        }
        if a.created_by.is_some() {
            opts.created_by.clone_from(&a.created_by);
        }
        opts.comment.clone_from(&a.comment);
        opts.author.clone_from(&a.author);
        opts.tag.clone_from(&a.tag);
        let done = carrack_unpack::commit(&layout, &found, &diff, &rootfs, &opts)?;
        if a.json {
            println!(
                "{}",
                json!({"manifest": done.manifest.digest, "config": done.config.digest,
                       "layer": done.layer.digest, "layerSize": done.layer.size,
                       "diffId": done.diff_id, "changes": diff.changes.len(), "tag": a.tag})
            );
        } else {
            println!(
                "committed {} changes as layer {} ({} bytes); manifest {}{}",
                diff.changes.len(),
                done.layer.digest,
                done.layer.size,
                done.manifest.digest,
                a.tag
                    .as_deref()
                    .map(|t| format!(" tagged {t}"))
                    .unwrap_or_default()
            );
        }
        Ok(())
    })())
}

fn report(r: Result<(), CliError>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carrack image: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::from(1)
        }
    }
}
