//! [`Recording`]: an executor with no zones behind it. It records every command and simulates
//! what zonecfg, zoneadm, zlogin, svcs, dladm and pkill would do to a host's zones, answering
//! the queries with output in the tools' own formats.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Child, Executor, Output};
use crate::command::Command;
use crate::parse::ZoneState;
use crate::process::PID_FILE;

#[derive(Debug, Clone)]
struct Zone {
    state: ZoneState,
    path: String,
    brand: String,
    id: Option<u32>,
}

#[derive(Debug, Clone)]
struct Proc {
    zone: String,
    init: bool,
    exit: Option<i32>,
}

#[derive(Debug, Default)]
struct World {
    zones: BTreeMap<String, Zone>,
    vnics: BTreeMap<String, String>,
    procs: BTreeMap<u32, Proc>,
    next_pid: u32,
    next_zone_id: u32,
    calls: Vec<Command>,
    fail: Vec<String>,
}

/// A recording, simulating executor.
///
/// Zones move as zoneadm moves them: `zonecfg -f` → configured, `install`/`clone` → installed,
/// `ready` → ready, `boot` → running, `halt` → installed (through shutting_down; every process
/// of the zone ends with 137), `uninstall -F` → configured, `zonecfg delete -F` → gone; a
/// command from the wrong state fails as the tool would. A spawned zlogin whose line ends in
/// `exit N` ends at once with N; any other runs until `kill`/`pkill` sends it `TERM`, `INT`,
/// `HUP` or `KILL` (other signals are ignored). Every SMF milestone of a running zone is online.
///
/// ```
/// use carrack_solaris::Command;
/// use carrack_solaris::executor::{Executor, Recording};
/// let x = Recording::new();
/// let out = x.run(&Command::new("zoneadm", ["-z", "web", "list", "-p"]))?;
/// assert_eq!(out.status, 1);
/// assert_eq!(x.calls().len(), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Recording {
    world: Arc<Mutex<World>>,
}

fn ok(stdout: impl Into<String>) -> Output {
    Output {
        status: 0,
        stdout: stdout.into(),
        stderr: String::new(),
    }
}

fn fail(status: i32, stderr: impl Into<String>) -> Output {
    Output {
        status,
        stdout: String::new(),
        stderr: stderr.into() + "\n",
    }
}

/// Solaris's number of a signal name (signal.h(3HEAD)).
fn signo(word: &str) -> Option<i32> {
    const NAMES: [&str; 31] = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE", "KILL", "BUS", "SEGV", "SYS",
        "PIPE", "ALRM", "TERM", "USR1", "USR2", "CHLD", "PWR", "WINCH", "URG", "IO", "STOP",
        "TSTP", "CONT", "TTIN", "TTOU", "VTALRM", "PROF", "XCPU", "XFSZ",
    ];
    word.parse().ok().or_else(|| {
        let i = NAMES.iter().position(|n| *n == word)?;
        i32::try_from(i + 1).ok()
    })
}

fn escape(s: &str) -> String {
    s.replace('\\', r"\\").replace(':', r"\:")
}

impl World {
    fn signal(&mut self, pid: u32, n: i32) {
        if let Some(p) = self.procs.get_mut(&pid)
            && p.exit.is_none()
            && [1, 2, 9, 15].contains(&n)
        {
            p.exit = Some(128 + n);
        }
    }

    fn end_zone_procs(&mut self, zone: &str) {
        for p in self.procs.values_mut().filter(|p| p.zone == zone) {
            p.exit.get_or_insert(137);
        }
    }

    fn line(&self, name: &str, z: &Zone) -> String {
        let id = z.id.map_or("-".to_owned(), |i| i.to_string());
        let uuid = format!(
            "{:08x}-0000-4000-8000-000000000000",
            crate::plan::fnv1a(name) as u32
        );
        format!(
            "{id}:{}:{}:{}:{uuid}:{}:excl\n",
            escape(name),
            z.state,
            escape(&z.path),
            z.brand
        )
    }

