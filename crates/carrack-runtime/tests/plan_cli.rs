//! `carrack plan` and `carrack features --os`: other OSes' backends seen from this host. The
//! plans are the backends' own golden files (crates/carrack-windows/tests/golden,
//! crates/carrack-solaris/tests/golden), so the command line shows exactly what the planners
//! are tested to produce. Needs no root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn carrack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carrack"))
        .args(args)
        .output()
        .expect("run carrack")
}

fn crates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates")
        .to_path_buf()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every Windows golden config plans as its golden document (or error) says.
#[test]
fn windows_plans_are_the_golden_documents() {
    let golden = crates().join("carrack-windows/tests/golden");
    let mut n = 0;
    for e in std::fs::read_dir(&golden).expect("golden") {
        let path = e.expect("entry").path();
        let file = path.file_name().and_then(|f| f.to_str()).expect("name");
        let Some(name) = file.strip_suffix(".config.json") else {
            continue;
        };
        let out = carrack(&[
            "plan",
            "--os",
            "windows",
            "--id",
            name,
            "--processors",
            "8",
            "--utility-vm-layer",
            r"C:\Layers\layer-base",
            path.to_str().expect("utf-8"),
        ]);
        let hcs = golden.join(format!("{name}.hcs.json"));
        if hcs.exists() {
            assert!(out.status.success(), "{name}: {}", text(&out.stderr));
            assert_eq!(
                text(&out.stdout),
                std::fs::read_to_string(&hcs).expect("golden")
            );
        } else {
            let want = std::fs::read_to_string(golden.join(format!("{name}.error.txt")))
                .expect("golden error");
            assert_eq!(out.status.code(), Some(1), "{name}");
            let err = text(&out.stderr);
            // The same error, after the file it is about.
            let why = want.trim_end().trim_start_matches("error: ");
            assert!(err.contains(&format!("{}: ", path.display())), "{err}");
            assert!(err.trim_end().ends_with(why), "{name}:\n{err}\nwant …{why}");
        }
        n += 1;
    }
    assert!(n >= 14, "{n} configs");
}

/// A zone plan for both host kinds: the golden script and commands, with the bundle where it
/// really is (a bundle directory is given, as runc takes one).
#[test]
fn zone_plans_are_the_golden_scripts() {
    let golden = crates().join("carrack-solaris/tests/golden");
    for name in ["spec-solaris-example", "illumos-vnic", "mounts", "s11-anet"] {
        let bundle = tempfile::tempdir().expect("tmp");
        std::fs::copy(
            golden.join(format!("{name}.json")),
            bundle.path().join("config.json"),
        )
        .expect("copy");
        for os in ["solaris", "illumos"] {
            let out = carrack(&[
                "plan",
                "--os",
                os,
                "--id",
                name,
                "--lower-link",
                "e1000g0",
                bundle.path().to_str().expect("utf-8"),
            ]);
            let file = if os == "solaris" { "solaris11" } else { os };
            let want = std::fs::read_to_string(golden.join(format!("{name}.{file}.plan")))
                .expect("golden");
            let b = bundle.path().display().to_string();
            let want = want
                .replace(
                    &format!("/run/carrack/{name}/zonecfg"),
                    &format!("{b}/zonecfg"),
                )
                .replace(&format!("/bundles/{name}"), &b);
            if let Some(why) = want.strip_prefix("error: ") {
                assert_eq!(out.status.code(), Some(1), "{name} on {os}");
                assert!(text(&out.stderr).ends_with(why), "{}", text(&out.stderr));
            } else {
                assert!(
                    out.status.success(),
                    "{name} on {os}: {}",
                    text(&out.stderr)
                );
                assert_eq!(text(&out.stdout), want, "{name} on {os}");
            }
        }
    }
}

#[test]
fn a_missing_or_malformed_config_is_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = carrack(&[
        "plan",
        "--os",
        "windows",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&dir.path().join("config.json").display().to_string()),
        "{}",
        text(&out.stderr)
    );
    let bad = dir.path().join("config.json");
    std::fs::write(&bad, br#"{"ociVersion": "1.3.0", "process": {"cwd": 7}}"#).expect("write");
    let out = carrack(&["plan", "--os", "illumos", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&bad.display().to_string()) && err.contains("cwd"),
        "{err}"
    );
}

/// Each backend's features document is valid by `carrack validate` and says which backend
/// it is.
#[test]
fn features_of_every_backend_validate() {
    for (os, key) in [
        ("windows", "io.github.carrack-oci.windows.isolation"),
        ("solaris", "io.github.carrack-oci.solaris.brand"),
        ("illumos", "io.github.carrack-oci.solaris.brand"),
    ] {
        let out = carrack(&["features", "--os", os]);
        assert!(out.status.success(), "{os}: {}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(doc["annotations"][key].is_string(), "{os}: {doc}");
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("features.json");
        std::fs::write(&file, &out.stdout).expect("write");
        let v = carrack(&["validate", file.to_str().expect("utf-8")]);
        assert!(v.status.success(), "{os}: {}", text(&v.stdout));
    }
    let illumos = carrack(&["features", "--os", "illumos"]);
    let doc: serde_json::Value = serde_json::from_slice(&illumos.stdout).expect("json");
    assert_eq!(
        doc["annotations"]["io.github.carrack-oci.solaris.brand"],
        "sparse"
    );
}

/// Without `--os`, the host's own backend (Linux here), as before: no state store needed.
#[cfg(target_os = "linux")]
#[test]
fn features_without_os_is_the_linux_backend() {
    let out = carrack(&["--root", "/nonexistent/carrack-state", "features"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc["linux"]["namespaces"].is_array(), "{doc}");
}

/// What a backend ignores is said on stderr, and the plan still comes out.
#[test]
fn planner_warnings_reach_stderr() {
    let dir = tempfile::tempdir().expect("tmp");
    let golden = crates().join("carrack-windows/tests/golden/own-process-isolation.config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden).expect("golden")).expect("json");
    config["domainname"] = serde_json::json!("example.org");
    let file = dir.path().join("config.json");
    std::fs::write(&file, config.to_string()).expect("write");
    let out = carrack(&["plan", "--os", "windows", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("warn") && err.contains("domainname"), "{err}");
}

/// `examples/plan_elsewhere.rs`: one container's HCS document and zone plan, from the libraries.
#[test]
fn the_plan_elsewhere_example_prints_both_plans() {
    let exe = std::env::current_exe().expect("test exe");
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join(format!("plan_elsewhere{}", std::env::consts::EXE_SUFFIX));
    assert!(
        example.exists(),
        "{} is not built: run `cargo test -p carrack-runtime`",
        example.display()
    );
    let out = Command::new(&example).output().expect("run the example");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("\"SchemaVersion\"") && printed.contains("\"HostName\": \"web\""),
        "{printed}"
    );
    assert!(
        printed.contains("set max-shm-memory=512m") && printed.contains("zoneadm -z web boot"),
        "{printed}"
    );
}
