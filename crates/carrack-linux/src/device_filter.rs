//! Device access rules (`linux.resources.devices`), for cgroup v1's `devices.allow`/`deny`
//! files and, on cgroup v2, compiled into an eBPF program of type `BPF_PROG_TYPE_CGROUP_DEVICE`
//! attached to the container's cgroup.
//!
//! The program has v1's meaning, as runc's does: rules are tried last to first and the first
//! whose type, major, minor match and whose access covers the whole request decides; nothing
//! matching means deny.

use std::os::fd::AsRawFd;
use std::path::Path;

use crate::sys::BpfInsn;

/// One device rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) allow: bool,
    /// `b` or `c`; `None` for all (`a`).
    pub(crate) kind: Option<char>,
    pub(crate) major: Option<u32>,
    pub(crate) minor: Option<u32>,
    /// Bits of `BPF_DEVCG_ACC_*`: mknod 1, read 2, write 4.
    pub(crate) access: u32,
}

impl Rule {
    /// A rule from the spec's fields; errors name what is wrong.
    pub(crate) fn new(
        allow: bool,
        kind: Option<&str>,
        major: Option<i64>,
        minor: Option<i64>,
        access: Option<&str>,
    ) -> Result<Self, String> {
        let kind = match kind.unwrap_or("a") {
            "a" => None,
            "b" => Some('b'),
            "c" => Some('c'),
            k => return Err(format!("type {k:?} is not a, b or c")),
        };
        let num = |n: Option<i64>, what: &str| match n {
            None => Ok(None),
            Some(n) if n < 0 => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| format!("{what} {n} is out of range")),
        };
        let mut bits = 0;
        for c in access.unwrap_or("rwm").chars() {
            bits |= match c {
                'm' => 1,
                'r' => 2,
                'w' => 4,
                c => return Err(format!("access {c:?} is not one of r, w, m")),
            };
        }
        Ok(Self {
            allow,
            kind,
            major: num(major, "major")?,
            minor: num(minor, "minor")?,
            access: bits,
        })
    }

    /// Parses v1's `TYPE MAJOR:MINOR ACCESS` form (`*` for any number).
    pub(crate) fn parse(allow: bool, s: &str) -> Result<Self, String> {
        let mut it = s.split_whitespace();
        let (Some(kind), Some(nums), Some(access)) = (it.next(), it.next(), it.next()) else {
            return Err(format!("{s:?} is not TYPE MAJOR:MINOR ACCESS"));
        };
        let (ma, mi) = nums
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: no MAJOR:MINOR"))?;
        let n = |x: &str| -> Result<Option<i64>, String> {
            if x == "*" {
                Ok(None)
            } else {
                x.parse()
                    .map(Some)
                    .map_err(|_| format!("{s:?}: bad number {x:?}"))
            }
        };
        Self::new(allow, Some(kind), n(ma)?, n(mi)?, Some(access))
    }

    /// v1's line for `devices.allow`/`devices.deny`.
    pub(crate) fn v1_line(&self) -> String {
        let n = |x: Option<u32>| x.map_or_else(|| "*".to_owned(), |x| x.to_string());
        let mut access = String::new();
        for (bit, c) in [(2, 'r'), (4, 'w'), (1, 'm')] {
            if self.access & bit != 0 {
                access.push(c);
            }
        }
        format!(
            "{} {}:{} {access}",
            self.kind.unwrap_or('a'),
            n(self.major),
            n(self.minor)
        )
    }
}

// eBPF opcodes (linux/bpf_common.h, linux/bpf.h).
const LDX_MEM_W: u8 = 0x61;
const ALU32_AND_K: u8 = 0x54;
const ALU32_RSH_K: u8 = 0x74;
const ALU32_MOV_X: u8 = 0xbc;
const ALU64_MOV_K: u8 = 0xb7;
const JNE_K: u8 = 0x55;
const JNE_X: u8 = 0x5d;
const EXIT: u8 = 0x95;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: dst | src << 4,
        off,
        imm,
    }
}

