//! The OCI runtime-spec 1.3: `config.json`, state and features.
//!
//! Every chapter's types live in a module named for the chapter and are re-exported here.
//!
//! ```
//! use carrack_spec::Document;
//! use carrack_spec::runtime::Spec;
//!
//! let spec = Spec::from_slice(br#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},"x-vendor":1}"#)?;
//! assert_eq!(spec.root.as_ref().map(|r| r.path.as_str()), Some("rootfs"));
//! // The unknown member survives a round trip.
//! assert!(spec.to_string_compact().contains("\"x-vendor\":1"));
//! # Ok::<(), carrack_spec::ParseError>(())
//! ```

mod config;
mod defaults;
mod features;
mod freebsd;
mod linux;
mod process;
mod resources;
mod seccomp;
mod shorthands;
mod solaris;
mod state;
mod user_map;
mod validate;
mod vm;
mod windows;
mod zos;

pub use config::*;
pub use defaults::{DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS};
pub use features::*;
pub use freebsd::*;
pub use linux::*;
pub use process::*;
pub use resources::*;
pub use seccomp::*;
pub use solaris::*;
pub use state::*;
pub use user_map::{UnmappedId, maps};
pub(crate) use validate::RULES;
pub use validate::{Target, ValidateOptions};
pub use vm::*;
pub use windows::*;
pub use zos::*;

/// The runtime-spec version these models implement.
pub const VERSION: &str = "1.3.0";
