//! One container planned for the two other backends, on any host: the Host Compute Service
//! document carrack-windows would hand to computecore.dll, and the zonecfg script and
//! command lines carrack-solaris would run on an illumos host. Nothing is run.
//!
//! `cargo run -p carrack-runtime --example plan_elsewhere`

use carrack_spec::runtime::{Process, Root, Solaris, Spec, User, Windows};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Windows: the image's layer folders (base first, the container's scratch layer last)
    // and the scratch volume the caller mounted, as a volume GUID path.
    let mut win = Spec::new("1.3.0");
    win.root = Some(Root::new(
        r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\",
    ));
    win.windows = Some(Windows::new(vec![
        r"C:\layers\base".into(),
        r"C:\layers\scratch".into(),
    ]));
    win.hostname = Some("web".into());
    let mut process = Process::new(r"C:\");
    process.args = Some(vec![
        "cmd.exe".into(),
        "/c".into(),
        "echo hello world".into(),
    ]);
    win.process = Some(process);
    let plan = carrack_windows::plan("web", &win, &carrack_windows::HostFacts::default())?;
    println!("# HCS document (schema 2.1) for a process-isolated container");
    println!("{}", serde_json::to_string_pretty(&plan)?);

    // illumos: a zone whose root is the bundle's rootfs, with a memory cap.
    let zone = Spec::default()
        .with_root(Root::new("rootfs"))
        .with_hostname("web")
        .with_process(
            Process::new("/")
                .with_args(["/usr/bin/echo", "hello", "world"])
                .with_env(["PATH=/usr/bin"])
                .with_user(User::posix(0, 0)),
        )
        .with_solaris(
            Solaris::default()
                .with_max_shm_memory("512m")
                .with_limitpriv("default"),
        );
    let host = carrack_solaris::HostFacts::illumos("/zones");
    let at = carrack_solaris::Placement {
        id: "web".into(),
        bundle: "/bundles/web".into(),
        zonecfg_file: "/var/run/carrack/web/zonecfg".into(),
    };
    let plan = carrack_solaris::plan(&zone, &host, &at)?;
    println!("# zone plan for illumos");
    print!("{}", plan.render());
    Ok(())
}
