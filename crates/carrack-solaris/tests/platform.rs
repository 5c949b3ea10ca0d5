//! The platform's own behaviour beyond the contract: rollback, users, kill, exec, features.

mod common;

use carrack_platform::{
    ContainerId, CreateOptions, Error, ExecOptions, Exit, KillOptions, Platform, Signal,
};
use carrack_solaris::parse::ZoneState;
use carrack_spec::runtime::{Anet, Process, Solaris, Status, User};

fn id(s: &str) -> ContainerId {
    ContainerId::new(s).expect("id")
}

#[test]
fn a_failed_create_undoes_every_step_it_made() {
    let p = common::platform(common::illumos());
    let spec = common::spec(&["sleep"])
        .with_solaris(Solaris::default().with_anet(vec![Anet::default().with_linkname("net7")]));
    let bundle = common::write_bundle(&common::fresh_dir("b"), &spec);
    p.executor().fail_matching("install");
    let e = p
        .create(&id("c"), &CreateOptions::new(&bundle))
        .expect_err("install fails");
    assert!(e.to_string().contains("install"), "{e}");
    assert!(p.executor().zones().is_empty() && p.executor().vnics().is_empty());
    assert!(matches!(p.state(&id("c")), Err(Error::NotFound(_))));
    let undo: Vec<String> = p
        .executor()
        .calls()
        .iter()
        .rev()
        .take(2)
        .map(|c| c.to_string())
        .collect();
    assert_eq!(undo, ["dladm delete-vnic net7", "zonecfg -z c delete -F"]);
}

#[test]
fn a_zone_of_the_same_name_is_never_taken_over() {
    let p = common::platform(common::illumos());
    let bundle = common::write_bundle(&common::fresh_dir("b"), &common::spec(&["sleep"]));
    p.create(&id("z"), &CreateOptions::new(&bundle))
        .expect("create");
    let other = common::fresh_dir("state");
    let q = carrack_solaris::Solaris::new(
        carrack_platform::Store::open(other).expect("store"),
        p.executor().clone(),
        common::illumos(),
    );
    assert!(matches!(
        q.create(&id("z"), &CreateOptions::new(&bundle)),
        Err(Error::Exists(_))
    ));
    assert_eq!(p.executor().zones(), [("z".to_owned(), ZoneState::Ready)]);
}

#[test]
fn a_user_is_looked_up_in_the_zone_and_its_group_must_match() {
    let p = common::platform(common::illumos());
    let mut spec = common::spec(&["sleep"]);
    if let Some(proc_) = spec.process.as_mut() {
        proc_.user = Some(User::posix(100, 100));
    }
    let bundle = common::write_bundle(&common::fresh_dir("b"), &spec);
    p.create(&id("u"), &CreateOptions::new(&bundle))
        .expect("create");
    p.start(&id("u")).expect("start");
    let last = p
        .executor()
        .calls()
        .last()
        .map(|c| c.argv().join(" "))
        .unwrap_or_default();
    assert!(last.starts_with("-l user100 u "), "{last}");
    if let Some(proc_) = spec.process.as_mut() {
        proc_.user = Some(User::posix(100, 5));
    }
    let bundle = common::write_bundle(&common::fresh_dir("b"), &spec);
    p.create(&id("g"), &CreateOptions::new(&bundle))
        .expect("create");
    let e = p.start(&id("g")).expect_err("gid 5 is not user100's group");
    assert!(e.to_string().contains("primary group"), "{e}");
    assert_eq!(
        p.state(&id("g")).expect("state").status,
        Status::Created,
        "start undone"
    );
}

#[test]
fn kill_all_signals_the_zone_and_sigkill_halts_it() {
    let p = common::platform(common::illumos());
    let bundle = common::write_bundle(&common::fresh_dir("b"), &common::spec(&["sleep"]));
    for c in ["a", "k"] {
        p.create(&id(c), &CreateOptions::new(&bundle))
            .expect("create");
        p.start(&id(c)).expect("start");
    }
    let mut all = KillOptions::default();
    all.all = true;
    p.kill(&id("a"), Signal::default(), all)
        .expect("kill --all");
    assert_eq!(
        p.executor()
            .calls()
            .last()
            .map(ToString::to_string)
            .as_deref(),
        Some("zoneadm -z a list -p")
    );
    assert!(
        p.executor()
            .calls()
            .iter()
            .any(|c| c.to_string() == "pkill -TERM -z a")
    );
    assert_eq!(p.state(&id("a")).expect("state").status, Status::Stopped);
    p.kill(
        &id("k"),
        "KILL".parse().expect("sig"),
        KillOptions::default(),
    )
    .expect("kill");
    assert!(
        p.executor()
            .zones()
            .contains(&("k".to_owned(), ZoneState::Installed))
    );
    assert!(matches!(
        p.kill(&id("k"), Signal::default(), KillOptions::default()),
        Err(Error::NotRunning { .. })
    ));
    assert!(matches!(
        p.kill(
            &id("k"),
            "STKFLT".parse().expect("sig"),
            KillOptions::default()
        ),
        Err(Error::NotRunning { .. })
    ));
}

#[test]
fn exec_runs_another_process_through_zlogin() {
    let p = common::platform(carrack_solaris::HostFacts::solaris11("/zones"));
    let bundle = common::write_bundle(&common::fresh_dir("b"), &common::spec(&["sleep"]));
    p.create(&id("e"), &CreateOptions::new(&bundle))
        .expect("create");
    let extra = Process::new("/tmp").with_args(["exit", "4"]);
    assert!(matches!(
        p.exec(&id("e"), &extra, &ExecOptions::default()),
        Err(Error::NotRunning { .. })
    ));
    p.start(&id("e")).expect("start");
    assert_eq!(
        p.exec(&id("e"), &extra, &ExecOptions::default())
            .expect("exec"),
        Exit::Code(4)
    );
    let line = p
        .executor()
        .calls()
        .last()
        .map(|c| c.args[1].clone())
        .unwrap_or_default();
    assert_eq!(
        line, "cd /tmp && exec /usr/bin/env -i exit 4",
        "no pid file for an exec"
    );
    let f = p.features();
    assert_eq!(
        f.annotations
            .and_then(|a| a.get("io.github.carrack-oci.solaris.brand").cloned())
            .as_deref(),
        Some("solaris")
    );
}
