//! `config.json` → `zos` (runtime-spec `config-zos.md`).

use crate::model::model;
use crate::runtime::Namespace;

model! {
    /// z/OS-specific configuration (`zos`).
    ///
    /// ```
    /// let z = carrack_spec::runtime::Zos::default();
    /// ```
    pub struct Zos {
        /// Namespaces (`pid`, `mount`, `ipc`, `uts`).
        namespaces: opt(Vec<Namespace>) = "namespaces",
    }
}
