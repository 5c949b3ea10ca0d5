//! Writing the commit (Linux: the layer is written by [`write_layer`] and the store is a Unix
//! [`Layout`]).

use std::path::Path;

use carrack_image::{Layout, Resolved};
use carrack_spec::image::{History, ImageConfiguration, MediaType, Platform};

use super::layer::{LayerWriter, StoredLayer};
use super::{CommitError, CommitOptions, Committed};
use crate::diff::{Diff, write_layer};

/// Writes `diff` (of `rootfs` against `base`'s rootfs) as a new layer on top of `base` and adds
/// the resulting image to `layout`.
///
/// ```no_run
/// use carrack_image::{Layout, PlatformMatcher};
/// use carrack_unpack::{Base, CommitOptions, Tree, commit, diff};
/// let layout = Layout::open("layout")?;
/// let base = layout.resolve("latest", &PlatformMatcher::host())?;
/// let recorded = Tree::load("bundle/carrack.tree".as_ref())?;
/// let changes = diff(Base::Tree(&recorded), "bundle/rootfs".as_ref())?;
/// let mut opts = CommitOptions::default();
/// opts.tag = Some("latest-1".into());
/// let done = commit(&layout, &base, &changes, "bundle/rootfs".as_ref(), &opts)?;
/// println!("{}", done.manifest.digest);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn commit(
    layout: &Layout,
    base: &Resolved,
    diff: &Diff,
    rootfs: &Path,
    opts: &CommitOptions,
) -> Result<Committed, CommitError> {
    let out = LayerWriter::new(layout, opts.compression)?;
    let StoredLayer {
        descriptor: layer,
        diff_id,
    } = write_layer(diff, rootfs, out, &opts.layer)?.finish()?;

    let mut config: ImageConfiguration = layout.read_document(&base.manifest.config)?;
    let created = carrack_spec::time::rfc3339(opts.created.unwrap_or_else(now), None);
    config.created = Some(created.clone());
    if opts.author.is_some() {
        config.author.clone_from(&opts.author);
    }
    config.rootfs.diff_ids.push(diff_id.clone());
    let mut h = History::default();
    h.created = Some(created);
    h.created_by.clone_from(&opts.created_by);
    h.comment.clone_from(&opts.comment);
    h.author.clone_from(&opts.author);
    config.history.get_or_insert_with(Vec::new).push(h);
    let config_desc = layout.write_document(base.manifest.config.media_type.clone(), &config)?;

    let mut manifest = base.manifest.clone();
    manifest.config = config_desc.clone();
    manifest.layers.push(layer.clone());
    let manifest_type = manifest
        .media_type
        .clone()
        .unwrap_or(MediaType::ImageManifest);
    let mut desc = layout.write_document(manifest_type, &manifest)?;
    let mut platform = Platform::new(config.architecture.clone(), config.os.clone());
    platform.variant.clone_from(&config.variant);
    platform.os_version.clone_from(&config.os_version);
    desc.platform = Some(platform);
    match &opts.tag {
        Some(t) => layout.tag(t, desc.clone())?,
        None => layout.add(desc.clone())?,
    }
    Ok(Committed {
        manifest: desc,
        config: config_desc,
        layer,
        diff_id,
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}
