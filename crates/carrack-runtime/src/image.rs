//! `carrack image`: thin commands over carrack-image on a layout directory.
//!
//! Every command that takes an image spells it `LAYOUT:REF`, `LAYOUT@DIGEST` or `LAYOUT`
//! (carrack_image::ImageLocation: split at the first colon, as skopeo's `oci:` transport does),
//! and finds it by tag, Docker name (normalised as Docker does) or digest.

use std::path::PathBuf;
use std::process::ExitCode;

use carrack_image::{GcOptions, ImageLocation, Layout, PlatformMatcher, tag_of};
use carrack_spec::image::Descriptor;
use serde_json::json;

/// `carrack image` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create an empty OCI image layout (or complete a partial one).
    Init {
        /// The layout directory.
        layout: PathBuf,
    },
    /// List the entries of index.json.
    Ls {
        /// The layout directory.
        layout: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Tag the entry (or blob) an image reference names: `tag LAYOUT:REF NEWTAG` (or the
    /// older `tag LAYOUT REF NEWTAG`).
    #[command(
        override_usage = "carrack image tag <LAYOUT:REF> <NEWTAG>\n       carrack image tag <LAYOUT> <REF> <NEWTAG>"
    )]
    Tag {
        /// LAYOUT:REF or LAYOUT@DIGEST (REF a tag, Docker name or digest); or, before two
        /// more arguments, the layout directory.
        #[arg(value_name = "LAYOUT:REF")]
        image: String,
        /// The new tag, after REF when the layout is given alone.
        #[arg(required = true, num_args = 1..=2, value_name = "NEWTAG")]
        args: Vec<String>,
    },
    /// Remove a name from index.json: `untag LAYOUT:NAME` (or `untag LAYOUT NAME`); a Docker
    /// name removes every stored spelling of it.
    Untag {
        /// LAYOUT:NAME, or the layout directory when NAME follows.
        #[arg(value_name = "LAYOUT:NAME")]
        image: String,
        /// The tag or name, when the layout is given alone.
        #[arg(value_name = "NAME")]
        tag: Option<String>,
    },
    /// Resolve an image to the manifest for a platform and print its descriptor:
    /// `resolve LAYOUT:REF`, `resolve LAYOUT@DIGEST`, `resolve LAYOUT` (or `resolve LAYOUT REF`).
    Resolve {
        /// LAYOUT:REF, LAYOUT@DIGEST or LAYOUT; or the layout directory when REF follows.
        #[arg(value_name = "LAYOUT:REF")]
        image: String,
        /// A tag, Docker name or digest, when the layout is given alone.
        #[arg(value_name = "REF")]
        reference: Option<String>,
        /// The platform, os[(os.version)]/arch[/variant] (e.g. linux/arm64, linux/amd64/v3);
        /// the host's by default, its x86-64 level detected.
        #[arg(long)]
        platform: Option<PlatformMatcher>,
    },
    /// Check every reachable blob and document; exit 1 when anything is wrong.
    Fsck {
        /// The layout directory.
        layout: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Import an oci-archive (a tar of a layout; `-` reads standard input).
    Import {
        /// The layout directory (created if missing).
        layout: PathBuf,
        /// The archive.
        archive: PathBuf,
    },
    /// Export images (all of index.json when none is named) as an oci-archive.
    Export {
        /// LAYOUT, LAYOUT:REF or LAYOUT@DIGEST.
        #[arg(value_name = "LAYOUT:REF")]
        image: ImageLocation,
        /// Where to write the archive (`-` for standard output).
        archive: PathBuf,
        /// More tags, Docker names or digests.
        references: Vec<String>,
    },
    /// Import a `docker save` archive, converting it to OCI and keeping its tags.
    ImportDocker {
        /// The layout directory (created if missing).
        layout: PathBuf,
        /// The archive.
        archive: PathBuf,
    },
    #[cfg(target_os = "linux")]
    /// Unpack an image's layers into a root filesystem directory (verified, all or nothing).
    Unpack {
        /// LAYOUT:REF, LAYOUT@DIGEST or LAYOUT (tag latest, or the only image).
        #[arg(value_name = "LAYOUT:REF")]
        image: ImageLocation,
        /// The destination (must not exist or be empty).
        dest: PathBuf,
        /// Also record the unpacked tree here, for a later `commit --against`.
        #[arg(long, value_name = "FILE")]
        tree: Option<PathBuf>,
        #[command(flatten)]
        args: crate::unpack::UnpackArgs,
    },
    #[cfg(target_os = "linux")]
    /// Make an OCI runtime bundle: DIR/rootfs, DIR/config.json and DIR/carrack.tree.
    Bundle {
        /// LAYOUT:REF, LAYOUT@DIGEST or LAYOUT (tag latest, or the only image).
        #[arg(value_name = "LAYOUT:REF")]
        image: ImageLocation,
        /// The bundle directory (must not exist or be empty).
        dir: PathBuf,
        /// The config.json the image's configuration is applied to (runc's default, or its
        /// rootless form, when not given).
        #[arg(long, value_name = "CONFIG")]
        base: Option<PathBuf>,
        #[command(flatten)]
        args: crate::unpack::UnpackArgs,
    },
    #[cfg(target_os = "linux")]
    /// Commit the changes of a bundle (or a rootfs) as a new layer on top of the image it came
    /// from, and add the new image to the layout.
    Commit {
        /// The base image: LAYOUT:REF, LAYOUT@DIGEST or LAYOUT.
        #[arg(value_name = "LAYOUT:REF")]
        image: ImageLocation,
        /// A bundle directory (from `carrack image bundle`) or a rootfs directory.
        path: PathBuf,
        #[command(flatten)]
        args: crate::unpack::CommitArgs,
    },
    #[cfg(target_os = "linux")]
    /// Run an image as a container in one command: resolve, validate, snapshot (or unpack),
    /// convert, create, start, wait, delete; a timing per stage on stderr. Without an image,
    /// runs the embedded default (this carrack, reporting what it sees inside).
    Run(crate::image_run::RunArgs),
    #[cfg(target_os = "linux")]
    /// The layer snapshots `run` mounts containers on: ls, rm, prune, release.
    #[command(subcommand)]
    Snapshots(crate::snapshots_cli::Command),
    /// Remove blobs nothing reachable refers to.
    Gc {
        /// The layout directory.
        layout: PathBuf,
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// Keep unreachable blobs younger than this many seconds.
        #[arg(long, default_value_t = 600)]
        grace: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

fn platform_text(d: &Descriptor) -> String {
    d.platform
        .as_ref()
        .map_or_else(String::new, ToString::to_string)
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("carrack image: {e}");
    ExitCode::from(1)
}

/// Runs a `carrack image` command.
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
pub(crate) fn run(cmd: Command, global: &crate::lifecycle::Global) -> ExitCode {
    match cmd {
        #[cfg(target_os = "linux")]
        Command::Run(args) => return crate::image_run::run(&args, global),
        #[cfg(target_os = "linux")]
        Command::Snapshots(cmd) => return crate::snapshots_cli::run(cmd),
        #[cfg(target_os = "linux")]
        Command::Unpack {
            image,
            dest,
            tree,
            args,
        } => return crate::unpack::unpack(&image, &dest, tree.as_deref(), &args),
        #[cfg(target_os = "linux")]
        Command::Bundle {
            image,
            dir,
            base,
            args,
        } => return crate::unpack::bundle(&image, &dir, base.as_deref(), &args),
        #[cfg(target_os = "linux")]
        Command::Commit { image, path, args } => {
            return crate::unpack::commit(&image, &path, &args);
        }
        _ => {}
    }
    match try_run(cmd) {
        Ok(code) => code,
        Err(e) => fail(e),
    }
}

/// Errors of these commands.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Layout(#[from] carrack_image::Error),
    #[error(transparent)]
    Reference(#[from] carrack_image::ReferenceError),
}

fn try_run(cmd: Command) -> Result<ExitCode, CliError> {
    match cmd {
        #[cfg(target_os = "linux")]
        Command::Unpack { .. }
        | Command::Bundle { .. }
        | Command::Commit { .. }
        | Command::Run(_)
        | Command::Snapshots(_) => {}
        Command::Init { layout } => {
            Layout::create(&layout)?;
            println!("{}", layout.display());
        }
        Command::Ls { layout, format } => {
            let index = Layout::open(&layout)?.index()?;
            if format == Format::Json {
                let rows: Vec<_> = index
                    .manifests
                    .iter()
                    .map(|d| json!({"tag": tag_of(d), "digest": d.digest, "mediaType": d.media_type, "size": d.size, "platform": d.platform}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<24} {:<71} {:>10}  {:<45} PLATFORM",
                    "TAG", "DIGEST", "SIZE", "MEDIA TYPE"
                );
                for d in &index.manifests {
                    println!(
                        "{:<24} {:<71} {:>10}  {:<45} {}",
                        tag_of(d).unwrap_or("<none>"),
                        d.digest,
                        d.size,
                        d.media_type,
                        platform_text(d)
                    );
                }
            }
        }
        Command::Tag { image, mut args } => {
            let new = args.pop().unwrap_or_default();
            let at = location(image, args.pop())?;
            let layout = at.open()?;
            let mut d = at.find(&layout)?.descriptor;
            if let Some(a) = d.annotations.as_mut() {
                a.remove(carrack_spec::image::annotations::REF_NAME);
            }
            layout.tag(&new, d)?;
        }
        Command::Untag { image, tag } => {
            let at = location(image, tag)?;
            let Some(name) = at.reference.as_deref() else {
                return Ok(fail(format!(
                    "{}: say which name to remove (LAYOUT:NAME)",
                    at.layout.display()
                )));
            };
            if at.open()?.untag_reference(name)?.is_empty() {
                return Ok(fail(format!("{}: no tag {name:?}", at.layout.display())));
            }
        }
        Command::Resolve {
            image,
            reference,
            platform,
        } => {
            let matcher = platform.unwrap_or_else(PlatformMatcher::host);
            let (_, found) = location(image, reference)?.resolve(&matcher)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&found.descriptor).unwrap_or_default()
            );
        }
        Command::Fsck { layout, format } => {
            let problems = Layout::open(&layout)?.fsck()?;
            if format == Format::Json {
                let rows: Vec<_> = problems
                    .iter()
                    .map(|p| json!({"path": p.path, "via": p.via, "message": p.message}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                for p in &problems {
                    println!("{}: {p}", layout.display());
                }
                println!("{}: {} problem(s)", layout.display(), problems.len());
            }
            if !problems.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Import { layout, archive } => {
            let l = Layout::create(&layout)?;
            let report = if archive.as_os_str() == "-" {
                l.import_oci_archive(std::io::stdin().lock())?
            } else {
                let f = std::fs::File::open(&archive).map_err(|e| carrack_image::Error::Io {
                    path: archive.clone(),
                    source: e,
                })?;
                l.import_oci_archive(std::io::BufReader::new(f))?
            };
            print_import(&report);
        }
        Command::Export {
            image,
            archive,
            references,
        } => {
            let l = image.open()?;
            let refs: Vec<&str> = image
                .reference
                .iter()
                .chain(&references)
                .map(String::as_str)
                .collect();
            if archive.as_os_str() == "-" {
                l.export_oci_archive(&refs, std::io::stdout().lock())?;
            } else {
                let temp = archive.with_extension("partial");
                let f = std::fs::File::create(&temp).map_err(|e| carrack_image::Error::Io {
                    path: temp.clone(),
                    source: e,
                })?;
                l.export_oci_archive(&refs, std::io::BufWriter::new(f))?;
                std::fs::rename(&temp, &archive).map_err(|e| carrack_image::Error::Io {
                    path: archive.clone(),
                    source: e,
                })?;
            }
        }
        Command::ImportDocker { layout, archive } => {
            let report = Layout::create(&layout)?.import_docker_archive(&archive)?;
            print_import(&report);
        }
        Command::Gc {
            layout,
            dry_run,
            grace,
            format,
        } => {
            let mut opts = GcOptions::default();
            opts.dry_run = dry_run;
            opts.grace = std::time::Duration::from_secs(grace);
            let report = Layout::open(&layout)?.gc(&opts)?;
            if format == Format::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"dryRun": dry_run, "removed": report.removed, "bytes": report.bytes, "keptYoung": report.kept_young}))
                        .unwrap_or_default()
                );
            } else {
                let verb = if dry_run { "would remove" } else { "removed" };
                for d in &report.removed {
                    println!("{verb} {d}");
                }
                println!(
                    "{verb} {} blob(s), {} bytes; kept {} younger than {grace}s",
                    report.removed.len(),
                    report.bytes,
                    report.kept_young.len()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The image of `LAYOUT REF` (the layout taken as it is written) or, without a separate REF,
/// of `LAYOUT:REF` / `LAYOUT@DIGEST` / `LAYOUT`.
fn location(image: String, reference: Option<String>) -> Result<ImageLocation, CliError> {
    match reference {
        Some(r) => Ok(ImageLocation::new(image, Some(r))),
        None => Ok(image.parse()?),
    }
}

fn print_import(report: &carrack_image::ImportReport) {
    for d in &report.entries {
        println!("{} {}", tag_of(d).unwrap_or("<untagged>"), d.digest);
    }
    println!("imported {} blob(s), {} bytes", report.blobs, report.bytes);
}
