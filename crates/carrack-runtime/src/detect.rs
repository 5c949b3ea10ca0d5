//! Which kind of document a file holds, from its name and content.

use std::path::Path;

use carrack_spec::DocumentKind;
use carrack_spec::image::MediaType;
use serde_json::Value;

/// Why the kind could not be told.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DetectError {
    #[error("cannot tell which kind of document this is; pass --kind")]
    Unknown,
    #[error(
        "has both {0} and {1} members, so it is ambiguous (CVE-2021-41190); pass --kind to check it as one of them"
    )]
    Ambiguous(&'static str, &'static str),
}

/// Detects the kind of `doc`, read from `path`.
pub(crate) fn detect(path: &Path, doc: &Value) -> Result<DocumentKind, DetectError> {
    match path.file_name().and_then(|n| n.to_str()) {
        Some("config.json") if doc.get("ociVersion").is_some() => return Ok(DocumentKind::Config),
        Some("state.json") => return Ok(DocumentKind::State),
        Some("oci-layout") => return Ok(DocumentKind::ImageLayout),
        Some("index.json") if doc.get("manifests").is_some() => return Ok(DocumentKind::Index),
        Some("features.json") => return Ok(DocumentKind::Features),
        _ => {}
    }
    if let Some(m) = doc.get("mediaType").and_then(Value::as_str) {
        let m = MediaType::from(m);
        let has_digest = doc.get("digest").is_some();
        match m.to_oci() {
            MediaType::ImageManifest if !has_digest => return Ok(DocumentKind::Manifest),
            MediaType::ImageIndex if !has_digest => return Ok(DocumentKind::Index),
            _ if has_digest && doc.get("size").is_some() => return Ok(DocumentKind::Descriptor),
            _ => {}
        }
    }
    let has = |k: &str| doc.get(k).is_some();
    if has("schemaVersion") {
        return match (has("manifests"), has("config") || has("layers")) {
            (true, true) => Err(DetectError::Ambiguous("manifests", "config/layers")),
            (true, false) => Ok(DocumentKind::Index),
            (false, true) => Ok(DocumentKind::Manifest),
            (false, false) => Err(DetectError::Unknown),
        };
    }
    if has("imageLayoutVersion") {
        Ok(DocumentKind::ImageLayout)
    } else if has("ociVersionMin") || has("ociVersionMax") {
        Ok(DocumentKind::Features)
    } else if has("ociVersion") && has("status") && has("id") {
        Ok(DocumentKind::State)
    } else if has("ociVersion") {
        Ok(DocumentKind::Config)
    } else if has("rootfs") && has("architecture") {
        Ok(DocumentKind::ImageConfig)
    } else if has("digest") && has("mediaType") {
        Ok(DocumentKind::Descriptor)
    } else {
        Err(DetectError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_by_name_and_content() {
        let p = Path::new;
        assert_eq!(
            detect(p("x/config.json"), &json!({"ociVersion": "1"})).ok(),
            Some(DocumentKind::Config)
        );
        assert_eq!(
            detect(p("oci-layout"), &json!({})).ok(),
            Some(DocumentKind::ImageLayout)
        );
        assert_eq!(
            detect(p("m"), &json!({"schemaVersion": 2, "layers": []})).ok(),
            Some(DocumentKind::Manifest)
        );
        assert_eq!(
            detect(p("m"), &json!({"schemaVersion": 2, "manifests": []})).ok(),
            Some(DocumentKind::Index)
        );
        assert!(matches!(
            detect(
                p("m"),
                &json!({"schemaVersion": 2, "manifests": [], "layers": []})
            ),
            Err(DetectError::Ambiguous(..))
        ));
        assert_eq!(
            detect(
                p("m"),
                &json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "manifests": []})
            )
            .ok(),
            Some(DocumentKind::Manifest)
        );
        assert_eq!(
            detect(p("c"), &json!({"architecture": "amd64", "rootfs": {}})).ok(),
            Some(DocumentKind::ImageConfig)
        );
        assert_eq!(
            detect(
                p("s"),
                &json!({"ociVersion": "1", "id": "a", "status": "created"})
            )
            .ok(),
            Some(DocumentKind::State)
        );
        assert!(detect(p("x"), &json!({"hello": 1})).is_err());
    }
}
