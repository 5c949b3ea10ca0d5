//! The runtime under test, driven through runc's command line: every call bounded in time,
//! its output kept in files (a container may inherit the standard streams of `create`, so
//! pipes could stay open as long as it lives).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How a runtime call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// The command line, for messages.
    pub line: String,
    /// The exit status (`None` when a signal ended it).
    pub code: Option<i32>,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Ran {
    /// Whether it exited 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// `` `LINE` exited N: STDERR `` (the first line of stderr), for a case's `seen`.
    pub fn describe(&self) -> String {
        let first = self.stderr.lines().next().unwrap_or("").trim();
        let code = self
            .code
            .map_or_else(|| "was killed".to_owned(), |c| format!("exited {c}"));
        if first.is_empty() {
            format!("`{}` {code}", self.line)
        } else {
            format!("`{}` {code}: {first}", self.line)
        }
    }
}

/// A runtime binary with a state directory of its own (`--root`).
#[derive(Debug)]
pub struct Runtime {
    /// The binary.
    pub path: PathBuf,
    /// Its `--root`.
    pub root: PathBuf,
    /// Where call outputs go.
    logs: PathBuf,
    /// The bound on one call.
    pub timeout: Duration,
    calls: AtomicU64,
}

impl Runtime {
    /// `path` keeping its state in `root` and call outputs in `logs` (both made if missing).
    pub fn new(path: PathBuf, root: PathBuf, logs: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&logs)?;
        Ok(Self {
            path,
            root,
            logs,
            timeout: Duration::from_secs(30),
            calls: AtomicU64::new(0),
        })
    }

    /// Runs `RUNTIME --root ROOT ARGS…`, stdin from `stdin` when given, bounded by
    /// [`Runtime::timeout`]: a call that outlives it is killed and reported as such.
    pub fn call(&self, args: &[&str], stdin: Option<&Path>) -> Result<Ran, String> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let (out, err) = (
            self.logs.join(format!("{n}.out")),
            self.logs.join(format!("{n}.err")),
        );
        let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut cmd = Command::new(&self.path);
        cmd.arg("--root")
            .arg(&self.root)
            .args(args)
            .stdout(file(&out)?)
            .stderr(file(&err)?);
        cmd.stdin(match stdin {
            Some(p) => std::fs::File::open(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .into(),
            None => Stdio::null(),
        });
        let line = format!("{} {}", self.path.display(), args.join(" "));
        log::debug!("runs {line}");
        let mut child = cmd.spawn().map_err(|e| format!("`{line}`: {e}"))?;
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{line}` did not exit within {} s",
                        self.timeout.as_secs()
                    ));
                }
                Err(e) => return Err(format!("`{line}`: {e}")),
            }
        };
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        Ok(Ran {
            line,
            code: status.code(),
            stdout: read(&out),
            stderr: read(&err),
        })
    }

    /// `state ID` parsed, or the failed call.
    pub fn state(&self, id: &str) -> Result<serde_json::Value, Ran> {
        match self.call(&["state", id], None) {
            Ok(r) if r.ok() => serde_json::from_str(&r.stdout).map_err(|e| Ran {
                stderr: format!("state is not JSON: {e}"),
                ..r
            }),
            Ok(r) => Err(r),
            Err(e) => Err(Ran {
                line: format!("state {id}"),
                code: None,
                stdout: String::new(),
                stderr: e,
            }),
        }
    }

    /// The `status` of `state ID`, or why there is none.
    pub fn status(&self, id: &str) -> Result<String, String> {
        let s = self.state(id).map_err(|r| r.describe())?;
        s["status"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("state of {id} has no status: {s}"))
    }

    /// Waits (polling every 10 ms, at most `bound`) until `state ID` says `want`.
    pub fn wait_status(&self, id: &str, want: &str, bound: Duration) -> Result<(), String> {
        let deadline = Instant::now() + bound;
        loop {
            let now = self.status(id)?;
            if now == want {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "waited {} ms for {id} to be {want}; it is {now}",
                    bound.as_millis()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `--version`'s first line, for the report's subject.
    pub fn version(&self) -> String {
        Command::new(&self.path)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.lines().next().map(str::to_owned))
            .unwrap_or_else(|| "version unknown".into())
    }
}
