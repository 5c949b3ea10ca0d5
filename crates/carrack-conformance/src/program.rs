//! The running program as files a container can run: its executable, the shared objects it
//! was loaded with (from `/proc/self/maps`), its ELF interpreter and the soname links the
//! loader looks for. `carrack certify` puts this into each case's rootfs so the probe is the
//! certifying binary itself; `carrack image run`'s embedded image is made of the same files.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// The files of a program: where each goes in a root filesystem (relative) and where it is
/// on the host; `links` are symlinks (relative path → target as the host's link says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The executable first, then the shared objects and the interpreter, sorted.
    pub files: Vec<(String, PathBuf)>,
    /// Soname links beside the libraries (`libseccomp.so.2` → `libseccomp.so.2.5.4`).
    pub links: Vec<(String, PathBuf)>,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl Program {
    /// This process's program, named `name` in the root (e.g. `carrack`).
    ///
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let p = carrack_conformance::Program::current("probe")?;
    /// assert_eq!(p.files[0].0, "probe");
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn current(name: &str) -> io::Result<Self> {
        let exe = std::env::current_exe()?;
        let maps_path = Path::new("/proc/self/maps");
        let maps = std::fs::read_to_string(maps_path).map_err(at(maps_path))?;
        let mut files = vec![(name.to_owned(), exe.clone())];
        let libs: BTreeSet<&str> = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .filter(|p| p.starts_with('/') && Path::new(p) != exe && p.contains(".so"))
            .collect();
        for lib in libs {
            files.push((lib.trim_start_matches('/').to_owned(), PathBuf::from(lib)));
        }
        if let Some(interp) = interpreter_of(&exe).map_err(at(&exe))? {
            let inside = interp.trim_start_matches('/').to_owned();
            if !files.iter().any(|(p, _)| *p == inside) {
                let host = Path::new("/").join(&inside);
                let host = std::fs::canonicalize(&host).map_err(at(&host))?;
                files.push((inside, host));
            }
        }
        let links = sonames(&files);
        files[1..].sort();
        Ok(Self { files, links })
    }

    /// Copies the program into `rootfs` (directories made as needed, mode 0755).
    pub fn install(&self, rootfs: &Path) -> io::Result<()> {
        for (inside, host) in &self.files {
            let to = rootfs.join(inside);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(at(parent))?;
            }
            std::fs::copy(host, &to).map_err(at(host))?;
        }
        for (inside, target) in &self.links {
            let to = rootfs.join(inside);
            if std::fs::symlink_metadata(&to).is_err() {
                std::os::unix::fs::symlink(target, &to).map_err(at(&to))?;
            }
        }
        Ok(())
    }
}

/// The links beside each library that name it: the loader looks a library up by its soname,
/// and /proc/self/maps gives the file's own name.
fn sonames(files: &[(String, PathBuf)]) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let parents: BTreeSet<&Path> = files
        .iter()
        .skip(1)
        .filter_map(|(_, h)| h.parent())
        .collect();
    for parent in parents {
        let Ok(entries) = std::fs::read_dir(parent) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if !e.file_type().is_ok_and(|t| t.is_symlink()) {
                continue;
            }
            let (Ok(target), Ok(link)) = (std::fs::canonicalize(&path), std::fs::read_link(&path))
            else {
                continue;
            };
            if files.iter().skip(1).any(|(_, h)| *h == target) {
                let inside = path.to_string_lossy().trim_start_matches('/').to_owned();
                out.push((inside, link));
            }
        }
    }
    out.sort();
    out
}

/// The ELF interpreter of the file at `path`, reading only its first 64 KiB where the headers
/// and `PT_INTERP` lie in them (always, for what linkers write): the whole of a large binary
/// with debug information took 55 ms to read.
fn interpreter_of(path: &Path) -> io::Result<Option<String>> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(64 * 1024)
        .read_to_end(&mut head)?;
    if let Some(found) = interpreter(&head) {
        return Ok(Some(found));
    }
    if head.len() < 64 * 1024 || !reaches_past(&head) {
        return Ok(None);
    }
    Ok(interpreter(&std::fs::read(path)?))
}

/// Whether the program headers, or the interpreter path one names, reach past `head`.
fn reaches_past(head: &[u8]) -> bool {
    let u16_at = |o: usize| head.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |o: usize| {
        head.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .and_then(|b| usize::try_from(u64::from_le_bytes(b)).ok())
    };
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    let (size, count) = (usize::from(size), usize::from(count));
    if phoff.saturating_add(size.saturating_mul(count)) > head.len() {
        return true;
    }
    // A PT_INTERP header whose path lies past the head.
    (0..count).any(|i| {
        let ph = phoff + i * size;
        head.get(ph..ph + 4) == Some(&3u32.to_le_bytes()[..])
    })
}

/// The ELF interpreter (`PT_INTERP`) a 64-bit little-endian program asks for.
///
/// ```
/// assert_eq!(carrack_conformance::program::interpreter(b"#!/bin/sh\n"), None);
/// ```
pub fn interpreter(elf: &[u8]) -> Option<String> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u64_at = |o: usize| {
        let v = u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?);
        usize::try_from(v).ok()
    };
    if elf.get(0..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let (phoff, size, count) = (u64_at(0x20)?, usize::from(u16_at(0x36)?), u16_at(0x38)?);
    (0..usize::from(count)).find_map(|i| {
        let ph = phoff + i * size;
        if elf.get(ph..ph + 4)? != 3u32.to_le_bytes() {
            return None;
        }
        let (offset, len) = (u64_at(ph + 8)?, u64_at(ph + 0x20)?);
        let text = elf.get(offset..offset + len)?;
        Some(
            String::from_utf8_lossy(text)
                .trim_end_matches('\0')
                .to_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_interpreter_of_this_test_binary_is_read() {
        let exe = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        // Static test binaries have none; dynamic ones name an absolute loader.
        if let Some(i) = super::interpreter(&exe) {
            assert!(i.starts_with('/') && i.contains("ld"), "{i}");
        }
        // Reading the first 64 KiB finds the same as reading it all.
        let path = std::env::current_exe().expect("exe");
        assert_eq!(
            super::interpreter_of(&path).expect("read"),
            super::interpreter(&exe)
        );
        // A header table that reaches past the head is read in full.
        let mut far = exe[..64].to_vec();
        far.resize(64 * 1024, 0);
        far[0x20..0x28].copy_from_slice(&(1u64 << 20).to_le_bytes());
        far[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        far[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes());
        assert!(super::reaches_past(&far));
    }

    #[test]
    fn the_current_program_comes_with_its_libraries() {
        let p = super::Program::current("probe").expect("program");
        assert_eq!(p.files[0].0, "probe");
        let dir = tempfile::tempdir().expect("tmp");
        p.install(dir.path()).expect("install");
        assert!(dir.path().join("probe").is_file());
        for (inside, _) in &p.files {
            assert!(dir.path().join(inside).is_file(), "{inside}");
        }
    }
}
