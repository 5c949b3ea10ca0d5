//! Robustness under concurrency: many containers at once, racing commands on one id. Each test
//! checks afterwards that nothing is left: no state directory, no cgroup, no mount, no process.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

mod common;
use common::{Env, text};

/// Every trace of the containers of `env` on the host: state entries, cgroup directories
/// (named after the test's temporary directory), mounts under it and processes rooted in it.
fn leftovers(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(d) = std::fs::read_dir(env.root()) {
        out.extend(d.flatten().map(|e| format!("state {}", e.path().display())));
    }
    let unique = env.unique();
    for h in std::fs::read_dir("/sys/fs/cgroup")
        .expect("cgroupfs")
        .flatten()
    {
        if let Ok(d) = std::fs::read_dir(h.path().join("carrack-test")) {
            out.extend(
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(&unique))
                    .map(|e| format!("cgroup {}", e.path().display())),
            );
        }
    }
    let here = env.dir.path().to_string_lossy().into_owned();
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    out.extend(
        mountinfo
            .lines()
            .filter(|l| l.contains(&here))
            .map(|l| format!("mount {l}")),
    );
    for p in std::fs::read_dir("/proc").expect("proc").flatten() {
        if let Ok(root) = std::fs::read_link(p.path().join("root"))
            && root.starts_with(env.dir.path())
        {
            out.push(format!(
                "process {} rooted at {}",
                p.path().display(),
                root.display()
            ));
        }
    }
    out
}

fn carrack(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_carrack"));
    c.arg("--root").arg(env.root()).args(args);
    c.stdin(std::process::Stdio::null());
    c
}

/// Spawns `c` with its output in files: a create's init inherits them, so a pipe would not
/// reach EOF until the container exits.
struct Running {
    child: std::process::Child,
    err: std::path::PathBuf,
}

fn spawn(env: &Env, mut c: Command, tag: &str) -> Running {
    let err = env.dir.path().join(format!("{tag}.err"));
    let child = c
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err).expect("err file"))
        .spawn()
        .expect("spawn");
    Running { child, err }
}

impl Running {
    /// Waits; returns success and the stderr text.
    fn finish(mut self) -> (bool, String) {
        let ok = self.child.wait().expect("wait").success();
        (ok, std::fs::read_to_string(&self.err).unwrap_or_default())
    }
}

fn bundle_path(b: &Path) -> &str {
    b.to_str().expect("utf-8")
}

/// 100 containers created, started and force-deleted at once: all succeed, nothing is left.
#[test]
#[ignore = "needs root: runs containers concurrently and inspects host cgroups and mounts"]
fn a_hundred_concurrent_containers_leave_nothing_behind() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "30"], |_| {});
    let n = 100;
    let run_all = |args: &dyn Fn(usize) -> Vec<String>| {
        let children: Vec<_> = (0..n)
            .map(|i| {
                let a = args(i);
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                spawn(&env, carrack(&env, &a), &format!("{}-{i}", a[0]))
            })
            .collect();
        for (i, c) in children.into_iter().enumerate() {
            let (ok, err) = c.finish();
            assert!(ok, "{:?} #{i}: {err}", args(i));
        }
    };
    // Each container needs its own cgroup: carrack's default (carrack/<id>) would be shared by
    // nobody, but the bundle names one path; give every container a bundle of its own.
    let bundles: Vec<_> = (0..n)
        .map(|i| {
            let id = format!("c{i}");
            let dir = env.dir.path().join(format!("b{i}"));
            std::fs::create_dir_all(&dir).expect("bundle");
            let mut cfg: serde_json::Value =
                serde_json::from_slice(&std::fs::read(b.join("config.json")).expect("cfg"))
                    .expect("json");
            cfg["root"]["path"] = serde_json::json!(b.join("rootfs"));
            let cg = cfg["linux"]["cgroupsPath"]
                .as_str()
                .expect("path")
                .to_owned();
            cfg["linux"]["cgroupsPath"] = serde_json::json!(format!("{cg}-{id}"));
            std::fs::write(dir.join("config.json"), cfg.to_string()).expect("write");
            dir
        })
        .collect();
    run_all(&|i| {
        vec![
            "create".into(),
            "--bundle".into(),
            bundle_path(&bundles[i]).into(),
            format!("c{i}"),
        ]
    });
    let o = carrack(&env, &["list", "--format", "json"])
        .output()
        .expect("list");
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(n), "{list}");
    run_all(&|i| vec!["start".into(), format!("c{i}")]);
    run_all(&|i| vec!["delete".into(), "-f".into(), format!("c{i}")]);
    assert_eq!(leftovers(&env), Vec::<String>::new());
}

/// Ten `create`s of one id at once: the per-container lock lets exactly one through, the rest
/// fail with runc's phrase, and the one container is whole.
#[test]
#[ignore = "needs root: runs containers concurrently and inspects host cgroups and mounts"]
fn commands_on_one_id_serialise() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "30"], |_| {});
    let outs: Vec<(bool, String)> = (0..10)
        .map(|i| {
            spawn(
                &env,
                carrack(&env, &["create", "--bundle", bundle_path(&b), "same"]),
                &format!("create{i}"),
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(Running::finish)
        .collect();
    let ok = outs.iter().filter(|(ok, _)| *ok).count();
    assert_eq!(ok, 1, "exactly one create wins: {outs:?}");
    for (_, err) in outs.iter().filter(|(ok, _)| !*ok) {
        assert!(err.contains("already exists"), "{err}");
    }
    let o = carrack(&env, &["state", "same"]).output().expect("state");
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).expect("state");
    assert_eq!(s["status"], "created");
    let o = carrack(&env, &["delete", "-f", "same"])
        .output()
        .expect("delete");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(leftovers(&env), Vec::<String>::new());
}

/// `start` and `delete -f` racing on one container, twenty times: whichever wins, the end state
/// is consistent (gone, or there and deletable) and a final delete leaves nothing.
#[test]
#[ignore = "needs root: runs containers concurrently and inspects host cgroups and mounts"]
fn delete_racing_start_ends_consistent() {
    let env = Env::new();
    let b = env.bundle("b", &["sleep", "30"], |_| {});
    for round in 0..20 {
        let id = format!("r{round}");
        let (ok, err) = spawn(
            &env,
            carrack(&env, &["create", "--bundle", bundle_path(&b), &id]),
            "create",
        )
        .finish();
        assert!(ok, "{err}");
        let start = spawn(&env, carrack(&env, &["start", &id]), "start");
        let delete = spawn(&env, carrack(&env, &["delete", "-f", &id]), "delete");
        let (s_ok, s_err) = start.finish();
        let (d_ok, d_err) = delete.finish();
        assert!(d_ok, "delete -f always succeeds: {d_err}");
        if !s_ok {
            // Lost the race: the container was already gone or being deleted.
            assert!(
                s_err.contains("does not exist") || s_err.contains("not created"),
                "{s_err}"
            );
        }
        let st = carrack(&env, &["state", &id]).output().expect("state");
        assert!(!st.status.success(), "deleted: {}", text(&st));
        assert!(text(&st).contains("does not exist"), "{}", text(&st));
    }
    assert_eq!(leftovers(&env), Vec::<String>::new());
}
