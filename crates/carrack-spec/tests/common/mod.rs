//! Helpers shared by the integration tests: where the OCI specs are, and per-kind dispatch.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use carrack_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest};
use carrack_spec::runtime::{Features, Spec, State};
use carrack_spec::{Document, DocumentKind, Report};

/// `../shared/specs` beside the repository, or `$CARRACK_SPECS_DIR`.
pub fn specs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARRACK_SPECS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs")
}

/// What parsing a document of `kind` gave: the report and the re-serialised value.
pub fn parse_validate(
    kind: DocumentKind,
    bytes: &[u8],
) -> Result<(Report, serde_json::Value), String> {
    fn go<T: Document>(bytes: &[u8]) -> Result<(Report, serde_json::Value), String> {
        let doc = T::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok((doc.validate(), doc.to_value()))
    }
    match kind {
        DocumentKind::Config => go::<Spec>(bytes),
        DocumentKind::State => go::<State>(bytes),
        DocumentKind::Features => go::<Features>(bytes),
        DocumentKind::Manifest => go::<ImageManifest>(bytes),
        DocumentKind::Index => go::<ImageIndex>(bytes),
        DocumentKind::ImageConfig => go::<ImageConfiguration>(bytes),
        DocumentKind::Descriptor => go::<Descriptor>(bytes),
        DocumentKind::ImageLayout => go::<ImageLayout>(bytes),
        other => Err(format!("no model for {other}")),
    }
}

/// Strict parsing (unknown members rejected) of a document of `kind`.
pub fn parse_strict(kind: DocumentKind, bytes: &[u8]) -> Result<(), String> {
    use carrack_spec::strict::from_slice;
    let r = match kind {
        DocumentKind::Config => from_slice::<Spec>(bytes).map(drop),
        DocumentKind::State => from_slice::<State>(bytes).map(drop),
        DocumentKind::Features => from_slice::<Features>(bytes).map(drop),
        DocumentKind::Manifest => from_slice::<ImageManifest>(bytes).map(drop),
        DocumentKind::Index => from_slice::<ImageIndex>(bytes).map(drop),
        DocumentKind::ImageConfig => from_slice::<ImageConfiguration>(bytes).map(drop),
        DocumentKind::Descriptor => from_slice::<Descriptor>(bytes).map(drop),
        DocumentKind::ImageLayout => from_slice::<ImageLayout>(bytes).map(drop),
        other => return Err(format!("no model for {other}")),
    };
    r.map_err(|e| e.to_string())
}

/// A test vector: its path, kind, and whether it is meant to be good.
pub struct Vector {
    /// The file.
    pub path: PathBuf,
    /// Its document kind.
    pub kind: DocumentKind,
    /// Meant to be accepted.
    pub good: bool,
    /// The upstream reason (image-spec cases.tsv).
    pub why: String,
}

/// Every vector of both specs.
pub fn vectors() -> Vec<Vector> {
    let root = specs_dir();
    let mut out = Vec::new();
    for (dir, kind) in [
        ("config", DocumentKind::Config),
        ("features", DocumentKind::Features),
        ("state", DocumentKind::State),
    ] {
        for good in [true, false] {
            let d = root
                .join("runtime-spec/schema/test")
                .join(dir)
                .join(if good { "good" } else { "bad" });
            let mut files: Vec<_> = std::fs::read_dir(&d)
                .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
                .map(|e| e.expect("dir entry").path())
                .collect();
            files.sort();
            for path in files {
                out.push(Vector {
                    path,
                    kind,
                    good,
                    why: String::new(),
                });
            }
        }
    }
    for (dir, kind) in [
        ("config", DocumentKind::ImageConfig),
        ("descriptor", DocumentKind::Descriptor),
        ("imageindex", DocumentKind::Index),
        ("imagelayout", DocumentKind::ImageLayout),
        ("manifest", DocumentKind::Manifest),
    ] {
        let d = root.join("image-spec/schema/test").join(dir);
        let cases = std::fs::read_to_string(d.join("cases.tsv")).expect("cases.tsv");
        for line in cases.lines().skip(1) {
            let mut cols = line.splitn(3, '\t');
            let (file, expect, why) = (
                cols.next().expect("file"),
                cols.next().expect("expect"),
                cols.next().unwrap_or(""),
            );
            out.push(Vector {
                path: d.join(file),
                kind,
                good: expect == "good",
                why: why.to_owned(),
            });
        }
    }
    out
}
