//! The device program run without root, in the `rbpf` crate's eBPF interpreter: rule by rule
//! against cgroup v1's devices controller semantics (security/device_cgroup.c), written out by
//! hand, and against [`Exceptions`] over every request of a grid of devices and accesses.

use super::program::{EXIT, JEQ_K, JNE_K, JNE_X};
use super::*;

const M: u32 = 1;
const R: u32 = 2;
const W: u32 = 4;

/// Runs the program for `rules` on one request (type 'b' or 'c', access bits).
fn run(rules: &[Rule], kind: char, major: u32, minor: u32, access: u32) -> bool {
    let bytes: Vec<u8> = program(rules)
        .into_iter()
        .flat_map(BpfInsn::to_bytes)
        .collect();
    let vm = rbpf::EbpfVmRaw::new(Some(&bytes)).expect("rbpf accepts the program");
    // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
    let kind_bits: u32 = if kind == 'b' { 1 } else { 2 };
    let mut ctx = Vec::new();
    ctx.extend_from_slice(&(access << 16 | kind_bits).to_le_bytes());
    ctx.extend_from_slice(&major.to_le_bytes());
    ctx.extend_from_slice(&minor.to_le_bytes());
    match vm.execute_program(&mut ctx).expect("runs") {
        0 => false,
        1 => true,
        other => panic!("the program returned {other}"),
    }
}

fn rules(lines: &[(bool, &str)]) -> Vec<Rule> {
    lines
        .iter()
        .map(|(allow, l)| Rule::parse(*allow, l).expect("rule"))
        .collect()
}

/// Every request of a grid that names the devices the rules name and some they do not.
fn grid() -> impl Iterator<Item = (char, u32, u32, u32)> {
    ['b', 'c'].into_iter().flat_map(|k| {
        [1, 5, 8, 10, 136].into_iter().flat_map(move |ma| {
            [0, 1, 3, 5, 7, 9]
                .into_iter()
                .flat_map(move |mi| (1..=7).map(move |a| (k, ma, mi, a)))
        })
    })
}

/// Where the program and v1 differ on `rules`.
fn differences(rules: &[Rule]) -> Vec<String> {
    let v1 = Exceptions::of(rules);
    grid()
        .filter(|&(k, ma, mi, a)| run(rules, k, ma, mi, a) != v1.allows(k, ma, mi, a))
        .map(|(k, ma, mi, a)| {
            format!(
                "{k} {ma}:{mi} access {a}: v1 {}",
                if v1.allows(k, ma, mi, a) {
                    "allows"
                } else {
                    "denies"
                }
            )
        })
        .collect()
}

#[test]
fn v1_lines_round_trip() {
    for line in ["c 1:3 rwm", "b *:* m", "a *:* rwm", "c 136:* rw"] {
        let r = Rule::parse(true, line).expect("parse");
        assert_eq!(r.v1_line(), line);
    }
    assert_eq!(
        Rule::parse(true, "x 1:3 rwm"),
        Err(RuleError::Type("x".into()))
    );
    assert_eq!(Rule::parse(true, "c 1:3 rwx"), Err(RuleError::Access('x')));
    assert!(matches!(
        Rule::parse(true, "c 1 rwm"),
        Err(RuleError::Syntax(_))
    ));
    assert!(matches!(
        Rule::new(true, Some("c"), Some(1 << 40), None, None),
        Err(RuleError::Range { what: "major", .. })
    ));
    // The spec's -1 is a wildcard, absent type is `a`, absent access is rwm.
    let r = Rule::new(false, None, Some(-1), Some(-1), None).expect("rule");
    assert_eq!(r.v1_line(), "a *:* rwm");
}

#[test]
fn nothing_matching_is_denied() {
    assert!(!run(&[], 'c', 1, 3, R));
    let only_null = rules(&[(true, "c 1:3 rwm")]);
    assert!(run(&only_null, 'c', 1, 3, R | W));
    assert!(!run(&only_null, 'c', 1, 5, R));
    assert!(!run(&only_null, 'b', 1, 3, R));
}