    fn zonecfg(&mut self, a: &[&str]) -> Output {
        let [_, name, rest @ ..] = a else {
            return fail(2, "usage: zonecfg -z zonename [subcommand]");
        };
        let name = (*name).to_owned();
        match (rest, self.zones.get(&name)) {
            (["-f", file], None) => {
                let Ok(script) = std::fs::read_to_string(file) else {
                    return fail(1, format!("zonecfg: {file}: No such file or directory"));
                };
                let get = |key: &str| {
                    script
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("set {key}=")))
                        .map(|v| v.trim_matches('"').to_owned())
                        .unwrap_or_default()
                };
                let zone = Zone {
                    state: ZoneState::Configured,
                    path: get("zonepath"),
                    brand: get("brand"),
                    id: None,
                };
                self.zones.insert(name, zone);
                ok("")
            }
            (["-f", _], Some(_)) => fail(1, format!("{name}: zone already exists")),
            (["delete", "-F"], Some(z)) if z.state == ZoneState::Configured => {
                self.zones.remove(&name);
                ok("")
            }
            (["delete", "-F"], Some(z)) => fail(
                1,
                format!("Zone {name} is in state {}; must be configured", z.state),
            ),
            (["info"], Some(z)) => ok(format!(
                "zonename: {name}\nzonepath: {}\nbrand: {}\nautoboot: false\nip-type: exclusive\n",
                z.path, z.brand
            )),
            (_, None) => fail(1, format!("{name}: No such zone configured")),
            _ => fail(2, "zonecfg: unsupported by the recording executor"),
        }
    }

    fn zoneadm(&mut self, a: &[&str]) -> Output {
        if let ["list", "-cp"] = a {
            let all: String = self.zones.iter().map(|(n, z)| self.line(n, z)).collect();
            return ok(all);
        }
        let ["-z", name, verb, ..] = a else {
            return fail(2, "usage: zoneadm -z zone subcommand");
        };
        let Some(z) = self.zones.get(*name).cloned() else {
            return fail(1, format!("zoneadm: {name}: No such zone configured"));
        };
        use ZoneState::*;
        let to = match (*verb, z.state) {
            ("list", _) => return ok(self.line(name, &z)),
            ("install" | "clone", Configured) => Installed,
            ("ready", Installed | Ready) => Ready,
            ("boot", Installed | Ready) => Running,
            ("halt", Ready | Running | ShuttingDown | Down) => {
                self.end_zone_procs(name);
                Installed
            }
            ("uninstall", Installed | Incomplete) => Configured,
            (verb, state) => {
                return fail(
                    1,
                    format!(
                        "zoneadm: zone '{name}': {verb} operation is invalid for {state} zones."
                    ),
                );
            }
        };
        if let Some(zone) = self.zones.get_mut(*name) {
            zone.state = to;
            zone.id = match to {
                Ready | Running => zone.id.or_else(|| {
                    self.next_zone_id += 1;
                    Some(self.next_zone_id)
                }),
                _ => None,
            };
        }
        ok("")
    }

    fn running(&self, zone: &str) -> Result<(), Output> {
        match self.zones.get(zone) {
            Some(z) if z.state == ZoneState::Running => Ok(()),
            Some(z) => Err(fail(
                1,
                format!(
                    "zlogin: login allowed only to running zones ({zone} is '{}').",
                    z.state
                ),
            )),
            None => Err(fail(1, format!("zlogin: unknown zone {zone}"))),
        }
    }

    fn zlogin(&mut self, a: &[&str]) -> Output {
        let a = match a {
            ["-l", _, rest @ ..] => rest,
            rest => rest,
        };
        let [zone, line] = a else {
            return fail(2, "usage: zlogin [-l user] zonename [utility]");
        };
        if let Err(e) = self.running(zone) {
            return e;
        }
        if let Some(uid) = line.strip_prefix("/usr/bin/getent passwd ") {
            return match uid.parse::<u32>() {
                Ok(0) => ok("root:x:0:0:Super-User:/root:/usr/bin/bash\n"),
                Ok(u) => ok(format!("user{u}:x:{u}:{u}::/home/user{u}:/bin/sh\n")),
                Err(_) => fail(2, ""),
            };
        }
        if let Some(rest) = line.strip_prefix("kill -") {
            let word = rest.split(' ').next().unwrap_or_default();
            let Some(n) = signo(word) else {
                return fail(2, format!("kill: {word}: bad signal"));
            };
            let init = self
                .procs
                .iter()
                .rev()
                .find(|(_, p)| p.zone == *zone && p.init && p.exit.is_none())
                .map(|(pid, _)| *pid);
            return match init {
                Some(pid) => {
                    self.signal(pid, n);
                    ok("")
                }
                None => fail(1, format!("kill: {}: no such process", PID_FILE)),
            };
        }
        ok("")
    }

    fn exec(&mut self, cmd: &Command) -> Output {
        let a = cmd.argv();
        if self
            .fail
            .iter()
            .any(|f| cmd.to_string().contains(f.as_str()))
        {
            return fail(1, format!("{}: failed (injected)", cmd.program));
        }
        match (cmd.program.as_str(), a.as_slice()) {
            ("zonecfg", _) => self.zonecfg(&a),
            ("zoneadm", _) => self.zoneadm(&a),
            ("zlogin", _) => self.zlogin(&a),
            ("svcs", ["-z", zone, "-H", "-o", "state", _]) => match self.zones.get(*zone) {
                Some(z) if z.state == ZoneState::Running => ok("online\n"),
                _ => fail(1, format!("svcs: zone {zone} is not running")),
            },
            ("dladm", ["create-vnic", "-l", over, .., name]) => {
                if self.vnics.contains_key(*name) {
                    return fail(1, "dladm: vnic creation failed: object already exists");
                }
                self.vnics.insert((*name).to_owned(), (*over).to_owned());
                ok("")
            }
            ("dladm", ["delete-vnic", name]) => match self.vnics.remove(*name) {
                Some(_) => ok(""),
                None => fail(1, format!("dladm: invalid link name '{name}'")),
            },
            ("dladm", ["set-linkprop", "-p", _, name]) if self.vnics.contains_key(*name) => ok(""),
            ("dladm", ["show-vnic", "-p", "-o", "link,over"]) => {
                let v = self.vnics.iter();
                ok(v.map(|(n, o)| format!("{}:{}\n", escape(n), escape(o)))
                    .collect::<String>())
            }
            ("pkill", [sig, "-z", zone]) => {
                let Some(n) = sig.strip_prefix('-').and_then(signo) else {
                    return fail(2, format!("pkill: bad signal {sig}"));
                };
                let pids: Vec<u32> = self
                    .procs
                    .iter()
                    .filter(|(_, p)| p.zone == *zone && p.exit.is_none())
                    .map(|(pid, _)| *pid)
                    .collect();
                pids.iter().for_each(|pid| self.signal(*pid, n));
                if pids.is_empty() { fail(1, "") } else { ok("") }
            }
            (p, _) => fail(127, format!("{p}: not found")),
        }
    }
}

