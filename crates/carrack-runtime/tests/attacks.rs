//! The attack suite: one case per public runtime CVE class of runc, crun, youki and containerd
//! since 2018, each a hostile bundle or a hostile interaction, judged by canaries outside the
//! container (host files, the runtime binary's hash, host sysctls, host mounts, host processes),
//! never by the runtime's own word.
//!
//! Each case runs against carrack in its own test and must never reach the host. The ignored
//! test `peers` runs every case against runc and crun as well and prints the table:
//! `cargo test -p carrack-runtime --test attacks -- --ignored --nocapture peers`.
//! Every runtime runs from a private copy of its binary, so an attack that succeeds damages only
//! the copy. Needs root, gcc and busybox-static, as the lifecycle tests do.
#![cfg(target_os = "linux")]

#[path = "attacks/canaries.rs"]
#[allow(unreachable_pub)]
mod canaries;
#[path = "attacks/cases.rs"]
#[allow(unreachable_pub)]
mod cases;
#[path = "attacks/cases_paths.rs"]
#[allow(unreachable_pub)]
mod cases_paths;
#[path = "attacks/cases_process.rs"]
#[allow(unreachable_pub)]
mod cases_process;
mod common;
#[path = "attacks/evil.rs"]
#[allow(unreachable_pub)]
mod evil;
#[path = "attacks/harness.rs"]
#[allow(unreachable_pub)]
mod harness;

use common::Env;
use harness::{Rt, Verdict};

/// Runs `case` against carrack and fails if any canary moved.
fn against_carrack(case: fn(&Rt, &Env) -> Verdict) {
    let env = Env::new();
    let rt = Rt::new("carrack", env.dir.path()).expect("carrack");
    let before = rt.binary_hash();
    let v = case(&rt, &env);
    assert_eq!(before, rt.binary_hash(), "the runtime binary changed");
    assert!(
        !matches!(v, Verdict::Escaped(_)),
        "the attack reached the host: {}",
        v.detail()
    );
    assert!(
        !matches!(v, Verdict::Skipped(_)),
        "the case could not run: {}",
        v.detail()
    );
    eprintln!("{}: {}", v.word(), v.detail());
}

macro_rules! attacks {
    ($($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            #[ignore = "needs root: runs hostile containers and judges them by host canaries"]
            fn $name() {
                against_carrack($module::$name);
            }
        )*

        const ALL: &[(&str, fn(&Rt, &Env) -> Verdict)] =
            &[$((stringify!($name), $module::$name)),*];
    };
}

attacks! {
    cases::cve_2019_5736_exec_by_shebang,
    cases::cve_2019_5736_exec_with_a_terminal,
    cases::cve_2019_5736_init_by_shebang,
    cases::cve_2019_5736_privileged,
    cases::cve_2025_52881_sysctl_through_a_bind_mount,
    cases_paths::cve_2019_19921_proc_and_sys_as_symlinks,
    cases_paths::cve_2019_16884_a_fake_proc_over_the_real_one,
    cases_paths::cve_2021_30465_mount_destinations_through_symlinks,
    cases_paths::cve_2025_31133_dev_null_as_a_symlink,
    cases_paths::cve_2025_52565_dev_console_as_a_symlink,
    cases_paths::cve_2026_41579_dev_as_a_symlink,
    cases_paths::cve_2024_21626_cwd_through_a_leaked_descriptor,
    cases_process::cve_2022_29162_inheritable_capabilities,
    cases_process::cve_2024_40635_uid_minus_one,
    cases_process::cve_2022_0492_cgroup_release_agent,
    cases_process::device_rules_keep_a_host_disk_out_of_reach,
    cases_process::a_foreign_cgroup_keeps_its_processes,
    cases_process::container_ids_that_are_paths,
    cases_process::no_runtime_descriptor_reaches_the_container,
    cases_process::a_reused_pid_is_not_the_container,
    cases_process::sysctls_reach_only_the_containers_namespaces,
    cases_process::no_pivot_leaves_no_bare_proc,
}

#[test]
#[ignore = "compares carrack with runc and crun; run with --ignored --nocapture"]
fn peers() {
    let mut rows = Vec::new();
    for (name, case) in ALL {
        let mut row = vec![(*name).to_owned()];
        for rt_name in ["carrack", "runc", "crun"] {
            let env = Env::new();
            let cell = match Rt::new(rt_name, env.dir.path()) {
                Some(rt) => {
                    let before = rt.binary_hash();
                    let mut v = case(&rt, &env);
                    if rt.binary_hash() != before && !matches!(v, Verdict::Escaped(_)) {
                        v = Verdict::Escaped("the runtime binary changed".into());
                    }
                    eprintln!("{name} / {rt_name}: {} — {}", v.word(), v.detail());
                    v.word().to_owned()
                }
                None => "not installed".to_owned(),
            };
            row.push(cell);
        }
        rows.push(row);
    }
    println!("\n| case | carrack | runc | crun |\n|---|---|---|---|");
    for r in &rows {
        println!("| {} |", r.join(" | "));
    }
    assert!(
        rows.iter().all(|r| r[1] != "ESCAPED"),
        "carrack escaped in a case"
    );
}
