//! The exec trampoline: a 165-byte static x86-64 program in a sealed memfd that the container's
//! process execs instead of the user's program, and that execs the user's program in turn.
//!
//! Why (CVE-2019-5736): while it execs the user's program, the process is still the carrack
//! binary, and if that program is a script whose interpreter is `/proc/self/exe` (or a symlink
//! to it), the kernel loads the carrack binary itself into the container, where a library or
//! the process's other tenants can keep a handle on it and write it on the host. Exec'd through
//! the trampoline, `/proc/self/exe` at that moment is the trampoline: a memfd sealed against
//! any write, and a program that can only exec what it is told. Its exec costs ~70 µs here,
//! where re-executing the whole carrack binary from a sealed view costs ~0.9 ms (most of it the
//! start of a 12 MB program), so the full re-exec ([`crate::spawn::sealed`]) is kept for the cases the
//! trampoline cannot cover (see [`crate::spawn::sealed::Plan`]).
//!
//! Its command line: `argv[0]` is the number of a descriptor (in decimal) to report to,
//! `argv[1]` the program's path, `argv[2..]` the program's own argv. It marks the descriptor
//! close-on-exec, execs the program with the environment it was given, and if that fails
//! writes `0xff, errno` to the descriptor and exits 127 (ENOENT) or 126. A command line of any
//! other shape exits 126 at once (so `#!/proc/self/exe` run inside the container ends there).
//! Credentials, capabilities, seccomp and personality carry over the extra exec unchanged: the
//! sets are computed at each exec from the same bounding, inheritable and ambient sets, and the
//! memfd is neither setuid nor file-capable.
//!
//! The machine code, assembled from (AT&T syntax):
//!
//! ```text
//! _start: mov (%rsp),%rcx; cmp $3,%rcx; jl bad            # argc >= 3
//!         lea 8(%rsp),%rbx; lea 16(%rsp,%rcx,8),%r12       # argv, envp
//!         mov (%rbx),%rsi; xor %edi,%edi                   # parse argv[0]
//!         movzbl (%rsi),%eax; test %eax,%eax; jz bad
//! 1:      movzbl (%rsi),%eax; test %eax,%eax; jz 2f
//!         sub $48,%eax; cmp $9,%eax; ja bad
//!         imul $10,%edi,%edi; add %eax,%edi; inc %rsi; jmp 1b
//! 2:      mov %edi,%r13d
//!         mov $72,%eax; mov $2,%esi; mov $1,%edx; syscall  # fcntl(fd, F_SETFD, FD_CLOEXEC)
//!         mov 8(%rbx),%rdi; lea 16(%rbx),%rsi; mov %r12,%rdx
//!         mov $59,%eax; syscall                            # execve(argv[1], &argv[2], envp)
//!         neg %eax; mov %al,1(%rsp); movb $0xff,(%rsp); mov %eax,%r14d
//!         mov $1,%eax; mov %r13d,%edi; mov %rsp,%rsi; mov $2,%edx; syscall  # write
//!         mov $126,%edi; cmp $2,%r14d; jne 3f; mov $127,%edi
//! 3:      mov $231,%eax; syscall                           # exit_group
//! bad:    mov $126,%edi; mov $231,%eax; syscall
//! ```

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::fs::{Mode, OFlags, SealFlags};

#[cfg(target_arch = "x86_64")]
const CODE: [u8; 165] = [
    0x48, 0x8b, 0x0c, 0x24, 0x48, 0x83, 0xf9, 0x03, 0x0f, 0x8c, 0x8b, 0x00, 0x00, 0x00, 0x48, 0x8d,
    0x5c, 0x24, 0x08, 0x4c, 0x8d, 0x64, 0xcc, 0x10, 0x48, 0x8b, 0x33, 0x31, 0xff, 0x0f, 0xb6, 0x06,
    0x85, 0xc0, 0x74, 0x75, 0x0f, 0xb6, 0x06, 0x85, 0xc0, 0x74, 0x12, 0x83, 0xe8, 0x30, 0x83, 0xf8,
    0x09, 0x77, 0x66, 0x6b, 0xff, 0x0a, 0x01, 0xc7, 0x48, 0xff, 0xc6, 0xeb, 0xe7, 0x41, 0x89, 0xfd,
    0xb8, 0x48, 0x00, 0x00, 0x00, 0xbe, 0x02, 0x00, 0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00, 0x0f,
    0x05, 0x48, 0x8b, 0x7b, 0x08, 0x48, 0x8d, 0x73, 0x10, 0x4c, 0x89, 0xe2, 0xb8, 0x3b, 0x00, 0x00,
    0x00, 0x0f, 0x05, 0xf7, 0xd8, 0x88, 0x44, 0x24, 0x01, 0xc6, 0x04, 0x24, 0xff, 0x41, 0x89, 0xc6,
    0xb8, 0x01, 0x00, 0x00, 0x00, 0x44, 0x89, 0xef, 0x48, 0x89, 0xe6, 0xba, 0x02, 0x00, 0x00, 0x00,
    0x0f, 0x05, 0xbf, 0x7e, 0x00, 0x00, 0x00, 0x41, 0x83, 0xfe, 0x02, 0x75, 0x05, 0xbf, 0x7f, 0x00,
    0x00, 0x00, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xbf, 0x7e, 0x00, 0x00, 0x00, 0xb8, 0xe7,
    0x00, 0x00, 0x00, 0x0f, 0x05,
];

