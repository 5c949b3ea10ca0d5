//! Image references: names that `docker save` and skopeo store, found by any of their Docker
//! spellings; exact tags first; digests; errors that say what the layout holds.

#![cfg(unix)] // the store (Layout) is Unix only

use carrack_image::{Error, ImageLocation, Layout, MatchRule, PlatformMatcher};
use carrack_spec::image::{
    Arch, Descriptor, Digest, ImageConfiguration, ImageManifest, MediaType, Os, Platform, RootFs,
    annotations,
};

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

/// An archive laid out as `docker save` (Docker 20.10, legacy format) writes one: the image
/// configuration at `<id>.json`, each layer in `<layer id>/{VERSION,json,layer.tar}`,
/// `manifest.json` with `RepoTags` as given to `docker save`, and `repositories`.
fn docker_save(repo_tags: &[&str], file: &str) -> Vec<u8> {
    let layer = tar_of(&[(file, b"hello from a docker archive\n")]);
    let diff_id = Digest::sha256_of(&layer);
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Cmd":["/bin/sh"]}},"docker_version":"20.10.24","created":"2024-01-01T00:00:00Z","rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}},"history":[{{"created_by":"imported"}}]}}"#
    );
    let id = Digest::sha256_of(config.as_bytes());
    let layer_id = Digest::sha256_of(diff_id.as_str().as_bytes());
    let layer_id = layer_id.encoded();
    let tags: Vec<String> = repo_tags.iter().map(|t| format!("\"{t}\"")).collect();
    let manifest = format!(
        r#"[{{"Config":"{}.json","RepoTags":[{}],"Layers":["{layer_id}/layer.tar"]}}]"#,
        id.encoded(),
        tags.join(",")
    );
    let mut repositories = serde_json::Map::new();
    for t in repo_tags {
        let (repo, tag) = t.rsplit_once(':').expect("repo:tag");
        repositories.insert(repo.to_owned(), serde_json::json!({ tag: layer_id }));
    }
    let repositories = serde_json::Value::Object(repositories).to_string();
    tar_of(&[
        (&format!("{}.json", id.encoded()), config.as_bytes()),
        (&format!("{layer_id}/VERSION"), b"1.0"),
        (&format!("{layer_id}/json"), br#"{"id":"x"}"#),
        (&format!("{layer_id}/layer.tar"), &layer),
        ("manifest.json", manifest.as_bytes()),
        ("repositories", repositories.as_bytes()),
    ])
}

fn imported(dir: &std::path::Path, archive: &[u8]) -> (Layout, Descriptor) {
    let path = dir.join("save.tar");
    std::fs::write(&path, archive).expect("write archive");
    let layout = Layout::create(dir.join("layout")).expect("layout");
    let report = layout.import_docker_archive(&path).expect("import");
    let first = report.entries.first().expect("an entry").clone();
    (layout, first)
}

fn image(layout: &Layout, content: &[u8]) -> Descriptor {
    let layer = layout
        .write_blob_bytes(MediaType::ImageLayer, content)
        .expect("layer");
    let config = ImageConfiguration::new(
        Arch::Amd64,
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
    d.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
    d
}

fn named(mut d: Descriptor, name: &str) -> Descriptor {
    d.annotations = Some(
        [(annotations::REF_NAME.to_owned(), name.to_owned())]
            .into_iter()
            .collect(),
    );
    d
}

#[test]
fn docker_save_names_resolve_as_given_and_normalised() {
    // Docker writes the familiar name, skopeo's docker-archive the normalised one.
    for stored in ["example/app:latest", "docker.io/example/app:latest"] {
        let dir = tempfile::tempdir().expect("tmp");
        let (layout, entry) = imported(dir.path(), &docker_save(&[stored], "hello.txt"));
        for spelling in [
            "example/app:latest",
            "docker.io/example/app:latest",
            "example/app",
            "docker.io/example/app",
            "index.docker.io/example/app:latest",
        ] {
            let found = layout
                .resolve(
                    spelling,
                    &PlatformMatcher::parse("linux/amd64").expect("platform"),
                )
                .unwrap_or_else(|e| panic!("{spelling} (stored as {stored}): {e}"));
            assert_eq!(found.descriptor.digest, entry.digest, "{spelling}");
            let m = layout.find(spelling).expect("find");
            assert_eq!(m.names, [stored]);
            let rule = if spelling == stored {
                MatchRule::Exact
            } else {
                MatchRule::Normalized
            };
            assert_eq!(m.rule, rule, "{spelling}");
        }
        for other in [
            "example/app:v2",
            "example/other",
            "app",
            "quay.io/example/app",
        ] {
            assert!(
                matches!(layout.lookup(other), Err(Error::NoMatch { .. })),
                "{other} must not match {stored}"
            );
        }
    }
}

#[test]
fn official_images_are_library_images() {
    let dir = tempfile::tempdir().expect("tmp");
    let (layout, entry) = imported(dir.path(), &docker_save(&["busybox:latest"], "bin/sh"));
    for spelling in [
        "busybox",
        "busybox:latest",
        "library/busybox",
        "docker.io/library/busybox:latest",
        "docker.io/busybox",
    ] {
        assert_eq!(
            layout.lookup(spelling).expect(spelling).digest,
            entry.digest
        );
    }
}

#[test]
fn exact_tags_come_first_and_plain_tags_are_not_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let a = image(&layout, b"a");
    let b = image(&layout, b"b");
    layout.tag("app", a.clone()).expect("tag");
    layout
        .tag("docker.io/library/app:latest", b.clone())
        .expect("tag");
    // `app` is an exact tag; the normalised rule would have found b.
    let m = layout.find("app").expect("exact");
    assert_eq!((m.descriptor.digest, m.rule), (a.digest, MatchRule::Exact));
    // `app:latest` is no tag here: the stored name docker.io/library/app:latest is, while the
    // plain tag `app` is never read as a name.
    let m = layout.find("app:latest").expect("normalised");
    assert_eq!(
        (m.descriptor.digest, m.rule),
        (b.digest.clone(), MatchRule::Normalized)
    );
    layout.untag("docker.io/library/app:latest").expect("untag");
    assert!(matches!(
        layout.lookup("app:latest"),
        Err(Error::NoMatch { .. })
    ));
}

