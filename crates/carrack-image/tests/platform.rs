//! Resolution checks the platform of every candidate: the index entry's `platform`, else the
//! image configuration's (issue: `resolve --platform linux/arm64` of an amd64 tag printed the
//! amd64 manifest and exited 0).
#![cfg(unix)]
#![cfg(unix)] // the store (Layout) is Unix only

use carrack_image::{Error, Layout, PlatformMatcher};
use carrack_spec::image::{
    Arch, Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Os, Platform,
    RootFs,
};

/// An image manifest for `arch`/`variant` whose descriptor carries no platform.
fn bare_image(layout: &Layout, arch: Arch, variant: Option<&str>, content: &[u8]) -> Descriptor {
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, content)
        .expect("layer");
    let mut config =
        ImageConfiguration::new(arch, Os::Linux, RootFs::layers(vec![layer.digest.clone()]));
    config.variant = variant.map(str::to_owned);
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest")
}

fn with_platform(mut d: Descriptor, arch: Arch, variant: Option<&str>) -> Descriptor {
    let mut p = Platform::new(arch, Os::Linux);
    p.variant = variant.map(str::to_owned);
    d.platform = Some(p);
    d
}

fn matcher(text: &str) -> PlatformMatcher {
    PlatformMatcher::parse(text).expect("platform")
}

#[test]
fn a_tag_of_another_platform_is_refused_naming_what_it_is() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let amd = bare_image(&layout, Arch::Amd64, None, b"amd64");
    layout
        .tag("entry", with_platform(amd.clone(), Arch::Amd64, None))
        .expect("tag");
    layout.tag("bare", amd.clone()).expect("tag");
    for tag in ["entry", "bare"] {
        let found = layout.resolve(tag, &matcher("linux/amd64")).expect(tag);
        assert_eq!(found.descriptor.digest, amd.digest);
        let err = layout
            .resolve(tag, &matcher("linux/arm64"))
            .expect_err("an amd64 image is no arm64 image");
        match &err {
            Error::NoPlatform {
                reference,
                wanted,
                available,
            } => {
                assert_eq!(reference, tag);
                assert_eq!(wanted, "linux/arm64");
                assert_eq!(available.len(), 1, "{available:?}");
                assert!(available[0].starts_with("linux/amd64 ("), "{available:?}");
            }
            other => panic!("{tag}: {other}"),
        }
        assert!(err.to_string().contains("linux/arm64"), "{err}");
    }
}

#[test]
fn the_best_variant_wins_and_the_baseline_takes_only_the_baseline() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let v1 = with_platform(
        bare_image(&layout, Arch::Amd64, None, b"1"),
        Arch::Amd64,
        None,
    );
    let v3 = with_platform(
        bare_image(&layout, Arch::Amd64, Some("v3"), b"3"),
        Arch::Amd64,
        Some("v3"),
    );
    let index = layout
        .write_document(
            MediaType::ImageIndex,
            &ImageIndex::new(vec![v1.clone(), v3.clone()]),
        )
        .expect("index");
    layout.tag("multi", index).expect("tag");
    let get = |p: &str| {
        layout
            .resolve("multi", &matcher(p))
            .map(|r| r.descriptor.digest)
    };
    assert_eq!(get("linux/amd64/v4").expect("v4"), v3.digest);
    assert_eq!(get("linux/amd64/v3").expect("v3"), v3.digest);
    assert_eq!(get("linux/amd64/v2").expect("v2"), v1.digest);
    assert_eq!(get("linux/amd64").expect("v1"), v1.digest);
    let err = get("linux/arm64").expect_err("no arm64");
    assert!(
        err.to_string().contains("linux/amd64 (") && err.to_string().contains("linux/amd64/v3"),
        "{err}"
    );
}

#[test]
fn entries_without_a_platform_are_judged_by_their_configuration() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let amd = bare_image(&layout, Arch::Amd64, None, b"amd64");
    let arm = bare_image(&layout, Arch::Arm64, Some("v8"), b"arm64");
    let index = layout
        .write_document(
            MediaType::ImageIndex,
            &ImageIndex::new(vec![amd.clone(), arm.clone()]),
        )
        .expect("index");
    layout.tag("bare", index).expect("tag");
    let get = |p: &str| {
        layout
            .resolve("bare", &matcher(p))
            .map(|r| r.descriptor.digest)
    };
    assert_eq!(get("linux/amd64").expect("amd64"), amd.digest);
    assert_eq!(get("linux/aarch64").expect("arm64"), arm.digest);
    let err = get("linux/s390x").expect_err("no s390x");
    let text = err.to_string();
    assert!(
        text.contains("linux/amd64 (") && text.contains("linux/arm64/v8 ("),
        "{text}"
    );
    assert!(text.contains("from its configuration"), "{text}");
}

#[test]
fn an_index_may_list_a_manifest_twice_but_not_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let amd = bare_image(&layout, Arch::Amd64, None, b"amd64");
    let index = layout
        .write_document(
            MediaType::ImageIndex,
            &ImageIndex::new(vec![amd.clone(), amd.clone()]),
        )
        .expect("index");
    layout.tag("twice", index).expect("tag");
    let err = layout
        .resolve("twice", &matcher("linux/arm64"))
        .expect_err("no arm64");
    assert!(matches!(err, Error::NoPlatform { .. }), "{err}");
    assert_eq!(
        layout
            .resolve("twice", &matcher("linux/amd64"))
            .expect("amd64")
            .descriptor
            .digest,
        amd.digest
    );
}

#[test]
fn artifacts_without_an_image_configuration_are_not_judged() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let blob = layout
        .write_blob_bytes(MediaType::from("application/vnd.example.sbom"), b"{}")
        .expect("blob");
    let empty = layout
        .write_blob_bytes(MediaType::from("application/vnd.oci.empty.v1+json"), b"{}")
        .expect("empty");
    let manifest = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(empty, vec![blob]),
        )
        .expect("manifest");
    layout.tag("sbom", manifest.clone()).expect("tag");
    assert_eq!(
        layout
            .resolve("sbom", &matcher("linux/riscv64"))
            .expect("an artifact has no platform to refuse")
            .descriptor
            .digest,
        manifest.digest
    );
}
