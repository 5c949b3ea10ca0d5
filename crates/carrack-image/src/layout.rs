//! An OCI image layout on disk (image-spec `image-layout.md`).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use carrack_spec::Document;
use carrack_spec::image::{
    Algorithm, Descriptor, Digest, ImageIndex, ImageLayout, MediaType, annotations,
};

use crate::blob::{VerifiedReader, read_all};
use crate::error::{Error, Result};
use crate::index::{MAX_DOCUMENT_SIZE, tag_of};
use crate::writer::BlobWriter;

const INDEX_LOCK: &str = ".carrack-index.lock";
const WRITERS_LOCK: &str = ".carrack-writers.lock";

/// An open image layout. Every path inside it is built from a validated [`Digest`] or a fixed
/// name, and opened relative to the layout's directory handle without following symlinks, so
/// nothing the layout contains can make carrack read or write outside it.
///
/// ```
/// use carrack_image::Layout;
/// use carrack_spec::image::MediaType;
///
/// let dir = tempfile::tempdir()?;
/// let layout = Layout::create(dir.path())?;
/// let desc = layout.write_blob_bytes(MediaType::EmptyJson, b"{}")?;
/// layout.tag("empty", desc.clone())?;
/// assert_eq!(layout.read_blob(&desc)?, b"{}");
/// assert_eq!(layout.tags()?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Layout {
    path: PathBuf,
    root: File,
}

