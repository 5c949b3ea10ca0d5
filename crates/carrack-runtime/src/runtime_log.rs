//! The runtime's log: `--log FILE` in logrus' `text` or `json` format (what containerd and
//! podman read), stderr without it; the libraries' `log` records go there too.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::lifecycle::{Global, LogFormat};

/// Where the libraries' `log` records go: to the `--log` file in its format when one is given
/// (containerd and podman read it), to stderr otherwise, as runc's logrus does. Warnings and
/// errors always; debug records with `--debug`.
struct RuntimeLog {
    path: Option<PathBuf>,
    format: LogFormat,
    debug: bool,
}

impl log::Log for RuntimeLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level()
            <= if self.debug {
                log::Level::Debug
            } else {
                log::Level::Warn
            }
    }
    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let level = match r.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warning",
            log::Level::Info => "info",
            _ => "debug",
        };
        let msg = r.args().to_string();
        match &self.path {
            Some(p) => write(p, self.format, level, &msg),
            None => {
                let _ = writeln!(std::io::stderr(), "carrack: {level}: {msg}");
            }
        }
    }
    fn flush(&self) {}
}

/// Installs [`RuntimeLog`] for this process (once).
pub(crate) fn install(g: &Global) {
    static LOG: std::sync::OnceLock<RuntimeLog> = std::sync::OnceLock::new();
    let logger = LOG.get_or_init(|| RuntimeLog {
        path: g.log.clone(),
        format: g.log_format,
        debug: g.debug,
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(if g.debug {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Warn
        });
    }
}

/// Appends one line to the `--log` file in its format (runc's logrus `text` or `json`).
pub(crate) fn write(path: &Path, format: LogFormat, level: &str, msg: &str) {
    let line = match format {
        LogFormat::Json => {
            serde_json::json!({"level": level, "msg": msg, "time": carrack_spec::time::now()})
                .to_string()
        }
        LogFormat::Text => format!(
            "time=\"{}\" level={level} msg={msg:?}",
            carrack_spec::time::now()
        ),
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}
