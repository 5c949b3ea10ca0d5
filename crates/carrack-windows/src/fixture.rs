//! [`Bundles`]: Windows bundles for [`carrack_platform::contract`] (and for trying the backend
//! out): a `config.json` for a process-isolated container over two layer folders, whose process
//! is `cmd /c exit N` or `ping -t localhost` (which runs until stopped).

use std::path::PathBuf;

use carrack_platform::contract::{Fixture, Program};
use carrack_spec::runtime::{Process, Root, Spec, Windows};

/// The volume of the fixture's root (`root.path` of a process-isolated container).
pub const ROOT_VOLUME: &str = r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\";

/// Bundles under a directory.
///
/// ```
/// use carrack_platform::contract::{Fixture, Program};
/// let dir = tempfile::tempdir()?;
/// let b = carrack_windows::fixture::Bundles::new(dir.path());
/// let bundle = b.bundle("c1", Some(Program::Exit(3)));
/// let text = std::fs::read_to_string(bundle.join("config.json"))?;
/// assert!(text.contains("layerFolders") && text.contains(r#""exit""#));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Bundles {
    dir: PathBuf,
}

impl Bundles {
    /// Bundles under `dir` (created when needed).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The configuration of a bundle running `program`.
    ///
    /// ```
    /// use carrack_platform::contract::Program;
    /// let spec = carrack_windows::fixture::Bundles::config(Some(Program::Sleep));
    /// assert_eq!(spec.windows.map(|w| w.layer_folders.len()), Some(2));
    /// ```
    pub fn config(program: Option<Program>) -> Spec {
        let mut spec = Spec::new(carrack_spec::runtime::VERSION);
        spec.root = Some(Root::new(ROOT_VOLUME));
        spec.hostname = Some("contract".into());
        spec.windows = Some(Windows::new(vec![
            r"C:\ProgramData\carrack\layers\base".into(),
            r"C:\ProgramData\carrack\layers\scratch".into(),
        ]));
        spec.process = program.map(|prog| {
            let mut p = Process::new(r"C:\");
            let args: &[&str] = match prog {
                Program::Sleep => &["ping", "-t", "localhost"],
                Program::Exit(_) => &["cmd", "/c", "exit"],
            };
            let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            if let Program::Exit(n) = prog {
                args.push(n.to_string());
            }
            p.args = Some(args);
            p
        });
        spec
    }
}

impl Fixture for Bundles {
    fn bundle(&self, name: &str, program: Option<Program>) -> PathBuf {
        let dir = self.dir.join(name);
        // A fixture that cannot write its bundle leaves create to report the missing file.
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(
            dir.join("config.json"),
            carrack_spec::Document::to_string_pretty(&Self::config(program)),
        );
        dir
    }
}