impl Recording {
    /// An executor with no zones.
    pub fn new() -> Self {
        let r = Self::default();
        r.world().next_pid = 4000;
        r
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every command so far, in order.
    pub fn calls(&self) -> Vec<Command> {
        self.world().calls.clone()
    }

    /// Makes every later command whose text contains `needle` fail (status 1).
    pub fn fail_matching(&self, needle: impl Into<String>) {
        self.world().fail.push(needle.into());
    }

    /// The zones and their states.
    pub fn zones(&self) -> Vec<(String, ZoneState)> {
        self.world()
            .zones
            .iter()
            .map(|(n, z)| (n.clone(), z.state))
            .collect()
    }

    /// The VNICs and their lower links.
    pub fn vnics(&self) -> Vec<(String, String)> {
        let w = self.world();
        w.vnics
            .iter()
            .map(|(n, o)| (n.clone(), o.clone()))
            .collect()
    }
}

#[derive(Debug)]
struct SimChild {
    pid: u32,
    world: Arc<Mutex<World>>,
}

impl Child for SimChild {
    fn pid(&self) -> u32 {
        self.pid
    }
    fn wait(&mut self) -> io::Result<i32> {
        let w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        w.procs.get(&self.pid).and_then(|p| p.exit).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "a simulated process runs until signalled",
            )
        })
    }
    fn signal(&self, signo: i32) -> io::Result<()> {
        self.world
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .signal(self.pid, signo);
        Ok(())
    }
}

impl Executor for Recording {
    fn run(&self, cmd: &Command) -> io::Result<Output> {
        let mut w = self.world();
        w.calls.push(cmd.clone());
        Ok(w.exec(cmd))
    }

    fn spawn(&self, cmd: &Command) -> io::Result<Box<dyn Child>> {
        let mut w = self.world();
        w.calls.push(cmd.clone());
        let a = cmd.argv();
        let rest = match a.as_slice() {
            ["-l", _, rest @ ..] => rest,
            rest => rest,
        };
        let ([zone, line], "zlogin") = (rest, cmd.program.as_str()) else {
            return Err(io::Error::new(io::ErrorKind::NotFound, cmd.program.clone()));
        };
        let words: Vec<&str> = line.split(' ').collect();
        let exit = match (w.running(zone), words.as_slice()) {
            (Err(_), _) => Some(1),
            (Ok(()), [.., "exit", n]) => n.parse().ok(),
            _ => None,
        };
        w.next_pid += 1;
        let pid = w.next_pid;
        let init = line.contains(PID_FILE);
        let zone = (*zone).to_owned();
        w.procs.insert(pid, Proc { zone, init, exit });
        Ok(Box::new(SimChild {
            pid,
            world: Arc::clone(&self.world),
        }))
    }

    fn alive(&self, pid: u32) -> bool {
        self.world()
            .procs
            .get(&pid)
            .is_some_and(|p| p.exit.is_none())
    }

    fn pause(&self, _d: std::time::Duration) {}
}
