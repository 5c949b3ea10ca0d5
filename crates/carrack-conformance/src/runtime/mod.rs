//! Certifying a runtime: any binary with runc's command line (runc, crun, youki, carrack),
//! driven through the lifecycle with bundles built around the [`probe`], each observable MUST
//! of runtime.md, config.md and config-linux.md one case.
//!
//! ```no_run
//! use carrack_conformance::{Format, Program, RunOptions};
//! use carrack_conformance::runtime::{Subject, certify};
//!
//! // As root: the probe is this program, run as `carrack probe …` inside each container.
//! let program = Program::current("carrack")?;
//! let subject = Subject::new("/usr/sbin/runc".into(), program, &["/carrack", "probe"], "/tmp/certify".into())?;
//! let report = certify(&subject, &RunOptions::default());
//! print!("{}", report.render(Format::Text));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::case::{Case, Verdict};
use crate::program::Program;
use crate::report::Report;
use crate::runner::RunOptions;

mod cases;
mod driver;
mod host;
pub mod probe;

pub use driver::{Ran, Runtime};
pub use host::Host;

/// The runtime under test and what the cases need around it.
#[derive(Debug)]
pub struct Subject {
    /// The runtime.
    pub runtime: Runtime,
    /// What the host can exercise.
    pub host: Host,
    /// Where bundles are made.
    work: PathBuf,
    program: Program,
    probe: Vec<String>,
    next: AtomicU32,
    tag: String,
    oci_version: String,
}

impl Subject {
    /// The runtime at `runtime`, with bundles under `work`, each holding `program`, which runs
    /// the probe when called as `probe` (e.g. `["/carrack", "probe"]`).
    pub fn new(
        runtime: PathBuf,
        program: Program,
        probe: &[&str],
        work: PathBuf,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(&work)?;
        let work = std::fs::canonicalize(&work)?;
        let runtime = Runtime::new(runtime, work.join("state"), work.join("calls"))?;
        let oci_version = features(&runtime)
            .and_then(|f| f["ociVersionMax"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "1.0.2".into());
        Ok(Self {
            runtime,
            oci_version,
            host: Host::detect(),
            work,
            program,
            probe: probe.iter().map(|s| (*s).to_owned()).collect(),
            next: AtomicU32::new(0),
            tag: format!("cert{}", std::process::id()),
        })
    }

    /// A fresh bundle named after `case` whose process runs the probe with `args`: runc's
    /// default config (`spec`'s) with `terminal` off, the probe and its libraries in the
    /// rootfs, and its output kept beside the bundle.
    pub fn bundle(&self, case: &str, args: &[&str]) -> Result<Bundle, Verdict> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{}-{n}", self.tag, case.replace('/', "-"));
        let dir = self.work.join("bundles").join(&id);
        let rootfs = dir.join("rootfs");
        let setup = |e: std::io::Error| Verdict::fail(format!("setting up the bundle: {e}"));
        std::fs::create_dir_all(&rootfs).map_err(setup)?;
        for d in ["proc", "sys", "dev", "tmp", "etc"] {
            std::fs::create_dir_all(rootfs.join(d)).map_err(setup)?;
        }
        std::fs::write(
            rootfs.join("etc/passwd"),
            "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n",
        )
        .map_err(setup)?;
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").map_err(setup)?;
        self.program.install(&rootfs).map_err(setup)?;
        let mut config = serde_json::to_value(carrack_spec::runtime::Spec::default_linux())
            .map_err(|e| Verdict::fail(format!("runc's default config: {e}")))?;
        config["ociVersion"] = json!(self.oci_version);
        config["process"]["terminal"] = json!(false);
        config["process"]["args"] = json!(self.probe_args(args));
        config["root"] = json!({"path": "rootfs", "readonly": false});
        Ok(Bundle { id, dir, config })
    }

    /// The probe's command line with `args`.
    pub fn probe_args(&self, args: &[&str]) -> Vec<String> {
        self.probe
            .iter()
            .cloned()
            .chain(args.iter().map(|s| (*s).to_owned()))
            .collect()
    }

    /// The `ociVersion` of every bundle: the runtime's `ociVersionMax` (features.md), or 1.0.2
    /// for a runtime without the `features` command.
    pub fn oci_version(&self) -> &str {
        &self.oci_version
    }

    /// The prefix every container id of this run starts with.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

/// A bundle being made: its directory and its config as JSON, edited by the case.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The container id the case uses.
    pub id: String,
    /// The bundle directory.
    pub dir: PathBuf,
    /// `config.json`, written by [`Bundle::create`].
    pub config: Value,
}

impl Bundle {
    /// Writes `config.json` and runs `create`; the container is deleted (forced) when the
    /// returned guard is dropped. The create call's stdout and stderr, which the container's
    /// process inherits, are the files [`Container::output`] reads.
    pub fn create<'s>(&self, s: &'s Subject) -> Result<(Container<'s>, Ran), Verdict> {
        self.write()?;
        let c = Container {
            s,
            id: self.id.clone(),
            dir: self.dir.clone(),
        };
        let ran = c.call_with_output(&["create", "--bundle", path(&self.dir), &self.id])?;
        Ok((c, ran))
    }

    /// Writes `config.json`.
    pub fn write(&self) -> Result<(), Verdict> {
        let text = serde_json::to_string_pretty(&self.config)
            .map_err(|e| Verdict::fail(format!("config: {e}")))?;
        std::fs::write(self.dir.join("config.json"), text)
            .map_err(|e| Verdict::fail(format!("writing config.json: {e}")))
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// A container of a case: deleted, forcibly, when dropped.
#[derive(Debug)]
pub struct Container<'s> {
    s: &'s Subject,
    /// Its id.
    pub id: String,
    dir: PathBuf,
}

