//! `config.json` → `windows` (runtime-spec `config-windows.md`).

use crate::model::{model, open_enum};

model! {
    /// Windows-specific configuration (`windows`).
    ///
    /// ```
    /// let w = carrack_spec::runtime::Windows::new(vec![r"C:\layers\base".into()]);
    /// assert_eq!(w.layer_folders.len(), 1);
    /// ```
    pub struct Windows {
        /// Layer folders, the scratch (writable) layer last.
        layer_folders: req(Vec<String>) = "layerFolders",
        /// Devices to expose.
        devices: opt(Vec<WindowsDevice>) = "devices",
        /// Resource limits.
        resources: opt(WindowsResources) = "resources",
        /// Networking.
        network: opt(WindowsNetwork) = "network",
        /// A group managed service account credential spec (opaque JSON).
        credential_spec: opt(serde_json::Value) = "credentialSpec",
        /// Whether the container is a servicing container.
        servicing: opt(bool) = "servicing",
        /// Skip flushes during boot.
        ignore_flushes_during_boot: opt(bool) = "ignoreFlushesDuringBoot",
        /// Run as a Hyper-V container.
        hyperv: opt(HyperV) = "hyperv",
    }
}

impl Windows {
    /// Windows configuration over `layer_folders`.
    pub fn new(layer_folders: Vec<String>) -> Self {
        Self {
            layer_folders,
            devices: None,
            resources: None,
            network: None,
            credential_spec: None,
            servicing: None,
            ignore_flushes_during_boot: None,
            hyperv: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// A device exposed to a Windows container.
    ///
    /// ```
    /// use carrack_spec::runtime::{WindowsDevice, WindowsDeviceIdType};
    /// let d = WindowsDevice::new("24E552D7-6523-47F7-A647-D3465BF1F5CA", WindowsDeviceIdType::Class);
    /// ```
    pub struct WindowsDevice {
        /// The device id.
        id: req(String) = "id",
        /// How `id` is to be read.
        id_type: req(WindowsDeviceIdType) = "idType",
    }
}

impl WindowsDevice {
    /// A device `id` of `id_type`.
    pub fn new(id: impl Into<String>, id_type: WindowsDeviceIdType) -> Self {
        Self {
            id: id.into(),
            id_type,
            extra: crate::Extra::new(),
        }
    }
}

open_enum! {
    /// How a Windows device id is interpreted.
    pub enum WindowsDeviceIdType {
        Class = "class",
    }
}

model! {
    /// Windows resource limits.
    ///
    /// ```
    /// let r = carrack_spec::runtime::WindowsResources::default();
    /// ```
    pub struct WindowsResources {
        /// Memory.
        memory: opt(WindowsMemory) = "memory",
        /// CPU.
        cpu: opt(WindowsCpu) = "cpu",
        /// Storage.
        storage: opt(WindowsStorage) = "storage",
    }
}

model! {
    /// Windows memory limit.
    ///
    /// ```
    /// let m = carrack_spec::runtime::WindowsMemory::default()
    ///     .with_limit(1 << 30);
    /// ```
    pub struct WindowsMemory {
        /// Commit limit, in bytes.
        limit: opt(u64) = "limit",
    }
}

model! {
    /// Windows CPU limits; `count`, `shares` and `maximum` exclude one another.
    ///
    /// ```
    /// let c = carrack_spec::runtime::WindowsCpu::default()
    ///     .with_count(2);
    /// ```
    pub struct WindowsCpu {
        /// Number of CPUs.
        count: opt(u64) = "count",
        /// Relative weight, 0 to 10000.
        shares: opt(u16) = "shares",
        /// Percentage of CPU cycles times 100, 1 to 10000.
        maximum: opt(u16) = "maximum",
        /// CPU group affinities.
        affinity: opt(Vec<WindowsCpuAffinity>) = "affinity",
    }
}

model! {
    /// A CPU group affinity.
    ///
    /// ```
    /// let a = carrack_spec::runtime::WindowsCpuAffinity::new(0b11, 0);
    /// ```
    pub struct WindowsCpuAffinity {
        /// CPU mask within the group.
        mask: req(u64) = "mask",
        /// The processor group.
        group: req(u32) = "group",
    }
}

impl WindowsCpuAffinity {
    /// CPUs `mask` of processor group `group`.
    pub fn new(mask: u64, group: u32) -> Self {
        Self {
            mask,
            group,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// Windows storage limits.
    ///
    /// ```
    /// let s = carrack_spec::runtime::WindowsStorage::default();
    /// ```
    pub struct WindowsStorage {
        /// Maximum IO operations per second of the system drive.
        iops: opt(u64) = "iops",
        /// Maximum bytes per second of the system drive.
        bps: opt(u64) = "bps",
        /// Minimum size of the system drive, in bytes.
        sandbox_size: opt(u64) = "sandboxSize",
    }
}

model! {
    /// Windows networking.
    ///
    /// ```
    /// let n = carrack_spec::runtime::WindowsNetwork::default();
    /// ```
    pub struct WindowsNetwork {
        /// HNS endpoint ids.
        endpoint_list: opt(Vec<String>) = "endpointList",
        /// Whether unqualified DNS names may be queried.
        allow_unqualified_dns_query: opt(bool) = "allowUnqualifiedDNSQuery",
        /// DNS suffixes.
        dns_search_list: opt(Vec<String>) = "DNSSearchList",
        /// A container whose network stack is shared.
        network_shared_container_name: opt(String) = "networkSharedContainerName",
        /// The HNS network namespace.
        network_namespace: opt(String) = "networkNamespace",
    }
}

model! {
    /// Hyper-V isolation.
    ///
    /// ```
    /// let h = carrack_spec::runtime::HyperV::default();
    /// ```
    pub struct HyperV {
        /// Path of the utility VM image.
        utility_vm_path: opt(String) = "utilityVMPath",
    }
}
