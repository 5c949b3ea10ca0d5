//! `carrack certify`: the conformance suite of carrack-conformance against any runtime with
//! runc's command line, and `carrack probe`, what runs inside each of its containers.

use std::path::PathBuf;
use std::process::ExitCode;

use carrack_conformance::{Format, Program, RunOptions};

/// What to certify.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Drive a runtime (runc, crun, youki, carrack …) through the lifecycle with bundles built
    /// around this binary as the probe, one case per observable MUST; exit 0 only when no case
    /// fails and nothing is left behind.
    Runtime {
        /// The runtime binary.
        #[arg(long, value_name = "PATH")]
        runtime: PathBuf,
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
    /// Where bundles and state go (a fresh temporary directory when not given).
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
    }
}

/// `carrack probe …` inside a certify container.
pub(crate) fn probe(args: &[String]) -> ExitCode {
    let code = carrack_conformance::runtime::probe::main(args);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