impl Container<'_> {
    /// Runs `RUNTIME ARGS…` (a call that cannot run at all fails the case).
    pub fn call(&self, args: &[&str]) -> Result<Ran, Verdict> {
        self.s.runtime.call(args, None).map_err(Verdict::fail)
    }

    fn call_with_output(&self, args: &[&str]) -> Result<Ran, Verdict> {
        // The container's stdio are create's: files the case reads afterwards.
        let mut cmd = std::process::Command::new(&self.s.runtime.path);
        let file = |name: &str| {
            std::fs::File::create(self.dir.join(name))
                .map_err(|e| Verdict::fail(format!("{name}: {e}")))
        };
        cmd.arg("--root")
            .arg(&self.s.runtime.root)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(file("out")?)
            .stderr(file("err")?);
        let line = format!("{} {}", self.s.runtime.path.display(), args.join(" "));
        let mut child = cmd
            .spawn()
            .map_err(|e| Verdict::fail(format!("`{line}`: {e}")))?;
        let deadline = std::time::Instant::now() + self.s.runtime.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Verdict::fail(format!("`{line}` did not exit in time")));
                }
            }
        };
        Ok(Ran {
            line,
            code: status.code(),
            stdout: String::new(),
            stderr: std::fs::read_to_string(self.dir.join("err")).unwrap_or_default(),
        })
    }

    /// What the container's process printed so far (its stdout).
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join("out")).unwrap_or_default()
    }

    /// The first JSON line of the process's output that has `key`, waiting at most `bound`.
    pub fn wait_line(&self, key: &str, bound: Duration) -> Result<Value, Verdict> {
        let deadline = std::time::Instant::now() + bound;
        loop {
            for line in self.output().lines() {
                if let Ok(v) = serde_json::from_str::<Value>(line)
                    && v.get(key).is_some()
                {
                    return Ok(v);
                }
            }
            if std::time::Instant::now() >= deadline {
                return Err(Verdict::fail(format!(
                    "waited {} ms for the probe to print {key:?}; it printed {:?}",
                    bound.as_millis(),
                    self.output()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `start`, which must succeed for the case to go on.
    pub fn start(&self) -> Result<(), Verdict> {
        let r = self.call(&["start", &self.id])?;
        if r.ok() {
            Ok(())
        } else {
            Err(Verdict::fail(r.describe()))
        }
    }

    /// Starts the container and returns the probe's report (the process must print one JSON
    /// object and exit).
    pub fn report(&self) -> Result<Value, Verdict> {
        self.start()?;
        self.wait_line("pid", Duration::from_secs(10))
    }

    /// Waits until the container is `want`.
    pub fn wait_status(&self, want: &str) -> Result<(), Verdict> {
        self.s
            .runtime
            .wait_status(&self.id, want, Duration::from_secs(10))
            .map_err(Verdict::fail)
    }

    /// `state` as JSON, or a failure saying why not.
    pub fn state(&self) -> Result<Value, Verdict> {
        self.s
            .runtime
            .state(&self.id)
            .map_err(|r| Verdict::fail(r.describe()))
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self.s.runtime.call(&["kill", &self.id, "KILL"], None);
        let _ = self.s.runtime.call(&["delete", "--force", &self.id], None);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The runtime's `features` document, if it has the command and it prints JSON.
pub fn features(r: &Runtime) -> Option<Value> {
    let ran = r.call(&["features"], None).ok().filter(Ran::ok)?;
    serde_json::from_str(&ran.stdout).ok()
}

/// Every runtime case, in report order.
pub fn cases() -> Vec<Case<Subject>> {
    cases::all()
}

/// Runs the selected cases against `subject`, then checks what the run left behind.
pub fn certify(subject: &Subject, opts: &RunOptions) -> Report {
    let all = cases();
    let results = crate::runner::run(&all, subject, opts);
    Report {
        subject: format!(
            "{} ({}; bundles at ociVersion {})",
            subject.runtime.path.display(),
            subject.runtime.version(),
            subject.oci_version
        ),
        results,
        leftovers: leftovers(subject),
    }
}

/// Containers still listed, mounts under the work directory, cgroups and processes named
/// after this run's ids.
fn leftovers(s: &Subject) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(
        listed(&s.runtime)
            .into_iter()
            .map(|id| format!("container {id} (listed by `list`)")),
    );
    let work = s.work.to_string_lossy().into_owned();
    if let Ok(m) = std::fs::read_to_string("/proc/self/mountinfo") {
        out.extend(
            m.lines()
                .filter_map(|l| l.split_whitespace().nth(4))
                .filter(|p| p.starts_with(&work))
                .map(|p| format!("mount {p}")),
        );
    }
    out.extend(
        host::cgroups_named(s.tag())
            .into_iter()
            .map(|p| format!("cgroup {}", p.display())),
    );
    out
}

/// The ids `list` shows: its JSON form (runc's `--format json`, also crun's, youki's and
/// carrack's), else the plain table's first column without its header.
fn listed(r: &Runtime) -> Vec<String> {
    if let Ok(ran) = r.call(&["list", "--format", "json"], None)
        && ran.ok()
        && let Ok(v) = serde_json::from_str::<Value>(ran.stdout.trim())
    {
        // runc prints `null` for no containers.
        return v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect();
    }
    let Ok(ran) = r.call(&["list"], None) else {
        return Vec::new();
    };
    ran.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| *id != "ID")
        .map(str::to_owned)
        .collect()
}

/// A bound for waits that should be quick.
pub(crate) const QUICK: Duration = Duration::from_secs(10);
