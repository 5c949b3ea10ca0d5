//! Generate a config with the typed constructors and run it through the `Platform` trait with
//! the Linux backend: create, start, wait, delete — what `carrack run` does, in a few lines.
//!
//! `sudo cargo run -p carrack-linux --example run_spec -- ROOTFS [ARGS...]`
//! (ROOTFS holds the program, e.g. a directory with a static busybox at bin/busybox)

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use carrack_platform::{ContainerId, CreateOptions, Platform};
    use carrack_spec::Document;
    use carrack_spec::runtime::{Process, Root, Spec};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [rootfs, command @ ..] = args.as_slice() else {
        return Err("usage: run_spec ROOTFS [ARGS...]".into());
    };
    let command = if command.is_empty() {
        vec!["/bin/busybox".to_owned(), "hostname".to_owned()]
    } else {
        command.to_vec()
    };
    // runc's default configuration, with our root, process and host name.
    let spec = Spec::default_linux()
        .with_root(Root::new(
            std::fs::canonicalize(rootfs)?.display().to_string(),
        ))
        .with_hostname("run-spec")
        .with_process(
            Process::default()
                .with_args(command)
                .with_env(["PATH=/bin:/usr/bin"]),
        )
        .with_pids_limit(64);
    assert!(spec.validate().is_valid(), "{}", spec.validate());

    let bundle = tempfile::tempdir()?;
    std::fs::write(bundle.path().join("config.json"), spec.to_vec())?;
    let state = tempfile::tempdir()?;
    // The backend behind the trait: a Windows or Solaris one would be used the same way.
    let platform: Box<dyn Platform> = Box::new(carrack_linux::Linux::new(state.path())?);
    let id = ContainerId::new(&format!("run-spec-{}", std::process::id()))?;
    platform.create(&id, &CreateOptions::new(bundle.path()))?;
    platform.start(&id)?;
    let exit = platform.wait(&id)?;
    platform.delete(&id, false)?;
    eprintln!("run_spec: the container exited with {}", exit.code());
    std::process::exit(exit.code());
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("run_spec: the Linux backend runs on Linux only");
    std::process::exit(2);
}