#[test]
fn spellings_of_one_name_on_two_images_are_ambiguous() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let a = image(&layout, b"a");
    let b = image(&layout, b"b");
    layout.tag("example/app:latest", a.clone()).expect("tag");
    layout
        .tag("docker.io/example/app:latest", a.clone())
        .expect("tag");
    // Two spellings of one image are one match, with both names.
    let m = layout.find("example/app").expect("one image");
    assert_eq!(
        m.names,
        ["example/app:latest", "docker.io/example/app:latest"]
    );
    layout
        .tag("docker.io/example/app:latest", b.clone())
        .expect("retag");
    let err = layout.lookup("example/app").expect_err("two images");
    let text = err.to_string();
    assert!(matches!(err, Error::Ambiguous { .. }), "{text}");
    assert!(
        text.contains(a.digest.as_str()) && text.contains(b.digest.as_str()),
        "{text}"
    );
}

#[test]
fn digests_alone_or_with_a_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let a = image(&layout, b"a");
    let b = image(&layout, b"b");
    layout.tag("example/app:1", a.clone()).expect("tag");
    layout.add(b.clone()).expect("untagged");
    let m = layout.find(b.digest.as_str()).expect("digest");
    assert_eq!(
        (m.descriptor.digest, m.rule),
        (b.digest.clone(), MatchRule::Digest)
    );
    let pinned = format!("docker.io/example/app@{}", a.digest);
    assert_eq!(
        layout.lookup(&pinned).expect("name@digest").digest,
        a.digest
    );
    let pinned = format!("example/app:1@{}", a.digest);
    assert_eq!(
        layout.lookup(&pinned).expect("name:tag@digest").digest,
        a.digest
    );
    // The name must hold that digest.
    let wrong = format!("example/app@{}", b.digest);
    assert!(layout.lookup(&wrong).is_err());
    let wrong = format!("example/other@{}", a.digest);
    assert!(layout.lookup(&wrong).is_err());
}

#[test]
fn no_match_says_what_the_layout_holds() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let a = image(&layout, b"a");
    let b = image(&layout, b"b");
    layout.tag("v1", a.clone()).expect("tag");
    layout.tag("localhost/app:latest", a).expect("tag");
    layout.add(b).expect("untagged");
    let err = layout.lookup("example/app").expect_err("missing");
    let text = err.to_string();
    assert!(
        text.starts_with("example/app: ")
            && text.contains("docker.io/example/app:latest")
            && text.contains("v1, localhost/app:latest")
            && text.contains("1 untagged entry"),
        "{text}"
    );
    match err {
        Error::NoMatch {
            names, untagged, ..
        } => {
            assert_eq!(names, ["v1", "localhost/app:latest"]);
            assert_eq!(untagged, 1);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_bare_layout_is_latest_or_its_only_image() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    assert!(matches!(layout.find_default(), Err(Error::NoMatch { .. })));
    let a = image(&layout, b"a");
    let b = image(&layout, b"b");
    layout
        .tag("docker.io/example/app:latest", a.clone())
        .expect("tag");
    layout.tag("example/app:1.0", a.clone()).expect("tag");
    let m = layout.find_default().expect("the only image");
    assert_eq!(
        (m.descriptor.digest.clone(), m.rule),
        (a.digest.clone(), MatchRule::Only)
    );
    let here = ImageLocation::new(dir.path(), None);
    let (_, resolved) = here
        .resolve(&PlatformMatcher::parse("linux/amd64").expect("platform"))
        .expect("resolve bare layout");
    assert_eq!(resolved.descriptor.digest, a.digest);
    layout.tag("other", b.clone()).expect("tag");
    assert!(matches!(layout.find_default(), Err(Error::NoMatch { .. })));
    layout.tag("latest", b.clone()).expect("tag");
    assert_eq!(
        layout.find_default().expect("latest").descriptor.digest,
        b.digest
    );
}

#[test]
fn untag_by_any_spelling_removes_every_spelling() {
    let dir = tempfile::tempdir().expect("tmp");
    let layout = Layout::create(dir.path()).expect("layout");
    let a = image(&layout, b"a");
    layout
        .update_index(|ix| {
            ix.manifests.push(named(a.clone(), "example/app:latest"));
            ix.manifests
                .push(named(a.clone(), "docker.io/example/app:latest"));
            ix.manifests.push(named(a.clone(), "example/app:2"));
            ix.manifests.push(named(a.clone(), "example/app:latest"));
            Ok(())
        })
        .expect("index");
    assert_eq!(
        layout.untag_reference("example/app").expect("untag"),
        ["example/app:latest", "docker.io/example/app:latest"]
    );
    let left: Vec<String> = layout
        .tags()
        .expect("tags")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(left, ["example/app:2"]);
    assert!(
        layout
            .untag_reference("example/app")
            .expect("again")
            .is_empty()
    );
    assert_eq!(
        layout.untag_reference("example/app:2").expect("exact"),
        ["example/app:2"]
    );
}