/// Whether this architecture has a trampoline (elsewhere the full re-exec is used).
pub(crate) const AVAILABLE: bool = cfg!(target_arch = "x86_64");

/// The trampoline as a static ELF64 executable: one read+execute segment at 0x400000 holding
/// the headers and the code.
#[cfg(target_arch = "x86_64")]
fn elf() -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const EHDR: u64 = 64;
    const PHDR: u64 = 56;
    let total = EHDR + PHDR + CODE.len() as u64;
    let mut e = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    e.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    e.extend_from_slice(&0x3eu16.to_le_bytes()); // EM_X86_64
    e.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    e.extend_from_slice(&(BASE + EHDR + PHDR).to_le_bytes()); // e_entry
    e.extend_from_slice(&EHDR.to_le_bytes()); // e_phoff
    e.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
    e.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    e.extend_from_slice(&(EHDR as u16).to_le_bytes()); // e_ehsize
    e.extend_from_slice(&(PHDR as u16).to_le_bytes()); // e_phentsize
    e.extend_from_slice(&1u16.to_le_bytes()); // e_phnum
    e.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
    e.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
    e.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
    e.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    e.extend_from_slice(&5u32.to_le_bytes()); // PF_R | PF_X
    e.extend_from_slice(&0u64.to_le_bytes()); // p_offset
    e.extend_from_slice(&BASE.to_le_bytes()); // p_vaddr
    e.extend_from_slice(&BASE.to_le_bytes()); // p_paddr
    e.extend_from_slice(&total.to_le_bytes()); // p_filesz
    e.extend_from_slice(&total.to_le_bytes()); // p_memsz
    e.extend_from_slice(&0x1000u64.to_le_bytes()); // p_align
    e.extend_from_slice(&CODE);
    e
}

#[cfg(not(target_arch = "x86_64"))]
fn elf() -> Vec<u8> {
    Vec::new()
}

/// The trampoline in a new memfd, sealed against any change, as an `O_PATH` descriptor to
/// exec (`execveat(fd, "", AT_EMPTY_PATH)`).
pub(crate) fn create() -> io::Result<OwnedFd> {
    if !AVAILABLE {
        return Err(io::Error::other("no exec trampoline for this architecture"));
    }
    let fd = rustix::fs::memfd_create(
        "carrack-exec",
        rustix::fs::MemfdFlags::CLOEXEC | rustix::fs::MemfdFlags::ALLOW_SEALING,
    )?;
    let mut f = std::fs::File::from(fd);
    f.write_all(&elf())?;
    rustix::fs::fchmod(&f, Mode::from_raw_mode(0o555))?;
    let _ = rustix::fs::fcntl_add_seals(&f, SealFlags::EXEC);
    rustix::fs::fcntl_add_seals(
        &f,
        SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
    )?;
    // execve refuses a file open for writing (ETXTBSY): keep a path handle only.
    let path = format!("/proc/self/fd/{}", f.as_raw_fd());
    Ok(rustix::fs::open(
        path.as_str(),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// What the trampoline wrote to its report descriptor when the exec failed: `0xff, errno`.
pub(crate) fn report(bytes: &[u8]) -> Option<io::Error> {
    match bytes {
        [0xff, errno, ..] => Some(io::Error::from_raw_os_error(i32::from(*errno))),
        _ => None,
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use std::io::Read;
    use std::os::unix::process::CommandExt;

    #[test]
    fn the_trampoline_execs_the_program_or_reports_why_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let bin = dir.path().join("trampoline");
        std::fs::write(&bin, super::elf()).expect("write");
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let (mut r, w) = std::io::pipe().expect("pipe");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&w);
        rustix::io::fcntl_setfd(&w, rustix::io::FdFlags::empty()).expect("setfd");
        let out = std::process::Command::new(&bin)
            .arg0(fd.to_string())
            .args(["/bin/sh", "sh", "-c", "echo $0 \"$FOO\"", "named"])
            .env_clear()
            .env("FOO", "bar")
            .output()
            .expect("run");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "named bar\n");
        let out = std::process::Command::new(&bin)
            .arg0(fd.to_string())
            .args(["/no/such/program", "x"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(127));
        drop(w);
        let mut said = Vec::new();
        r.read_to_end(&mut said).expect("read");
        assert_eq!(
            super::report(&said).map(|e| e.raw_os_error()),
            Some(Some(libc::ENOENT))
        );
        // Any other command line (#!/proc/self/exe run by the container) ends at once.
        let out = std::process::Command::new(&bin)
            .arg0("/evil-script")
            .args(["x", "y"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(126));
    }
}
