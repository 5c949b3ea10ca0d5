//! `linux.resources.blockIO`: blkio (v1) or io (v2).

use carrack_spec::runtime::BlockIo;

use super::{Host, Planner, unsupported};
use crate::{Error, Result};

/// A blkio weight (10..1000) on io.weight's scale (1..10000).
pub(super) fn weight_to_v2(w: u16) -> u64 {
    1 + (u64::from(w.clamp(10, 1000)) - 10) * 9999 / 990
}

/// v1 weights go to `blkio.weight`, or BFQ's `blkio.bfq.weight` where the kernel only has that
/// (as runc does); v2 weights go to `io.bfq.weight` as they are, or to `io.weight` converted
/// from the 10..1000 blkio scale to io's 1..10000.
pub(super) fn plan<H: Host + ?Sized>(p: &mut Planner<'_, H>, b: &BlockIo) -> Result<()> {
    let v2 = p.v2;
    // One weight: `dev` is None for the cgroup's default, `maj:min` for one device.
    let weight = |p: &mut Planner<'_, H>, dev: Option<&str>, w: u16, field: &str| {
        let line = |x: String| dev.map_or_else(|| x.clone(), |d| format!("{d} {x}"));
        let first = |names: [&'static str; 2]| names.into_iter().find(|f| p.host.has(f));
        if v2 {
            if first(["io.bfq.weight", "io.weight"]) == Some("io.bfq.weight") {
                p.set("io.bfq.weight", line(w.to_string()), field);
            } else {
                let key = dev.unwrap_or("default");
                p.set("io.weight", format!("{key} {}", weight_to_v2(w)), field);
            }
        } else {
            let files = if dev.is_some() {
                ["blkio.weight_device", "blkio.bfq.weight_device"]
            } else {
                ["blkio.weight", "blkio.bfq.weight"]
            };
            let file = first(files).unwrap_or(files[0]);
            p.set(file, line(w.to_string()), field);
        }
    };
    // 0 is "not set": docker writes `"weight": 0` into every config, and runc skips it (the
    // kernel would refuse it).
    if let Some(w) = b.weight.filter(|w| *w != 0) {
        weight(p, None, w, "blockIO.weight");
    }
    if let Some(w) = b.leaf_weight.filter(|w| *w != 0) {
        if v2 {
            return Err(unsupported(
                "blockIO.leafWeight",
                "not available on cgroup v2",
            ));
        }
        p.set("blkio.leaf_weight", w.to_string(), "blockIO.leafWeight");
    }
    for (i, wd) in b.weight_device.iter().flatten().enumerate() {
        let field = format!("blockIO.weightDevice[{i}]");
        let dev = format!("{}:{}", wd.major, wd.minor);
        if let Some(w) = wd.weight.filter(|w| *w != 0) {
            weight(p, Some(&dev), w, &field);
        }
        if let Some(w) = wd.leaf_weight.filter(|w| *w != 0) {
            if v2 {
                return Err(Error::Unsupported {
                    field: format!("{field}.leafWeight"),
                    reason: "not available on cgroup v2",
                });
            }
            p.set("blkio.leaf_weight_device", format!("{dev} {w}"), field);
        }
    }
    let throttles = [
        (
            &b.throttle_read_bps_device,
            "read_bps_device",
            "rbps",
            "throttleReadBpsDevice",
        ),
        (
            &b.throttle_write_bps_device,
            "write_bps_device",
            "wbps",
            "throttleWriteBpsDevice",
        ),
        (
            &b.throttle_read_iops_device,
            "read_iops_device",
            "riops",
            "throttleReadIOPSDevice",
        ),
        (
            &b.throttle_write_iops_device,
            "write_iops_device",
            "wiops",
            "throttleWriteIOPSDevice",
        ),
    ];
    for (list, v1_file, v2_key, name) in throttles {
        for (i, t) in list.iter().flatten().enumerate() {
            let field = format!("blockIO.{name}[{i}]");
            let rate = t.rate.unwrap_or(0);
            let dev = format!("{}:{}", t.major, t.minor);
            if v2 {
                // 0 is "no limit" on v1; v2 spells it `max`.
                let rate = if rate == 0 {
                    "max".to_owned()
                } else {
                    rate.to_string()
                };
                p.set("io.max", format!("{dev} {v2_key}={rate}"), field);
            } else {
                p.set(
                    format!("blkio.throttle.{v1_file}"),
                    format!("{dev} {rate}"),
                    field,
                );
            }
        }
    }
    Ok(())
}
