//! podman (from Debian) driving carrack as its OCI runtime (`podman --runtime PATH`), one row
//! per option, each checked for its effect inside the container (see callers/mod.rs).
//!
//! Storage (vfs), run directory and containers.conf are private to the test; the image is
//! imported from a busybox-static rootfs. Facts of this machine the setup works around: root
//! lacks CAP_SYS_RESOURCE and conmon runs with RLIMIT_NPROC 32768, so podman's default ulimits
//! fail with any runtime; the private containers.conf sets them to values the host allows.
//! There is no systemd: cgroupfs manager, file events logger. The containers have no network
//! (`netns = "none"`: no bridge or firewall rules are left on the host) and their own cgroup
//! parent, removed at the end.
#![cfg(target_os = "linux")]

use std::os::unix::fs::PermissionsExt;

mod callers;
use callers::{Engine, Kind, NotApplicable, Runtime, Saver};

const NOT_APPLICABLE: &[NotApplicable] = &[];

#[test]
#[ignore = "needs root: podman drives carrack as root"]
fn podman_drives_carrack() {
    let t = std::time::Instant::now();
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    // Remapped users (the userns row) must reach the storage under it.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let saver = Saver::from_env(d);
    let (rt, runc) = callers::runtimes(saver.as_ref());
    let tar = callers::busybox_tar(d);
    let parent = format!(
        "/carrack-callers-{}",
        d.file_name().expect("name").to_string_lossy()
    );
    let hard_nofile = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .expect("rlimit")
        .1;
    std::fs::write(
        d.join("containers.conf"),
        format!(
            "[containers]\ndefault_ulimits = [\"nofile={hard_nofile}:{hard_nofile}\", \"nproc=32768:32768\"]\n\
             netns = \"none\"\n\
             [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
             tmp_dir = \"{}\"\n",
            d.join("tmp").display()
        ),
    )
    .expect("containers.conf");
    let engine = Engine {
        kind: Kind::Podman,
        image: "localhost/bb".into(),
        scratch: d.join("scratch"),
        global: vec![
            "--root".into(),
            d.join("root").into(),
            "--runroot".into(),
            d.join("run").into(),
            "--storage-driver".into(),
            "vfs".into(),
        ],
        envs: vec![("CONTAINERS_CONF".into(), d.join("containers.conf").into())],
        run_args: vec![format!("--cgroup-parent={parent}")],
    };
    let o = engine.out(
        &runc,
        &["import", tar.to_str().expect("utf-8"), "localhost/bb"],
    );
    assert!(o.status.success(), "podman import: {}", callers::text(&o));

    let rows = callers::engine_rows();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        callers::run_table(
            "podman",
            &engine,
            &rows,
            NOT_APPLICABLE,
            &rt,
            &runc,
            saver.as_ref(),
        )
    }));

    // Cleanup: every container, then whatever still names the temporary directory.
    let mut left = Vec::new();
    let ids = callers::stdout(&engine.out(&runc, &["ps", "-aq"]));
    for id in ids.lines().filter(|l| !l.is_empty()) {
        left.push(format!("container {id} still there at the end"));
        let _ = engine.out(&runc, &["rm", "-f", "-t", "0", id]);
    }
    let _ = engine.out(&runc, &["system", "prune", "-af"]);
    left.extend(callers::kill_leftover_processes(d));
    left.extend(callers::unmount_leftovers(d));
    left.extend(callers::remove_cgroups(&parent, &["conmon"]));
    if let Some(s) = &saver {
        let order: Vec<&str> = rows.iter().map(|r| r.option).collect();
        s.collect("podman", &order);
    }
    eprintln!("podman: {:.0}s in all", t.elapsed().as_secs_f32());
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    let _: &Runtime = &rt;
    assert!(left.is_empty(), "left behind: {left:#?}");
}
