//! oci-archive export/import, docker-save import, and hostile archives.

#![cfg(unix)] // the store (Layout) is Unix only

use std::io::Write;

use carrack_image::{Error, Layout, PlatformMatcher};
use carrack_spec::image::{Arch, Digest, ImageConfiguration, ImageManifest, MediaType, Os, RootFs};

fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, *data).expect("append");
    }
    b.into_inner().expect("tar")
}

/// A one-entry tar whose name is written verbatim (the tar crate refuses `..` on purpose).
fn raw_tar(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.as_gnu_mut().expect("gnu").name[..name.len()].copy_from_slice(name);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, data).expect("append");
    b.into_inner().expect("tar")
}

fn layer_tar(name: &str) -> Vec<u8> {
    tar_of(&[(name, b"content\n")])
}

fn make(layout: &Layout, tag: &str) -> carrack_spec::image::Descriptor {
    let layer = layer_tar(tag);
    let l = layout
        .write_blob_bytes(MediaType::ImageLayer, &layer)
        .expect("layer");
    let c = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![Digest::sha256_of(&layer)]),
    );
    let c = layout
        .write_document(MediaType::ImageConfig, &c)
        .expect("config");
    let m = layout
        .write_document(MediaType::ImageManifest, &ImageManifest::new(c, vec![l]))
        .expect("manifest");
    layout.tag(tag, m.clone()).expect("tag");
    m
}

#[test]
fn export_import_round_trip_is_verified_and_deterministic() {
    let a = tempfile::tempdir().expect("tmp");
    let src = Layout::create(a.path()).expect("layout");
    let one = make(&src, "one");
    make(&src, "two");
    let mut first = Vec::new();
    src.export_oci_archive(&["one"], &mut first)
        .expect("export");
    let mut second = Vec::new();
    src.export_oci_archive(&["one"], &mut second)
        .expect("export");
    assert_eq!(first, second, "exports are reproducible");

    let b = tempfile::tempdir().expect("tmp");
    let dst = Layout::create(b.path()).expect("layout");
    let report = dst.import_oci_archive(&first[..]).expect("import");
    assert_eq!(report.blobs, 3);
    assert_eq!(dst.tags().expect("tags").len(), 1);
    assert_eq!(
        dst.resolve(
            "one",
            &PlatformMatcher::parse("linux/amd64").expect("platform")
        )
        .expect("resolve")
        .descriptor
        .digest,
        one.digest
    );
    assert!(dst.fsck().expect("fsck").is_empty());
    // Importing again is harmless and the tag is not duplicated.
    dst.import_oci_archive(&first[..]).expect("again");
    assert_eq!(dst.tags().expect("tags").len(), 1);
}

#[test]
fn an_entry_whose_content_does_not_match_its_name_is_refused() {
    let forged = Digest::sha256_of(b"what the name claims");
    let name = format!("blobs/sha256/{}", forged.encoded());
    let archive = tar_of(&[
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        (&name, b"something else"),
        ("index.json", br#"{"schemaVersion":2,"manifests":[]}"#),
    ]);
    let d = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(d.path()).expect("layout");
    assert!(matches!(
        layout.import_oci_archive(&archive[..]),
        Err(Error::Digest { .. })
    ));
    let stored: Vec<_> = std::fs::read_dir(d.path().join("blobs/sha256"))
        .expect("dir")
        .collect();
    assert!(stored.is_empty(), "nothing is stored");
}

#[test]
fn hostile_names_links_and_missing_blobs_change_nothing() {
    let d = tempfile::tempdir().expect("tmp");
    let outside = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(d.path()).expect("layout");
    make(&layout, "keep");
    let before = std::fs::read(d.path().join("index.json")).expect("index");

    let m = Digest::sha256_of(b"manifest that is not there");
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m}","size":26,"annotations":{{"org.opencontainers.image.ref.name":"keep"}}}}]}}"#
    );
    let mut b = tar::Builder::new(Vec::new());
    // A path climbing out, and a symlink named like a blob: both ignored.
    let escape = outside.path().join("pwned");
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_entry_type(tar::EntryType::Regular);
    h.as_gnu_mut().expect("gnu").name[..6].copy_from_slice(b"../../");
    h.set_cksum();
    b.append(&h, &b"pwned"[..]).expect("append");
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    b.append_link(
        &mut link,
        format!("blobs/sha256/{}", m.encoded()),
        escape.to_str().expect("utf-8"),
    )
    .expect("link");
    let mut ih = tar::Header::new_gnu();
    ih.set_size(index.len() as u64);
    ih.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut ih, "index.json", index.as_bytes())
        .expect("index");
    let archive = b.into_inner().expect("tar");

    let err = layout
        .import_oci_archive(&archive[..])
        .expect_err("the manifest is missing");
    assert!(matches!(err, Error::Missing { .. }), "{err}");
    assert_eq!(
        std::fs::read(d.path().join("index.json")).expect("index"),
        before,
        "index.json untouched"
    );
    assert!(!escape.exists());
    assert!(layout.fsck().expect("fsck").is_empty());

    let bad_name = raw_tar(b"blobs/sha256/../../../../tmp/x", b"x");
    assert!(layout.import_oci_archive(&bad_name[..]).is_err());
    let huge = vec![b' '; (carrack_image::MAX_DOCUMENT_SIZE + 10) as usize];
    let huge_index = tar_of(&[("index.json", &huge)]);
    assert!(layout.import_oci_archive(&huge_index[..]).is_err());
    assert!(layout.import_oci_archive(&b"not a tar at all"[..]).is_err());
}

