//! Golden tests: each `tests/golden/NAME.json` planned for a Solaris 11 host and an illumos
//! host, compared byte for byte with `NAME.solaris11.plan` and `NAME.illumos.plan` (the
//! zonecfg script and every command, or the error). `CARRACK_BLESS=1` rewrites them.

mod common;

use std::path::{Path, PathBuf};

use carrack_platform::{ContainerId, CreateOptions, KillOptions, Platform, Signal};
use carrack_solaris::{HostFacts, Placement, plan};
use carrack_spec::Document;
use carrack_spec::runtime::Spec;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn compare(path: &Path, got: &str) -> Option<String> {
    if std::env::var_os("CARRACK_BLESS").is_some() {
        std::fs::write(path, got).expect("bless");
        return None;
    }
    let want = match std::fs::read_to_string(path) {
        Ok(want) => want,
        Err(e) => {
            return Some(format!(
                "{}: {e} (CARRACK_BLESS=1 writes it)",
                path.display()
            ));
        }
    };
    (want != got).then(|| {
        format!(
            "{} differs:\n--- want\n{want}\n--- got\n{got}",
            path.display()
        )
    })
}

fn hosts() -> [(&'static str, HostFacts); 2] {
    [
        ("solaris11", HostFacts::solaris11("/zones")),
        ("illumos", common::illumos()),
    ]
}

#[test]
fn every_configuration_plans_as_its_golden_file_says() {
    let mut configs: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 5, "{configs:?}");
    let mut diffs = Vec::new();
    for config in &configs {
        let stem = config.file_stem().and_then(|s| s.to_str()).expect("name");
        let spec = Spec::from_slice(&std::fs::read(config).expect("read")).expect("parse");
        let at = Placement {
            id: stem.to_owned(),
            bundle: PathBuf::from(format!("/bundles/{stem}")),
            zonecfg_file: PathBuf::from(format!("/run/carrack/{stem}/zonecfg")),
        };
        for (os, host) in hosts() {
            let got = match plan(&spec, &host, &at) {
                Ok(p) => p.render(),
                Err(e) => format!("error: {e}\n"),
            };
            diffs.extend(compare(&dir().join(format!("{stem}.{os}.plan")), &got));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The commands a whole life runs through the platform, from create to delete, on illumos
/// (VNICs, a non-root user looked up in the zone, SIGTERM, delete).
#[test]
fn a_lifecycle_runs_these_commands() {
    let p = common::platform(common::illumos());
    let spec = Spec::from_slice(&std::fs::read(dir().join("illumos-vnic.json")).expect("read"))
        .expect("parse");
    let bundle = common::write_bundle(&common::fresh_dir("bundle"), &spec);
    let id = ContainerId::new("web").expect("id");
    p.create(&id, &CreateOptions::new(&bundle)).expect("create");
    p.start(&id).expect("start");
    p.kill(&id, Signal::default(), KillOptions::default())
        .expect("kill");
    assert_eq!(p.state(&id).expect("state").status.to_string(), "stopped");
    p.delete(&id, false).expect("delete");
    let tmp = bundle
        .parent()
        .expect("the temporary root")
        .to_string_lossy()
        .into_owned();
    let got: String = p
        .executor()
        .calls()
        .iter()
        .map(|c| {
            let line = c.to_string().replace(&tmp, "$TMP");
            // `$TMP/state-N`: N depends on the order the tests ran in.
            match line.split_once("$TMP/state-") {
                Some((head, tail)) => {
                    let rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
                    format!("{head}$TMP/state-N{rest}\n")
                }
                None => line + "\n",
            }
        })
        .collect();
    let diff = compare(&dir().join("lifecycle.illumos.commands"), &got);
    assert!(diff.is_none(), "{}", diff.unwrap_or_default());
    assert!(p.executor().vnics().is_empty() && p.executor().zones().is_empty());
}