#[test]
fn each_kind_of_rule_means_what_v1_means() {
    let base = (false, "a *:* rwm");
    // Type a, b, c; wildcard majors and minors; access subsets.
    for (rule, allowed, denied) in [
        ("a *:* rwm", ('b', 8, 0, R | W | M), ('c', 0, 0, 0)),
        ("c *:* m", ('c', 10, 1, M), ('c', 10, 1, R)),
        ("b 8:* rw", ('b', 8, 7, R | W), ('b', 8, 7, M)),
        ("b 8:* rw", ('b', 8, 7, R), ('c', 8, 7, R)),
        ("c 136:* rwm", ('c', 136, 9, W), ('c', 137, 9, W)),
        ("c *:3 r", ('c', 5, 3, R), ('c', 5, 3, R | W)),
        ("c 1:5 r", ('c', 1, 5, R), ('c', 1, 5, W)),
    ] {
        let rs = rules(&[base, (true, rule)]);
        let (k, ma, mi, a) = allowed;
        assert!(run(&rs, k, ma, mi, a), "{rule} allows {allowed:?}");
        let (k, ma, mi, a) = denied;
        if a != 0 {
            assert!(!run(&rs, k, ma, mi, a), "{rule} denies {denied:?}");
        }
        assert_eq!(differences(&rs), Vec::<String>::new(), "{rule}");
    }
}

#[test]
fn a_later_rule_wins_over_an_earlier_one() {
    // deny all, allow /dev/null, deny it again: v1 takes the exception away.
    let rs = rules(&[
        (false, "a *:* rwm"),
        (true, "c 1:3 rwm"),
        (false, "c 1:3 rwm"),
    ]);
    assert!(!run(&rs, 'c', 1, 3, R));
    // allow all, deny /dev/null, allow all again.
    let rs = rules(&[
        (true, "a *:* rwm"),
        (false, "c 1:3 rwm"),
        (true, "a *:* rwm"),
    ]);
    assert!(run(&rs, 'c', 1, 3, R));
    // A deny list: everything but what is denied.
    let rs = rules(&[
        (true, "a *:* rwm"),
        (false, "b 8:* rwm"),
        (false, "c 1:3 w"),
    ]);
    assert!(run(&rs, 'c', 1, 5, R | W));
    assert!(!run(&rs, 'b', 8, 1, R));
    assert!(run(&rs, 'c', 1, 3, R));
    // A deny rule refuses a request asking for part of its access (open O_RDWR of a
    // device whose write is denied), as v1's deny exceptions do.
    assert!(!run(&rs, 'c', 1, 3, R | W));
    assert_eq!(differences(&rs), Vec::<String>::new());
}

#[test]
fn runtimes_rule_lists_agree_with_v1_on_every_request() {
    // docker/podman: deny all, runc's defaults, the config's devices; privileged: allow all.
    let deny_all = DeviceCgroup::new(false);
    let mut fuse = DeviceCgroup::new(true);
    fuse.kind = Some("c".into());
    fuse.major = Some(10);
    fuse.minor = Some(229);
    fuse.access = Some("rwm".into());
    let mut disk = DeviceCgroup::new(false);
    disk.kind = Some("b".into());
    disk.major = Some(8);
    disk.access = Some("rw".into());
    for config in [
        vec![deny_all.clone()],
        vec![deny_all.clone(), fuse.clone()],
        vec![deny_all.clone(), fuse, disk.clone()],
        vec![DeviceCgroup::new(true)],
        vec![DeviceCgroup::new(true), disk],
        vec![],
    ] {
        let rs = device_rules(&config, &[]).expect("rules");
        assert_eq!(differences(&rs), Vec::<String>::new(), "{config:?}");
    }
}

