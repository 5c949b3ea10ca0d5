//! `carrack image run`: an OCI image becomes a running container in one command — resolved,
//! validated, its layers snapshotted (or unpacked), its configuration converted, run through
//! the host's `Platform`, and cleaned up — with a timing per stage on stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use carrack_image::{ConvertOptions, EtcFiles, ImageLocation, Layout, Resolved, to_runtime};
use carrack_platform::{ContainerId, CreateOptions, Platform, RunOptions};
use carrack_spec::Document;
use carrack_spec::image::{ImageConfiguration, PlatformMatcher};
use carrack_spec::runtime::{Hook, Spec};
use carrack_unpack::snapshot::{Active, Durability, Snapshots};
use carrack_unpack::{ApplyOptions, unpack};

use crate::lifecycle::Global;

/// Options of `carrack image run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// LAYOUT:REF, LAYOUT@DIGEST or LAYOUT. Without it, the embedded default: an image of this
    /// carrack binary whose entrypoint reports what it sees inside its container.
    #[arg(value_name = "LAYOUT:REF")]
    image: Option<ImageLocation>,
    /// The platform, os/arch[/variant]; the host's by default.
    #[arg(long)]
    platform: Option<PlatformMatcher>,
    /// The container id (default: carrack-run-PID).
    #[arg(long)]
    name: Option<String>,
    /// Leave the container running and kept, for state, exec, kill and delete (delete also
    /// unmounts its root filesystem); by default the container is waited for and removed.
    #[arg(long)]
    keep: bool,
    /// The snapshot directory (default DATA/snapshots, where DATA is $CARRACK_DATA_DIR, else
    /// /var/lib/carrack as root, else $XDG_DATA_HOME/carrack).
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Unpack the image in full instead of mounting snapshots.
    #[arg(long)]
    no_snapshots: bool,
    /// The process's arguments instead of the image's command (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

