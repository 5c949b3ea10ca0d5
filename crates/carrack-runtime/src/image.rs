//! `carrack image`: thin commands over carrack-image on a layout directory.

use std::path::PathBuf;
use std::process::ExitCode;

use carrack_image::{GcOptions, Layout, PlatformMatcher, tag_of};
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
    /// Tag the entry (or blob) a reference names.
    Tag {
        /// The layout directory.
        layout: PathBuf,
        /// An existing tag or digest.
        reference: String,
        /// The new tag.
        tag: String,
    },
    /// Remove a tag from index.json.
    Untag {
        /// The layout directory.
        layout: PathBuf,
        /// The tag.
        tag: String,
    },
    /// Resolve a reference to the image manifest for a platform and print its descriptor.
    Resolve {
        /// The layout directory.
        layout: PathBuf,
        /// A tag or digest.
        reference: String,
        /// The platform, os/arch[/variant]; the host's by default.
        #[arg(long)]
        platform: Option<String>,
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
    /// Export tags or digests (all of index.json when none is given) as an oci-archive.
    Export {
        /// The layout directory.
        layout: PathBuf,
        /// Where to write the archive (`-` for standard output).
        archive: PathBuf,
        /// Tags or digests.
        references: Vec<String>,
    },
    /// Import a `docker save` archive, converting it to OCI and keeping its tags.
    ImportDocker {
        /// The layout directory (created if missing).
        layout: PathBuf,
        /// The archive.
        archive: PathBuf,
    },
    /// Unpack an image's layers into a root filesystem directory (verified, all or nothing).
    Unpack {
        /// LAYOUT:TAG, LAYOUT@DIGEST or LAYOUT (tag latest).
        image: crate::unpack::ImageRef,
        /// The destination (must not exist or be empty).
        dest: PathBuf,
        /// Also record the unpacked tree here, for a later `commit --against`.
        #[arg(long, value_name = "FILE")]
        tree: Option<PathBuf>,
        #[command(flatten)]
        args: crate::unpack::UnpackArgs,
    },
    /// Make an OCI runtime bundle: DIR/rootfs, DIR/config.json and DIR/carrack.tree.
    Bundle {
        /// LAYOUT:TAG, LAYOUT@DIGEST or LAYOUT (tag latest).
        image: crate::unpack::ImageRef,
        /// The bundle directory (must not exist or be empty).
        dir: PathBuf,
        #[command(flatten)]
        args: crate::unpack::UnpackArgs,
    },
    /// Commit the changes of a bundle (or a rootfs) as a new layer on top of the image it came
    /// from, and add the new image to the layout.
    Commit {
        /// The base image: LAYOUT:TAG, LAYOUT@DIGEST or LAYOUT.
        image: crate::unpack::ImageRef,
        /// A bundle directory (from `carrack image bundle`) or a rootfs directory.
        path: PathBuf,
        #[command(flatten)]
        args: crate::unpack::CommitArgs,
    },
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
    d.platform.as_ref().map_or_else(String::new, |p| {
        let v = p
            .variant
            .as_deref()
            .map(|v| format!("/{v}"))
            .unwrap_or_default();
        format!("{}/{}{v}", p.os, p.architecture)
    })
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("carrack image: {e}");
    ExitCode::from(1)
}

/// Runs a `carrack image` command.
pub(crate) fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Unpack {
            image,
            dest,
            tree,
            args,
        } => return crate::unpack::unpack(&image, &dest, tree.as_deref(), &args),
        Command::Bundle { image, dir, args } => return crate::unpack::bundle(&image, &dir, &args),
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

fn try_run(cmd: Command) -> Result<ExitCode, carrack_image::Error> {
    match cmd {
        Command::Unpack { .. } | Command::Bundle { .. } | Command::Commit { .. } => {}
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
        Command::Tag {
            layout,
            reference,
            tag,
        } => {
            let layout = Layout::open(&layout)?;
            let mut d = layout.lookup(&reference)?;
            if let Some(a) = d.annotations.as_mut() {
                a.remove(carrack_spec::image::annotations::REF_NAME);
            }
            layout.tag(&tag, d)?;
        }
        Command::Untag { layout, tag } => {
            if !Layout::open(&layout)?.untag(&tag)? {
                return Ok(fail(format!("{}: no tag {tag:?}", layout.display())));
            }
        }
        Command::Resolve {
            layout,
            reference,
            platform,
        } => {
            let matcher = platform
                .as_deref()
                .map_or_else(PlatformMatcher::host, PlatformMatcher::parse);
            let found = Layout::open(&layout)?.resolve(&reference, &matcher)?;
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
            layout,
            archive,
            references,
        } => {
            let l = Layout::open(&layout)?;
            let refs: Vec<&str> = references.iter().map(String::as_str).collect();
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

fn print_import(report: &carrack_image::ImportReport) {
    for d in &report.entries {
        println!("{} {}", tag_of(d).unwrap_or("<untagged>"), d.digest);
    }
    println!("imported {} blob(s), {} bytes", report.blobs, report.bytes);
}
