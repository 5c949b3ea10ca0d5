//! `carrack certify image` against the world: layouts and archives written by umoci, skopeo,
//! podman and carrack-image, which must pass every MUST, and deliberately broken copies, which
//! must fail exactly the cases their defect breaks. A missing tool skips its part with a
//! message. Also: every image case quotes its chapter of the specs checkout.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use carrack_conformance::image::{ImageSubject, cases, certify};
use carrack_conformance::{Report, RunOptions};
use carrack_image::Layout;
use carrack_spec::image::{Arch, ImageConfiguration, ImageManifest, MediaType, Os, RootFs};
use carrack_spec::{Level, SpecName};
use serde_json::Value;

fn specs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARRACK_SPECS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs")
}

#[test]
fn every_image_case_quotes_its_chapter() {
    let mut failures = Vec::new();
    for case in cases() {
        assert_eq!(case.rule.spec, SpecName::Image, "{}", case.id);
        let path = specs_dir().join("image-spec").join(case.rule.chapter);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = case.rule.check_quote(&text) {
            failures.push(format!("{}: {e}", case.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases().len() >= 20);
}

fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("{tool} is not installed: skipping the part of this test that needs it");
    }
    ok
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn report(path: &Path) -> Report {
    let subject = ImageSubject::open(path, None).expect("open the subject");
    let mut o = RunOptions::default();
    o.jobs = 4;
    certify(&subject, &o)
}

/// The ids of the failed cases, MUST ones and SHOULD ones.
fn failed(r: &Report) -> (Vec<&'static str>, Vec<&'static str>) {
    let f = |level| {
        r.results
            .iter()
            .filter(|c| c.verdict.word() == "fail" && c.level == level)
            .map(|c| c.id)
            .collect()
    };
    (f(Level::Must), f(Level::Should))
}

fn no_must_fails(r: &Report) {
    let (must, _) = failed(r);
    assert!(
        must.is_empty(),
        "{}",
        r.render(carrack_conformance::Format::Text)
    );
    assert!(r.results.len() == cases().len());
}

/// A layout by umoci: `t` has one layer (a file and a hardlink to it), `t2` a second layer
/// that removes the hardlink (a whiteout) and adds a file.
fn umoci_layout(dir: &Path) -> PathBuf {
    let l = dir.join("umoci");
    let b = dir.join("bundle");
    let image = |t: &str| format!("{}:{t}", l.display());
    run(Command::new("umoci").args(["init", "--layout"]).arg(&l));
    run(Command::new("umoci").args(["new", "--image", &image("t")]));
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image("t")])
        .arg(&b));
    let root = b.join("rootfs");
    std::fs::create_dir_all(root.join("etc")).expect("etc");
    std::fs::write(root.join("etc/hello"), "hi\n").expect("hello");
    std::fs::hard_link(root.join("etc/hello"), root.join("etc/hl")).expect("hardlink");
    run(Command::new("umoci")
        .args(["repack", "--image", &image("t")])
        .arg(&b));
    std::fs::remove_dir_all(&b).expect("rm bundle");
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image("t")])
        .arg(&b));
    std::fs::remove_file(b.join("rootfs/etc/hl")).expect("rm hl");
    std::fs::create_dir_all(b.join("rootfs/usr/bin")).expect("usr/bin");
    std::fs::write(b.join("rootfs/usr/bin/tool"), "x\n").expect("tool");
    run(Command::new("umoci")
        .args(["repack", "--image", &image("t2")])
        .arg(&b));
    l
}

