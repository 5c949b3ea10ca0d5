//! `linux.resources` pids, unified, hugepageLimits, network and rdma.

use std::collections::BTreeMap;

use carrack_spec::runtime::{HugepageLimit, Network, Pids, Rdma};

use super::{Host, Planner, unsupported};
use crate::{Error, Result};

/// `pids.limit`: -1 (or below) is "no limit" (`max`); 0 is a limit of no tasks, as
/// config-linux.md § PIDs says runtimes SHOULD treat it ("`0` is a valid limit value for the
/// `pids` cgroup controller from the kernel's perspective and SHOULD be treated as such").
pub(super) fn pids<H: Host + ?Sized>(p: &mut Planner<'_, H>, pids: &Pids) {
    let v = if pids.limit < 0 {
        "max".to_owned()
    } else {
        pids.limit.to_string()
    };
    p.set("pids.max", v, "pids.limit");
}

/// `unified`: cgroup v2 files by name, on a v2 host only.
pub(super) fn unified<H: Host + ?Sized>(
    p: &mut Planner<'_, H>,
    u: &BTreeMap<String, String>,
) -> Result<()> {
    if !p.v2 {
        return Err(unsupported(
            "unified",
            "cgroup v2 keys on a v1 host (config-linux.md § Unified)",
        ));
    }
    for (k, v) in u {
        if k.contains('/') || k.starts_with('.') {
            return Err(Error::Invalid {
                field: "unified".into(),
                reason: format!("{k:?} is not a cgroup file name"),
            });
        }
        p.set(k.as_str(), v.as_str(), format!("unified.{k}"));
    }
    Ok(())
}

/// Hugepage limits: the v1 hugetlb hierarchy's file, else the cgroup2 one (on hybrid hosts
/// hugetlb often lives there).
pub(super) fn hugetlb<H: Host + ?Sized>(
    p: &mut Planner<'_, H>,
    limits: &[HugepageLimit],
) -> Result<()> {
    for (i, h) in limits.iter().enumerate() {
        let field = format!("hugepageLimits[{i}]");
        let size = &h.page_size;
        if size.is_empty() || !size.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::Invalid {
                field: format!("{field}.pageSize"),
                reason: format!("{size:?} is not a page size like 2MB"),
            });
        }
        let v1 = format!("hugetlb.{size}.limit_in_bytes");
        let v2 = format!("hugetlb.{size}.max");
        let file = if p.host.has(&v1) { v1 } else { v2 };
        p.set(file, h.limit.to_string(), field);
    }
    Ok(())
}

/// net_cls and net_prio, which exist on cgroup v1 only.
pub(super) fn network<H: Host + ?Sized>(p: &mut Planner<'_, H>, n: &Network) -> Result<()> {
    if p.v2 {
        return Err(unsupported(
            "network",
            "net_cls and net_prio exist only on cgroup v1 (config-linux.md § Network)",
        ));
    }
    if let Some(id) = n.class_id {
        p.set("net_cls.classid", id.to_string(), "network.classID");
    }
    for (i, prio) in n.priorities.iter().flatten().enumerate() {
        p.set(
            "net_prio.ifpriomap",
            format!("{} {}", prio.name, prio.priority),
            format!("network.priorities[{i}]"),
        );
    }
    Ok(())
}

/// `rdma.max`, one line per device that has a limit.
pub(super) fn rdma<H: Host + ?Sized>(p: &mut Planner<'_, H>, rdma: &BTreeMap<String, Rdma>) {
    for (dev, limit) in rdma {
        let mut v = dev.clone();
        if let Some(h) = limit.hca_handles {
            v.push_str(&format!(" hca_handle={h}"));
        }
        if let Some(o) = limit.hca_objects {
            v.push_str(&format!(" hca_object={o}"));
        }
        if v != *dev {
            p.set("rdma.max", v, format!("rdma.{dev}"));
        }
    }
}
