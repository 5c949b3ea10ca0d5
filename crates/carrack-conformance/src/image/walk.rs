//! The walk from `index.json` through nested indexes to manifests and their configurations,
//! recording every descriptor on the way.

use std::collections::BTreeSet;
use std::path::Path;

use carrack_spec::image::{Digest, MediaType};
use serde_json::Value;

use super::scan::{Doc, Image, Kind, Node, Ref, Role, Scan, read_small, short};

/// How deep nested indexes are followed.
const MAX_DEPTH: usize = 8;

/// The walk from `index.json`.
pub(super) struct Walk<'a> {
    pub(super) dir: &'a Path,
    pub(super) seen: BTreeSet<String>,
}

impl Walk<'_> {
    /// Reads the JSON blob `digest` names, if it is a stored regular file.
    fn read(&self, digest: &str) -> Option<Result<Value, String>> {
        let d = Digest::parse(digest).ok()?;
        let path = self.dir.join("blobs").join(d.algorithm()).join(d.encoded());
        match read_small(&path) {
            Node::File(bytes) => {
                Some(serde_json::from_slice::<Value>(&bytes).map_err(|e| e.to_string()))
            }
            Node::Error(e) => Some(Err(e)),
            _ => None,
        }
    }

    pub(super) fn index(&mut self, s: &mut Scan, at: &str, json: &Value, depth: usize) {
        if let Some(entries) = json.get("manifests").and_then(Value::as_array) {
            for (i, d) in entries.iter().enumerate() {
                s.refs.push(Ref {
                    at: format!("{at}#/manifests/{i}"),
                    role: Role::Entry,
                    desc: d.clone(),
                });
                self.follow(s, d, depth + 1);
            }
        }
        if let Some(d) = json.get("subject") {
            s.refs.push(Ref {
                at: format!("{at}#/subject"),
                role: Role::Subject,
                desc: d.clone(),
            });
        }
    }

    /// Reads what an index entry names, when its media type says it is an OCI index or
    /// manifest (an unknown media type is no error: image-layout.md § index.json file).
    fn follow(&mut self, s: &mut Scan, d: &Value, depth: usize) {
        let (Some(mt), Some(digest)) = (
            d.get("mediaType").and_then(Value::as_str),
            d.get("digest").and_then(Value::as_str),
        ) else {
            return;
        };
        let kind = match MediaType::from(mt) {
            MediaType::ImageIndex => Kind::Index,
            MediaType::ImageManifest => Kind::Manifest,
            _ => return,
        };
        if depth > MAX_DEPTH || !self.seen.insert(digest.to_owned()) {
            return;
        }
        let Some(json) = self.read(digest) else {
            return;
        };
        let at = short(digest);
        if let Ok(v) = &json {
            match kind {
                Kind::Index => self.index(s, &at, v, depth),
                _ => self.manifest(s, &at, v),
            }
        }
        s.docs.push(Doc {
            at,
            digest: Some(digest.to_owned()),
            kind,
            json,
        });
    }

    fn manifest(&mut self, s: &mut Scan, at: &str, json: &Value) {
        let mut image = Image {
            manifest: at.to_owned(),
            config_type: None,
            config: None,
            layers: Vec::new(),
        };
        if let Some(c) = json.get("config") {
            s.refs.push(Ref {
                at: format!("{at}#/config"),
                role: Role::Config,
                desc: c.clone(),
            });
            image.config_type = c.get("mediaType").and_then(Value::as_str).map(Into::into);
            if image.config_type.as_deref() == Some(MediaType::ImageConfig.as_str())
                && let Some(digest) = c.get("digest").and_then(Value::as_str)
            {
                image.config = self.read(digest);
                if let Some(json) = &image.config
                    && self.seen.insert(digest.to_owned())
                {
                    s.docs.push(Doc {
                        at: short(digest),
                        digest: Some(digest.to_owned()),
                        kind: Kind::Config,
                        json: json.clone(),
                    });
                }
            }
        }
        if let Some(layers) = json.get("layers").and_then(Value::as_array) {
            for (i, l) in layers.iter().enumerate() {
                s.refs.push(Ref {
                    at: format!("{at}#/layers/{i}"),
                    role: Role::Layer,
                    desc: l.clone(),
                });
            }
            image.layers.clone_from(layers);
        }
        if let Some(d) = json.get("subject") {
            s.refs.push(Ref {
                at: format!("{at}#/subject"),
                role: Role::Subject,
                desc: d.clone(),
            });
        }
        s.images.push(image);
    }
}