#[test]
fn split_and_partial_rules_mean_what_v1_makes_of_them() {
    // v1 merges the two allows into one `rw` exception.
    let rs = rules(&[(false, "a *:* rwm"), (true, "c 1:3 r"), (true, "c 1:3 w")]);
    assert!(run(&rs, 'c', 1, 3, R | W));
    assert!(!run(&rs, 'c', 1, 3, M));
    // Under an allow default, an allow takes the access off the deny exception: all allowed.
    let rs = rules(&[(true, "a *:* rwm"), (false, "c 1:3 w"), (true, "c 1:3 w")]);
    assert!(run(&rs, 'c', 1, 3, R | W));
    // Taking part of an allow away: v1 keeps `rm`.
    let rs = rules(&[
        (false, "a *:* rwm"),
        (true, "c 1:3 rwm"),
        (false, "c 1:3 w"),
    ]);
    assert!(run(&rs, 'c', 1, 3, R | M));
    assert!(!run(&rs, 'c', 1, 3, R | W));
    // A deny of something no exception names exactly changes nothing under a deny default
    // (v1 matches exceptions to remove by identity, not by range).
    let rs = rules(&[
        (false, "a *:* rwm"),
        (true, "c 1:* rwm"),
        (false, "c 1:3 rwm"),
    ]);
    assert!(run(&rs, 'c', 1, 3, R));
    // A later `a` rule starts over, whatever its numbers and access.
    let rs = rules(&[(true, "c 1:3 rwm"), (false, "a 1:3 r")]);
    assert!(!run(&rs, 'c', 1, 3, R));
    let rs = rules(&[(false, "a *:* rwm"), (true, "a *:* m")]);
    assert!(run(&rs, 'b', 8, 0, R | W));
    for rs in [
        rules(&[(false, "a *:* rwm"), (true, "c 1:3 r"), (true, "c 1:3 w")]),
        rules(&[(true, "a *:* rwm"), (false, "c 1:3 w"), (true, "c 1:3 w")]),
        rules(&[
            (false, "a *:* rwm"),
            (true, "c 1:* rwm"),
            (false, "c 1:3 rwm"),
        ]),
    ] {
        assert_eq!(differences(&rs), Vec::<String>::new(), "{rs:?}");
    }
}

#[test]
fn jumps_land_on_the_next_exception() {
    let rs = rules(&[(false, "a *:* rwm"), (true, "c 1:3 rw"), (true, "b 8:* m")]);
    let p = program(&rs);
    // prologue 6; `c 1:3 rw`: type, 3 access, major, minor, mov, exit = 8; `b 8:* m`: 7; the
    // default: 2.
    assert_eq!(p.len(), 6 + 8 + 7 + 2);
    assert_eq!(p.last().map(|i| i.code), Some(EXIT));
    for (i, ins) in p.iter().enumerate() {
        if matches!(ins.code, JNE_K | JNE_X | JEQ_K) {
            let target = i as i64 + 1 + i64::from(ins.off);
            let next = if i < 14 { 14 } else { 21 };
            assert_eq!(target, next, "jump at {i} goes to the next exception");
        }
    }
    // Nothing but resets: the default alone.
    assert_eq!(program(&rules(&[(true, "a *:* rwm")])).len(), 6 + 2);
    assert!(run(&rules(&[(true, "a *:* rwm")]), 'b', 8, 0, R));
}

/// The program loaded into the kernel and attached to a real cgroup2 directory (the unified
/// hierarchy of a hybrid host, or the v2 root) decides what a process in it may open.
#[test]
#[ignore = "needs root: loads a BPF_PROG_TYPE_CGROUP_DEVICE program and creates a cgroup"]
fn the_kernel_enforces_the_program() {
    let base = if crate::is_v2_host() {
        "/sys/fs/cgroup"
    } else {
        "/sys/fs/cgroup/unified"
    };
    assert!(
        Path::new(base).join("cgroup.procs").exists(),
        "needs a cgroup2 hierarchy at {base}"
    );
    let dir = Path::new(base).join(format!("carrack-bpf-test-{}", std::process::id()));
    fs::create_dir(&dir).expect("cgroup");
    let rs = rules(&[(false, "a *:* rwm"), (true, "c 1:3 rwm"), (true, "c 1:5 r")]);
    attach(&dir, &rs).expect("attach");
    // Replacing leaves exactly one program.
    attach(&dir, &rs).expect("attach again");
    assert_eq!(attached(&dir).expect("query").len(), 1);
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
    let _ = fs::remove_dir(&dir);
    assert_eq!(status.code(), Some(0), "see the exit codes in the script");
}
