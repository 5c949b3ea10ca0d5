//! Unpacking an oci-archive (a tar of a layout, as `skopeo copy … oci-archive:` and `podman
//! save --format oci-archive` write) into a fresh directory, as it is: nothing is verified or
//! rewritten here (carrack-image's `import_oci_archive` stores only verified blobs and merges
//! `index.json`, which would hide exactly what the cases look for).
//!
//! Only directories and regular files are written, each at a name made of normal components
//! (no absolute name, no `..`), each file created anew (a name given twice is refused), so
//! nothing in the archive can write outside the directory: any other entry (a link, a device)
//! or an unsafe name refuses the whole archive.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The directory an archive entry's name designates inside the root, or why it is refused.
pub(crate) fn safe_name(raw: &[u8]) -> Result<PathBuf, String> {
    let name = std::str::from_utf8(raw).map_err(|_| "its name is not UTF-8".to_owned())?;
    if name.starts_with('/') {
        return Err(format!("{name:?} is absolute"));
    }
    let mut out = PathBuf::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(format!("{name:?} has a `..` component")),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn refuse(what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("refusing the archive: {what}"),
    )
}

/// A tar error, which may quote the bytes it could not read, made short and printable.
fn unreadable(e: io::Error) -> io::Error {
    let text: String = e
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(120)
        .collect();
    io::Error::new(e.kind(), format!("not a readable tar archive: {text}"))
}

/// Extracts the oci-archive `archive` into `into`, which must not exist yet (it is created).
pub(crate) fn extract(archive: &Path, into: &Path) -> io::Result<()> {
    let mut file = File::open(archive)?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic)?;
    match &magic[..n] {
        [0x1f, 0x8b, ..] => {
            return Err(refuse("it is gzip-compressed; decompress it first".into()));
        }
        [0x28, 0xb5, 0x2f, 0xfd] => {
            return Err(refuse("it is zstd-compressed; decompress it first".into()));
        }
        _ => {}
    }
    let file = File::open(archive)?;
    std::fs::create_dir(into)?;
    let mut tar = tar::Archive::new(file);
    for entry in tar.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let raw = entry.path_bytes().into_owned();
        let rel = safe_name(&raw).map_err(|e| refuse(format!("entry {e}")))?;
        let path = into.join(&rel);
        match entry.header().entry_type() {
            tar::EntryType::Directory => std::fs::create_dir_all(&path)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if rel.as_os_str().is_empty() {
                    return Err(refuse("a file entry names the root".into()));
                }
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut out = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| refuse(format!("{}: {e}", rel.display())))?;
                io::copy(&mut entry, &mut out)?;
            }
            tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => {}
            other => {
                return Err(refuse(format!(
                    "entry {} is a {other:?}, not a file or directory",
                    rel.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, t, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*t);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // set_path refuses `..`; write the raw name to test what a hostile tool could.
            let raw = name.as_bytes();
            h.as_old_mut().name[..raw.len()].copy_from_slice(raw);
            h.set_cksum();
            b.append(&h, *data).expect("append");
        }
        b.into_inner().expect("tar")
    }

    #[test]
    fn names_must_stay_inside() {
        assert_eq!(
            safe_name(b"./blobs/sha256/ab"),
            Ok(PathBuf::from("blobs/sha256/ab"))
        );
        assert!(safe_name(b"/etc/passwd").is_err());
        assert!(safe_name(b"blobs/../../x").is_err());
        assert_eq!(safe_name(b"./"), Ok(PathBuf::new()));
    }

    #[test]
    fn extracts_files_and_refuses_escapes_and_links() {
        let t = tempfile::tempdir().expect("tempdir");
        let good = t.path().join("good.tar");
        std::fs::write(
            &good,
            archive(&[
                ("./", tar::EntryType::Directory, b""),
                ("oci-layout", tar::EntryType::Regular, b"{}"),
                ("blobs/sha256/aa", tar::EntryType::Regular, b"x"),
            ]),
        )
        .expect("write");
        extract(&good, &t.path().join("g")).expect("extract");
        assert_eq!(
            std::fs::read(t.path().join("g/blobs/sha256/aa")).expect("blob"),
            b"x"
        );
        for (i, bad) in [
            archive(&[("../evil", tar::EntryType::Regular, b"x")]),
            archive(&[("index.json", tar::EntryType::Symlink, b"")]),
            archive(&[
                ("a", tar::EntryType::Regular, b"1"),
                ("./a", tar::EntryType::Regular, b"2"),
            ]),
        ]
        .iter()
        .enumerate()
        {
            let p = t.path().join(format!("bad{i}.tar"));
            std::fs::write(&p, bad).expect("write");
            let e = extract(&p, &t.path().join(format!("b{i}"))).expect_err("refused");
            assert!(e.to_string().contains("refusing"), "{e}");
        }
        assert!(!t.path().join("evil").exists());
    }
}
