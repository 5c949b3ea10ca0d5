//! `carrack certify`: the conformance suite of carrack-conformance against any runtime with
//! runc's command line, and `carrack probe`, what runs inside each of its containers.

use std::path::PathBuf;
use std::process::ExitCode;

use carrack_conformance::{Format, Program, RunOptions};

/// What to certify.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Drive a runtime (runc, crun, youki, carrack …) through the lifecycle with bundles built
    /// around this binary as the probe, one case per observable rule; exit 0 when no MUST
    /// case fails and nothing is left behind (failed SHOULD cases are reported), 1 otherwise.
    Runtime {
        /// The runtime binary.
        #[arg(long, value_name = "PATH")]
        runtime: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Check an OCI image layout directory, or an oci-archive of one (a tar, as `skopeo copy
    /// … oci-archive:` and `podman save --format oci-archive` write; unpacked first, under
    /// `--work` or a temporary directory), written by any tool, against the image-spec 1.1:
    /// every blob hashed, every document and descriptor reachable from index.json, every
    /// layer listed; exit 0 when no MUST case fails, 1 otherwise.
    Image {
        /// The layout directory or the archive.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

/// Options of every certify command.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// Only cases whose id matches (`*` and `?`); repeatable.
    #[arg(long, value_name = "GLOB")]
    filter: Vec<String>,
    /// Cases run at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    format: OutFormat,
    /// Working directory: bundles and state (runtime), an unpacked archive (image); a fresh
    /// temporary directory when not given.
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutFormat {
    Text,
    Tap,
    Json,
    Markdown,
}

impl From<OutFormat> for Format {
    fn from(f: OutFormat) -> Self {
        match f {
            OutFormat::Text => Self::Text,
            OutFormat::Tap => Self::Tap,
            OutFormat::Json => Self::Json,
            OutFormat::Markdown => Self::Markdown,
        }
    }
}

fn options(c: &Common) -> RunOptions {
    let mut o = RunOptions::default();
    o.filters.clone_from(&c.filter);
    o.jobs = c.jobs.max(1);
    o
}

/// Runs `carrack certify …`: the report on stdout; exit 0 passed, 1 failed, 2 could not run.
pub(crate) fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Runtime { runtime, common } => {
            let work = common.work.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("carrack-certify-{}", std::process::id()))
            });
            let fresh = common.work.is_none();
            let subject = Program::current("carrack").and_then(|p| {
                carrack_conformance::runtime::Subject::new(
                    runtime,
                    p,
                    &["/carrack", "probe"],
                    work.clone(),
                )
            });
            let subject = match subject {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("carrack: certify: {}: {e}", work.display());
                    return ExitCode::from(2);
                }
            };
            let report = carrack_conformance::runtime::certify(&subject, &options(&common));
            print!("{}", report.render(common.format.into()));
            if fresh {
                let _ = std::fs::remove_dir_all(&work);
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Image { path, common } => {
            let subject =
                match carrack_conformance::image::ImageSubject::open(&path, common.work.as_deref())
                {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("carrack: certify image: {e}");
                        return ExitCode::from(2);
                    }
                };
            let report = carrack_conformance::image::certify(&subject, &options(&common));
            print!("{}", report.render(common.format.into()));
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// `carrack probe …` inside a certify container.
pub(crate) fn probe(args: &[String]) -> ExitCode {
    let code = carrack_conformance::runtime::probe::main(args);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
