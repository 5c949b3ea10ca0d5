//! [`Windows`] over the recording executor: which HCS calls each operation makes.

use carrack_platform::contract::{Fixture, Program};
use carrack_platform::{
    ContainerId, CreateOptions, KillOptions, Platform, Resources, ResourcesKind, Signal,
    SignalName, Store,
};
use carrack_spec::runtime::Status;
use carrack_windows::Windows;
use carrack_windows::executor::Recording;
use carrack_windows::fixture::Bundles;

struct Setup {
    _dir: tempfile::TempDir,
    p: Windows<Recording>,
    b: Bundles,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tmp");
    let p = Windows::new(
        Store::open(dir.path().join("s")).expect("store"),
        Recording::new(),
    );
    let b = Bundles::new(dir.path().join("b"));
    Setup { _dir: dir, p, b }
}

fn ops(p: &Windows<Recording>) -> Vec<&'static str> {
    p.executor()
        .calls()
        .into_iter()
        .map(|c| c.op)
        .filter(|o| !o.starts_with("HcsGet"))
        .collect()
}

fn running(s: &Setup, name: &str) -> ContainerId {
    let id = ContainerId::new(name).expect("id");
    let bundle = s.b.bundle(name, Some(Program::Sleep));
    s.p.create(&id, &CreateOptions::new(bundle))
        .expect("create");
    s.p.start(&id).expect("start");
    id
}

#[test]
fn create_start_sigterm_delete_make_these_calls() {
    let s = setup();
    let id = running(&s, "c1");
    let created = &s.p.executor().calls()[0];
    assert!(
        created
            .document
            .contains(r#""SchemaVersion":{"Major":2,"Minor":1}"#)
    );
    s.p.kill(&id, Signal::default(), KillOptions::default())
        .expect("kill");
    assert_eq!(s.p.state(&id).expect("state").status, Status::Stopped);
    s.p.delete(&id, false).expect("delete");
    assert_eq!(
        ops(&s.p),
        [
            "HcsCreateComputeSystem",
            "HcsStartComputeSystem",
            "HcsCreateProcess",
            "HcsSignalProcess",
            "HcsTerminateComputeSystem",
            "HcsCloseProcess",
            "HcsCloseComputeSystem",
        ]
    );
    let signal =
        s.p.executor()
            .calls()
            .into_iter()
            .find(|c| c.op == "HcsSignalProcess");
    assert_eq!(
        signal.map(|c| c.document).as_deref(),
        Some(r#"{"Signal":"CtrlShutdown"}"#)
    );
    assert!(s.p.executor().systems().is_empty());
}

#[test]
fn sigkill_terminates_the_process_and_unknown_signals_are_refused() {
    let s = setup();
    let id = running(&s, "c2");
    assert!(
        s.p.kill(&id, Signal::Named(SignalName::Usr1), KillOptions::default())
            .is_err()
    );
    assert_eq!(s.p.state(&id).expect("state").status, Status::Running);
    s.p.kill(&id, Signal::Named(SignalName::Kill), KillOptions::default())
        .expect("kill");
    assert!(ops(&s.p).contains(&"HcsTerminateProcess"));
    assert_eq!(s.p.state(&id).expect("state").status, Status::Stopped);
}

#[test]
fn pause_resume_and_update() {
    let s = setup();
    let id = running(&s, "c3");
    s.p.pause(&id).expect("pause");
    assert_eq!(s.p.state(&id).expect("state").status, Status::Paused);
    s.p.resume(&id).expect("resume");
    assert_eq!(s.p.state(&id).expect("state").status, Status::Running);
    let r = Resources::from_json(
        ResourcesKind::Windows,
        br#"{"memory":{"limit":1073741824},"cpu":{"maximum":2500}}"#,
        "r.json".as_ref(),
    )
    .expect("resources");
    s.p.update(&id, &r).expect("update");
    let docs: Vec<String> =
        s.p.executor()
            .calls()
            .into_iter()
            .filter(|c| c.op == "HcsModifyComputeSystem")
            .map(|c| c.document)
            .collect();
    assert_eq!(
        docs,
        [
            r#"{"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":1024}"#,
            r#"{"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Maximum":2500}}"#,
        ]
    );
    assert_eq!(s.p.ps(&id).expect("ps").len(), 1);
    s.p.delete(&id, true).expect("delete");
}

#[test]
fn a_process_that_exits_leaves_its_code_for_wait() {
    let s = setup();
    let id = ContainerId::new("c4").expect("id");
    let bundle = s.b.bundle("c4", Some(Program::Exit(7)));
    s.p.create(&id, &CreateOptions::new(bundle))
        .expect("create");
    s.p.start(&id).expect("start");
    assert_eq!(s.p.wait(&id).expect("wait").code(), 7);
    let f = s.p.features();
    assert_eq!(f.mount_options, Some(vec!["ro".to_owned()]));
}

#[test]
fn a_refused_config_creates_nothing() {
    let s = setup();
    let id = ContainerId::new("c5").expect("id");
    let bundle = s.b.bundle("c5", Some(Program::Sleep));
    let mut spec = Bundles::config(Some(Program::Sleep));
    spec.root = None;
    std::fs::write(
        bundle.join("config.json"),
        carrack_spec::Document::to_string_pretty(&spec),
    )
    .expect("write");
    let e =
        s.p.create(&id, &CreateOptions::new(bundle))
            .expect_err("no root");
    assert!(e.to_string().contains("this field is REQUIRED"), "{e}");
    assert!(s.p.executor().calls().is_empty());
    assert!(s.p.list().expect("list").is_empty());
}
