//! runtime.md § State: the state of a container.

use super::config::annotations;
use crate::document::{Document, DocumentKind};
use crate::rules::{is_abs_posix, is_abs_windows};
use crate::runtime::*;
use crate::validation::{Checker, Report};

rules! {
    // runtime.md
    STATE_BUNDLE = runtime("runtime.md", "State",
        "bundle (string, REQUIRED) is the absolute path to the container's bundle directory.");
    STATE_PID = runtime("runtime.md", "State",
        "pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other platforms) is the ID of the container process.");
}

impl Document for State {
    const KIND: DocumentKind = DocumentKind::State;
    fn validate(&self) -> Report {
        let mut c = Checker::new();
        if !is_abs_posix(&self.bundle) && !is_abs_windows(&self.bundle) {
            c.must_at(
                "bundle",
                STATE_BUNDLE,
                format!("bundle {:?} is not an absolute path", self.bundle),
            );
        }
        if matches!(self.status, Status::Created | Status::Running) && self.pid.is_none() {
            c.must(
                STATE_PID,
                format!(
                    "pid is missing, and it is REQUIRED on Linux when status is {:?}",
                    self.status.as_str()
                ),
            );
        }
        c.opt("annotations", &self.annotations, annotations);
        c.finish()
    }
}
