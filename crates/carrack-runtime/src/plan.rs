//! `carrack plan`: what a config becomes on another OS's backend, printed without running
//! anything, on any host: the Host Compute Service documents of carrack-windows (the utility
//! VM's too, under Hyper-V isolation, and the process parameters), or the zonecfg script and
//! the zoneadm/zlogin command lines of carrack-solaris. `carrack features --os` prints the
//! same backends' features documents.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use carrack_spec::Document;
use carrack_spec::runtime::{Features, Spec};

/// A backend a config can be planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Os {
    /// Windows: HCS schema 2.1 compute systems (process or Hyper-V isolation).
    Windows,
    /// Solaris 11: a `solaris`-branded zone, networks as `anet` resources.
    Solaris,
    /// illumos: a `sparse`-branded zone, networks as VNICs made with dladm plus `net`.
    Illumos,
}

/// Arguments of `carrack plan`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The backend to plan for.
    #[arg(long, value_enum)]
    os: Os,
    /// The container id the plan is made for (it names the compute system or the zone).
    #[arg(long, default_value = "carrack")]
    id: String,
    /// Windows: a layer folder that holds the `UtilityVM` a Hyper-V container boots (found
    /// on disk on a Windows host; name it on others). Repeatable.
    #[arg(long, value_name = "FOLDER")]
    utility_vm_layer: Vec<String>,
    /// Windows: the host's logical processors (a larger `cpu.count` is lowered to it); this
    /// host's count on Windows, unbounded elsewhere.
    #[arg(long, value_name = "N")]
    processors: Option<u64>,
    /// Solaris and illumos: where zone paths go.
    #[arg(long, value_name = "DIR", default_value = "/zones")]
    zone_root: PathBuf,
    /// Solaris and illumos: the zone brand (default `solaris` on Solaris 11, `sparse` on
    /// illumos).
    #[arg(long)]
    brand: Option<String>,
    /// illumos: the link VNICs are made over when an `anet` names no `lowerLink`.
    #[arg(long, value_name = "LINK")]
    lower_link: Option<String>,
    /// A config.json, or a bundle directory holding one.
    #[arg(default_value = ".")]
    config: PathBuf,
}

/// The features document of `os`'s backend (the Solaris ones for a host with zones under
/// `/zones`).
pub(crate) fn features(os: Os) -> Features {
    match os {
        Os::Windows => carrack_windows::features(),
        Os::Solaris => carrack_solaris::features(&carrack_solaris::HostFacts::solaris11("/zones")),
        Os::Illumos => carrack_solaris::features(&carrack_solaris::HostFacts::illumos("/zones")),
    }
}

fn config_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("config.json")
    } else {
        path.to_path_buf()
    }
}

/// The plan as text, or why there is none (naming the file).
fn plan(a: &Args) -> Result<String, String> {
    let file = config_file(&a.config);
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let spec = Spec::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    let bundle = std::path::absolute(file.parent().unwrap_or(Path::new(".")))
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let refused = |e: &dyn std::fmt::Display| format!("{}: {e}", file.display());
    match a.os {
        Os::Windows => {
            let mut facts = if cfg!(windows) {
                carrack_windows::HostFacts::probe(&spec)
            } else {
                carrack_windows::HostFacts::default()
            };
            facts
                .utility_vm_layers
                .extend(a.utility_vm_layer.iter().cloned());
            if a.processors.is_some() {
                facts.host_processors = a.processors;
            }
            let p = carrack_windows::plan(&a.id, &spec, &facts).map_err(|e| refused(&e))?;
            serde_json::to_string_pretty(&p)
                .map(|mut s| {
                    s.push('\n');
                    s
                })
                .map_err(|e| refused(&e))
        }
        Os::Solaris | Os::Illumos => {
            let mut host = if a.os == Os::Solaris {
                carrack_solaris::HostFacts::solaris11(&a.zone_root)
            } else {
                carrack_solaris::HostFacts::illumos(&a.zone_root)
            };
            if let Some(b) = &a.brand {
                host = host.with_brand(b);
            }
            if let Some(l) = &a.lower_link {
                host = host.with_lower_link(l);
            }
            let at = carrack_solaris::Placement {
                id: a.id.clone(),
                zonecfg_file: bundle.join("zonecfg"),
                bundle,
            };
            carrack_solaris::plan(&spec, &host, &at)
                .map(|p| p.render())
                .map_err(|e| refused(&e))
        }
    }
}

/// Runs `carrack plan`: the plan on stdout (exit 0), or why not on stderr (exit 1).
pub(crate) fn run(a: &Args) -> ExitCode {
    match plan(a) {
        Ok(text) => {
            // One write, errors ignored: `carrack plan … | head` must not panic on EPIPE.
            let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("carrack: {e}");
            ExitCode::from(1)
        }
    }
}