impl Layout {
    /// Opens an existing layout, checking `oci-layout` (version 1.0.0), `index.json` and
    /// `blobs/`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let root = carrack_fs::open_dir(&path).map_err(|e| Error::io(&path, e))?;
        let layout = Self { path, root };
        let version = layout.read_small("oci-layout")?;
        let version = ImageLayout::from_slice(&version).map_err(|source| Error::Parse {
            path: "oci-layout".into(),
            source,
        })?;
        if version.image_layout_version != carrack_spec::image::LAYOUT_VERSION {
            return Err(Error::Version {
                path: layout.path.clone(),
                found: version.image_layout_version.into_string(),
            });
        }
        carrack_fs::open_file_at(&layout.root, "index.json").map_err(|e| Error::NotALayout {
            path: layout.path.clone(),
            reason: format!("index.json: {}", std::io::Error::from(e)),
        })?;
        carrack_fs::open_dir_at(&layout.root, "blobs").map_err(|e| Error::NotALayout {
            path: layout.path.clone(),
            reason: format!("blobs/: {}", std::io::Error::from(e)),
        })?;
        Ok(layout)
    }

    /// Creates a layout at `path` (the directory may exist; missing files are added, existing
    /// ones are left alone) and opens it.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        let root = carrack_fs::open_dir(&path).map_err(|e| Error::io(&path, e))?;
        let layout = Self { path, root };
        carrack_fs::ensure_dir(&layout.root, "blobs", 0o755).map_err(|e| Error::io("blobs", e))?;
        if carrack_fs::info_at(&layout.root, "oci-layout")
            .map_err(|e| Error::io("oci-layout", e))?
            .is_none()
        {
            layout.write_atomic("oci-layout", &ImageLayout::new().to_vec())?;
        }
        if carrack_fs::info_at(&layout.root, "index.json")
            .map_err(|e| Error::io("index.json", e))?
            .is_none()
        {
            layout.write_atomic("index.json", &ImageIndex::new(Vec::new()).to_vec())?;
        }
        Self::open(&layout.path)
    }

    /// The layout's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_small(&self, name: &str) -> Result<Vec<u8>> {
        let file = carrack_fs::open_file_at(&self.root, name).map_err(|e| Error::NotALayout {
            path: self.path.clone(),
            reason: format!("{name}: {}", std::io::Error::from(e)),
        })?;
        let mut bytes = Vec::new();
        file.take(MAX_DOCUMENT_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(name, e))?;
        if bytes.len() as u64 > MAX_DOCUMENT_SIZE {
            return Err(Error::io(
                name,
                std::io::Error::other(format!("larger than {MAX_DOCUMENT_SIZE} bytes")),
            ));
        }
        Ok(bytes)
    }

    /// Writes `name` in the layout root atomically: a temporary file, synced, renamed over it,
    /// the directory synced.
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        carrack_fs::Replace::new()
            .mode(0o644)
            .write_at(&self.root, name, bytes)
            .map_err(|e| Error::io(name, e))
    }

    fn blob_dir(&self, alg: &str, create: bool) -> Result<Option<File>> {
        let blobs =
            carrack_fs::open_dir_at(&self.root, "blobs").map_err(|e| Error::io("blobs", e))?;
        let dir = if create {
            carrack_fs::ensure_dir(&blobs, alg, 0o755)
        } else {
            carrack_fs::open_dir_at(&blobs, alg)
        };
        match dir {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("blobs/{alg}"), e)),
        }
    }

    pub(crate) fn blob_path(digest: &Digest) -> String {
        format!("blobs/{}/{}", digest.algorithm(), digest.encoded())
    }

    /// The size of the stored blob, or `None` when it is missing.
    pub fn blob_size(&self, digest: &Digest) -> Result<Option<u64>> {
        let Some(dir) = self.blob_dir(digest.algorithm(), false)? else {
            return Ok(None);
        };
        match carrack_fs::info_at(&dir, digest.encoded())
            .map_err(|e| Error::io(Self::blob_path(digest), e))?
        {
            Some(info) => Ok(Some(info.size)),
            None => Ok(None),
        }
    }

    /// Starts writing a blob hashed with `alg` (sha256 or sha512).
    pub fn blob_writer(&self, alg: Algorithm) -> Result<BlobWriter> {
        let writers = carrack_fs::open_or_create(&self.root, WRITERS_LOCK, 0o644)
            .map_err(|e| Error::io(WRITERS_LOCK, e))?;
        writers
            .lock_shared()
            .map_err(|e| Error::io(WRITERS_LOCK, e))?;
        let dir = self
            .blob_dir(alg.as_str(), true)?
            .ok_or_else(|| Error::io("blobs", std::io::Error::other("cannot create")))?;
        BlobWriter::new(dir, format!("blobs/{}", alg.as_str()), alg, writers)
    }

    /// Stores `bytes` (sha256) and returns a descriptor of `media_type` for them.
    pub fn write_blob_bytes(&self, media_type: MediaType, bytes: &[u8]) -> Result<Descriptor> {
        let mut w = self.blob_writer(Algorithm::Sha256)?;
        w.write_all(bytes)
            .map_err(|e| Error::io("blobs/sha256", e))?;
        let (digest, size) = w.finish()?;
        Ok(Descriptor::new(
            media_type,
            digest,
            i64::try_from(size).unwrap_or(i64::MAX),
        ))
    }

    /// Stores a JSON document and returns its descriptor.
    pub fn write_document<T: Document>(
        &self,
        media_type: MediaType,
        doc: &T,
    ) -> Result<Descriptor> {
        self.write_blob_bytes(media_type, &doc.to_vec())
    }

    /// Opens a blob for reading through [`VerifiedReader`].
    pub fn open_blob(&self, digest: &Digest, size: u64) -> Result<VerifiedReader<File>> {
        let path = Self::blob_path(digest);
        let dir = self
            .blob_dir(digest.algorithm(), false)?
            .ok_or_else(|| Error::Missing {
                digest: digest.clone(),
            })?;
        let file = match carrack_fs::open_file_at(&dir, digest.encoded()) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Missing {
                    digest: digest.clone(),
                });
            }
            Err(e) => return Err(Error::io(path, e)),
        };
        let actual = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if actual != size {
            // Checked before hashing (descriptor.md: verify the size first).
            return Err(Error::Size {
                digest: digest.clone(),
                expected: size,
                actual,
                at_least: false,
            });
        }
        VerifiedReader::new(file, digest.clone(), size)
    }

    fn size_of(desc: &Descriptor) -> Result<u64> {
        u64::try_from(desc.size).map_err(|_| Error::BadSize {
            digest: desc.digest.clone(),
            size: desc.size,
        })
    }

    /// Opens the blob `desc` describes.
    pub fn open_descriptor(&self, desc: &Descriptor) -> Result<VerifiedReader<File>> {
        self.open_blob(&desc.digest, Self::size_of(desc)?)
    }

    /// Reads a whole blob, verified.
    pub fn read_blob(&self, desc: &Descriptor) -> Result<Vec<u8>> {
        let size = Self::size_of(desc)?;
        read_all(
            self.open_blob(&desc.digest, size)?,
            usize::try_from(size).unwrap_or(0),
        )
    }

    /// Reads and parses a JSON document blob (manifest, index, configuration), at most
    /// [`MAX_DOCUMENT_SIZE`] bytes.
    pub fn read_document<T: Document>(&self, desc: &Descriptor) -> Result<T> {
        let size = Self::size_of(desc)?;
        if size > MAX_DOCUMENT_SIZE {
            return Err(Error::TooLarge {
                digest: desc.digest.clone(),
                size,
                limit: MAX_DOCUMENT_SIZE,
            });
        }
        let bytes = self.read_blob(desc)?;
        T::from_slice(&bytes).map_err(|source| Error::Parse {
            path: Self::blob_path(&desc.digest).into(),
            source,
        })
    }

    /// Checks that the blob exists with the descriptor's size and digest.
    pub fn verify(&self, desc: &Descriptor) -> Result<()> {
        let reader = self.open_descriptor(desc)?;
        let digest = desc.digest.clone();
        let mut reader = reader;
        std::io::copy(&mut reader, &mut std::io::sink())
            .map(drop)
            .map_err(|e| crate::blob::unwrap_io(e, &digest))
    }

    /// The current `index.json`.
    pub fn index(&self) -> Result<ImageIndex> {
        let bytes = self.read_small("index.json")?;
        ImageIndex::from_slice(&bytes).map_err(|source| Error::Parse {
            path: "index.json".into(),
            source,
        })
    }

    /// Changes `index.json` under the layout's exclusive index lock and replaces it atomically:
    /// concurrent updates (from any process) serialise, and readers see the old or the new
    /// index, never a part of one.
    pub fn update_index<R>(&self, change: impl FnOnce(&mut ImageIndex) -> Result<R>) -> Result<R> {
        let lock = carrack_fs::open_or_create(&self.root, INDEX_LOCK, 0o644)
            .map_err(|e| Error::io(INDEX_LOCK, e))?;
        lock.lock().map_err(|e| Error::io(INDEX_LOCK, e))?;
        let mut index = self.index()?;
        let out = change(&mut index)?;
        self.write_atomic("index.json", &index.to_vec())?;
        Ok(out)
    }

    /// Adds `desc` to `index.json` under tag `name` (`org.opencontainers.image.ref.name`),
    /// replacing whatever had that tag.
    pub fn tag(&self, name: &str, mut desc: Descriptor) -> Result<()> {
        check_tag(name)?;
        desc.annotations
            .get_or_insert_with(Default::default)
            .insert(annotations::REF_NAME.to_owned(), name.to_owned());
        self.update_index(|index| {
            index.manifests.retain(|d| tag_of(d) != Some(name));
            index.manifests.push(desc);
            Ok(())
        })
    }

    /// Removes tag `name`; returns whether it existed.
    pub fn untag(&self, name: &str) -> Result<bool> {
        self.update_index(|index| {
            let before = index.manifests.len();
            index.manifests.retain(|d| tag_of(d) != Some(name));
            Ok(index.manifests.len() != before)
        })
    }

    /// Adds an untagged descriptor to `index.json` (if no entry has that digest yet).
    pub fn add(&self, desc: Descriptor) -> Result<()> {
        self.update_index(|index| {
            if !index
                .manifests
                .iter()
                .any(|d| d.digest == desc.digest && tag_of(d).is_none())
            {
                index.manifests.push(desc);
            }
            Ok(())
        })
    }

    /// Removes every `index.json` entry with `digest`; returns how many.
    pub fn remove(&self, digest: &Digest) -> Result<usize> {
        self.update_index(|index| {
            let before = index.manifests.len();
            index.manifests.retain(|d| &d.digest != digest);
            Ok(before - index.manifests.len())
        })
    }

    /// The tagged entries of `index.json`, in order.
    pub fn tags(&self) -> Result<Vec<(String, Descriptor)>> {
        Ok(self
            .index()?
            .manifests
            .into_iter()
            .filter_map(|d| tag_of(&d).map(str::to_owned).map(|t| (t, d)))
            .collect())
    }

    /// Holds the writers lock exclusively (garbage collection), waiting for blob writers.
    pub(crate) fn lock_writers_exclusive(&self) -> Result<File> {
        let lock = carrack_fs::open_or_create(&self.root, WRITERS_LOCK, 0o644)
            .map_err(|e| Error::io(WRITERS_LOCK, e))?;
        lock.lock().map_err(|e| Error::io(WRITERS_LOCK, e))?;
        Ok(lock)
    }

    /// Holds the index lock exclusively.
    pub(crate) fn lock_index(&self) -> Result<File> {
        let lock = carrack_fs::open_or_create(&self.root, INDEX_LOCK, 0o644)
            .map_err(|e| Error::io(INDEX_LOCK, e))?;
        lock.lock().map_err(|e| Error::io(INDEX_LOCK, e))?;
        Ok(lock)
    }

    /// The names under `blobs/`: `(algorithm, encoded)` pairs, plus names that are not valid.
    pub(crate) fn list_blobs(&self) -> Result<(Vec<Digest>, Vec<String>)> {
        let blobs =
            carrack_fs::open_dir_at(&self.root, "blobs").map_err(|e| Error::io("blobs", e))?;
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for alg in utf8(carrack_fs::list(&blobs).map_err(|e| Error::io("blobs", e))?) {
            if alg.starts_with('.') {
                continue;
            }
            let dir = match carrack_fs::open_dir_at(&blobs, &alg) {
                Ok(d) => d,
                Err(_) => {
                    bad.push(format!("blobs/{alg}"));
                    continue;
                }
            };
            for name in
                utf8(carrack_fs::list(&dir).map_err(|e| Error::io(format!("blobs/{alg}"), e))?)
            {
                if name.starts_with(".tmp-") {
                    continue;
                }
                match format!("{alg}:{name}").parse::<Digest>() {
                    Ok(d) => good.push(d),
                    Err(_) => bad.push(format!("blobs/{alg}/{name}")),
                }
            }
        }
        good.sort();
        Ok((good, bad))
    }

    /// Removes a blob (garbage collection).
    pub(crate) fn remove_blob(&self, digest: &Digest) -> Result<()> {
        if let Some(dir) = self.blob_dir(digest.algorithm(), false)? {
            carrack_fs::unlink_at(&dir, digest.encoded())
                .map_err(|e| Error::io(Self::blob_path(digest), e))?;
        }
        Ok(())
    }

    /// The modification time of a blob.
    pub(crate) fn blob_mtime(&self, digest: &Digest) -> Result<Option<std::time::SystemTime>> {
        let Some(dir) = self.blob_dir(digest.algorithm(), false)? else {
            return Ok(None);
        };
        match carrack_fs::open_file_at(&dir, digest.encoded()) {
            Ok(f) => Ok(f.metadata().and_then(|m| m.modified()).ok()),
            Err(_) => Ok(None),
        }
    }
}

/// The names that are UTF-8: a digest's parts always are, so no other name is a blob.
fn utf8(names: Vec<std::ffi::OsString>) -> impl Iterator<Item = String> {
    names.into_iter().filter_map(|n| n.into_string().ok())
}

fn check_tag(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:@/+".contains(&b))
    {
        return Err(Error::BadTag(name.to_owned()));
    }
    Ok(())
}
