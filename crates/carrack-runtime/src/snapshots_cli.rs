//! `carrack image snapshots ls|rm|prune|release`: the layer snapshots `image run` mounts.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use carrack_image::Layout;
use carrack_spec::image::{Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest};
use carrack_unpack::snapshot::{SnapshotError, Snapshots};
use serde_json::json;

/// The snapshot commands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// List the snapshots: ChainID, size, the layer below, the containers on it.
    Ls {
        #[command(flatten)]
        at: At,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove snapshots by ChainID (or a unique prefix) unless a container or a snapshot
    /// above stands on them.
    Rm {
        #[command(flatten)]
        at: At,
        /// ChainIDs or prefixes.
        #[arg(required = true)]
        chains: Vec<String>,
    },
    /// Remove every snapshot no tag of the given layouts reaches (every platform) and no
    /// container uses, and what interrupted runs left; with no layout, every unused one.
    Prune {
        #[command(flatten)]
        at: At,
        /// Image layouts whose images to keep.
        layouts: Vec<PathBuf>,
    },
    /// Unmount a container's root filesystem and remove its directory (the poststop hook
    /// `image run` gives its containers runs this).
    Release {
        #[command(flatten)]
        at: At,
        /// The container's name.
        name: String,
    },
}

/// Where the snapshots are.
#[derive(Debug, clap::Args)]
pub(crate) struct At {
    /// The snapshot directory (default /var/lib/carrack/snapshots as root).
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
}

impl At {
    fn open(&self) -> Result<Snapshots, SnapshotError> {
        Snapshots::open(
            &self
                .snapshots
                .clone()
                .unwrap_or_else(|| crate::image_run::data_dir().join("snapshots")),
        )
    }
}

/// The ChainIDs of every image under `layout`'s tags, every platform.
fn reachable(layout: &Layout) -> Result<HashSet<Digest>, carrack_image::Error> {
    let mut out = HashSet::new();
    let mut queue: Vec<Descriptor> = layout.index()?.manifests;
    let mut seen = HashSet::new();
    while let Some(d) = queue.pop() {
        if !seen.insert(d.digest.clone()) {
            continue;
        }
        if d.media_type.is_index() {
            let index: ImageIndex = layout.read_document(&d)?;
            queue.extend(index.manifests);
        } else if d.media_type.is_manifest() {
            let manifest: ImageManifest = layout.read_document(&d)?;
            if let Ok(config) = layout.read_document::<ImageConfiguration>(&manifest.config) {
                out.extend(config.rootfs.chain_ids());
            }
        }
    }
    Ok(out)
}

/// Runs a snapshot command.
pub(crate) fn run(cmd: Command) -> ExitCode {
    match try_run(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("carrack image snapshots: {e}");
            ExitCode::FAILURE
        }
    }
}

fn try_run(cmd: Command) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        Command::Ls { at, json } => {
            let store = at.open()?;
            let users = store.users()?;
            let rows: Vec<_> = store
                .list()?
                .into_iter()
                .map(|s| {
                    let on = users.get(&s.name).cloned().unwrap_or_default();
                    (s.size(), s, on)
                })
                .collect();
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(size, s, on)| {
                        json!({"chainID": s.chain_id, "name": s.name, "parent": s.parent,
                               "size": size, "containers": on, "path": s.path})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{:<16}  {:>10}  {:<16}  CONTAINERS",
                    "NAME", "SIZE", "PARENT"
                );
                for (size, s, on) in &rows {
                    println!(
                        "{:<16}  {:>10}  {:<16}  {}",
                        s.name,
                        size,
                        s.parent.as_deref().unwrap_or("-"),
                        on.join(",")
                    );
                }
            }
        }
        Command::Rm { at, chains } => {
            let store = at.open()?;
            for c in chains {
                let removed = store.remove(&c)?;
                println!("removed {} ({})", removed.name, removed.chain_id);
            }
        }
        Command::Prune { at, layouts } => {
            let store = at.open()?;
            let mut keep = HashSet::new();
            for l in &layouts {
                keep.extend(reachable(&Layout::open(l)?)?);
            }
            let report = store.prune(&keep)?;
            for s in &report.removed {
                println!("removed {} ({})", s.name, s.chain_id);
            }
            println!(
                "{} removed, {} kept, {} interrupted left-over(s) removed",
                report.removed.len(),
                report.kept,
                report.stale
            );
        }
        Command::Release { at, name } => at.open()?.release(&name)?,
    }
    Ok(())
}
