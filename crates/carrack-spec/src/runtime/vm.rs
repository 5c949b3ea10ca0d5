//! `config.json` → `vm` (runtime-spec `config-vm.md`).

use crate::model::{model, open_enum};

model! {
    /// Configuration of a virtual-machine-based container (`vm`).
    ///
    /// ```
    /// use carrack_spec::runtime::{Vm, VmKernel};
    /// let vm = Vm::new(VmKernel::new("/path/to/vmlinuz"));
    /// ```
    pub struct Vm {
        /// The hypervisor.
        hypervisor: opt(VmHypervisor) = "hypervisor",
        /// The guest kernel.
        kernel: req(VmKernel) = "kernel",
        /// The root image.
        image: opt(VmImage) = "image",
        /// Hardware configuration.
        hw_config: opt(VmHwConfig) = "hwConfig",
    }
}

impl Vm {
    /// A VM booting `kernel`.
    pub fn new(kernel: VmKernel) -> Self {
        Self {
            hypervisor: None,
            kernel,
            image: None,
            hw_config: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The hypervisor (`vm.hypervisor`).
    ///
    /// ```
    /// let h = carrack_spec::runtime::VmHypervisor::new("/usr/bin/qemu-kvm");
    /// ```
    pub struct VmHypervisor {
        /// Absolute path of the hypervisor binary.
        path: req(String) = "path",
        /// Its parameters.
        parameters: opt(Vec<String>) = "parameters",
    }
}

impl VmHypervisor {
    /// The hypervisor at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            parameters: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The guest kernel (`vm.kernel`).
    ///
    /// ```
    /// let k = carrack_spec::runtime::VmKernel::new("/path/to/vmlinuz");
    /// ```
    pub struct VmKernel {
        /// Absolute path of the kernel.
        path: req(String) = "path",
        /// Kernel command line parameters.
        parameters: opt(Vec<String>) = "parameters",
        /// Absolute path of an initial ramdisk.
        initrd: opt(String) = "initrd",
    }
}

impl VmKernel {
    /// The kernel at `path`.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            parameters: None,
            initrd: None,
            extra: crate::Extra::new(),
        }
    }
}

model! {
    /// The root image (`vm.image`).
    ///
    /// ```
    /// use carrack_spec::runtime::{VmImage, VmImageFormat};
    /// let i = VmImage::new("/path/to/vm/rootfs.img", VmImageFormat::Raw);
    /// ```
    pub struct VmImage {
        /// Absolute path of the image.
        path: req(String) = "path",
        /// Image format.
        format: req(VmImageFormat) = "format",
    }
}

impl VmImage {
    /// The image at `path` in `format`.
    pub fn new(path: impl Into<String>, format: VmImageFormat) -> Self {
        Self {
            path: path.into(),
            format,
            extra: crate::Extra::new(),
        }
    }
}

open_enum! {
    /// A VM root image format.
    pub enum VmImageFormat {
        Raw = "raw",
        Qcow2 = "qcow2",
        Vdi = "vdi",
        Vmdk = "vmdk",
        Vhd = "vhd",
    }
}

model! {
    /// Hardware configuration (`vm.hwConfig`).
    ///
    /// ```
    /// let h = carrack_spec::runtime::VmHwConfig::default()
    ///     .with_vcpus(2);
    /// ```
    pub struct VmHwConfig {
        /// Device tree file.
        device_tree: opt(String) = "deviceTree",
        /// Number of virtual CPUs.
        vcpus: opt(u32) = "vcpus",
        /// Memory, in MiB.
        memory: opt(u64) = "memory",
        /// Device tree nodes to pass through.
        dtdevs: opt(Vec<String>) = "dtdevs",
        /// I/O memory ranges to pass through.
        iomems: opt(Vec<VmIomem>) = "iomems",
        /// Interrupts to pass through.
        irqs: opt(Vec<u32>) = "irqs",
    }
}

model! {
    /// An I/O memory range (`hwConfig.iomems[]`).
    ///
    /// ```
    /// let m = carrack_spec::runtime::VmIomem::new(0x3000, 2);
    /// ```
    pub struct VmIomem {
        /// First guest frame number.
        first_gfn: opt(u64) = "firstGFN",
        /// First machine frame number.
        first_mfn: req(u64) = "firstMFN",
        /// Number of frames.
        nr_mfns: req(u64) = "nrMFNs",
    }
}

impl VmIomem {
    /// `nr_mfns` frames starting at machine frame `first_mfn`.
    pub fn new(first_mfn: u64, nr_mfns: u64) -> Self {
        Self {
            first_gfn: None,
            first_mfn,
            nr_mfns,
            extra: crate::Extra::new(),
        }
    }
}
