//! The layout store: verified reads, atomic and locked index updates, resolution, fsck, gc,
//! referrers, and hostile layouts.

#![cfg(unix)] // the store (Layout) is Unix only

use std::io::{Read, Write};
use std::os::unix::fs::symlink;

use carrack_image::{Error, GcOptions, Layout, PlatformMatcher};
use carrack_spec::Document;
use carrack_spec::image::{
    Algorithm, Arch, Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType,
    Os, Platform, RootFs,
};

fn image(layout: &Layout, arch: Arch, content: &[u8]) -> Descriptor {
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, content)
        .expect("layer");
    let config = ImageConfiguration::new(
        arch.clone(),
        Os::Linux,
        RootFs::layers(vec![layer.digest.clone()]),
    );
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    let mut d = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![layer]),
        )
        .expect("manifest");
    d.platform = Some(Platform::new(arch, Os::Linux));
    d
}

fn blob_file(dir: &std::path::Path, d: &Digest) -> std::path::PathBuf {
    dir.join("blobs").join(d.algorithm()).join(d.encoded())
}

#[test]
fn create_open_and_version() {
    let dir = tempfile::tempdir().expect("tmp");
    Layout::create(dir.path()).expect("create");
    Layout::create(dir.path()).expect("create is idempotent");
    Layout::open(dir.path()).expect("open");
    std::fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .expect("write");
    assert!(matches!(
        Layout::open(dir.path()),
        Err(Error::Version { .. })
    ));
    let empty = tempfile::tempdir().expect("tmp");
    let err = Layout::open(empty.path()).expect_err("not a layout");
    assert!(err.to_string().contains("oci-layout"), "{err}");
}

#[test]
fn blobs_are_verified_on_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let d = layout
        .write_blob_bytes(MediaType::ImageLayer, b"hello world")
        .expect("write");
    assert_eq!(d.digest, Digest::sha256_of(b"hello world"));
    assert_eq!(layout.read_blob(&d).expect("read"), b"hello world");
    layout.verify(&d).expect("verify");

    // Same size, different content: the digest check fails at the end of the stream.
    std::fs::write(blob_file(dir.path(), &d.digest), b"hello WORLD").expect("tamper");
    assert!(matches!(layout.read_blob(&d), Err(Error::Digest { .. })));
    let mut reader = layout.open_descriptor(&d).expect("open");
    let mut buf = Vec::new();
    let err = reader.read_to_end(&mut buf).expect_err("stream must fail");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);

    // Truncated and extended blobs fail on size before any hashing.
    std::fs::write(blob_file(dir.path(), &d.digest), b"hello").expect("truncate");
    assert!(matches!(
        layout.read_blob(&d),
        Err(Error::Size {
            actual: 5,
            expected: 11,
            ..
        })
    ));
    std::fs::write(blob_file(dir.path(), &d.digest), b"hello world, and more").expect("extend");
    assert!(matches!(layout.verify(&d), Err(Error::Size { .. })));

    std::fs::remove_file(blob_file(dir.path(), &d.digest)).expect("rm");
    assert!(matches!(layout.read_blob(&d), Err(Error::Missing { .. })));
    let mut negative = d.clone();
    negative.size = -1;
    assert!(matches!(
        layout.read_blob(&negative),
        Err(Error::BadSize { .. })
    ));
}

