//! The chapters of the other platforms: config-windows.md, config-vm.md, config-zos.md and
//! config-freebsd.md.

use super::VALID_VALUES;
use super::linux::namespaces;
use crate::rules::is_abs_posix;
use crate::runtime::*;
use crate::validation::Checker;

rules! {
    // config-windows.md
    WIN_LAYERS = runtime("config-windows.md", "LayerFolders",
        "layerFolders MUST contain at least one entry.");
    WIN_DEVICE_ID_TYPE = runtime("config-windows.md", "Devices",
        "Today, Windows only supports a value of class, which identifies id as a device interface class GUID.")
        because VALID_VALUES;
    WIN_CPU_EXCLUSIVE = runtime("config-windows.md", "CPU",
        "The following parameters can be specified (mutually exclusive):")
        because VALID_VALUES;
    WIN_CPU_SHARES = runtime("config-windows.md", "CPU",
        "The processor shares (weight at the platform level) is a value between 0 and 10,000.")
        because VALID_VALUES;
    // config-vm.md
    VM_HYPERVISOR_PATH = runtime("config-vm.md", "Hypervisor Object",
        "path (string, REQUIRED) path to the hypervisor binary that manages the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_KERNEL_PATH = runtime("config-vm.md", "Kernel Object",
        "path (string, REQUIRED) path to the kernel used to boot the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_INITRD_PATH = runtime("config-vm.md", "Kernel Object",
        "initrd (string, OPTIONAL) path to an initial ramdisk to be used by the container virtual machine. This value MUST be an absolute path in the runtime mount namespace.");
    VM_IMAGE_PATH = runtime("config-vm.md", "Image Object",
        "path (string, REQUIRED) path to the container virtual machine root image. This value MUST be an absolute path in the runtime mount namespace.");
    // config-zos.md
    ZOS_NS_TYPE = runtime("config-zos.md", "Namespaces",
        "type (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid … mount … ipc … uts")
        because VALID_VALUES;
    ZOS_NS_PATH = runtime("config-zos.md", "Namespaces",
        "This value MUST be an absolute path in the runtime mount namespace.");
    ZOS_NS_DUPLICATE = runtime("config-zos.md", "Namespaces",
        "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.");
    // config-freebsd.md
    FREEBSD_DEVICE_PATH = runtime("config-freebsd.md", "Devices",
        "path (string, REQUIRED) - the device path relative to /dev");
    FREEBSD_HOST = runtime("config-freebsd.md", "Jail",
        "The value can be \"new\" which allows these values to be overridden in the container or \"inherit\" to use the host values (or parent container values).")
        because VALID_VALUES;
    FREEBSD_VNET = runtime("config-freebsd.md", "Jail",
        "The value can be \"new\" which causes a new vnet to be created for the container or \"inherit\" which shares the vnet for the parent container (or host if there is no parent).")
        because VALID_VALUES;
    FREEBSD_IP4 = runtime("config-freebsd.md", "Jail",
        "Set to \"inherit\" to allow access to host (or parent container) addresses or set to \"disable\" to stop use of IPv4 entirely.")
        because VALID_VALUES;
    FREEBSD_IP6 = runtime("config-freebsd.md", "Jail",
        "Set to \"inherit\" to allow access to host (or parent container) addresses or set to \"disable\" to stop use of IPv6 entirely.")
        because VALID_VALUES;
    FREEBSD_SYSV = runtime("config-freebsd.md", "Jail",
        "If set to \"inherit\", all IPC objects in the host (or parent container) are visible to this container … If set to \"new\", the container will have its own key namespace … If set to \"disable\", the container cannot perform any sysvmsg-related system calls.")
        because VALID_VALUES;
    FREEBSD_ENFORCE_STATFS = runtime("config-freebsd.md", "Jail",
        "A value of 0 allows visibility of all host mounts, 1 allows visibility of mounts nested under the container's root and 2 only allows the container root to be visible.")
        because VALID_VALUES;
    FREEBSD_VNET_IP = runtime("config-freebsd.md", "Jail",
        "A container which needs its own network namespace SHOULD set \"vnet\" to \"new\" and leave \"ip4\" and \"ip6\" unchanged.");
}