/// The program for `rules` (registers: r2 type, r3 access, r4 major, r5 minor).
pub(crate) fn program(rules: &[Rule]) -> Vec<BpfInsn> {
    // struct bpf_cgroup_dev_ctx { u32 access_type /* access << 16 | type */; u32 major; u32 minor; }
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(ALU32_AND_K, 2, 0, 0, 0xffff),
        insn(LDX_MEM_W, 3, 1, 0, 0),
        insn(ALU32_RSH_K, 3, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    for r in rules.iter().rev() {
        let mut block = Vec::new();
        if let Some(k) = r.kind {
            // BPF_DEVCG_DEV_BLOCK 1, BPF_DEVCG_DEV_CHAR 2.
            block.push(insn(JNE_K, 2, 0, 0, if k == 'b' { 1 } else { 2 }));
        }
        if r.access != 7 {
            // The request must lie within the rule's access: (r3 & access) == r3.
            block.push(insn(ALU32_MOV_X, 1, 3, 0, 0));
            block.push(insn(ALU32_AND_K, 1, 0, 0, r.access as i32));
            block.push(insn(JNE_X, 1, 3, 0, 0));
        }
        if let Some(m) = r.major {
            block.push(insn(JNE_K, 4, 0, 0, m as i32));
        }
        if let Some(m) = r.minor {
            block.push(insn(JNE_K, 5, 0, 0, m as i32));
        }
        block.push(insn(ALU64_MOV_K, 0, 0, 0, i32::from(r.allow)));
        block.push(insn(EXIT, 0, 0, 0, 0));
        // A rule with no condition decides everything: what follows would be unreachable,
        // which the verifier refuses.
        if block.len() == 2 {
            p.extend(block);
            return p;
        }
        // Every jump goes to the end of this block (the next rule).
        let len = block.len();
        for (i, b) in block.iter_mut().enumerate() {
            if b.code == JNE_K || b.code == JNE_X {
                b.off = i16::try_from(len - i - 1).unwrap_or(i16::MAX);
            }
        }
        p.extend(block);
    }
    p.push(insn(ALU64_MOV_K, 0, 0, 0, 0));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}

/// Loads the program for `rules` and attaches it to the cgroup directory `dir`, then detaches
/// the device programs that were there before (an update replaces, never adds).
pub(crate) fn attach(dir: &Path, rules: &[Rule]) -> std::io::Result<()> {
    let cgroup = std::fs::File::open(dir)?;
    let before = crate::sys::bpf_query_device(cgroup.as_raw_fd()).unwrap_or_default();
    let prog = crate::sys::bpf_load_device_program(&program(rules))?;
    crate::sys::bpf_attach_device(cgroup.as_raw_fd(), prog.as_raw_fd())?;
    for id in before {
        crate::sys::bpf_detach_device(cgroup.as_raw_fd(), id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_lines_round_trip() {
        for line in ["c 1:3 rwm", "b *:* m", "a *:* rwm", "c 136:* rw"] {
            let r = Rule::parse(true, line).expect("parse");
            assert_eq!(r.v1_line(), line);
        }
        assert!(Rule::parse(true, "x 1:3 rwm").is_err());
        assert!(Rule::parse(true, "c 1:3 rwx").is_err());
    }

    /// The program loaded into the kernel and attached to a real cgroup2 directory (the unified
    /// hierarchy of a hybrid host, or the v2 root) decides what a process in it may open.
    #[test]
    #[ignore = "needs root: makes a cgroup and attaches a BPF program to it"]
    fn the_kernel_enforces_the_program() {
        let base = if crate::cgroups::is_v2_host() {
            "/sys/fs/cgroup"
        } else {
            "/sys/fs/cgroup/unified"
        };
        assert!(
            Path::new(base).join("cgroup.procs").exists(),
            "needs a cgroup2 hierarchy at {base} (run as root)"
        );
        let dir = Path::new(base).join(format!("carrack-bpf-test-{}", std::process::id()));
        std::fs::create_dir(&dir).expect("cgroup");
        let rules = [
            Rule::parse(false, "a *:* rwm").expect("rule"),
            Rule::parse(true, "c 1:3 rwm").expect("rule"),
            Rule::parse(true, "c 1:5 r").expect("rule"),
        ];
        attach(&dir, &rules).expect("attach");
        // Replacing leaves exactly one program.
        attach(&dir, &rules).expect("attach again");
        let cg = std::fs::File::open(&dir).expect("dir");
        assert_eq!(
            crate::sys::bpf_query_device(cg.as_raw_fd())
                .expect("query")
                .len(),
            1
        );
        let script = "echo 0 > \"$1/cgroup.procs\" || exit 10; \
                      cat /dev/null || exit 11; \
                      head -c1 /dev/zero > /dev/null || exit 12; \
                      (echo x > /dev/zero) 2>/dev/null && exit 13; \
                      (head -c1 /dev/full > /dev/null) 2>/dev/null && exit 14; \
                      exit 0";
        let status = std::process::Command::new("/bin/sh")
            .args(["-c", script, "sh"])
            .arg(&dir)
            .status()
            .expect("sh");
        let _ = std::fs::remove_dir(&dir);
        assert_eq!(status.code(), Some(0), "see the exit codes in the script");
    }

    #[test]
    fn jumps_land_on_the_next_rule() {
        let rules = [
            Rule::parse(true, "b 8:* m").expect("rule"),
            Rule::parse(false, "a *:* rwm").expect("rule"),
            Rule::parse(true, "c 1:3 rw").expect("rule"),
        ];
        let p = program(&rules);
        // prologue 6, rule "c 1:3 rw": type, 3 access, major, minor, mov, exit = 8, deny-all: 2
        // and nothing after it (unreachable).
        assert_eq!(p.len(), 6 + 8 + 2);
        for (i, ins) in p.iter().enumerate() {
            if ins.code == JNE_K || ins.code == JNE_X {
                let target = i as i64 + 1 + i64::from(ins.off);
                assert_eq!(target, 14, "jump at {i} goes to the next rule");
            }
        }
    }
}