#[test]
fn streaming_writes_dedupe_and_clean_up() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let mut w = layout.blob_writer(Algorithm::Sha512).expect("writer");
    for _ in 0..1000 {
        w.write_all(&[7u8; 1024]).expect("write");
    }
    let (digest, size) = w.finish().expect("finish");
    assert_eq!(size, 1024 * 1000);
    assert_eq!(digest.algorithm(), "sha512");
    let again = {
        let mut w = layout.blob_writer(Algorithm::Sha512).expect("writer");
        w.write_all(&vec![7u8; 1024 * 1000]).expect("write");
        w.finish().expect("finish").0
    };
    assert_eq!(digest, again);
    {
        let mut abandoned = layout.blob_writer(Algorithm::Sha256).expect("writer");
        abandoned.write_all(b"never finished").expect("write");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("blobs/sha256"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn concurrent_taggers_never_lose_a_tag() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let d = layout
        .write_blob_bytes(MediaType::ImageManifest, b"{}")
        .expect("write");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let path = dir.path().to_path_buf();
            let d = d.clone();
            std::thread::spawn(move || {
                // Each thread opens its own handle, so locking is exercised as between processes.
                let layout = Layout::open(&path).expect("open");
                for i in 0..25 {
                    layout.tag(&format!("t{t}-{i}"), d.clone()).expect("tag");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(layout.tags().expect("tags").len(), 200);
}

#[test]
fn tags_replace_and_untag() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let a = image(&layout, Arch::Amd64, b"a");
    let b = image(&layout, Arch::Amd64, b"b");
    layout.tag("v1", a.clone()).expect("tag");
    layout.tag("v1", b.clone()).expect("retag");
    let tags = layout.tags().expect("tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].1.digest, b.digest);
    assert!(layout.untag("v1").expect("untag"));
    assert!(!layout.untag("v1").expect("untag again"));
    assert!(matches!(layout.tag("bad tag", a), Err(Error::BadTag(_))));
}

#[test]
fn resolves_through_nested_indexes_by_platform() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let amd = image(&layout, Arch::Amd64, b"amd64");
    let mut arm = image(&layout, Arch::Arm64, b"arm64");
    arm.platform.as_mut().expect("platform").variant = Some("v8".into());
    let mut armv7 = image(&layout, Arch::Arm, b"armv7");
    armv7.platform.as_mut().expect("platform").variant = Some("v7".into());
    let inner = layout
        .write_document(
            MediaType::ImageIndex,
            &ImageIndex::new(vec![arm.clone(), armv7.clone()]),
        )
        .expect("inner");
    let outer = layout
        .write_document(
            MediaType::ImageIndex,
            &ImageIndex::new(vec![amd.clone(), inner]),
        )
        .expect("outer");
    layout.tag("multi", outer.clone()).expect("tag");

    let get = |p: &str| {
        layout
            .resolve("multi", &PlatformMatcher::parse(p).expect("platform"))
            .map(|r| r.descriptor.digest)
    };
    assert_eq!(get("linux/amd64").expect("amd64"), amd.digest);
    assert_eq!(get("linux/x86_64").expect("alias"), amd.digest);
    assert_eq!(get("linux/arm64").expect("arm64"), arm.digest);
    assert_eq!(get("linux/aarch64/v8").expect("alias"), arm.digest);
    assert_eq!(get("linux/arm/v7").expect("armv7"), armv7.digest);
    assert_eq!(get("linux/armhf").expect("armhf"), armv7.digest);
    let err = get("linux/s390x").expect_err("no such platform");
    assert!(matches!(err, Error::NoPlatform { .. }), "{err}");
    for has in ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"] {
        assert!(err.to_string().contains(has), "{err}");
    }
    // By digest, without a tag.
    assert_eq!(
        layout
            .resolve(
                outer.digest.as_str(),
                &PlatformMatcher::parse("linux/amd64").expect("platform")
            )
            .expect("by digest")
            .descriptor
            .digest,
        amd.digest
    );
    // A manifest named by digest is still checked against its configuration.
    let err = layout
        .resolve(
            amd.digest.as_str(),
            &PlatformMatcher::parse("linux/s390x").expect("platform"),
        )
        .expect_err("an amd64 manifest is no s390x image");
    assert!(err.to_string().contains("linux/amd64"), "{err}");
}

#[test]
fn ambiguous_references_list_their_candidates() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let a = image(&layout, Arch::Amd64, b"a");
    let b = image(&layout, Arch::Amd64, b"b");
    let mut a_tagged = a.clone();
    let mut b_tagged = b.clone();
    for d in [&mut a_tagged, &mut b_tagged] {
        d.annotations = Some(
            [(
                "org.opencontainers.image.ref.name".to_owned(),
                "dup".to_owned(),
            )]
            .into_iter()
            .collect(),
        );
    }
    layout
        .update_index(|ix| {
            ix.manifests.push(a_tagged);
            ix.manifests.push(b_tagged);
            Ok(())
        })
        .expect("index");
    let err = layout
        .resolve("dup", &PlatformMatcher::host())
        .expect_err("ambiguous");
    let text = err.to_string();
    assert!(
        text.contains(a.digest.as_str()) && text.contains(b.digest.as_str()),
        "{text}"
    );
}

#[test]
fn fsck_reports_every_problem_with_its_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let one = image(&layout, Arch::Amd64, b"one");
    let two = image(&layout, Arch::Arm64, b"two");
    layout.tag("one", one.clone()).expect("tag");
    layout.tag("two", two.clone()).expect("tag");
    assert!(layout.fsck().expect("fsck").is_empty());

    let m1: ImageManifest = layout.read_document(&one).expect("m1");
    let m2: ImageManifest = layout.read_document(&two).expect("m2");
    std::fs::write(blob_file(dir.path(), &m1.layers[0].digest), b"ONE").expect("corrupt layer");
    std::fs::remove_file(blob_file(dir.path(), &m2.config.digest)).expect("remove config");
    std::fs::write(dir.path().join("blobs/sha256/not-a-digest"), b"x").expect("stray");
    let problems = layout.fsck().expect("fsck");
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 3, "{text:#?}");
    assert!(
        text.iter()
            .any(|p| p.contains(m1.layers[0].digest.encoded()) && p.contains("digest")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|p| p.contains(m2.config.digest.encoded()) && p.contains("missing")),
        "{text:#?}"
    );
    assert!(text.iter().any(|p| p.contains("not-a-digest")), "{text:#?}");
    for p in &problems {
        assert_eq!(p.to_string().matches(p.path.as_str()).count(), 1, "{p}");
    }
}

