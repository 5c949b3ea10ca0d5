//! The body of `contract.rs`, which names what it tests.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carrack_linux::{Linux, Sealing};
use carrack_platform::contract::{ALL, Fixture, Program};
use carrack_spec::Document;
use carrack_spec::runtime::Spec;

const BUSYBOX: &str = "/bin/busybox";

/// Bundles over one shared busybox root filesystem (read-only in every container).
struct Busybox {
    dir: PathBuf,
    rootfs: PathBuf,
}

impl Busybox {
    fn new(dir: &Path) -> Self {
        let rootfs = dir.join("rootfs");
        for d in ["bin", "proc", "dev", "sys", "tmp"] {
            std::fs::create_dir_all(rootfs.join(d)).expect("rootfs");
        }
        std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).expect("busybox");
        for applet in ["sh", "sleep"] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).expect("link");
        }
        Self {
            dir: dir.to_path_buf(),
            rootfs,
        }
    }
}

impl Fixture for Busybox {
    fn bundle(&self, name: &str, program: Option<Program>) -> PathBuf {
        let bundle = self.dir.join(name);
        std::fs::create_dir_all(&bundle).expect("bundle");
        let mut spec = Spec::default_linux();
        if let Some(root) = spec.root.as_mut() {
            root.path = self.rootfs.to_string_lossy().into_owned();
            root.readonly = Some(true);
        }
        match program {
            None => spec.process = None,
            Some(prog) => {
                if let Some(p) = spec.process.as_mut() {
                    p.terminal = Some(false);
                    p.args = Some(match prog {
                        // As its pid namespace's init, the program gets only the signals it
                        // handles: the shell ends on SIGTERM and SIGINT by its trap.
                        Program::Sleep => vec![
                            "sh".into(),
                            "-c".into(),
                            "trap 'exit 143' TERM INT; sleep 1000 & wait".into(),
                        ],
                        Program::Exit(n) => vec!["sh".into(), "-c".into(), format!("exit {n}")],
                    });
                }
            }
        }
        std::fs::write(bundle.join("config.json"), spec.to_string_pretty()).expect("config");
        bundle
    }
}

pub(crate) fn main() -> ExitCode {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let checks: Vec<_> = ALL
        .iter()
        .filter(|(name, _)| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", checks.len());
    // As libtest treats `#[ignore = "needs root: …"]` tests: run with --include-ignored (or
    // --ignored), as root.
    let asked = std::env::args().any(|a| a == "--include-ignored" || a == "--ignored");
    let root = nix::unistd::geteuid().is_root();
    if !asked || !root || !Path::new(BUSYBOX).exists() {
        let why = if root && asked {
            "needs /bin/busybox (busybox-static)"
        } else {
            "needs root: creates namespaces, mounts and cgroups"
        };
        for (name, _) in &checks {
            println!("test contract::{name} ... ignored, {why}");
        }
        println!(
            "\ntest result: ok. 0 passed; 0 failed; {} ignored; 0 measured; 0 filtered out\n",
            checks.len()
        );
        return ExitCode::SUCCESS;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let fixture = Busybox::new(tmp.path());
    let linux = Linux::new(tmp.path().join("state"))
        .expect("store")
        .with_sealing(Sealing::Require);
    let mut failed = Vec::new();
    for (name, check) in &checks {
        match check(&linux, &fixture) {
            Ok(()) => println!("test contract::{name} ... ok"),
            Err(e) => {
                println!("test contract::{name} ... FAILED");
                failed.push(format!("{name}: {e}"));
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:\n    {}", failed.join("\n    "));
    }
    println!(
        "\ntest result: {}. {} passed; {} failed; 0 ignored; 0 measured; 0 filtered out\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        checks.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
