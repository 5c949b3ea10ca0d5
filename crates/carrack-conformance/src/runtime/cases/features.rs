//! Cases of this chapter (to be written).

use crate::case::Case;
use crate::runtime::Subject;

pub(crate) fn cases() -> Vec<Case<Subject>> {
    Vec::new()
}