/// Errors of `image run`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Demo(#[from] crate::demo_image::DemoError),
    #[error(transparent)]
    Image(#[from] carrack_image::Error),
    #[error(transparent)]
    Unpack(#[from] carrack_unpack::UnpackError),
    #[error(transparent)]
    Snapshot(#[from] carrack_unpack::snapshot::SnapshotError),
    #[error(transparent)]
    Convert(#[from] carrack_image::ConvertError),
    #[error(transparent)]
    Platform(#[from] carrack_platform::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} breaks {count} MUST rule(s) of image-spec; not running it:\n{findings}")]
    Invalid {
        what: &'static str,
        count: usize,
        findings: String,
    },
}

/// Where carrack keeps data that outlives a command (snapshots, the embedded image):
/// `$CARRACK_DATA_DIR`, else /var/lib/carrack as root, else `$XDG_DATA_HOME/carrack`.
pub(crate) fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARRACK_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/var/lib/carrack");
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("carrack")
}

/// Stage timings, printed on stderr at the end.
struct Stages(Vec<(String, Duration)>, Instant);

impl Stages {
    fn new() -> Self {
        Self(Vec::new(), Instant::now())
    }
    fn done(&mut self, name: impl Into<String>) {
        let now = Instant::now();
        self.0.push((name.into(), now - self.1));
        self.1 = now;
    }
    fn print(&self) {
        let line: Vec<String> = self
            .0
            .iter()
            .map(|(n, d)| format!("{n} {:.1} ms", d.as_secs_f64() * 1e3))
            .collect();
        eprintln!("carrack image run: {}", line.join(" | "));
    }
}

/// The container's root filesystem and how to let go of it.
enum Rootfs {
    Snapshot(Snapshots, Active),
    Unpacked(PathBuf),
}

impl Rootfs {
    fn bundle(&self) -> &Path {
        match self {
            Self::Snapshot(_, a) => &a.dir,
            Self::Unpacked(dir) => dir,
        }
    }
    fn release(&self) {
        match self {
            Self::Snapshot(store, a) => {
                if let Err(e) = store.release(&a.name) {
                    eprintln!("carrack image run: releasing {}: {e}", a.rootfs.display());
                }
            }
            Self::Unpacked(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

fn validate(layout: &Layout, image: &Resolved) -> Result<ImageConfiguration, RunError> {
    let config: ImageConfiguration = layout.read_document(&image.manifest.config)?;
    for (what, report) in [
        ("the image manifest", image.manifest.validate()),
        ("the image configuration", config.validate()),
    ] {
        let musts: Vec<String> = report.musts().map(ToString::to_string).collect();
        if !musts.is_empty() {
            return Err(RunError::Invalid {
                what,
                count: musts.len(),
                findings: musts.join("\n"),
            });
        }
    }
    Ok(config)
}

/// Snapshots where overlayfs can be used, a full unpack where not (and says why).
fn rootfs(
    a: &RunArgs,
    layout: &Layout,
    image: &Resolved,
    name: &str,
    stages: &mut Stages,
) -> Result<Rootfs, RunError> {
    let data = data_dir();
    let fallback = |why: String| -> Result<Rootfs, RunError> {
        if !why.is_empty() {
            eprintln!("carrack image run: snapshots not used ({why}): unpacking the image in full");
        }
        let dir = data.join("bundles").join(name);
        std::fs::create_dir_all(&dir).map_err(|source| RunError::Io {
            path: dir.clone(),
            source,
        })?;
        if let Err(e) = unpack(
            layout,
            &image.manifest,
            &dir.join("rootfs"),
            &ApplyOptions::default(),
        ) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        Ok(Rootfs::Unpacked(dir))
    };
    if a.no_snapshots {
        let r = fallback(String::new())?;
        stages.done("unpack");
        return Ok(r);
    }
    if let Err(why) = Snapshots::supported() {
        let r = fallback(why.to_string())?;
        stages.done("unpack");
        return Ok(r);
    }
    let store = Snapshots::open(
        &a.snapshots
            .clone()
            .unwrap_or_else(|| data.join("snapshots")),
    )?;
    let opts = ApplyOptions::default();
    let prepared = match store.prepare(layout, &image.manifest, &opts) {
        Ok(p) => p,
        Err(carrack_unpack::snapshot::SnapshotError::Mount { source, .. }) => {
            let r = fallback(format!("overlayfs: {source}"))?;
            stages.done("unpack");
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    // A container removed when it exits needs no flush of its writes (podman's --rm does the
    // same): without `volatile`, unmounting the overlay waits for every dirty page of the file
    // system under the snapshots, measured at 190 ms after 400 MB written elsewhere.
    let durability = if a.keep {
        Durability::Synced
    } else {
        Durability::Volatile
    };
    let active = store.activate_with(name, &prepared, durability)?;
    stages.done(format!(
        "snapshot ({} applied, {} reused)",
        prepared.applied, prepared.reused
    ));
    Ok(Rootfs::Snapshot(store, active))
}

/// The bundle's configuration: the image's, over runc's default without a terminal.
fn spec(
    a: &RunArgs,
    config: &ImageConfiguration,
    root: &Rootfs,
    rootfs: &Path,
    name: &str,
) -> Result<Spec, RunError> {
    let read = |p: &str| -> String {
        carrack_fs::open_dir(rootfs)
            .ok()
            .and_then(|root| carrack_fs::read_in_root(&root, p, 1 << 20).ok().flatten())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    let etc = EtcFiles::parse(&read("etc/passwd"), &read("etc/group"));
    let mut base = if nix::unistd::geteuid().is_root() {
        Spec::default_linux()
    } else {
        Spec::default_linux_rootless(
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )
    };
    if let Some(p) = base.process.as_mut() {
        p.terminal = Some(false);
    }
    base.hostname = Some(name.chars().take(63).collect());
    let mut spec = to_runtime(config, base, &etc, &ConvertOptions::default())?;
    if let Some(r) = spec.root.as_mut() {
        r.path = rootfs.display().to_string();
        r.readonly = Some(false);
    }
    if !a.args.is_empty()
        && let Some(p) = spec.process.as_mut()
    {
        p.args = Some(a.args.clone());
    }
    // `delete` lets go of the snapshots' overlay, whoever deletes the container.
    if let (Rootfs::Snapshot(store, active), Ok(exe)) = (root, std::env::current_exe()) {
        let mut hook = Hook::new(exe.display().to_string());
        hook.args = Some(vec![
            "carrack".into(),
            "image".into(),
            "snapshots".into(),
            "release".into(),
            "--snapshots".into(),
            store.dir().display().to_string(),
            active.name.clone(),
        ]);
        spec.hooks
            .get_or_insert_with(Default::default)
            .poststop
            .get_or_insert_with(Vec::new)
            .push(hook);
    }
    Ok(spec)
}

/// `carrack image run`.
pub(crate) fn run(a: &RunArgs, g: &Global) -> ExitCode {
    match try_run(a, g) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("carrack image run: {e}");
            ExitCode::from(125)
        }
    }
}

fn try_run(a: &RunArgs, g: &Global) -> Result<ExitCode, RunError> {
    let mut stages = Stages::new();
    let matcher = a.platform.clone().unwrap_or_else(PlatformMatcher::host);
    let (layout, image) = match &a.image {
        Some(location) => location.resolve(&matcher)?,
        None => {
            let (layout, _) = crate::demo_image::build(&data_dir().join("inside-image"))?;
            let image = layout.resolve(crate::demo_image::TAG, &matcher)?;
            (layout, image)
        }
    };
    stages.done("image");
    let config = validate(&layout, &image)?;
    stages.done("validate");
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| format!("carrack-run-{}", std::process::id()));
    let id = ContainerId::new(&name)?;
    let root = rootfs(a, &layout, &image, &name, &mut stages)?;
    let result = (|| {
        let rootfs = root.bundle().join("rootfs");
        let spec = spec(a, &config, &root, &rootfs, &name)?;
        let config_path = root.bundle().join("config.json");
        std::fs::write(&config_path, spec.to_string_pretty()).map_err(|source| RunError::Io {
            path: config_path.clone(),
            source,
        })?;
        let platform: Box<dyn Platform> = crate::host::platform(crate::lifecycle::state_root(g))?;
        let opts = CreateOptions::new(root.bundle());
        if a.keep {
            let mut run = RunOptions::default();
            run.detach = true;
            platform.run(&id, &opts, run)?;
            stages.done("create+start");
            eprintln!(
                "carrack image run: {id} runs on; `carrack state {id}`, `carrack exec {id} …`, `carrack delete --force {id}`"
            );
            return Ok(ExitCode::SUCCESS);
        }
        platform.create(&id, &opts)?;
        stages.done("create");
        if let Err(e) = platform.start(&id) {
            let _ = platform.delete(&id, true);
            return Err(e.into());
        }
        stages.done("start");
        let exit = platform.wait(&id);
        stages.done("exit");
        let deleted = platform.delete(&id, true);
        let code = exit?.code();
        deleted?;
        Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
    })();
    if !a.keep || result.is_err() {
        root.release();
        stages.done("delete");
    }
    stages.print();
    result
}
