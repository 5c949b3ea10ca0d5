//! Bundles: a base configuration of the caller's, explicit id maps that reach config.json, and a
//! user the bundle's user namespace does not map refused before any runtime meets it.
#![cfg(target_os = "linux")]

mod common;

use std::path::Path;

use carrack_image::{Layout, PlatformMatcher, Resolved};
use carrack_spec::image::{
    Arch, Digest, ExecConfig, ImageConfiguration, ImageManifest, MediaType, Os, RootFs,
};
use carrack_spec::runtime::{IdMapping, Spec};
use carrack_unpack::{ApplyOptions, BundleError, BundleOptions, IdMap, bundle};
use common::Layer;

/// An image whose configuration says `USER web` (uid 33 in its /etc/passwd).
fn web_image(dir: &Path) -> (Layout, Resolved) {
    let layout = Layout::create(dir).expect("layout");
    let tar = Layer::new()
        .dir("etc/", 0o755)
        .file(
            "etc/passwd",
            b"root:x:0:0::/root:/bin/sh\nweb:x:33:34::/:/bin/false\n",
        )
        .file("etc/group", b"root:x:0:\nweb:x:34:\n")
        .bytes();
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, &tar)
        .expect("layer");
    let mut config = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(&tar)]),
    );
    let mut exec = ExecConfig::default();
    exec.user = Some("web".into());
    exec.cmd = Some(vec!["/bin/true".into()]);
    config.config = Some(exec);
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    let manifest = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    layout.tag("web", manifest).expect("tag");
    let found = layout
        .resolve(
            "web",
            &PlatformMatcher::parse("linux/amd64").expect("platform"),
        )
        .expect("resolve");
    (layout, found)
}

fn me() -> (u32, u32) {
    (
        nix::unistd::geteuid().as_raw(),
        nix::unistd::getegid().as_raw(),
    )
}

#[test]
fn a_rootless_bundle_whose_user_is_unmapped_is_refused_and_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, image) = web_image(&tmp.path().join("layout"));
    let (uid, gid) = me();
    let mut opts = BundleOptions::default();
    opts.apply = ApplyOptions::rootless(IdMap {
        uids: vec![format!("0:{uid}:1").parse().expect("map")],
        gids: vec![format!("0:{gid}:1").parse().expect("map")],
    });
    let dir = tmp.path().join("bundle");
    let err = bundle(&layout, &image, &dir, &opts).expect_err("uid 33 is not mapped");
    match &err {
        BundleError::UnmappedUser { ids, .. } => {
            let pointers: Vec<&str> = ids.iter().map(|i| i.pointer.as_str()).collect();
            assert_eq!(pointers, ["/process/user/uid", "/process/user/gid"]);
            assert_eq!((ids[0].id, ids[1].id), (33, 34));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("EINVAL"), "{err}");
    assert!(!dir.exists(), "a refused bundle leaves nothing");
}

#[test]
fn explicit_id_maps_reach_config_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, image) = web_image(&tmp.path().join("layout"));
    let (uid, gid) = me();
    let map = IdMap {
        uids: vec![
            format!("0:{uid}:1").parse().expect("map"),
            "1:100000:65536".parse().expect("map"),
        ],
        gids: vec![
            format!("0:{gid}:1").parse().expect("map"),
            "1:100000:65536".parse().expect("map"),
        ],
    };
    let mut opts = BundleOptions::default();
    opts.apply = ApplyOptions::rootless(map.clone());
    let made = bundle(&layout, &image, &tmp.path().join("bundle"), &opts).expect("bundle");
    assert_eq!(IdMap::from_spec(&made.spec), map);
    let linux = made.spec.linux.as_ref().expect("linux");
    assert_eq!(
        linux.uid_mappings.as_deref(),
        Some(&[IdMapping::new(0, uid, 1), IdMapping::new(1, 100_000, 65536)][..])
    );
    let user = made
        .spec
        .process
        .as_ref()
        .and_then(|p| p.user.as_ref())
        .expect("user");
    assert_eq!((user.uid, user.gid), (Some(33), Some(34)));
    assert!(made.spec.unmapped_ids().is_empty());
}

#[test]
fn a_base_configuration_is_kept_under_the_image_configuration() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (layout, image) = web_image(&tmp.path().join("layout"));
    let mut base = Spec::default_linux();
    base.hostname = Some("from-the-base".into());
    if let Some(p) = base.process.as_mut() {
        p.terminal = Some(false);
    }
    let mut opts = BundleOptions::default();
    opts.base = Some(base);
    if !common::is_root() {
        opts.apply = ApplyOptions::rootless(IdMap::default());
    }
    let made = bundle(&layout, &image, &tmp.path().join("bundle"), &opts).expect("bundle");
    assert_eq!(made.spec.hostname.as_deref(), Some("from-the-base"));
    let process = made.spec.process.as_ref().expect("process");
    assert_eq!(process.terminal, Some(false));
    assert_eq!(process.args.as_deref(), Some(&["/bin/true".to_owned()][..]));
    let written = std::fs::read_to_string(made.path.join("config.json")).expect("config.json");
    assert!(written.contains("from-the-base"), "{written}");
}
