//! The cgroup v2 device program: [`Rule`]s compiled to eBPF (`BPF_PROG_TYPE_CGROUP_DEVICE`),
//! through v1's reduction of them ([`Exceptions`]).

use super::{Exceptions, Rule};

/// One eBPF instruction (`struct bpf_insn`), as the kernel takes it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BpfInsn {
    /// The opcode.
    pub code: u8,
    /// dst in the low nibble, src in the high one.
    pub regs: u8,
    /// The jump offset or memory offset.
    pub off: i16,
    /// The immediate.
    pub imm: i32,
}

impl BpfInsn {
    /// The 8 bytes of the instruction, little-endian (what an eBPF interpreter reads).
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = self.code;
        b[1] = self.regs;
        b[2..4].copy_from_slice(&self.off.to_le_bytes());
        b[4..8].copy_from_slice(&self.imm.to_le_bytes());
        b
    }
}

// eBPF opcodes (linux/bpf_common.h, linux/bpf.h).
pub(crate) const LDX_MEM_W: u8 = 0x61;
pub(crate) const ALU32_AND_K: u8 = 0x54;
pub(crate) const ALU32_RSH_K: u8 = 0x74;
pub(crate) const ALU32_MOV_X: u8 = 0xbc;
pub(crate) const ALU64_MOV_K: u8 = 0xb7;
pub(crate) const JNE_K: u8 = 0x55;
pub(crate) const JEQ_K: u8 = 0x15;
pub(crate) const JNE_X: u8 = 0x5d;
pub(crate) const EXIT: u8 = 0x95;

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> BpfInsn {
    BpfInsn {
        code,
        regs: dst | src << 4,
        off,
        imm,
    }
}

/// The program for `rules` (registers: r2 type, r3 access, r4 major, r5 minor).
///
/// It means what `rules` mean on cgroup v1, as runc's program does: the rules are first reduced
/// to v1's default and exceptions ([`Exceptions`]), starting from deny; then an exception under
/// a deny default allows a request whose type, major and minor it names and whose access it
/// covers, one under an allow default denies a request asking for any of its access, and the
/// default decides the rest.
///
/// ```
/// use carrack_cgroups::devices::{Rule, program};
/// let p = program(&[Rule::parse(false, "a *:* rwm")?, Rule::parse(true, "c 1:3 rwm")?]);
/// // 6 to load the context, 5 for `c 1:3 rwm`, 2 for the default.
/// assert_eq!(p.len(), 13);
/// # Ok::<(), carrack_cgroups::RuleError>(())
/// ```
pub fn program(rules: &[Rule]) -> Vec<BpfInsn> {
    // struct bpf_cgroup_dev_ctx { u32 access_type /* access << 16 | type */; u32 major; u32 minor; }
    let mut p = vec![
        insn(LDX_MEM_W, 2, 1, 0, 0),
        insn(ALU32_AND_K, 2, 0, 0, 0xffff),
        insn(LDX_MEM_W, 3, 1, 0, 0),
        insn(ALU32_RSH_K, 3, 0, 0, 16),
        insn(LDX_MEM_W, 4, 1, 4, 0),
        insn(LDX_MEM_W, 5, 1, 8, 0),
    ];
    let v1 = Exceptions::of(rules);
    for r in &v1.exceptions {
        let mut block = Vec::new();
        if let Some(k) = r.kind {
            // BPF_DEVCG_DEV_BLOCK 1, BPF_DEVCG_DEV_CHAR 2.
            block.push(insn(JNE_K, 2, 0, 0, if k == 'b' { 1 } else { 2 }));
        }
        if r.access != 7 {
            block.push(insn(ALU32_MOV_X, 1, 3, 0, 0));
            block.push(insn(ALU32_AND_K, 1, 0, 0, r.access as i32));
            if r.allow {
                // An allow rule must cover the whole request: (r3 & access) == r3.
                block.push(insn(JNE_X, 1, 3, 0, 0));
            } else {
                // A deny rule refuses any request that asks for some of its access (v1's
                // deny exceptions match partially): (r3 & access) != 0.
                block.push(insn(JEQ_K, 1, 0, 0, 0));
            }
        }
        if let Some(m) = r.major {
            block.push(insn(JNE_K, 4, 0, 0, m as i32));
        }
        if let Some(m) = r.minor {
            block.push(insn(JNE_K, 5, 0, 0, m as i32));
        }
        block.push(insn(ALU64_MOV_K, 0, 0, 0, i32::from(r.allow)));
        block.push(insn(EXIT, 0, 0, 0, 0));
        // Exceptions always name a type, so no block decides everything (code after one
        // would be unreachable, which the verifier refuses).
        // Every jump goes to the end of this block (the next rule).
        let len = block.len();
        for (i, b) in block.iter_mut().enumerate() {
            if matches!(b.code, JNE_K | JNE_X | JEQ_K) {
                b.off = i16::try_from(len - i - 1).unwrap_or(i16::MAX);
            }
        }
        p.extend(block);
    }
    p.push(insn(ALU64_MOV_K, 0, 0, 0, i32::from(v1.default_allow)));
    p.push(insn(EXIT, 0, 0, 0, 0));
    p
}
