//! Which file gets which value, for v1 and v2 hosts, without root: the planner against a host
//! that only says which files exist.

use std::collections::BTreeSet;

use super::*;

struct Fake {
    v2: bool,
    files: BTreeSet<&'static str>,
    usage: Option<u64>,
}

impl Host for Fake {
    fn v2(&self) -> bool {
        self.v2
    }
    fn has(&self, file: &str) -> bool {
        self.files.contains(file)
    }
    fn read_u64(&self, _: &str) -> Option<u64> {
        self.usage
    }
}

fn host(v2: bool, files: &[&'static str]) -> Fake {
    Fake {
        v2,
        files: files.iter().copied().collect(),
        usage: None,
    }
}

fn plan(h: &Fake, json: &str) -> Result<Vec<(String, String)>> {
    let r: Resources = serde_json::from_str(json).expect("resources");
    Ok(plan_limits(h, &r)?
        .into_iter()
        .map(|w| (w.file, w.value))
        .collect())
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn cpu_shares_become_a_v2_weight() {
    let v2 = host(true, &[]);
    for (shares, weight) in [
        (2, "1"),
        (1024, "39"),
        (262_144, "10000"),
        (1, "1"),
        (1 << 20, "10000"),
    ] {
        let p = plan(&v2, &format!(r#"{{"cpu": {{"shares": {shares}}}}}"#)).expect("plan");
        assert_eq!(p, pairs(&[("cpu.weight", weight)]), "shares {shares}");
    }
    let p = plan(&host(false, &[]), r#"{"cpu": {"shares": 512}}"#).expect("plan");
    assert_eq!(p, pairs(&[("cpu.shares", "512")]));
    // 0 is unset.
    assert_eq!(plan(&v2, r#"{"cpu": {"shares": 0}}"#).expect("plan"), []);
}

#[test]
fn cpu_quota_and_period() {
    let json = r#"{"cpu": {"quota": 50000, "period": 100000, "cpus": "0-1", "mems": ""}}"#;
    assert_eq!(
        plan(&host(true, &[]), json).expect("plan"),
        pairs(&[("cpu.max", "50000 100000"), ("cpuset.cpus", "0-1")])
    );
    assert_eq!(
        plan(&host(false, &[]), json).expect("plan"),
        pairs(&[
            ("cpu.cfs_period_us", "100000"),
            ("cpu.cfs_quota_us", "50000"),
            ("cpuset.cpus", "0-1")
        ])
    );
    // No quota (or -1) is `max` on v2, with the default period.
    assert_eq!(
        plan(&host(true, &[]), r#"{"cpu": {"quota": -1}}"#).expect("plan"),
        pairs(&[("cpu.max", "max 100000")])
    );
}

#[test]
fn memory_limits_and_swap() {
    let json = r#"{"memory": {"limit": 1000, "reservation": -1, "swap": 3000}}"#;
    // v2's swap is swap alone: the spec's memory+swap less the limit.
    assert_eq!(
        plan(&host(true, &[]), json).expect("plan"),
        pairs(&[
            ("memory.max", "1000"),
            ("memory.low", "max"),
            ("memory.swap.max", "2000")
        ])
    );
    assert_eq!(
        plan(&host(false, &[]), json).expect("plan"),
        pairs(&[
            ("memory.limit_in_bytes", "1000"),
            ("memory.soft_limit_in_bytes", "-1"),
            ("memory.memsw.limit_in_bytes", "3000")
        ])
    );
    let v2 = host(true, &[]);
    let swap = |json: &str| plan(&v2, json).expect("plan").pop().expect("a write");
    assert_eq!(swap(r#"{"memory": {"swap": -1}}"#).1, "max");
    assert_eq!(swap(r#"{"memory": {"limit": 5000, "swap": 3000}}"#).1, "0");
    assert_eq!(swap(r#"{"memory": {"swap": 3000}}"#).1, "3000");
    assert_eq!(swap(r#"{"memory": {"limit": -1, "swap": 3000}}"#).1, "3000");
}

#[test]
fn what_v2_has_not_is_an_error_naming_the_field() {
    let v2 = host(true, &[]);
    for (json, field) in [
        (r#"{"memory": {"swappiness": 10}}"#, "memory.swappiness"),
        (
            r#"{"memory": {"disableOOMKiller": true}}"#,
            "memory.disableOOMKiller",
        ),
        (r#"{"memory": {"kernelTCP": 1}}"#, "memory.kernelTCP"),
        (r#"{"blockIO": {"leafWeight": 100}}"#, "blockIO.leafWeight"),
        (r#"{"network": {"classID": 1}}"#, "network"),
    ] {
        let e = plan(&v2, json).expect_err(json);
        assert!(
            e.to_string()
                .starts_with(&format!("linux.resources.{field}: ")),
            "{e}"
        );
    }
    let e = plan(&host(false, &[]), r#"{"unified": {"memory.high": "1"}}"#).expect_err("v1");
    assert!(e.to_string().contains("cgroup v2 keys on a v1 host"), "{e}");
    let e = plan(&v2, r#"{"unified": {"../x": "1"}}"#).expect_err("path");
    assert!(e.to_string().contains("is not a cgroup file name"), "{e}");
    // The kernel's memory limit is ignored with a warning, not an error.
    assert_eq!(plan(&v2, r#"{"memory": {"kernel": 1}}"#).expect("plan"), []);
}

#[test]
fn check_before_update_compares_with_the_usage() {
    let mut h = host(true, &[]);
    h.usage = Some(5000);
    let json = r#"{"memory": {"limit": 4000, "checkBeforeUpdate": true}}"#;
    assert!(matches!(
        plan(&h, json),
        Err(Error::BelowUsage {
            limit: 4000,
            usage: 5000
        })
    ));
    h.usage = Some(100);
    assert_eq!(
        plan(&h, json).expect("plan"),
        pairs(&[("memory.max", "4000")])
    );
}

#[test]
fn pids_below_zero_are_max_and_zero_is_a_limit() {
    // config-linux.md § PIDs: "0 is a valid limit value for the pids cgroup controller from
    // the kernel's perspective and SHOULD be treated as such by runtimes."
    for (limit, v) in [(-1, "max"), (-2, "max"), (0, "0"), (77, "77")] {
        let p = plan(
            &host(true, &[]),
            &format!(r#"{{"pids": {{"limit": {limit}}}}}"#),
        );
        assert_eq!(p.expect("plan"), pairs(&[("pids.max", v)]));
    }
}

#[test]
fn block_io_weights_and_throttles() {
    // A weight of 0 is "not set" (docker writes it into every config).
    let json =
        r#"{"blockIO": {"weight": 0, "weightDevice": [{"major": 8, "minor": 0, "weight": 0}]}}"#;
    assert_eq!(plan(&host(false, &[]), json).expect("plan"), []);
    let json = r#"{"blockIO": {"weight": 500,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 0}]}}"#;
    assert_eq!(
        plan(&host(false, &["blkio.weight"]), json).expect("plan"),
        pairs(&[
            ("blkio.weight", "500"),
            ("blkio.weight_device", "8:0 10"),
            ("blkio.throttle.read_bps_device", "8:0 1048576"),
            ("blkio.throttle.write_iops_device", "8:0 0")
        ])
    );
    // BFQ-only kernels take the same scale in blkio.bfq.weight.
    assert_eq!(
        plan(
            &host(false, &["blkio.bfq.weight"]),
            r#"{"blockIO": {"weight": 500}}"#
        )
        .expect("plan"),
        pairs(&[("blkio.bfq.weight", "500")])
    );
    // v2: io.weight on 1..10000, or io.bfq.weight as is; a throttle of 0 is `max`.
    assert_eq!(
        plan(&host(true, &["io.weight"]), json).expect("plan"),
        pairs(&[
            ("io.weight", "default 4950"),
            ("io.weight", "8:0 1"),
            ("io.max", "8:0 rbps=1048576"),
            ("io.max", "8:0 wiops=max")
        ])
    );
    assert_eq!(
        plan(
            &host(true, &["io.bfq.weight", "io.weight"]),
            r#"{"blockIO": {"weight": 1000}}"#
        )
        .expect("plan"),
        pairs(&[("io.bfq.weight", "1000")])
    );
}

#[test]
fn hugepages_network_and_rdma() {
    let json = r#"{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}"#;
    assert_eq!(
        plan(&host(false, &["hugetlb.2MB.limit_in_bytes"]), json).expect("plan"),
        pairs(&[("hugetlb.2MB.limit_in_bytes", "4194304")])
    );
    // A hybrid host without v1 hugetlb: the cgroup2 file.
    assert_eq!(
        plan(&host(false, &[]), json).expect("plan"),
        pairs(&[("hugetlb.2MB.max", "4194304")])
    );
    let bad = r#"{"hugepageLimits": [{"pageSize": "../2MB", "limit": 1}]}"#;
    assert!(plan(&host(false, &[]), bad).is_err());
    let json =
        r#"{"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]}}"#;
    assert_eq!(
        plan(&host(false, &[]), json).expect("plan"),
        pairs(&[
            ("net_cls.classid", "1048577"),
            ("net_prio.ifpriomap", "eth0 5")
        ])
    );
    let json = r#"{"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {}}}"#;
    assert_eq!(
        plan(&host(true, &[]), json).expect("plan"),
        pairs(&[("rdma.max", "mlx5_1 hca_handle=3 hca_object=10000")])
    );
}

#[test]
fn writes_name_the_field_file_value_and_errno() {
    let t = tempfile::tempdir().expect("tmp");
    let dirs = [t.path().to_path_buf()];
    let d = Dirs::of_version(&dirs, true);
    let w = Write {
        file: "pids.max".into(),
        value: "9".into(),
        field: "pids.limit".into(),
    };
    let e = d.write(&w).expect_err("no such file");
    assert_eq!(
        e.to_string(),
        "linux.resources.pids.limit: this host has no pids.max for the container's cgroup"
    );
    std::fs::create_dir(t.path().join("pids.max")).expect("a directory in the way");
    let d = Dirs::of_version(&dirs, true);
    let e = d.write(&w).expect_err("a directory");
    let Error::Write {
        file,
        value,
        source,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((file, value.as_str()), (&t.path().join("pids.max"), "9"));
    assert_eq!(source.raw_os_error(), Some(libc::EISDIR));
    assert!(
        e.to_string()
            .starts_with("linux.resources.pids.limit: writing \"9\" to "),
        "{e}"
    );
}
