//! config-linux.md § Control groups: the cgroup resources (devices, memory, CPU, block IO,
//! huge pages, RDMA).

use super::VALID_VALUES;
use crate::rules::{is_cpu_list, is_hugepage_size};
use crate::runtime::*;
use crate::validation::Checker;

rules! {
    // config-linux.md
    LINUX_DEVICE_CGROUP_TYPE = runtime("config-linux.md", "Allowed Device list",
        "type (string, OPTIONAL) - type of device: a (all), c (char), or b (block).")
        because VALID_VALUES;
    LINUX_DEVICE_CGROUP_ACCESS = runtime("config-linux.md", "Allowed Device list",
        "access (string, OPTIONAL) - cgroup permissions for device. A composition of r (read), w (write), and m (mknod).")
        because VALID_VALUES;
    LINUX_SWAPPINESS = runtime("config-linux.md", "Memory",
        "swappiness (uint64, OPTIONAL) - sets swappiness parameter of vmscan (See sysctl's vm.swappiness) The values are from 0 to 100.")
        because VALID_VALUES;
    LINUX_MEMORY_KERNEL = runtime("config-linux.md", "Memory",
        "kernel (int64, OPTIONAL, NOT RECOMMENDED) - sets hard limit for kernel memory");
    LINUX_MEMORY_KERNEL_TCP = runtime("config-linux.md", "Memory",
        "kernelTCP (int64, OPTIONAL, NOT RECOMMENDED) - sets hard limit for kernel TCP buffer memory");
    LINUX_CPU_LIST = runtime("config-linux.md", "CPU",
        "This is a comma-separated list, with dashes to represent ranges.")
        because VALID_VALUES;
    LINUX_CPU_BURST = runtime("config-linux.md", "CPU",
        "If specified, this value MUST be no larger than any positive quota (runtimes MAY generate an error).");
    LINUX_CPU_IDLE = runtime("config-linux.md", "CPU",
        "idle (int64, OPTIONAL) - cgroups are configured with minimum weight, 0: default behavior, 1: SCHED_IDLE.")
        because VALID_VALUES;
    LINUX_BLKIO_WEIGHT_DEVICE = runtime("config-linux.md", "Block IO",
        "You MUST specify at least one of weight or leafWeight in a given entry, and MAY specify both.");
    LINUX_BLKIO_BPS_RATE = runtime("config-linux.md", "Block IO",
        "rate (uint64, REQUIRED) - bandwidth rate limit in bytes per second for the device");
    LINUX_BLKIO_IOPS_RATE = runtime("config-linux.md", "Block IO",
        "rate (uint64, REQUIRED) - IO rate limit for the device");
    LINUX_HUGEPAGE_SIZE = runtime("config-linux.md", "Huge page limits",
        "The value has the format <size><unit-prefix>B (64KB, 2MB, 1GB)")
        because VALID_VALUES;
    LINUX_RDMA = runtime("config-linux.md", "RDMA",
        "You MUST specify at least one of the hcaHandles or hcaObjects in a given entry, and MAY specify both.");
}

pub(super) fn check_resources(c: &mut Checker, r: &Resources) {
    c.opt("devices", &r.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            c.at(i, |c| {
                if let Some(t) = &d.kind
                    && !matches!(t.as_str(), "a" | "b" | "c")
                {
                    c.must_at(
                        "type",
                        LINUX_DEVICE_CGROUP_TYPE,
                        format!("device type {t:?} is not one of a, b, c"),
                    );
                }
                if let Some(a) = &d.access
                    && (a.is_empty() || !a.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')))
                {
                    c.must_at(
                        "access",
                        LINUX_DEVICE_CGROUP_ACCESS,
                        format!("access {a:?} is not a composition of r, w, m"),
                    );
                }
            });
        }
    });
    c.opt("memory", &r.memory, |c, m| {
        if let Some(s) = m.swappiness
            && s > 100
        {
            c.must_at(
                "swappiness",
                LINUX_SWAPPINESS,
                format!("swappiness {s} is not within 0 to 100"),
            );
        }
        for (name, v, rule) in [
            ("kernel", m.kernel, LINUX_MEMORY_KERNEL),
            ("kernelTCP", m.kernel_tcp, LINUX_MEMORY_KERNEL_TCP),
        ] {
            if v.is_some() {
                c.should_at(
                    name,
                    rule,
                    format!("{name} is set, and it is NOT RECOMMENDED"),
                );
            }
        }
    });
    c.opt("cpu", &r.cpu, |c, cpu| {
        for (name, v) in [("cpus", &cpu.cpus), ("mems", &cpu.mems)] {
            if let Some(v) = v
                && !is_cpu_list(v)
            {
                c.must_at(
                    name,
                    LINUX_CPU_LIST,
                    format!("{v:?} is not a list such as 0-3,7"),
                );
            }
        }
        if let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
            && quota > 0
            && u64::try_from(quota).is_ok_and(|q| q < burst)
        {
            c.must_at(
                "burst",
                LINUX_CPU_BURST,
                format!("burst {burst} is larger than quota {quota}"),
            );
        }
        if let Some(idle) = cpu.idle
            && idle != 0
            && idle != 1
        {
            c.must_at(
                "idle",
                LINUX_CPU_IDLE,
                format!("idle {idle} is neither 0 nor 1"),
            );
        }
    });
    c.opt("blockIO", &r.block_io, |c, b| {
        c.opt("weightDevice", &b.weight_device, |c, devs| {
            for (i, d) in devs.iter().enumerate() {
                if d.weight.is_none() && d.leaf_weight.is_none() {
                    c.must_at(
                        i,
                        LINUX_BLKIO_WEIGHT_DEVICE,
                        "the entry has neither weight nor leafWeight",
                    );
                }
            }
        });
        for (name, list, rule) in [
            (
                "throttleReadBpsDevice",
                &b.throttle_read_bps_device,
                LINUX_BLKIO_BPS_RATE,
            ),
            (
                "throttleWriteBpsDevice",
                &b.throttle_write_bps_device,
                LINUX_BLKIO_BPS_RATE,
            ),
            (
                "throttleReadIOPSDevice",
                &b.throttle_read_iops_device,
                LINUX_BLKIO_IOPS_RATE,
            ),
            (
                "throttleWriteIOPSDevice",
                &b.throttle_write_iops_device,
                LINUX_BLKIO_IOPS_RATE,
            ),
        ] {
            if let Some(list) = list {
                c.each(name, list, |c, d| {
                    if d.rate.is_none() {
                        c.must(rule, "rate is missing");
                    }
                });
            }
        }
    });
    c.opt("hugepageLimits", &r.hugepage_limits, |c, limits| {
        for (i, h) in limits.iter().enumerate() {
            if !is_hugepage_size(&h.page_size) {
                c.must_at(
                    i,
                    LINUX_HUGEPAGE_SIZE,
                    format!(
                        "pageSize {:?} is not of the form <size><unit-prefix>B, e.g. 2MB",
                        h.page_size
                    ),
                );
            }
        }
    });
    c.opt("rdma", &r.rdma, |c, rdma| {
        for (dev, limits) in rdma {
            if limits.hca_handles.is_none() && limits.hca_objects.is_none() {
                c.must_at(
                    dev,
                    LINUX_RDMA,
                    "the entry has neither hcaHandles nor hcaObjects",
                );
            }
        }
    });
}
