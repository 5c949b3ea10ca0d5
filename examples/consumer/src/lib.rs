//! Five tasks a tool author does with carrack, written as short as the public API allows. Each
//! has a test in `tests/tasks.rs`.

use std::path::Path;

use carrack_image::{Layout, PlatformMatcher};
use carrack_spec::Document;
use carrack_spec::image::{Descriptor, ImageIndex};
use carrack_spec::runtime::Spec;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// 1. Edit a bundle's config.json: a hostname, an environment variable, a memory limit; refuse
///    to write a config that breaks a MUST.
pub fn edit_config(path: &Path, hostname: &str, env: &str, memory: i64) -> Result<Spec> {
    let mut spec = Spec::from_slice(&std::fs::read(path)?)?
        .with_hostname(hostname)
        .with_memory_limit(memory);
    spec.process_mut()
        .env
        .get_or_insert_with(Vec::new)
        .push(env.into());
    let report = spec.validate();
    if !report.is_valid() {
        return Err(report.to_string().into());
    }
    std::fs::write(path, spec.to_string_pretty())?;
    Ok(spec)
}

/// 2. Build a spec in code: a shell in a rootfs with a read-only bind mount, its own
///    namespaces and a memory limit.
pub fn build_spec() -> Spec {
    use carrack_spec::runtime::{Linux, Mount, NamespaceType, Process, Root};
    Spec::default_linux()
        .with_root(Root::new("rootfs"))
        .with_hostname("built")
        .with_process(Process::default().with_args(["sh"]))
        .add_mount(Mount::bind("/srv/data", "/data").read_only())
        .with_linux(Linux::default().with_namespaces([
            NamespaceType::Pid,
            NamespaceType::Mount,
            NamespaceType::Ipc,
            NamespaceType::Uts,
        ]))
        .with_memory_limit(64 << 20)
}

/// 3. Write an image layout holding one image and resolve it for a platform.
pub fn write_and_resolve(dir: &Path, layer_tar: &[u8]) -> Result<Descriptor> {
    use carrack_spec::image::{
        Arch, Compression, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
    };
    let layout = Layout::create(dir)?;
    let layer = carrack_unpack::store_layer(&layout, layer_tar, Compression::Gzip)?;
    let config =
        ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(vec![layer.diff_id]));
    let config = layout.write_document(MediaType::ImageConfig, &config)?;
    let manifest = ImageManifest::new(config, vec![layer.descriptor]);
    layout.tag(
        "v1",
        layout.write_document(MediaType::ImageManifest, &manifest)?,
    )?;
    Ok(layout.resolve("v1", &"linux/amd64".parse()?)?.descriptor)
}

/// 4. Unpack an image into a rootfs, and make a bundle of it over a base configuration.
pub fn unpack_and_bundle(layout: &Path, tag: &str, rootfs: &Path, bundle: &Path) -> Result<Spec> {
    let layout = Layout::open(layout)?;
    let image = layout.resolve(tag, &PlatformMatcher::host())?;
    carrack_unpack::unpack(&layout, &image.manifest, rootfs, &Default::default())?;
    let mut opts = carrack_unpack::BundleOptions::default();
    opts.base = Some(build_spec());
    Ok(carrack_unpack::bundle(&layout, &image, bundle, &opts)?.spec)
}

/// 5. Pick the entry of an index for a platform (the best CPU variant the platform runs).
pub fn pick(index_json: &[u8], platform: &str) -> Result<Option<Descriptor>> {
    let index = ImageIndex::from_slice(index_json)?;
    Ok(platform
        .parse::<PlatformMatcher>()?
        .select(&index.manifests)
        .cloned())
}