#[test]
fn layouts_and_archives_from_umoci_skopeo_and_carrack_pass_every_must() {
    assert!(
        have("umoci"),
        "umoci is not installed (apt-get install umoci)"
    );
    assert!(
        have("skopeo"),
        "skopeo is not installed (apt-get install skopeo)"
    );
    let t = tempfile::tempdir().expect("tempdir");
    let l = umoci_layout(t.path());
    let r = report(&l);
    no_must_fails(&r);
    // umoci writes index.json entries without platform (a SHOULD of image-index.md).
    let (_, should) = failed(&r);
    assert!(
        should
            .iter()
            .all(|id| *id == "image/index/platform/present"),
        "{should:?}"
    );
    let seen = |r: &Report, id: &str| {
        r.results
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.verdict.detail().to_owned())
            .unwrap_or_default()
    };
    assert!(seen(&r, "image/layer/whiteout/lower-only").starts_with("1 explicit whiteouts"));
    assert!(seen(&r, "image/config/diff-ids/match").starts_with("3 layers'"));

    // carrack-image's own archive import and export.
    let carrack = Layout::create(t.path().join("carrack")).expect("layout");
    let exported = t.path().join("carrack.tar");
    let umoci = Layout::open(&l).expect("open umoci's layout");
    umoci
        .export_oci_archive(&[], std::fs::File::create(&exported).expect("create"))
        .expect("export");
    carrack
        .import_oci_archive(std::fs::File::open(&exported).expect("open"))
        .expect("import");
    no_must_fails(&report(&exported));
    no_must_fails(&report(carrack.path()));

    {
        let src = format!("oci:{}:t2", l.display());
        let archive = t.path().join("skopeo.tar");
        let dir = t.path().join("skopeo");
        for dst in [
            format!("oci-archive:{}", archive.display()),
            format!("oci:{}:t2", dir.display()),
        ] {
            run(Command::new("skopeo").args(["--insecure-policy", "copy", &src, &dst]));
        }
        no_must_fails(&report(&archive));
        no_must_fails(&report(&dir));
    }
}

fn edit_json(path: &Path, change: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    change(&mut v);
    std::fs::write(path, serde_json::to_vec(&v).expect("json")).expect("write");
}

fn copy_dir(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-a").arg(from).arg(to));
}

#[test]
fn broken_copies_fail_the_cases_they_break() {
    if !have("umoci") {
        return;
    }
    let t = tempfile::tempdir().expect("tempdir");
    let l = umoci_layout(t.path());
    let index: Value =
        serde_json::from_slice(&std::fs::read(l.join("index.json")).expect("index")).expect("json");
    let manifest = index["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    let blob = |dir: &Path, d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let m: Value = serde_json::from_slice(&std::fs::read(blob(&l, &manifest)).expect("manifest"))
        .expect("json");
    let layer = m["layers"][0]["digest"].as_str().expect("layer").to_owned();
    let config = m["config"]["digest"].as_str().expect("config").to_owned();

    let broken = |name: &str, damage: &dyn Fn(&Path)| {
        let dir = t.path().join(name);
        copy_dir(&l, &dir);
        damage(&dir);
        let r = report(&dir);
        eprintln!("{name}: {}", r.summary());
        failed(&r)
    };

    let (must, _) = broken("flipped", &|d| {
        let p = blob(d, &layer);
        let mut bytes = std::fs::read(&p).expect("layer");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        std::fs::write(&p, bytes).expect("write");
    });
    for id in [
        "image/layout/blobs/digest",
        "image/descriptor/digest/content",
        "image/layer/gzip",
    ] {
        assert!(must.contains(&id), "flipped byte: {id} not in {must:?}");
    }

    let (must, _) = broken("size", &|d| {
        edit_json(&d.join("index.json"), |v| {
            let s = v["manifests"][0]["size"].as_i64().expect("size");
            v["manifests"][0]["size"] = (s + 1).into();
        });
    });
    assert_eq!(must, ["image/descriptor/size/content"]);

    let (must, should) = broken("missing", &|d| {
        std::fs::remove_file(blob(d, &config)).expect("rm config");
    });
    assert!(must.is_empty(), "{must:?}");
    assert!(should.contains(&"image/layout/blobs/missing"), "{should:?}");

    let (must, _) = broken("oci-layout", &|d| {
        std::fs::write(d.join("oci-layout"), br#"{"version":"1.0.0"}"#).expect("write");
    });
    assert_eq!(must, ["image/layout/oci-layout/version"]);

    let (must, _) = broken("no-oci-layout", &|d| {
        std::fs::remove_file(d.join("oci-layout")).expect("rm");
    });
    assert_eq!(
        must,
        [
            "image/layout/oci-layout/exists",
            "image/layout/oci-layout/version"
        ]
    );

    let (must, _) = broken("negative", &|d| {
        edit_json(&d.join("index.json"), |v| {
            v["manifests"][0]["size"] = (-1).into();
            v["manifests"][0]["digest"] = "SHA256:x".into();
        });
    });
    for id in [
        "image/layout/index/image-index",
        "image/descriptor/size/non-negative",
        "image/descriptor/digest/grammar",
    ] {
        assert!(must.contains(&id), "{id} not in {must:?}");
    }
}

/// A tar with the names and types given, written raw so that hostile names survive.
fn hostile_tar(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, t, data, link) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*t);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        b.append(&h, *data).expect("append");
    }
    b.into_inner().expect("tar")
}

