//! Writing a blob into the layout's store: hashed while it streams into a temporary file, then
//! renamed to its digest (Unix: descriptor-relative, never through a symlink).

use std::fs::File;
use std::io::{self, Write};

use carrack_spec::image::{Algorithm, Digest};

use crate::blob::Hasher;
use crate::error::{Error, Result};

/// Writes one blob: bytes go to a temporary file inside `blobs/<alg>/` while they are hashed
/// and counted; [`BlobWriter::finish`] syncs the file, renames it to its digest and syncs the
/// directory. Dropped unfinished, the temporary file is removed.
///
/// While a writer lives it holds the layout's writer lock shared, so garbage collection waits
/// for it.
pub struct BlobWriter {
    dir: File,
    dir_name: String,
    temp: String,
    file: Option<File>,
    hasher: Hasher,
    size: u64,
    _writers: File,
}

impl BlobWriter {
    pub(crate) fn new(dir: File, dir_name: String, alg: Algorithm, writers: File) -> Result<Self> {
        let hasher = Hasher::new(alg).ok_or(Error::UnsupportedAlgorithm(alg.as_str()))?;
        let temp = carrack_fs::temp_name(".tmp-");
        let file = carrack_fs::create_new(&dir, &temp, 0o644)
            .map_err(|e| Error::io(format!("{dir_name}/{temp}"), e))?;
        Ok(Self {
            dir,
            dir_name,
            temp,
            file: Some(file),
            hasher,
            size: 0,
            _writers: writers,
        })
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Completes the blob only if its content hashes to `expected`; otherwise nothing is stored
    /// and the error says what the content hashes to.
    pub fn finish_expecting(self, expected: &Digest) -> Result<u64> {
        let actual = self.hasher.clone().finish();
        if &actual != expected {
            return Err(Error::Digest {
                expected: expected.clone(),
                actual,
            });
        }
        self.finish().map(|(_, size)| size)
    }

    /// Completes the blob and returns its digest and size. Writing a blob that is already
    /// stored costs only the hashing: the existing file is kept (and its time refreshed so that
    /// garbage collection's grace period covers it).
    pub fn finish(mut self) -> Result<(Digest, u64)> {
        let file = self
            .file
            .take()
            .ok_or_else(|| Error::io(&self.temp, io::Error::other("already finished")))?;
        let digest = self.hasher.clone().finish();
        let path = format!("{}/{}", self.dir_name, digest.encoded());
        if carrack_fs::info_at(&self.dir, digest.encoded())
            .map_err(|e| Error::io(&path, e))?
            .is_some()
        {
            drop(file);
            let _ = carrack_fs::unlink_at(&self.dir, &self.temp);
            if let Ok(existing) = carrack_fs::open_file_at(&self.dir, digest.encoded()) {
                let _ = existing.set_modified(std::time::SystemTime::now());
            }
            return Ok((digest, self.size));
        }
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        drop(file);
        carrack_fs::rename_at(&self.dir, &self.temp, digest.encoded())
            .map_err(|e| Error::io(&path, e))?;
        self.dir
            .sync_all()
            .map_err(|e| Error::io(&self.dir_name, e))?;
        Ok((digest, self.size))
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("blob already finished"))?;
        let n = file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = carrack_fs::unlink_at(&self.dir, &self.temp);
        }
    }
}
