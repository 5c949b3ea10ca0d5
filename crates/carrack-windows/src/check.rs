//! The checks of a configuration before it is planned: every rule of [`crate::rules`] that a
//! configuration can break, in the order the spec's chapters state them.

use carrack_spec::runtime::{Mount, Process, Spec, Windows, WindowsCpu};

use crate::rules::{PlanError, fold_path, is_abs_windows, is_volume_guid_path};

/// The prefix of a named pipe's path.
pub(crate) const PIPE_PREFIX: &str = r"\\.\pipe\";

/// Whether `p` names a host named pipe (`\\.\pipe\…`, any case).
pub(crate) fn is_pipe(p: &str) -> bool {
    p.len() >= PIPE_PREFIX.len()
        && p.is_char_boundary(PIPE_PREFIX.len())
        && p[..PIPE_PREFIX.len()].eq_ignore_ascii_case(PIPE_PREFIX)
}

/// Checks `spec` as a Windows configuration; returns its `windows` section.
pub(crate) fn check(spec: &Spec) -> Result<&Windows, PlanError> {
    let w = spec.windows.as_ref().ok_or(PlanError::WindowsMissing)?;
    if w.layer_folders.is_empty() {
        return Err(PlanError::NoLayerFolders);
    }
    check_root(spec, w.hyperv.is_some())?;
    if let Some(mounts) = &spec.mounts {
        check_mounts(mounts)?;
    }
    if let Some(p) = &spec.process {
        check_process(p)?;
    }
    for (index, d) in w.devices.iter().flatten().enumerate() {
        if !d.id_type.is_known() {
            return Err(PlanError::DeviceIdType {
                index,
                id_type: d.id_type.as_str().to_owned(),
            });
        }
    }
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        check_cpu(cpu)?;
    }
    Ok(w)
}

fn check_root(spec: &Spec, hyperv: bool) -> Result<(), PlanError> {
    match (&spec.root, hyperv) {
        (Some(_), true) => Err(PlanError::RootWithHyperV),
        (None, true) => Ok(()),
        (None, false) => Err(PlanError::RootMissing),
        (Some(root), false) => {
            if !is_volume_guid_path(&root.path) {
                return Err(PlanError::RootPathNotVolume(root.path.clone()));
            }
            if root.readonly == Some(true) {
                return Err(PlanError::RootReadonly);
            }
            Ok(())
        }
    }
}

/// Destinations absolute and not nested; sources local directories or named pipes.
pub(crate) fn check_mounts(mounts: &[Mount]) -> Result<(), PlanError> {
    let folded: Vec<String> = mounts.iter().map(|m| fold_path(&m.destination)).collect();
    for (index, m) in mounts.iter().enumerate() {
        if !is_abs_windows(&m.destination) {
            return Err(PlanError::MountNotAbsolute {
                index,
                destination: m.destination.clone(),
            });
        }
        let me = &folded[index];
        // A destination equal to an earlier one is nested in it too (`C:\d` and `c:\D\`).
        let outer = folded.iter().enumerate().position(|(j, other)| {
            (j < index && me == other)
                || (j != index
                    && me.starts_with(other.as_str())
                    && me.as_bytes().get(other.len()) == Some(&b'\\'))
        });
        if let Some(outer) = outer {
            return Err(PlanError::MountNested {
                index,
                destination: m.destination.clone(),
                outer,
            });
        }
        let source = m.source.as_deref().unwrap_or_default();
        // `\\server\share` and its long form `\\?\UNC\server\share` are UNC paths; a relative
        // path is no directory of the host either.
        let long_unc = source
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case(r"\\?\UNC\"));
        let unc = (source.starts_with(r"\\") && !is_pipe(source) && !source.starts_with(r"\\?\"))
            || long_unc;
        let relative = !is_pipe(source) && !is_abs_windows(source);
        if source.is_empty() || unc || relative {
            return Err(PlanError::MountSource {
                index,
                path: source.to_owned(),
            });
        }
    }
    Ok(())
}

/// `cwd` absolute; `args` or `commandLine` given.
pub(crate) fn check_process(p: &Process) -> Result<(), PlanError> {
    if !is_abs_windows(&p.cwd) {
        return Err(PlanError::CwdNotAbsolute(p.cwd.clone()));
    }
    if p.args.as_ref().is_none_or(Vec::is_empty) && p.command_line.is_none() {
        return Err(PlanError::NoCommand);
    }
    Ok(())
}

/// `count`, `shares`, `maximum` exclusive; `shares` and `maximum` within 10,000.
pub(crate) fn check_cpu(cpu: &WindowsCpu) -> Result<(), PlanError> {
    let set = [
        cpu.count.is_some(),
        cpu.shares.is_some(),
        cpu.maximum.is_some(),
    ];
    if set.iter().filter(|s| **s).count() > 1 {
        return Err(PlanError::CpuExclusive);
    }
    if let Some(s) = cpu.shares.filter(|s| *s > 10_000) {
        return Err(PlanError::CpuShares(s));
    }
    if let Some(m) = cpu.maximum.filter(|m| *m > 10_000) {
        return Err(PlanError::CpuMaximum(m));
    }
    if cpu.affinity.as_ref().is_some_and(|a| !a.is_empty()) {
        return Err(PlanError::CannotApply {
            what: "windows.resources.cpu.affinity",
            why: "the HCS document has no field for it (hcsshim pins the container's job object \
                  after creating it, which this backend does not do)"
                .into(),
        });
    }
    Ok(())
}