#[test]
fn a_hostile_layer_written_with_carrack_image_fails_the_layer_cases() {
    use tar::EntryType::{Directory, Link, Regular};
    let t = tempfile::tempdir().expect("tempdir");
    let layout = Layout::create(t.path().join("l")).expect("layout");
    let tar = hostile_tar(&[
        ("etc/", Directory, b"", None),
        ("etc/a", Regular, b"a", None),
        ("./etc/a", Regular, b"b", None),
        ("../escape", Regular, b"x", None),
        ("etc/.wh.", Regular, b"", None),
        ("etc/.wh.b", Regular, b"not empty", None),
        ("etc/.wh.a", Regular, b"", None),
        ("etc/l", Link, b"", Some("etc/nowhere")),
    ]);
    let desc = layout
        .write_blob_bytes(MediaType::ImageLayer, &tar)
        .expect("layer");
    let mut config = ImageConfiguration::new(
        Arch::Amd64,
        Os::Linux,
        RootFs::layers(vec![desc.digest.clone()]),
    );
    config.created = Some("yesterday".into());
    let config = layout
        .write_document(MediaType::ImageConfig, &config)
        .expect("config");
    let manifest = layout
        .write_document(
            MediaType::ImageManifest,
            &ImageManifest::new(config, vec![desc]),
        )
        .expect("manifest");
    layout.tag("hostile", manifest).expect("tag");
    let r = report(layout.path());
    let (must, should) = failed(&r);
    assert_eq!(
        must,
        [
            "image/config/created",
            "image/layer/duplicates",
            "image/layer/relative-names",
            "image/layer/whiteout/empty-file",
            "image/layer/whiteout/lower-only",
            "image/layer/hardlink/target",
        ],
        "{}",
        r.render(carrack_conformance::Format::Text)
    );
    assert!(
        should.contains(&"image/layer/whiteout/basename"),
        "{should:?}"
    );
}

#[test]
fn an_archive_that_escapes_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    let p = t.path().join("evil.tar");
    std::fs::write(
        &p,
        hostile_tar(&[
            (
                "oci-layout",
                tar::EntryType::Regular,
                br#"{"imageLayoutVersion":"1.0.0"}"#,
                None,
            ),
            ("../../evil", tar::EntryType::Regular, b"x", None),
        ]),
    )
    .expect("write");
    let e = ImageSubject::open(&p, Some(t.path())).expect_err("refused");
    assert!(e.to_string().contains("refusing"), "{e}");
    let left: Vec<_> = std::fs::read_dir(t.path()).expect("ls").collect();
    assert_eq!(left.len(), 1, "the half-unpacked directory is removed");
}

