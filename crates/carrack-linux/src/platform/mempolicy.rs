//! `linux.memoryPolicy` as set_mempolicy(2) takes it, and `linux.intelRdt`, which carrack
//! cannot apply.

use carrack_spec::runtime::{Linux, MemoryPolicyFlag, MemoryPolicyMode};

use crate::error::{Error, Result};

/// set_mempolicy(2)'s arguments: the mode with its flags, and the node mask (empty for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemPolicy {
    /// `MPOL_*` or'ed with `MPOL_F_*`.
    pub(crate) mode: libc::c_int,
    /// Bit `n` of the mask is node `n`.
    pub(crate) nodes: Vec<libc::c_ulong>,
}

const BITS: usize = libc::c_ulong::BITS as usize;

/// The nodes of a list like `0-3,7`, as a bit mask.
fn node_mask(list: &str) -> std::result::Result<Vec<libc::c_ulong>, String> {
    let mut mask: Vec<libc::c_ulong> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let num = |s: &str| {
            s.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n < 4096)
                .ok_or_else(|| format!("{part:?} is not a node or a range of nodes (0-4095)"))
        };
        let (a, b) = (num(a)?, num(b)?);
        if a > b {
            return Err(format!("{part:?} is a range that runs backwards"));
        }
        for n in a..=b {
            if mask.len() <= n / BITS {
                mask.resize(n / BITS + 1, 0);
            }
            mask[n / BITS] |= 1 << (n % BITS);
        }
    }
    Ok(mask)
}

/// `linux.memoryPolicy`, checked and converted (the kernel judges the combination of mode and
/// nodes when init sets it).
pub(crate) fn mempolicy(linux: &Linux) -> Result<Option<MemPolicy>> {
    let Some(p) = &linux.memory_policy else {
        return Ok(None);
    };
    let mut mode = match &p.mode {
        MemoryPolicyMode::Default => 0,
        MemoryPolicyMode::Preferred => 1,
        MemoryPolicyMode::Bind => 2,
        MemoryPolicyMode::Interleave => 3,
        MemoryPolicyMode::Local => 4,
        MemoryPolicyMode::PreferredMany => 5,
        MemoryPolicyMode::WeightedInterleave => 6,
        other => {
            return Err(Error::config(
                "/linux/memoryPolicy/mode",
                format!("{other} is not a mode of config-linux.md § Memory policy"),
            ));
        }
    };
    for (i, f) in p.flags.iter().flatten().enumerate() {
        mode |= match f {
            MemoryPolicyFlag::NumaBalancing => 1 << 13,
            MemoryPolicyFlag::RelativeNodes => 1 << 14,
            MemoryPolicyFlag::StaticNodes => 1 << 15,
            other => {
                return Err(Error::config(
                    format!("/linux/memoryPolicy/flags/{i}"),
                    format!("{other} is not a flag of config-linux.md § Memory policy"),
                ));
            }
        };
    }
    let nodes = node_mask(p.nodes.as_deref().unwrap_or(""))
        .map_err(|why| Error::config("/linux/memoryPolicy/nodes", why))?;
    Ok(Some(MemPolicy { mode, nodes }))
}

/// `linux.intelRdt` needs resctrl, which carrack does not drive: runtime.md § Create, "If the
/// runtime cannot apply a property as specified in the configuration, it MUST generate an error
/// and a new container MUST NOT be created."
pub(crate) fn refuse_intel_rdt(linux: &Linux) -> Result<()> {
    match &linux.intel_rdt {
        None => Ok(()),
        Some(_) => Err(Error::refused(
            Some("/linux/intelRdt".into()),
            "linux.intelRdt",
            "carrack does not manage resctrl groups (runtime.md § Create: \"If the runtime \
             cannot apply a property as specified in the configuration, it MUST generate an \
             error and a new container MUST NOT be created.\")",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carrack_spec::runtime::MemoryPolicy;

    #[test]
    fn node_lists_become_masks() {
        assert_eq!(node_mask("0-3,7"), Ok(vec![0b1000_1111]));
        assert_eq!(node_mask(""), Ok(vec![]));
        assert_eq!(node_mask("64").map(|m| m.len()), Ok(2));
        assert!(node_mask("3-1").is_err());
        assert!(node_mask("x").is_err());
        assert!(node_mask("99999").is_err());
    }

    #[test]
    fn modes_and_flags_are_the_kernels() {
        let mut l = Linux::default();
        let mut p = MemoryPolicy::new(MemoryPolicyMode::Interleave).with_nodes("0");
        p.flags = Some(vec![MemoryPolicyFlag::StaticNodes]);
        l.memory_policy = Some(p);
        let m = mempolicy(&l).expect("ok").expect("some");
        assert_eq!((m.mode, m.nodes), (3 | 1 << 15, vec![1]));
    }
}