fn docker_config(diff_ids: &[Digest]) -> Vec<u8> {
    let ids: Vec<String> = diff_ids.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        r#"{{"architecture":"arm64","variant":"v8","os":"linux","config":{{"Hostname":"","Cmd":["sh"],"Healthcheck":{{"Test":["NONE"]}}}},"container_config":{{"Cmd":["/bin/sh"]}},"docker_version":"24.0.7","rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{{"created_by":"ADD rootfs"}}]}}"#,
        ids.join(",")
    )
    .into_bytes()
}

fn check_imported(layout: &Layout, tag: &str) {
    let found = layout
        .resolve(
            tag,
            &PlatformMatcher::parse("linux/arm64").expect("platform"),
        )
        .expect("resolve");
    assert_eq!(found.manifest.media_type, Some(MediaType::ImageManifest));
    assert_eq!(found.manifest.config.media_type, MediaType::ImageConfig);
    let config: ImageConfiguration = layout
        .read_document(&found.manifest.config)
        .expect("config");
    assert!(
        config.extra.contains_key("docker_version"),
        "Docker members are kept"
    );
    assert!(layout.fsck().expect("fsck").is_empty());
}

#[test]
fn imports_legacy_docker_save() {
    let layer = layer_tar("etc/hostname");
    let config = docker_config(&[Digest::sha256_of(&layer)]);
    let config_name = format!("{}.json", Digest::sha256_of(&config).encoded());
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["example.com/app:1.0","app:latest"],"Layers":["abc123/layer.tar"]}}]"#
    );
    let archive = tar_of(&[
        ("abc123/VERSION", b"1.0"),
        ("abc123/json", b"{}"),
        ("abc123/layer.tar", &layer),
        (&config_name, &config),
        ("manifest.json", manifest.as_bytes()),
        ("repositories", br#"{"app":{"latest":"abc123"}}"#),
    ]);
    let d = tempfile::tempdir().expect("tmp");
    let path = d.path().join("save.tar");
    std::fs::File::create(&path)
        .expect("create")
        .write_all(&archive)
        .expect("write");
    let layout = Layout::create(d.path().join("layout")).expect("layout");
    let report = layout.import_docker_archive(&path).expect("import");
    assert_eq!(report.entries.len(), 2);
    check_imported(&layout, "example.com/app:1.0");
    check_imported(&layout, "app:latest");
}

#[test]
fn imports_docker_25_save_with_an_oci_layout_inside() {
    let layer = layer_tar("bin/true");
    let ld = Digest::sha256_of(&layer);
    let config = docker_config(std::slice::from_ref(&ld));
    let cd = Digest::sha256_of(&config);
    let manifest = format!(
        r#"[{{"Config":"blobs/sha256/{}","RepoTags":["busybox:latest"],"Layers":["blobs/sha256/{}"]}}]"#,
        cd.encoded(),
        ld.encoded()
    );
    let (lp, cp) = (
        format!("blobs/sha256/{}", ld.encoded()),
        format!("blobs/sha256/{}", cd.encoded()),
    );
    let archive = tar_of(&[
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", br#"{"schemaVersion":2,"manifests":[]}"#),
        (&lp, &layer),
        (&cp, &config),
        ("manifest.json", manifest.as_bytes()),
    ]);
    let d = tempfile::tempdir().expect("tmp");
    let path = d.path().join("save.tar");
    std::fs::write(&path, &archive).expect("write");
    let layout = Layout::create(d.path().join("layout")).expect("layout");
    layout.import_docker_archive(&path).expect("import");
    check_imported(&layout, "busybox:latest");
}

#[test]
fn docker_layers_must_match_their_diff_ids() {
    let layer = layer_tar("a");
    let config = docker_config(&[Digest::sha256_of(b"another layer")]);
    let archive = tar_of(&[
        ("l/layer.tar", &layer),
        ("c.json", &config),
        (
            "manifest.json",
            br#"[{"Config":"c.json","RepoTags":["x:y"],"Layers":["l/layer.tar"]}]"#,
        ),
    ]);
    let d = tempfile::tempdir().expect("tmp");
    let path = d.path().join("save.tar");
    std::fs::write(&path, &archive).expect("write");
    let layout = Layout::create(d.path().join("layout")).expect("layout");
    assert!(matches!(
        layout.import_docker_archive(&path),
        Err(Error::Digest { .. })
    ));
    assert!(layout.tags().expect("tags").is_empty());
}
