//! Links the `carrack` binary for a fast, small start on Linux.
//!
//! * Position-dependent: every container start execs it, and a PIE of this size carries
//!   ~50 000 relative relocations that the loader must apply (reading ~1 MB of .rela.dyn and
//!   dirtying ~400 KB of .data.rel.ro) before main: resolved at link time instead, the runtime
//!   starts faster in less memory.
//! * Optimised builds (`release`, `dist`, `bench`; debug builds keep their link fast): the
//!   functions a container's life executes are placed first and together. The kernel maps a
//!   program's code 64 KiB (or a whole page-cache folio) around each page it faults in, so code
//!   scattered across 11 MB of text is what kept `carrack run` resident in ~6 MB. Both files
//!   come from `scripts/update-start-order` (a trace of create, start, run, state, kill and
//!   delete): `start-path.order`, the exact symbol names for lld's `--symbol-ordering-file`
//!   (precise, but Rust names hash the toolchain and Cargo.lock, so it only places anything for
//!   the toolchain it was made with; passed only when rustc links through its own lld), and
//!   `start-path.ld`, a linker script of the same functions with the hashes wildcarded, which
//!   survives other toolchains (generic functions, whose legacy names do not tell instances
//!   apart, only come from the first). The script places the read-only data that code reads
//!   the same way (strings, jump tables, format pieces, vtables: `.rodata.carrack_start`
//!   ahead of `.rodata`, and the start of `.data.rel.ro`), moves `.debug_gdb_scripts` and
//!   `.eh_frame`, one word of each read at every start, next to it and `.gcc_except_table`
//!   away from the ELF headers: spread out, that data kept as much resident as the code did. `CARRACK_NO_START_ORDER=1` leaves both files out
//!   (for a linker that takes no `SECTIONS ... INSERT` script, such as mold);
//!   `CARRACK_LINK_MAP=FILE` writes the link's map there (scripts/update-start-order reads it).
//! * The `dist` profile (what packagers ship) links glibc, libgcc and libseccomp statically:
//!   a dynamic `carrack run` keeps ~1.7 MB of ld.so, libc.so, libgcc_s and libseccomp pages
//!   resident (the 64 KiB fault-around again, over libraries laid out for no one program),
//!   where the few hundred KB of them it uses, linked in, sit in its own text. rustc links
//!   glibc dynamically unless the whole build is `crt-static` (a RUSTFLAGS choice that also
//!   reaches build scripts and proc macros), so here the libraries rustc asks for by name are
//!   answered from a directory of linker scripts that name their static archives, and the C
//!   driver is told `-static`. `CARRACK_DYNAMIC=1` keeps `dist` dynamic (a distribution whose
//!   policy forbids static glibc); it also stays dynamic, with a warning, where an archive is
//!   missing (libc6-dev and libseccomp-dev provide them on Debian).
//!
//! A build that is already static (crt-static, `scripts/build-dist`) picks its own relocation
//! model and orders its functions itself by exact name: none of this applies to it.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Libraries rustc and its dependencies link by name, with the archives that stand for them.
const STATIC_LIBS: &[(&str, &[&str])] = &[
    ("c", &["libc.a"]),
    ("m", &["libm.a"]),
    ("rt", &["librt.a"]),
    ("pthread", &["libpthread.a"]),
    ("dl", &["libdl.a"]),
    ("util", &["libutil.a"]),
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("seccomp", &["libseccomp.a"]),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=start-path.ld");
    println!("cargo:rerun-if-changed=start-path.order");
    println!("cargo:rerun-if-env-changed=CARRACK_NO_START_ORDER");
    println!("cargo:rerun-if-env-changed=CARRACK_DYNAMIC");
    println!("cargo:rerun-if-env-changed=CARRACK_LINK_MAP");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_crt = features.split(',').any(|f| f == "crt-static");
    if os != "linux" || static_crt {
        return;
    }
    if target_env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    let optimised = env::var("PROFILE").is_ok_and(|p| p == "release");
    let dir = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    if let Some(dir) = dir.filter(|_| optimised && !set("CARRACK_NO_START_ORDER")) {
        let (script, order) = (dir.join("start-path.ld"), dir.join("start-path.order"));
        if script.is_file() {
            println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
        }
        if order.is_file() && links_with_rust_lld() {
            println!(
                "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
                order.display()
            );
            println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
        }
    }
    // The link map scripts/update-start-order reads to find the read-only data the traced
    // functions use (a link argument: the crates' symbol names stay the same).
    if let Some(map) = env::var_os("CARRACK_LINK_MAP").filter(|m| !m.is_empty()) {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,-Map={}",
            PathBuf::from(map).display()
        );
    }
    if target_env == "gnu" && profile_dir().as_deref() == Some("dist") && !set("CARRACK_DYNAMIC") {
        link_statically();
    }
}

/// Whether the environment variable `name` is set to something.
fn set(name: &str) -> bool {
    env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Whether rustc links through its own lld: the default for x86_64-unknown-linux-gnu since
/// Rust 1.90, unless a linker or linker flavour is chosen in the flags (a `linker` set in a
/// cargo config file is not visible here: `CARRACK_NO_START_ORDER=1` then).
fn links_with_rust_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu") {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker", "fuse-ld", "link-self-contained"]
        .iter()
        .any(|f| flags.contains(f))
        || env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
    {
        return false;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .lines()
        .find_map(|l| l.strip_prefix("release: 1."))
        .and_then(|v| v.split('.').next()?.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}

/// The profile's directory under the target directory: cargo tells build scripts only
/// `release` or `debug`, and `OUT_DIR` is `<target>/[<triple>/]<profile>/build/<pkg>-<hash>/out`.
fn profile_dir() -> Option<String> {
    let out = PathBuf::from(env::var_os("OUT_DIR")?);
    out.ancestors()
        .nth(3)?
        .file_name()?
        .to_str()
        .map(str::to_owned)
}

/// The C compiler's path for `file` (`cc -print-file-name`), when it has one.
fn archive(cc: &str, file: &str) -> Option<PathBuf> {
    let out = Command::new(cc)
        .arg(format!("-print-file-name={file}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // Without the file, the compiler echoes the bare name back.
    if !out.status.success() || !path.is_absolute() {
        return None;
    }
    fs::canonicalize(path).ok().filter(|p| p.is_file())
}

/// Answers `-lNAME` for each of [`STATIC_LIBS`] with a `libNAME.so` linker script naming its
/// archives (found first: the directory is searched before the system's) and links `-static`.
fn link_statically() {
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let Some(dir) = env::var_os("OUT_DIR").map(|d| PathBuf::from(d).join("static-libs")) else {
        return;
    };
    let mut scripts = Vec::new();
    for (name, files) in STATIC_LIBS {
        let found: Option<Vec<PathBuf>> = files.iter().map(|f| archive(&cc, f)).collect();
        let Some(found) = found else {
            println!(
                "cargo:warning=carrack stays dynamically linked: no {} for {cc}",
                files.join(" or ")
            );
            return;
        };
        let list: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        scripts.push((
            format!("lib{name}.so"),
            format!("GROUP({})\n", list.join(" ")),
        ));
    }
    if fs::create_dir_all(&dir).is_err() {
        return;
    }
    for (file, text) in scripts {
        if fs::write(dir.join(&file), text).is_err() {
            println!("cargo:warning=carrack stays dynamically linked: cannot write {file}");
            return;
        }
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-arg-bins=-static");
}