#[test]
fn gc_removes_only_the_unreachable_and_old() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let kept = image(&layout, Arch::Amd64, b"kept");
    layout.tag("kept", kept.clone()).expect("tag");
    let orphan = layout
        .write_blob_bytes(MediaType::ImageLayer, b"orphan")
        .expect("orphan");
    // A referrer (e.g. a signature) of the kept manifest survives gc although nothing tags it.
    let mut sig = ImageManifest::new(
        Descriptor::empty(),
        vec![
            layout
                .write_blob_bytes(MediaType::from("application/vnd.example.sig"), b"sig")
                .expect("sig"),
        ],
    );
    sig.artifact_type = Some(MediaType::from("application/vnd.example.sig"));
    sig.subject = Some(kept.clone());
    layout
        .write_blob_bytes(MediaType::EmptyJson, b"{}")
        .expect("empty");
    let sig = layout
        .write_document(MediaType::ImageManifest, &sig)
        .expect("sig manifest");

    let young = layout.gc(&GcOptions::default()).expect("gc");
    assert!(
        young.removed.is_empty() && young.kept_young.contains(&orphan.digest),
        "fresh blobs are kept"
    );
    let mut opts = GcOptions::default();
    opts.grace = std::time::Duration::ZERO;
    opts.dry_run = true;
    let dry = layout.gc(&opts).expect("dry run");
    assert_eq!(dry.removed, vec![orphan.digest.clone()]);
    assert!(
        layout.blob_size(&orphan.digest).expect("size").is_some(),
        "dry run removes nothing"
    );
    opts.dry_run = false;
    let report = layout.gc(&opts).expect("gc");
    assert_eq!(report.removed, vec![orphan.digest.clone()]);
    assert!(layout.blob_size(&orphan.digest).expect("size").is_none());
    assert!(layout.blob_size(&sig.digest).expect("size").is_some());
    assert!(layout.fsck().expect("fsck").is_empty());
    let referrers = layout.referrers(&kept.digest).expect("referrers");
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].digest, sig.digest);
    assert_eq!(
        referrers[0].artifact_type,
        Some(MediaType::from("application/vnd.example.sig"))
    );
}

