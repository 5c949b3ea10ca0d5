//! Image configuration (image-spec `config.md`).

use std::collections::BTreeMap;

use crate::image::{Arch, Digest, Os};
use crate::model::model;

model! {
    /// An image configuration: the root filesystem's layers and how to run it.
    ///
    /// ```
    /// use carrack_spec::image::{Arch, ImageConfiguration, Os, RootFs};
    /// let c = ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(Vec::new()));
    /// assert_eq!(c.rootfs.kind, "layers");
    /// ```
    pub struct ImageConfiguration {
        /// When the image was created (RFC 3339).
        created: opt(String) = "created",
        /// Who created the image.
        author: opt(String) = "author",
        /// CPU architecture.
        architecture: req(Arch) = "architecture",
        /// Operating system.
        os: req(Os) = "os",
        /// Operating system version (`os.version`).
        os_version: opt(String) = "os.version",
        /// Required OS features (`os.features`).
        os_features: opt(Vec<String>) = "os.features",
        /// CPU variant.
        variant: opt(String) = "variant",
        /// Execution defaults.
        config: opt(ExecConfig) = "config",
        /// The layers' uncompressed digests.
        rootfs: req(RootFs) = "rootfs",
        /// How each layer was made.
        history: opt(Vec<History>) = "history",
    }
}

impl ImageConfiguration {
    /// A configuration for `architecture` and `os` over `rootfs`.
    pub fn new(architecture: Arch, os: Os, rootfs: RootFs) -> Self {
        Self {
            created: None,
            author: None,
            architecture,
            os,
            os_version: None,
            os_features: None,
            variant: None,
            config: None,
            rootfs,
            history: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Execution defaults of an image (`config`). Docker's extra members (`Hostname`,
    /// `AttachStdin`, …) are kept in `extra`.
    ///
    /// ```
    /// let mut c = carrack_spec::image::ExecConfig::default();
    /// c.cmd = Some(vec!["/bin/sh".into()]);
    /// ```
    pub struct ExecConfig {
        /// `user`, `uid`, `user:group`, `uid:gid`, …
        user: opt(String) = "User",
        /// Ports to expose: `port/tcp`, `port/udp` or `port` → `{}`.
        exposed_ports: opt(BTreeMap<String, serde_json::Value>) = "ExposedPorts",
        /// Environment, as `KEY=value`.
        env: opt(Vec<String>) = "Env",
        /// The executable and its first arguments.
        entrypoint: opt(Vec<String>) = "Entrypoint",
        /// Default arguments (or the command, without an entrypoint).
        cmd: opt(Vec<String>) = "Cmd",
        /// Directories likely to be written to → `{}`.
        volumes: opt(BTreeMap<String, serde_json::Value>) = "Volumes",
        /// Working directory.
        working_dir: opt(String) = "WorkingDir",
        /// Arbitrary metadata.
        labels: opt(BTreeMap<String, String>) = "Labels",
        /// The signal that stops the container.
        stop_signal: opt(String) = "StopSignal",
        /// Deprecated, Windows only.
        args_escaped: opt(bool) = "ArgsEscaped",
        /// Reserved (Docker): memory limit.
        memory: opt(i64) = "Memory",
        /// Reserved (Docker): memory plus swap.
        memory_swap: opt(i64) = "MemorySwap",
        /// Reserved (Docker): CPU shares.
        cpu_shares: opt(i64) = "CpuShares",
        /// Reserved (Docker): health check.
        healthcheck: opt(serde_json::Value) = "Healthcheck",
    }
}

model! {
    /// The root filesystem: uncompressed layer digests.
    ///
    /// ```
    /// let r = carrack_spec::image::RootFs::layers(Vec::new());
    /// ```
    pub struct RootFs {
        /// Always `layers`.
        kind: req(String) = "type",
        /// Digests of the uncompressed layers, base first.
        diff_ids: req(Vec<Digest>) = "diff_ids",
    }
}

impl RootFs {
    /// A `layers` rootfs of `diff_ids`.
    pub fn layers(diff_ids: Vec<Digest>) -> Self {
        Self {
            kind: "layers".to_owned(),
            diff_ids,
            extra: crate::Extra::new(),
        }
    }

    /// The ChainID of every prefix of the layers, base first (config.md § Layer ChainID:
    /// `ChainID(L₀) = DiffID(L₀)`, `ChainID(L₀|...|Lₙ) = Digest(ChainID(L₀|...|Lₙ₋₁) + " " +
    /// DiffID(Lₙ))`, with SHA-256 as the digest): the names of the root filesystems the layers
    /// build one after another, as containerd's snapshotters key them.
    ///
    /// ```
    /// use carrack_spec::image::{Digest, RootFs};
    /// let a = Digest::sha256_of(b"a");
    /// let b = Digest::sha256_of(b"b");
    /// let chain = RootFs::layers(vec![a.clone(), b.clone()]).chain_ids();
    /// assert_eq!(chain[0], a);
    /// assert_eq!(chain[1], Digest::sha256_of(format!("{a} {b}").as_bytes()));
    /// ```
    pub fn chain_ids(&self) -> Vec<Digest> {
        let mut out: Vec<Digest> = Vec::with_capacity(self.diff_ids.len());
        for diff_id in &self.diff_ids {
            let next = match out.last() {
                None => diff_id.clone(),
                Some(below) => Digest::sha256_of(format!("{below} {diff_id}").as_bytes()),
            };
            out.push(next);
        }
        out
    }
}

model! {
    /// How one layer was made.
    ///
    /// ```
    /// let mut h = carrack_spec::image::History::default();
    /// h.created_by = Some("/bin/sh -c #(nop) ADD file:abc in /".into());
    /// ```
    pub struct History {
        /// When (RFC 3339).
        created: opt(String) = "created",
        /// The author.
        author: opt(String) = "author",
        /// The command.
        created_by: opt(String) = "created_by",
        /// A comment.
        comment: opt(String) = "comment",
        /// Whether the step made no layer.
        empty_layer: opt(bool) = "empty_layer",
    }
}
