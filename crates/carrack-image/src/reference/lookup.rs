//! Which `index.json` entry a reference names ([`Layout::find`]).

use carrack_spec::image::{Descriptor, Digest};

use super::*;
use crate::error::{Error, Result};
use crate::index::tag_of;
use crate::layout::Layout;

/// Whether a stored ref.name is a Docker name rather than a bare tag such as `v1`.
fn names_a_repository(stored: &str) -> bool {
    stored.contains(['/', ':', '@'])
}

impl Layout {
    /// Finds the one `index.json` entry (or stored blob, for a digest) that `reference` — a tag,
    /// a Docker name or a digest — names, without descending into it. The rules are in the
    /// [module documentation](crate::reference).
    pub fn lookup(&self, reference: &str) -> Result<Descriptor> {
        self.find(reference).map(|m| m.descriptor)
    }

    /// Like [`lookup`](Self::lookup), also saying which names matched and by which rule.
    pub fn find(&self, reference: &str) -> Result<Match> {
        let index = self.index()?;
        let entries = &index.manifests;
        let exact: Vec<&Descriptor> = entries
            .iter()
            .filter(|d| tag_of(d) == Some(reference))
            .collect();
        if !exact.is_empty() {
            return one(reference, exact, MatchRule::Exact);
        }
        if let Ok(digest) = reference.parse::<Digest>() {
            let by_digest: Vec<&Descriptor> =
                entries.iter().filter(|d| d.digest == digest).collect();
            if !by_digest.is_empty() {
                return one(reference, by_digest, MatchRule::Digest);
            }
            if digest.registered().is_some() && self.blob_size(&digest)?.is_some() {
                return Ok(Match {
                    descriptor: self.describe_blob(&digest)?,
                    names: Vec::new(),
                    rule: MatchRule::Digest,
                });
            }
        }
        let want = Reference::parse(reference)
            .ok()
            .map(Reference::with_default_tag);
        if let Some(want) = &want {
            let named: Vec<&Descriptor> = entries
                .iter()
                .filter(|d| {
                    tag_of(d)
                        .filter(|t| names_a_repository(t))
                        .and_then(|t| Reference::parse(t).ok())
                        .is_some_and(|r| r.with_default_tag().satisfies(&d.digest, want))
                })
                .collect();
            if !named.is_empty() {
                return one(reference, named, MatchRule::Normalized);
            }
        }
        Err(no_match(reference, want.as_ref(), entries))
    }

    /// The image a bare `LAYOUT` names: the entry [`find`](Self::find) gives for `latest`, or
    /// else, when `index.json` holds entries of one digest only, that one (as skopeo's
    /// `oci:LAYOUT` takes the only image).
    pub fn find_default(&self) -> Result<Match> {
        match self.find(DEFAULT_TAG) {
            Err(Error::NoMatch { .. }) => {
                let index = self.index()?;
                let Some(first) = index.manifests.first() else {
                    return Err(no_match(DEFAULT_TAG, None, &index.manifests));
                };
                if index.manifests.iter().any(|d| d.digest != first.digest) {
                    return Err(no_match(DEFAULT_TAG, None, &index.manifests));
                }
                Ok(Match {
                    descriptor: first.clone(),
                    names: index
                        .manifests
                        .iter()
                        .filter_map(|d| tag_of(d).map(str::to_owned))
                        .collect(),
                    rule: MatchRule::Only,
                })
            }
            other => other,
        }
    }

    /// Removes the names `reference` finds by [`find`](Self::find)'s name rules (exact, then
    /// Docker-normalised; never a digest), all in one update of `index.json`, and returns them
    /// (empty when no name matched).
    pub fn untag_reference(&self, reference: &str) -> Result<Vec<String>> {
        let want = Reference::parse(reference)
            .ok()
            .map(Reference::with_default_tag);
        self.update_index(|index| {
            let mut names: Vec<String> = index
                .manifests
                .iter()
                .filter_map(tag_of)
                .filter(|t| *t == reference)
                .map(str::to_owned)
                .collect();
            if names.is_empty()
                && let Some(want) = &want
            {
                names = index
                    .manifests
                    .iter()
                    .filter(|d| {
                        tag_of(d)
                            .filter(|t| names_a_repository(t))
                            .and_then(|t| Reference::parse(t).ok())
                            .is_some_and(|r| r.with_default_tag().satisfies(&d.digest, want))
                    })
                    .filter_map(tag_of)
                    .map(str::to_owned)
                    .collect();
            }
            let mut seen = Vec::new();
            names.retain(|n| {
                let new = !seen.contains(n);
                if new {
                    seen.push(n.clone());
                }
                new
            });
            index
                .manifests
                .retain(|d| tag_of(d).is_none_or(|t| !names.iter().any(|n| n == t)));
            Ok(names)
        })
    }
}

/// The one distinct descriptor of `found`, or [`Error::Ambiguous`].
fn one(reference: &str, found: Vec<&Descriptor>, rule: MatchRule) -> Result<Match> {
    let mut names: Vec<String> = Vec::new();
    let mut distinct: Vec<&Descriptor> = Vec::new();
    for d in found {
        if let Some(t) = tag_of(d)
            && !names.iter().any(|n| n == t)
        {
            names.push(t.to_owned());
        }
        if !distinct.iter().any(|e| e.digest == d.digest) {
            distinct.push(d);
        }
    }
    match distinct.as_slice() {
        [d] => Ok(Match {
            descriptor: (*d).clone(),
            names,
            rule,
        }),
        _ => Err(Error::Ambiguous {
            reference: reference.to_owned(),
            candidates: distinct
                .iter()
                .map(|d| format!("{} ({})", d.digest, tag_of(d).unwrap_or("untagged")))
                .collect(),
        }),
    }
}

fn no_match(reference: &str, want: Option<&Reference>, entries: &[Descriptor]) -> Error {
    let mut names: Vec<String> = Vec::new();
    for t in entries.iter().filter_map(tag_of) {
        if !names.iter().any(|n| n == t) {
            names.push(t.to_owned());
        }
    }
    Error::NoMatch {
        reference: reference.to_owned(),
        normalized: want.map(ToString::to_string).filter(|n| n != reference),
        names,
        untagged: entries.iter().filter(|d| tag_of(d).is_none()).count(),
    }
}
