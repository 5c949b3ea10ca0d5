//! The embedded default image of `carrack image run`: one layer holding this `carrack` binary
//! (with the shared libraries it runs on, when it is not static) whose entrypoint is
//! `carrack inside`, the report of what a process sees of its container. It is built from the
//! running program, so nothing is downloaded, and the same binary gives the same bytes (so the
//! second run finds its snapshot).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use carrack_image::Layout;
use carrack_spec::image::{
    Arch, Digest, ExecConfig, History, ImageConfiguration, ImageManifest, MediaType, Os, Platform,
    PlatformMatcher, RootFs,
};

/// The tag the image gets in its layout.
pub(crate) const TAG: &str = "carrack-inside";

/// Why the image could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DemoError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing the image's layer: {0}")]
    Tar(std::io::Error),
    #[error(transparent)]
    Layout(#[from] carrack_image::Error),
}

/// What the image is made from, as an annotation: the same files give the same key, so a
/// second run reuses the image instead of reading and hashing them again.
fn source_key(files: &[(String, PathBuf)]) -> String {
    use std::os::unix::fs::MetadataExt;
    files
        .iter()
        .map(|(_, h)| match std::fs::metadata(h) {
            Ok(m) => format!(
                "{}:{}:{}:{}",
                m.dev(),
                m.ino(),
                m.size(),
                m.mtime_nsec() + m.mtime() * 1_000_000_000
            ),
            Err(_) => "?".into(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

const SOURCE: &str = "dev.carrack.inside.source";

fn header(path: &str, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    // Paths here are short and plain; a long one still goes through GNU long-name records.
    let _ = h.set_path(path);
    h
}

/// Builds (or rebuilds, the same bytes for the same binary) the image in the layout at `dir`,
/// tagged [`TAG`]; returns the layout and the layer's size.
pub(crate) fn build(dir: &Path) -> Result<(Layout, u64), DemoError> {
    let layout = if dir.join("oci-layout").exists() {
        Layout::open(dir)?
    } else {
        Layout::create(dir)?
    };
    let program =
        carrack_conformance::Program::current("carrack").map_err(|source| DemoError::Read {
            path: "/proc/self/exe".into(),
            source,
        })?;
    let key = source_key(&program.files);
    if let Ok(index) = layout.index()
        && let Some(d) = index
            .manifests
            .iter()
            .find(|d| carrack_image::tag_of(d) == Some(TAG))
        && d.annotations.as_ref().and_then(|a| a.get(SOURCE)) == Some(&key)
    {
        return Ok((layout, 0));
    }
    let mut tar = tar::Builder::new(Vec::new());
    let mut dirs = BTreeSet::new();
    let carrack_conformance::Program {
        files: mut entries,
        links,
    } = program;
    entries.sort();
    for (path, host) in &entries {
        let mut parent = Path::new(path).parent();
        let mut chain = Vec::new();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            chain.push(p.to_path_buf());
            parent = p.parent();
        }
        for d in chain.into_iter().rev() {
            if dirs.insert(d.clone()) {
                let name = format!("{}/", d.display());
                let mut h = header(&name, tar::EntryType::Directory, 0o755, 0);
                h.set_cksum();
                tar.append(&h, std::io::empty()).map_err(DemoError::Tar)?;
            }
        }
        let bytes = std::fs::read(host).map_err(|source| DemoError::Read {
            path: host.clone(),
            source,
        })?;
        let mut h = header(path, tar::EntryType::Regular, 0o755, bytes.len() as u64);
        h.set_cksum();
        tar.append(&h, &bytes[..]).map_err(DemoError::Tar)?;
    }
    for (path, target) in &links {
        let mut h = header(path, tar::EntryType::Symlink, 0o777, 0);
        h.set_link_name(target).map_err(DemoError::Tar)?;
        h.set_cksum();
        tar.append(&h, std::io::empty()).map_err(DemoError::Tar)?;
    }
    let layer_bytes = tar.into_inner().map_err(DemoError::Tar)?;
    let layer = layout.write_blob_bytes(MediaType::ImageLayer, &layer_bytes)?;
    let host = PlatformMatcher::host();
    let mut config = ImageConfiguration::new(
        host.architecture.clone(),
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(&layer_bytes)]),
    );
    let mut exec = ExecConfig::default();
    exec.entrypoint = Some(vec!["/carrack".into(), "inside".into()]);
    exec.env = Some(vec!["PATH=/".into()]);
    exec.working_dir = Some("/".into());
    config.config = Some(exec);
    let mut history = History::default();
    history.created_by = Some("carrack image run (the embedded default)".into());
    config.history = Some(vec![history]);
    let config = layout.write_document(MediaType::ImageConfig, &config)?;
    let manifest = ImageManifest::new(config, vec![layer]);
    let mut desc = layout.write_document(MediaType::ImageManifest, &manifest)?;
    desc.platform = Some(Platform::new(
        Arch::from(host.architecture.as_str()),
        Os::Linux,
    ));
    desc.annotations
        .get_or_insert_with(Default::default)
        .insert(SOURCE.to_owned(), key);
    layout.tag(TAG, desc)?;
    Ok((layout, layer_bytes.len() as u64))
}