#[test]
fn symlinks_in_the_layout_never_lead_outside() {
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("secret"), b"secret").expect("secret");
    let secret_digest = Digest::sha256_of(b"secret");

    // blobs/sha256/<digest> is a symlink to a file outside.
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).expect("mkdir");
    symlink(
        outside.path().join("secret"),
        blob_file(dir.path(), &secret_digest),
    )
    .expect("symlink");
    let desc = Descriptor::new(MediaType::ImageLayer, secret_digest.clone(), 6);
    assert!(
        layout.read_blob(&desc).is_err(),
        "a symlinked blob must not be read"
    );

    // blobs/sha256 itself is a symlink to a directory outside.
    let dir2 = tempfile::tempdir().expect("tmp");
    let layout2 = Layout::create(dir2.path()).expect("create");
    std::fs::create_dir_all(outside.path().join("blobs")).expect("mkdir");
    std::fs::write(
        outside.path().join("blobs").join(secret_digest.encoded()),
        b"secret",
    )
    .expect("write");
    let _ = std::fs::remove_dir_all(dir2.path().join("blobs/sha256"));
    symlink(
        outside.path().join("blobs"),
        dir2.path().join("blobs/sha256"),
    )
    .expect("symlink");
    assert!(
        layout2.read_blob(&desc).is_err(),
        "a symlinked algorithm directory must not be followed"
    );
    assert!(
        layout2
            .write_blob_bytes(MediaType::ImageLayer, b"x")
            .is_err(),
        "nor written through"
    );
    assert_eq!(
        std::fs::read_dir(outside.path().join("blobs"))
            .expect("dir")
            .count(),
        1
    );

    // index.json is a symlink to a file outside.
    let dir3 = tempfile::tempdir().expect("tmp");
    Layout::create(dir3.path()).expect("create");
    std::fs::write(
        outside.path().join("index.json"),
        ImageIndex::new(Vec::new()).to_vec(),
    )
    .expect("write");
    std::fs::remove_file(dir3.path().join("index.json")).expect("rm");
    symlink(
        outside.path().join("index.json"),
        dir3.path().join("index.json"),
    )
    .expect("symlink");
    assert!(
        Layout::open(dir3.path()).is_err(),
        "a symlinked index.json is refused"
    );
}

#[test]
fn oversized_documents_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let big = vec![b' '; (carrack_image::MAX_DOCUMENT_SIZE + 1) as usize];
    let d = layout
        .write_blob_bytes(MediaType::ImageManifest, &big)
        .expect("write");
    assert!(matches!(
        layout.read_document::<ImageManifest>(&d),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn hostile_index_entries_are_errors_not_escapes() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    std::fs::write(
        dir.path().join("index.json"),
        br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":1}]}"#,
    )
    .expect("write");
    let err = layout.index().expect_err("hostile digest");
    let text = err.to_string();
    assert!(
        text.contains("index.json") && text.contains("/manifests/0/digest"),
        "{text}"
    );
    assert!(layout.fsck().is_err());
}

#[test]
fn gc_waits_for_running_writers_and_keeps_what_they_wrote() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let mut writer = layout.blob_writer(Algorithm::Sha256).expect("writer");
    writer.write_all(b"in flight").expect("write");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gc = {
        let path = dir.path().to_path_buf();
        let done = done.clone();
        std::thread::spawn(move || {
            let layout = Layout::open(&path).expect("open");
            let mut opts = GcOptions::default();
            opts.grace = std::time::Duration::ZERO;
            let report = layout.gc(&opts).expect("gc");
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            report
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        !done.load(std::sync::atomic::Ordering::SeqCst),
        "gc must wait while a blob is being written"
    );
    let (digest, _) = writer.finish().expect("finish");
    let report = gc.join().expect("gc thread");
    // With no grace period gc may then remove the untagged blob, but never mid-write.
    assert!(report.removed.iter().all(|d| d == &digest));
}

#[test]
fn unknown_and_unverifiable_algorithms_are_reported_not_trusted() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("create");
    let d: Digest = "foo+bar:c2VjcmV0".parse().expect("grammar-valid digest");
    std::fs::create_dir_all(dir.path().join("blobs/foo+bar")).expect("mkdir");
    std::fs::write(dir.path().join("blobs/foo+bar/c2VjcmV0"), b"secret").expect("write");
    let desc = Descriptor::new(MediaType::ImageLayer, d, 6);
    assert!(matches!(
        layout.read_blob(&desc),
        Err(Error::Unsupported(_))
    ));
    layout.tag("odd", desc).expect("tag");
    let problems = layout.fsck().expect("fsck");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].message.contains("not supported"),
        "{}",
        problems[0]
    );
}
