//! `carrack`: a runc-compatible OCI runtime built on the carrack libraries.
//!
//! It runs containers behind runc's command line (create, start, run, state, kill, delete,
//! list, ps, pause, resume, features, spec), validates OCI documents, and manages image
//! layouts (including unpacking, bundles and commits).

#[cfg(target_os = "linux")]
mod certify;
#[cfg(target_os = "linux")]
mod demo_image;
mod detect;
mod embedded;
mod fast_args;
mod host;
#[cfg(unix)]
mod image;
#[cfg(target_os = "linux")]
mod image_run;
#[cfg(target_os = "linux")]
mod inside;
mod lifecycle;
mod plan;
mod runtime_log;
#[cfg(target_os = "linux")]
mod snapshots_cli;
#[cfg(target_os = "linux")]
mod unpack;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// carrack — OCI runtime-spec 1.3 and image-spec 1.1 tooling.
#[derive(Debug, Parser)]
#[command(name = "carrack", about, disable_version_flag = true)]
struct Cli {
    /// Print the version and the runtime-spec version.
    #[arg(long, short = 'v')]
    version: bool,
    #[command(flatten)]
    global: lifecycle::Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate OCI documents (config.json, state, features, manifests, indexes, image
    /// configurations, descriptors, oci-layout) against every MUST and SHOULD rule.
    ///
    /// With no PATH, validates documents carrack generates itself (runc's default config, its
    /// rootless variant, and a small image) and prints what it checked.
    /// Exit status: 0 when no MUST rule is broken, 1 when one is or a document does not parse,
    /// 2 on usage or I/O errors.
    Validate(validate::Args),
    /// Work with OCI image layouts: init, ls, tag, untag, resolve, fsck, gc, import, export,
    /// import-docker, unpack, bundle, commit.
    #[cfg(unix)]
    #[command(subcommand)]
    Image(Box<image::Command>),
    /// Print what a config becomes on the Windows or zones backend (HCS documents, or the
    /// zonecfg script and zoneadm/zlogin commands), on any host, running nothing.
    Plan(plan::Args),
    /// Certify a runtime against runtime-spec 1.3, one case per observable MUST.
    #[cfg(target_os = "linux")]
    #[command(subcommand)]
    Certify(certify::Command),
    /// The probe `certify` runs inside its containers.
    #[cfg(target_os = "linux")]
    #[command(hide = true)]
    Probe {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Report what this process sees of its container (the embedded image's program).
    #[cfg(target_os = "linux")]
    #[command(hide = true)]
    Inside,
    #[command(flatten)]
    Lifecycle(Box<lifecycle::Command>),
}

fn main() -> ExitCode {
    // What container managers run on every start, without building clap's command tree.
    if let Some((global, cmd)) = fast_args::parse(std::env::args_os()) {
        return lifecycle::run(&global, cmd);
    }
    let cli = Cli::parse();
    if cli.version {
        // One write, errors ignored: `carrack --version | head -1` must not panic on EPIPE.
        let _ = std::io::Write::write_all(
            &mut std::io::stdout(),
            format!(
                "carrack version {}\nspec: {}\n",
                env!("CARGO_PKG_VERSION"),
                carrack_spec::runtime::VERSION
            )
            .as_bytes(),
        );
        return ExitCode::SUCCESS;
    }
    match cli.command {
        Some(Command::Validate(args)) => validate::run(&args),
        #[cfg(unix)]
        Some(Command::Image(cmd)) => image::run(*cmd, &cli.global),
        Some(Command::Plan(args)) => {
            // The planners' warnings (what a backend ignores) go to stderr.
            runtime_log::install(&cli.global);
            plan::run(&args)
        }
        #[cfg(target_os = "linux")]
        Some(Command::Inside) => inside::run(),
        #[cfg(target_os = "linux")]
        Some(Command::Certify(cmd)) => certify::run(cmd),
        #[cfg(target_os = "linux")]
        Some(Command::Probe { args }) => certify::probe(&args),
        Some(Command::Lifecycle(cmd)) => lifecycle::run(&cli.global, *cmd),
        None => {
            eprintln!("carrack: a command is needed (carrack --help lists them)");
            ExitCode::from(2)
        }
    }
}
