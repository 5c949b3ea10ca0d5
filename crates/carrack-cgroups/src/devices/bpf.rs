//! bpf(2), the syscall edge of the device program: everything unsafe in carrack-cgroups is
//! here.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::RawFd;

use super::BpfInsn;

const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
const BPF_PROG_DETACH: libc::c_long = 9;
const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
const BPF_PROG_QUERY: libc::c_long = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
const BPF_F_ALLOW_MULTI: u32 = 2;

fn bpf(cmd: libc::c_long, attr: &mut [u64; 16]) -> io::Result<libc::c_long> {
    // SAFETY: `attr` is a zero-padded union bpf_attr of 128 bytes, living for the call; every
    // pointer stored in it by the callers points at memory that outlives the call.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), 128usize) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Loads `insns` as a cgroup device program; the kernel's verifier log comes back on failure.
pub(super) fn load_device_program(insns: &[BpfInsn]) -> io::Result<std::os::fd::OwnedFd> {
    let license = c"Apache-2.0";
    let mut log = vec![0u8; 64 * 1024];
    let mut attr = [0u64; 16];
    // union bpf_attr, BPF_PROG_LOAD: prog_type u32, insn_cnt u32, insns u64, license u64,
    // log_level u32, log_size u32, log_buf u64.
    attr[0] = u64::from(BPF_PROG_TYPE_CGROUP_DEVICE) | (insns.len() as u64) << 32;
    attr[1] = insns.as_ptr() as u64;
    attr[2] = license.as_ptr() as u64;
    attr[3] = 1 | (log.len() as u64) << 32;
    attr[4] = log.as_mut_ptr() as u64;
    match bpf(BPF_PROG_LOAD, &mut attr) {
        Ok(fd) => {
            use std::os::fd::FromRawFd;
            // SAFETY: BPF_PROG_LOAD returned a new descriptor that nothing else owns.
            Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) })
        }
        Err(e) => {
            let end = log.iter().position(|b| *b == 0).unwrap_or(0);
            let text = String::from_utf8_lossy(&log[..end]).trim().to_owned();
            Err(io::Error::new(e.kind(), format!("{e}: {text}")))
        }
    }
}

/// Attaches the device program `prog` to the cgroup directory `cgroup`, alongside others.
pub(super) fn attach_device(cgroup: RawFd, prog: RawFd) -> io::Result<()> {
    let mut attr = [0u64; 16];
    // target_fd u32, attach_bpf_fd u32, attach_type u32, attach_flags u32.
    attr[0] = (cgroup as u32 as u64) | (prog as u32 as u64) << 32;
    attr[1] = u64::from(BPF_CGROUP_DEVICE) | u64::from(BPF_F_ALLOW_MULTI) << 32;
    bpf(BPF_PROG_ATTACH, &mut attr).map(|_| ())
}

/// The ids of the device programs attached to the cgroup directory `cgroup`.
pub(super) fn query_device(cgroup: RawFd) -> io::Result<Vec<u32>> {
    let mut ids = vec![0u32; 64];
    let mut attr = [0u64; 16];
    // query: target_fd u32, attach_type u32, query_flags u32, attach_flags u32, prog_ids u64,
    // prog_cnt u32.
    attr[0] = (cgroup as u32 as u64) | u64::from(BPF_CGROUP_DEVICE) << 32;
    attr[2] = ids.as_mut_ptr() as u64;
    attr[3] = ids.len() as u64;
    bpf(BPF_PROG_QUERY, &mut attr)?;
    let count = (attr[3] & 0xffff_ffff) as usize;
    ids.truncate(count.min(64));
    Ok(ids)
}

/// Detaches the device program with id `id` from the cgroup directory `cgroup`.
pub(super) fn detach_device(cgroup: RawFd, id: u32) -> io::Result<()> {
    let mut attr = [0u64; 16];
    attr[0] = u64::from(id);
    let fd = bpf(BPF_PROG_GET_FD_BY_ID, &mut attr)?;
    let prog = {
        use std::os::fd::FromRawFd;
        // SAFETY: BPF_PROG_GET_FD_BY_ID returned a new descriptor that nothing else owns.
        unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as RawFd) }
    };
    use std::os::fd::AsRawFd;
    let mut attr = [0u64; 16];
    attr[0] = (cgroup as u32 as u64) | (prog.as_raw_fd() as u32 as u64) << 32;
    attr[1] = u64::from(BPF_CGROUP_DEVICE);
    bpf(BPF_PROG_DETACH, &mut attr).map(|_| ())
}
