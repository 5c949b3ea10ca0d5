//! One test per Windows rule: a configuration that breaks it fails to plan with the error of
//! the rule, whose message quotes the rule's sentence; and every quoted sentence is in its
//! chapter of the spec (`../shared/specs` or `$CARRACK_SPECS_DIR`).

use std::path::PathBuf;

use carrack_spec::runtime::{
    HyperV, Mount, Process, Root, Spec, Windows, WindowsCpu, WindowsCpuAffinity, WindowsDevice,
    WindowsDeviceIdType, WindowsResources,
};
use carrack_windows::rules::{self, PlanError};
use carrack_windows::{HostFacts, plan, update_requests};

const VOLUME: &str = r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\";

fn good() -> Spec {
    let mut s = Spec::new("1.3.0");
    s.root = Some(Root::new(VOLUME));
    let mut p = Process::new(r"C:\");
    p.args = Some(vec!["cmd".into()]);
    s.process = Some(p);
    s.windows = Some(Windows::new(vec![
        r"C:\l\base".into(),
        r"C:\l\scratch".into(),
    ]));
    s
}

fn win(s: &mut Spec) -> &mut Windows {
    s.windows.as_mut().expect("windows")
}

fn cpu(c: WindowsCpu) -> Spec {
    let mut s = good();
    let mut r = WindowsResources::default();
    r.cpu = Some(c);
    win(&mut s).resources = Some(r);
    s
}

/// Plans `s`, expecting `rule`'s error; returns it.
fn refused(s: &Spec, rule: &carrack_spec::Rule) -> PlanError {
    let e = plan("c", s, &HostFacts::default()).expect_err("must be refused");
    assert_eq!(e.rule(), rule, "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(rule.quote),
        "{msg:?} does not quote {:?}",
        rule.quote
    );
    e
}

fn mount(dest: &str, src: &str) -> Mount {
    let mut m = Mount::new(dest);
    m.source = Some(src.into());
    m
}

#[test]
fn the_good_config_plans() {
    plan("c", &good(), &HostFacts::default()).expect("plans");
}

#[test]
fn windows_must_be_set() {
    let mut s = good();
    s.windows = None;
    refused(&s, &rules::WINDOWS_REQUIRED);
}

#[test]
fn layer_folders_must_have_an_entry() {
    let mut s = good();
    win(&mut s).layer_folders.clear();
    refused(&s, &rules::LAYERS_NOT_EMPTY);
}

#[test]
fn root_is_required_for_windows_server_containers() {
    let mut s = good();
    s.root = None;
    refused(&s, &rules::ROOT_REQUIRED);
}

#[test]
fn root_must_not_be_set_for_hyperv() {
    let mut s = good();
    win(&mut s).hyperv = Some(HyperV::default());
    refused(&s, &rules::ROOT_HYPERV);
}

#[test]
fn root_path_must_be_a_volume_guid_path() {
    let mut s = good();
    s.root = Some(Root::new(r"C:\rootfs"));
    refused(&s, &rules::ROOT_PATH);
}

#[test]
fn root_readonly_must_be_omitted_or_false() {
    let mut s = good();
    s.root = Some(Root::new(VOLUME).with_readonly(true));
    refused(&s, &rules::ROOT_READONLY);
    s.root = Some(Root::new(VOLUME).with_readonly(false));
    plan("c", &s, &HostFacts::default()).expect("false is fine");
}

#[test]
fn mount_destinations_must_be_absolute() {
    let mut s = good();
    s.mounts = Some(vec![mount(r"data", r"D:\data")]);
    refused(&s, &rules::MOUNT_ABSOLUTE);
}

#[test]
fn mount_destinations_must_not_nest() {
    let mut s = good();
    s.mounts = Some(vec![
        mount(r"C:\foo", r"D:\a"),
        mount(r"c:/FOO/bar", r"D:\b"),
    ]);
    refused(&s, &rules::MOUNT_NESTED);
    s.mounts = Some(vec![
        mount(r"C:\foo", r"D:\a"),
        mount(r"C:\foobar", r"D:\b"),
    ]);
    plan("c", &s, &HostFacts::default()).expect("siblings are fine");
    // The same destination twice, spelled differently.
    s.mounts = Some(vec![mount(r"C:\d", r"D:\a"), mount(r"c:\D\", r"D:\b")]);
    let e = refused(&s, &rules::MOUNT_NESTED);
    assert!(e.to_string().starts_with("mounts[1]"), "{e}");
}

#[test]
fn mount_sources_are_local_directories_not_unc_paths() {
    let mut s = good();
    s.mounts = Some(vec![mount(r"C:\share", r"\\server\share")]);
    refused(&s, &rules::MOUNT_SOURCE);
    // The long form of a UNC path, and a relative path: neither is a local directory, under
    // either isolation.
    for src in [r"\\?\UNC\server\share", r"\\?\unc\server\share", "data"] {
        s.mounts = Some(vec![mount(r"C:\share", src)]);
        refused(&s, &rules::MOUNT_SOURCE);
        let mut hv = s.clone();
        hv.root = None;
        if let Some(w) = hv.windows.as_mut() {
            w.hyperv =
                Some(carrack_spec::runtime::HyperV::default().with_utility_vm_path(r"C:\uvm\"));
        }
        refused(&hv, &rules::MOUNT_SOURCE);
    }
}

#[test]
fn cwd_must_be_absolute() {
    let mut s = good();
    if let Some(p) = s.process.as_mut() {
        p.cwd = "foo".into();
    }
    refused(&s, &rules::PROCESS_CWD);
}

#[test]
fn command_line_is_required_without_args() {
    let mut s = good();
    if let Some(p) = s.process.as_mut() {
        p.args = None;
    }
    refused(&s, &rules::PROCESS_COMMAND);
    if let Some(p) = s.process.as_mut() {
        p.command_line = Some("cmd /c ver".into());
    }
    plan("c", &s, &HostFacts::default()).expect("commandLine alone is fine");
}

#[test]
fn device_id_type_must_be_class() {
    let mut s = good();
    win(&mut s).devices = Some(vec![WindowsDevice::new(
        "5175d334-c371-4806-b3ba-71fd53c9258d",
        WindowsDeviceIdType::Other("vpci".into()),
    )]);
    refused(&s, &rules::DEVICE_ID_TYPE);
}

#[test]
fn cpu_count_shares_and_maximum_are_mutually_exclusive() {
    refused(
        &cpu(WindowsCpu::default().with_count(2).with_maximum(5000)),
        &rules::CPU_EXCLUSIVE,
    );
}

#[test]
fn cpu_shares_are_at_most_10000() {
    refused(
        &cpu(WindowsCpu::default().with_shares(10_001)),
        &rules::CPU_SHARES,
    );
}

#[test]
fn cpu_maximum_is_at_most_10000_cycles() {
    refused(
        &cpu(WindowsCpu::default().with_maximum(10_001)),
        &rules::CPU_MAXIMUM,
    );
}

#[test]
fn what_hcs_cannot_apply_is_refused() {
    let mut c = WindowsCpu::default();
    c.affinity = Some(vec![WindowsCpuAffinity::new(3, 0)]);
    refused(&cpu(c), &rules::CANNOT_APPLY);
    let mut s = good();
    win(&mut s).credential_spec = Some(serde_json::json!("gmsa"));
    refused(&s, &rules::CANNOT_APPLY);
    let mut s = good();
    win(&mut s).layer_folders = vec![r"C:\scratch".into()];
    refused(&s, &rules::CANNOT_APPLY);
    let mut s = good();
    s.root = None;
    win(&mut s).hyperv = Some(HyperV::default());
    // No utilityVMPath and no layer with a UtilityVM directory.
    refused(&s, &rules::CANNOT_APPLY);
}

#[test]
fn update_checks_the_cpu_rules_too() {
    let mut r = WindowsResources::default();
    r.cpu = Some(WindowsCpu::default().with_count(1).with_shares(5));
    let e = update_requests(&r, &HostFacts::default()).expect_err("exclusive");
    assert_eq!(e.rule(), &rules::CPU_EXCLUSIVE);
}

fn specs_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARRACK_SPECS_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs")
}

#[test]
fn every_quoted_sentence_is_in_its_chapter() {
    let mut failures = Vec::new();
    for rule in rules::ALL {
        let path = specs_dir().join("runtime-spec").join(rule.chapter);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(e) = rule.check_quote(&text) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