#[test]
fn artifacts_referrers_and_nested_indexes_written_with_carrack_image() {
    use carrack_spec::image::{ImageIndex, Platform};
    let t = tempfile::tempdir().expect("tempdir");
    let make = |name: &str, artifact_type: Option<&str>, subject_type: Option<MediaType>| {
        let layout = Layout::create(t.path().join(name)).expect("layout");
        let tar = hostile_tar(&[("etc/a", tar::EntryType::Regular, b"a", None)]);
        let layer = layout
            .write_blob_bytes(MediaType::ImageLayer, &tar)
            .expect("layer");
        let config = ImageConfiguration::new(
            Arch::Amd64,
            Os::Linux,
            RootFs::layers(vec![layer.digest.clone()]),
        );
        let config = layout
            .write_document(MediaType::ImageConfig, &config)
            .expect("config");
        let mut image = layout
            .write_document(
                MediaType::ImageManifest,
                &ImageManifest::new(config, vec![layer]),
            )
            .expect("manifest");
        image.platform = Some(Platform::new(Arch::Amd64, Os::Linux));
        let nested = layout
            .write_document(MediaType::ImageIndex, &ImageIndex::new(vec![image.clone()]))
            .expect("index");
        layout.tag("multi", nested).expect("tag");
        let empty = layout
            .write_blob_bytes(MediaType::EmptyJson, b"{}")
            .expect("empty");
        let sbom = layout
            .write_blob_bytes(MediaType::from("application/spdx+json"), b"{\"spdx\":1}")
            .expect("sbom");
        let mut artifact = ImageManifest::new(empty, vec![sbom]);
        artifact.artifact_type = artifact_type.map(MediaType::from);
        let mut subject = image;
        subject.platform = None;
        if let Some(t) = subject_type {
            subject.media_type = t;
        }
        artifact.subject = Some(subject);
        let a = layout
            .write_document(MediaType::ImageManifest, &artifact)
            .expect("artifact");
        layout.add(a).expect("add");
        report(layout.path())
    };
    let r = make("good", Some("application/spdx+json"), None);
    let (must, should) = failed(&r);
    assert!(
        must.is_empty() && should.is_empty(),
        "{}",
        r.render(carrack_conformance::Format::Text)
    );
    let detail = |r: &Report, id: &str| {
        r.results
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.verdict.detail().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        detail(&r, "image/index/platform/present"),
        "1 entries point to images, each with a platform"
    );
    assert_eq!(
        detail(&r, "image/index/schema-version"),
        "2 indexes, schemaVersion 2"
    );
    assert!(detail(&r, "image/manifest/subject").starts_with("2 manifests"));

    let r = make("untyped", None, Some(MediaType::ImageLayer));
    let (must, _) = failed(&r);
    assert_eq!(
        must,
        ["image/manifest/artifact-type", "image/manifest/subject"]
    );
}

/// podman (in a storage of its own, so the host's images are left alone) loads skopeo's
/// archive of umoci's image and saves it again; what it writes passes every MUST.
#[test]
#[ignore = "needs root: podman with a storage of its own"]
fn an_archive_saved_by_podman_passes_every_must() {
    assert!(
        have("podman") && have("skopeo") && have("umoci"),
        "podman, skopeo and umoci are needed"
    );
    let t = tempfile::tempdir().expect("tempdir");
    let l = umoci_layout(t.path());
    let archive = t.path().join("skopeo.tar");
    run(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        &format!("oci:{}:t2", l.display()),
        &format!("oci-archive:{}", archive.display()),
    ]));
    let store = t.path().join("podman");
    let podman = || {
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(store.join("root"))
            .arg("--runroot")
            .arg(store.join("run"))
            .args(["--storage-driver", "vfs"]);
        c
    };
    let saved = t.path().join("podman.tar");
    let o = podman()
        .args(["pull", &format!("oci-archive:{}", archive.display())])
        .output()
        .expect("podman");
    assert!(
        o.status.success(),
        "podman pull: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let id = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    run(podman()
        .args(["save", "--format", "oci-archive", "-o"])
        .arg(&saved)
        .arg(&id));
    no_must_fails(&report(&saved));
    let _ = podman().args(["rmi", "--force", &id]).output();
}