pub(super) fn check_windows(c: &mut Checker, w: &Windows) {
    if w.layer_folders.is_empty() {
        c.must_at("layerFolders", WIN_LAYERS, "layerFolders has no entry");
    }
    c.opt("devices", &w.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if !d.id_type.is_known() {
                c.must_at(
                    i,
                    WIN_DEVICE_ID_TYPE,
                    format!("idType {:?} is not \"class\"", d.id_type.as_str()),
                );
            }
        }
    });
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        c.at("resources", |c| {
            c.at("cpu", |c| {
                let set = [
                    cpu.count.is_some(),
                    cpu.shares.is_some(),
                    cpu.maximum.is_some(),
                ];
                if set.iter().filter(|s| **s).count() > 1 {
                    c.must(
                        WIN_CPU_EXCLUSIVE,
                        "more than one of count, shares and maximum is set",
                    );
                }
                if let Some(s) = cpu.shares
                    && s > 10_000
                {
                    c.must_at(
                        "shares",
                        WIN_CPU_SHARES,
                        format!("shares {s} is not between 0 and 10,000"),
                    );
                }
            });
        });
    }
}

pub(super) fn check_vm(c: &mut Checker, vm: &Vm) {
    c.opt("hypervisor", &vm.hypervisor, |c, h| {
        if !is_abs_posix(&h.path) {
            c.must_at(
                "path",
                VM_HYPERVISOR_PATH,
                format!("{:?} is not an absolute path", h.path),
            );
        }
    });
    c.at("kernel", |c| {
        if !is_abs_posix(&vm.kernel.path) {
            c.must_at(
                "path",
                VM_KERNEL_PATH,
                format!("{:?} is not an absolute path", vm.kernel.path),
            );
        }
        if let Some(i) = &vm.kernel.initrd
            && !is_abs_posix(i)
        {
            c.must_at(
                "initrd",
                VM_INITRD_PATH,
                format!("{i:?} is not an absolute path"),
            );
        }
    });
    c.opt("image", &vm.image, |c, i| {
        if !is_abs_posix(&i.path) {
            c.must_at(
                "path",
                VM_IMAGE_PATH,
                format!("{:?} is not an absolute path", i.path),
            );
        }
    });
}

pub(super) fn check_zos(c: &mut Checker, z: &Zos) {
    c.opt("namespaces", &z.namespaces, |c, ns| {
        namespaces(
            c,
            ns,
            &["pid", "mount", "ipc", "uts"],
            [ZOS_NS_TYPE, ZOS_NS_PATH, ZOS_NS_DUPLICATE],
        )
    });
}

pub(super) fn check_freebsd(c: &mut Checker, f: &FreeBsd) {
    c.opt("devices", &f.devices, |c, devs| {
        for (i, d) in devs.iter().enumerate() {
            if d.path.is_none() {
                c.must_at(i, FREEBSD_DEVICE_PATH, "device path is missing");
            }
        }
    });
    c.opt("jail", &f.jail, |c, j| {
        for (name, v, rule) in [
            ("host", &j.host, FREEBSD_HOST),
            ("vnet", &j.vnet, FREEBSD_VNET),
        ] {
            if let Some(v) = v
                && !matches!(v, SharingMode::New | SharingMode::Inherit)
            {
                c.must_at(
                    name,
                    rule,
                    format!("{name} is {:?}, not \"new\" or \"inherit\"", v.as_str()),
                );
            }
        }
        for (name, v, rule) in [
            ("ip4", &j.ip4, FREEBSD_IP4),
            ("ip6", &j.ip6, FREEBSD_IP6),
            ("sysvmsg", &j.sysvmsg, FREEBSD_SYSV),
            ("sysvsem", &j.sysvsem, FREEBSD_SYSV),
            ("sysvshm", &j.sysvshm, FREEBSD_SYSV),
        ] {
            if let Some(v) = v
                && !v.is_known()
            {
                c.must_at(
                    name,
                    rule,
                    format!(
                        "{name} is {:?}, a sharing mode the spec does not list",
                        v.as_str()
                    ),
                );
            }
        }
        if let Some(e) = j.enforce_statfs
            && e > 2
        {
            c.must_at(
                "enforceStatfs",
                FREEBSD_ENFORCE_STATFS,
                format!("enforceStatfs {e} is not 0, 1 or 2"),
            );
        }
        if j.vnet == Some(SharingMode::New)
            && (j.ip4 == Some(SharingMode::Inherit) || j.ip6 == Some(SharingMode::Inherit))
        {
            c.should(
                FREEBSD_VNET_IP,
                "the jail has its own vnet but sets ip4 or ip6 to \"inherit\"",
            );
        }
    });
}
