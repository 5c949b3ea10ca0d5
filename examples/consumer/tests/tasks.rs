//! The five tasks, each checked against what it must produce.

use carrack_consumer::{build_spec, edit_config, pick, unpack_and_bundle, write_and_resolve};
use carrack_spec::Document;
use carrack_spec::runtime::Spec;

fn layer() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_ustar();
    h.set_size(6);
    h.set_mode(0o644);
    tar.append_data(&mut h, "etc/motd", &b"hello\n"[..])
        .expect("append");
    tar.into_inner().expect("tar")
}

#[test]
fn edit_a_config() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("config.json");
    std::fs::write(&path, Spec::default_linux().to_string_pretty()).expect("write");
    edit_config(&path, "edited", "A=1", 1 << 26).expect("edit");
    let back = Spec::from_slice(&std::fs::read(&path).expect("read")).expect("parse");
    assert_eq!(back.hostname.as_deref(), Some("edited"));
    let env = back
        .process
        .as_ref()
        .and_then(|p| p.env.as_ref())
        .expect("env");
    assert!(env.iter().any(|e| e == "A=1"));
    let memory = back
        .linux
        .as_ref()
        .and_then(|l| l.resources.as_ref())
        .and_then(|r| r.memory.as_ref())
        .and_then(|m| m.limit);
    assert_eq!(memory, Some(1 << 26));
}

#[test]
fn build_a_spec() {
    let spec = build_spec();
    assert!(spec.validate().is_valid(), "{}", spec.validate());
    let text = spec.to_string_compact();
    for want in [
        r#""hostname":"built""#,
        r#""destination":"/data""#,
        r#""limit":67108864"#,
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
}

#[test]
fn write_a_layout_and_resolve_an_image() {
    let dir = tempfile::tempdir().expect("tmp");
    let found = write_and_resolve(dir.path(), &layer()).expect("layout");
    assert_eq!(
        found.media_type.to_string(),
        "application/vnd.oci.image.manifest.v1+json"
    );
}

#[test]
fn unpack_and_make_a_bundle() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = dir.path().join("layout");
    write_and_resolve(&layout, &layer()).expect("layout");
    let rootfs = dir.path().join("rootfs");
    let spec =
        unpack_and_bundle(&layout, "v1", &rootfs, &dir.path().join("bundle")).expect("bundle");
    assert_eq!(
        std::fs::read(rootfs.join("etc/motd")).expect("motd"),
        b"hello\n"
    );
    assert_eq!(
        spec.hostname.as_deref(),
        Some("built"),
        "the base spec is kept"
    );
    assert!(dir.path().join("bundle/rootfs/etc/motd").exists());
}

#[test]
fn pick_a_platform_from_an_index() {
    let index = br#"{"schemaVersion":2,"manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,
       "digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111",
       "platform":{"architecture":"amd64","os":"linux"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,
       "digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222",
       "platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}"#;
    let arm = pick(index, "linux/aarch64")
        .expect("pick")
        .expect("an arm64 entry");
    assert!(arm.digest.to_string().starts_with("sha256:2222"));
    assert!(pick(index, "linux/s390x").expect("pick").is_none());
    assert!(pick(index, "banana").is_err());
}
