//! Image → OCI runtime bundle, as `umoci unpack` does: `rootfs/` unpacked and verified,
//! `config.json` converted from the image configuration (conversion.md), and `carrack.tree`,
//! the record a later commit diffs against.

#[cfg(target_os = "linux")]
use std::path::Path;
use std::path::PathBuf;

use carrack_image::{ConvertError, ConvertOptions};
#[cfg(target_os = "linux")]
use carrack_image::{EtcFiles, Layout, Resolved, to_runtime};
use carrack_spec::runtime::{Spec, UnmappedId};
#[cfg(target_os = "linux")]
use carrack_spec::{Document, image::ImageConfiguration};

use crate::error::UnpackError;
#[cfg(target_os = "linux")]
use crate::image::unpack;
use crate::options::{ApplyOptions, LayerStats};
#[cfg(target_os = "linux")]
use crate::tree::Tree;
use crate::tree::TreeError;

/// The file, beside `rootfs/`, that records the unpacked tree.
pub const TREE_FILE: &str = "carrack.tree";

/// Options of [`bundle`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BundleOptions {
    /// How layers are applied (rootless, limits, progress…).
    pub apply: ApplyOptions,
    /// How the image configuration becomes `config.json`.
    pub convert: ConvertOptions,
    /// The configuration the image's is applied to. `None`: [`Spec::default_linux`], or when
    /// unpacking rootless [`Spec::default_linux_rootless`] with the user namespace mapped as
    /// [`ApplyOptions::id_map`] says (container root to the caller's ids when it says nothing).
    pub base: Option<Spec>,
}

/// What [`bundle`] made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Bundle {
    /// The bundle directory.
    pub path: PathBuf,
    /// The runtime configuration written to `config.json`.
    pub spec: Spec,
    /// What unpacking did.
    pub stats: LayerStats,
}

/// Why a bundle could not be made. The bundle directory is removed again on any error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Unpacking the rootfs failed.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// Converting the image configuration failed.
    #[error("{path}: converting the image configuration (conversion.md): {source}")]
    Convert {
        /// The bundle.
        path: PathBuf,
        /// Why.
        #[source]
        source: ConvertError,
    },
    /// The image's user has ids the bundle's user namespace does not map: the container could
    /// not start (the kernel refuses setuid(2)/setgid(2) to an unmapped id with `EINVAL`).
    #[error(
        "{}: {}; map them (e.g. --uid-map/--gid-map) or choose another user",
        path.display(),
        ids.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    UnmappedUser {
        /// The bundle.
        path: PathBuf,
        /// The ids, with where they are in `config.json`.
        ids: Vec<UnmappedId>,
    },
    /// Recording the tree failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// Writing a file of the bundle failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Unpacks `image` from `layout` into the bundle directory `dir` (which must not exist or be
/// empty): `dir/rootfs`, `dir/config.json` ([`BundleOptions::base`] with the image's
/// configuration applied), and `dir/carrack.tree`. A configuration whose process could not
/// start in its own user namespace (its user is not mapped) is refused.
///
/// ```no_run
/// use carrack_image::{Layout, PlatformMatcher};
/// let layout = Layout::open("layout")?;
/// let image = layout.resolve("latest", &PlatformMatcher::host())?;
/// let made = carrack_unpack::bundle(&layout, &image, "bundle".as_ref(), &Default::default())?;
/// assert!(made.path.join("config.json").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(target_os = "linux")]
pub fn bundle(
    layout: &Layout,
    image: &Resolved,
    dir: &Path,
    opts: &BundleOptions,
) -> Result<Bundle, BundleError> {
    let io_at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Io { path, source }
    };
    let created = !dir.exists();
    if !created
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(UnpackError::Destination(dir.to_path_buf()).into());
    }
    std::fs::create_dir_all(dir).map_err(io_at(dir))?;
    let result = (|| {
        let rootfs = dir.join("rootfs");
        let stats = unpack(layout, &image.manifest, &rootfs, &opts.apply)?;
        let config: ImageConfiguration = layout
            .read_document(&image.manifest.config)
            .map_err(UnpackError::from)?;
        let root =
            carrack_fs::open_dir(&rootfs).map_err(|e| io_at(&rootfs)(std::io::Error::from(e)))?;
        let read = |p: &str| -> Result<String, BundleError> {
            Ok(carrack_fs::read_in_root(&root, p, 1 << 20)
                .map_err(|e| io_at(&rootfs.join(p))(std::io::Error::from(e)))?
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default())
        };
        let etc = EtcFiles::parse(&read("etc/passwd")?, &read("etc/group")?);
        let base = match (&opts.base, opts.apply.rootless) {
            (Some(base), _) => base.clone(),
            (None, false) => Spec::default_linux(),
            (None, true) => {
                let mut base = Spec::default_linux_rootless(
                    nix::unistd::geteuid().as_raw(),
                    nix::unistd::getegid().as_raw(),
                );
                if let Some(map) = &opts.apply.id_map {
                    map.set_in_spec(&mut base);
                }
                base
            }
        };
        let mut spec = to_runtime(&config, base, &etc, &opts.convert).map_err(|source| {
            BundleError::Convert {
                path: dir.to_path_buf(),
                source,
            }
        })?;
        if let Some(root) = spec.root.as_mut() {
            root.path = "rootfs".into();
        }
        let ids = spec.unmapped_ids();
        if !ids.is_empty() {
            return Err(BundleError::UnmappedUser {
                path: dir.to_path_buf(),
                ids,
            });
        }
        let cfg = dir.join("config.json");
        let text = spec.to_string_pretty();
        std::fs::write(&cfg, text).map_err(io_at(&cfg))?;
        let mut tree = Tree::record(&rootfs)?;
        tree.manifest = Some(image.descriptor.digest.to_string());
        tree.save(&dir.join(TREE_FILE))?;
        Ok(Bundle {
            path: dir.to_path_buf(),
            spec,
            stats,
        })
    })();
    if result.is_err() {
        if created {
            let _ = std::fs::remove_dir_all(dir);
        } else {
            for name in ["rootfs", "config.json", TREE_FILE] {
                let p = dir.join(name);
                let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
            }
        }
    }
    result
}
