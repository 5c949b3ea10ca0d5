//! One case (at least) per validation rule: a document that breaks exactly that rule, and the
//! finding it must produce (pointer and level). A clean baseline of each kind proves the
//! findings come from the rule under test. Every finding must quote a sentence of the spec with
//! a keyword of its level (MUST/REQUIRED, SHOULD/RECOMMENDED), and every rule must be broken by
//! some case. The checks removed because no sentence states them are kept as documents that must
//! now be valid.

mod common;

use carrack_spec::runtime::{Spec, Target, ValidateOptions};
use carrack_spec::{DocumentKind, Finding, Level, Report, Rule};
use common::parse_validate;
use serde_json::{Value, json};

const D: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn linux_config() -> Value {
    json!({
        "ociVersion": "1.3.0",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "network"}, {"type": "user"}, {"type": "time"}, {"type": "uts"}],
                  "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                  "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}
    })
}

fn windows_config() -> Value {
    json!({
        "ociVersion": "1.3.0",
        "root": {"path": "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"},
        "process": {"cwd": "C:\\", "args": ["cmd"]},
        "windows": {"layerFolders": ["C:\\layers\\base"]}
    })
}

fn manifest() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 2}]
    })
}

fn index() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": D, "size": 2,
                       "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]
    })
}

fn image_config() -> Value {
    json!({
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin"], "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}, "StopSignal": "SIGTERM"},
        "rootfs": {"type": "layers", "diff_ids": [D]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "x"}]
    })
}

fn state() -> Value {
    json!({"ociVersion": "1.3.0", "id": "c1", "status": "running", "pid": 42, "bundle": "/b"})
}

fn features() -> Value {
    json!({"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0"})
}

/// Sets `value` at `pointer` (creating objects on the way), or removes it when `value` is null
/// and `remove` is asked for.
fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    let mut cur = doc;
    for seg in parent.split('/').skip(1) {
        cur = match cur {
            Value::Array(a) => &mut a[seg.parse::<usize>().expect("index")],
            Value::Object(m) => m.entry(seg.to_owned()).or_insert_with(|| json!({})),
            _ => panic!("cannot descend into {seg}"),
        };
    }
    match cur {
        Value::Object(m) if value == json!("<remove>") => {
            m.remove(last);
        }
        Value::Object(m) => {
            m.insert(last.to_owned(), value);
        }
        Value::Array(a) => a[last.parse::<usize>().expect("index")] = value,
        _ => panic!("cannot set {pointer}"),
    }
}

struct Case {
    kind: DocumentKind,
    base: fn() -> Value,
    edits: Vec<(&'static str, Value)>,
    expect_at: &'static str,
    level: Level,
}

fn case(
    kind: DocumentKind,
    base: fn() -> Value,
    edits: Vec<(&'static str, Value)>,
    expect_at: &'static str,
    level: Level,
) -> Case {
    Case {
        kind,
        base,
        edits,
        expect_at,
        level,
    }
}

use DocumentKind as K;
use Level::{Must, Should};

fn cases() -> Vec<Case> {
    let rm = || json!("<remove>");
    vec![
        // config.md
        case(
            K::Config,
            linux_config,
            vec![("/process/user", json!({"gid": 0}))],
            "/process/user",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {}, "mounts": [{"destination": "tmp"}]}),
            vec![],
            "/mounts/0/destination",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "/k"}}, "mounts": [{"destination": "tmp"}]}),
            vec![],
            "/mounts/0/destination",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/ociVersion", json!("1.3"))],
            "/ociVersion",
            Must,
        ),
        case(K::Config, linux_config, vec![("/root", rm())], "", Must),
        case(
            K::Config,
            linux_config,
            vec![("/root/path", json!("myroot"))],
            "/root/path",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/mounts", json!([{"destination": "tmp"}]))],
            "/mounts/0/destination",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/mounts",
                json!([{"destination": "/x", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]),
            )],
            "/mounts/0/uidMappings",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/mounts",
                json!([{"destination": "/x", "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]),
            )],
            "/mounts/0/gidMappings",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/mounts",
                json!([{"destination": "/x", "options": ["bind"], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}], "gidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]),
            )],
            "/mounts/0",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/cwd", json!("tmp"))],
            "/process/cwd",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/args", json!([]))],
            "/process",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/process/rlimits",
                json!([{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]),
            )],
            "/process/rlimits/0/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/process/rlimits",
                json!([{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}, {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}]),
            )],
            "/process/rlimits/1/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/process/capabilities",
                json!({"bounding": ["CAP_CHOWN", "CAP_FROM_THE_FUTURE"]}),
            )],
            "/process/capabilities/bounding/1",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/scheduler", json!({"policy": "SCHED_WHATEVER"}))],
            "/process/scheduler/policy",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/process/scheduler",
                json!({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_NOPE"]}),
            )],
            "/process/scheduler/flags/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/ioPriority", json!({"class": "IOPRIO_CLASS_X"}))],
            "/process/ioPriority/class",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/execCPUAffinity", json!({"initial": "0-"}))],
            "/process/execCPUAffinity/initial",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/process/user", json!({"uid": 0}))],
            "/process/user",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/hooks",
                json!({"createRuntime": [{"path": "relative/hook"}]}),
            )],
            "/hooks/createRuntime/0/path",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/hooks",
                json!({"poststop": [{"path": "/h", "timeout": 0}]}),
            )],
            "/hooks/poststop/0/timeout",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/annotations", json!({"": "x"}))],
            "/annotations/",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/annotations", json!({"nodots": "x"}))],
            "/annotations/nodots",
            Should,
        ),
        // config-linux.md
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"memory": {"kernelTCP": 100}}))],
            "/linux/resources/memory/kernelTCP",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0}]}}),
            )],
            "/linux/resources/blockIO/throttleWriteIOPSDevice/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOPE"}]}),
            )],
            "/linux/seccomp/syscalls/0/action",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/memoryPolicy",
                json!({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]}),
            )],
            "/linux/memoryPolicy/flags/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/namespaces/0/type", json!("pidz"))],
            "/linux/namespaces/0/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/namespaces/1/type", json!("pid"))],
            "/linux/namespaces/1/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/namespaces/0/path", json!("proc/1/ns/pid"))],
            "/linux/namespaces/0/path",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/devices", json!([{"type": "x", "path": "/dev/x"}]))],
            "/linux/devices/0/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/devices",
                json!([{"type": "c", "path": "dev/x", "major": 1, "minor": 3}]),
            )],
            "/linux/devices/0/path",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/devices", json!([{"type": "c", "path": "/dev/x"}]))],
            "/linux/devices/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/devices",
                json!([{"type": "c", "path": "/dev/a", "major": 1, "minor": 3}, {"type": "c", "path": "/dev/b", "major": 1, "minor": 3}]),
            )],
            "/linux/devices/1",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/cgroupsPath", json!("/a/../../b"))],
            "/linux/cgroupsPath",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"devices": [{"allow": false, "access": "rwx"}]}),
            )],
            "/linux/resources/devices/0/access",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"devices": [{"allow": false, "type": "z"}]}),
            )],
            "/linux/resources/devices/0/type",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"memory": {"swappiness": 101}}))],
            "/linux/resources/memory/swappiness",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"memory": {"kernel": 100}}))],
            "/linux/resources/memory/kernel",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"cpu": {"cpus": "0-a"}}))],
            "/linux/resources/cpu/cpus",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"cpu": {"quota": 10, "burst": 20}}),
            )],
            "/linux/resources/cpu/burst",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"cpu": {"idle": 2}}))],
            "/linux/resources/cpu/idle",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}}),
            )],
            "/linux/resources/blockIO/weightDevice/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}}),
            )],
            "/linux/resources/blockIO/throttleReadBpsDevice/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}),
            )],
            "/linux/resources/hugepageLimits/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"rdma": {"mlx5_1": {}}}))],
            "/linux/resources/rdma/mlx5_1",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/rootfsPropagation", json!("rshared-ish"))],
            "/linux/rootfsPropagation",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/seccomp", json!({"defaultAction": "SCMP_ACT_NOPE"}))],
            "/linux/seccomp/defaultAction",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}),
            )],
            "/linux/seccomp/defaultErrnoRet",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}),
            )],
            "/linux/seccomp/architectures/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}),
            )],
            "/linux/seccomp/flags/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "m"}),
            )],
            "/linux/seccomp/listenerMetadata",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}),
            )],
            "/linux/seccomp/syscalls/0/names",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}),
            )],
            "/linux/seccomp/syscalls/0/errnoRet",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}),
            )],
            "/linux/seccomp/syscalls/0/args/0/op",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/maskedPaths", json!(["proc/kcore"]))],
            "/linux/maskedPaths/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/readonlyPaths", json!(["proc/sys"]))],
            "/linux/readonlyPaths/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/intelRdt", json!({"memBwSchema": "L3:0=1"}))],
            "/linux/intelRdt/memBwSchema",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/intelRdt", json!({"l3CacheSchema": "MB:0=1"}))],
            "/linux/intelRdt/l3CacheSchema",
            Should,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/intelRdt", json!({"schemata": ["L3:0=1\nMB:0=1"]}))],
            "/linux/intelRdt/schemata/0",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![(
                "/linux/memoryPolicy",
                json!({"mode": "MPOL_BIND", "nodes": "0-"}),
            )],
            "/linux/memoryPolicy/nodes",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/memoryPolicy", json!({"mode": "MPOL_X"}))],
            "/linux/memoryPolicy/mode",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/personality", json!({}))],
            "/linux/personality",
            Must,
        ),
        case(
            K::Config,
            linux_config,
            vec![("/linux/personality", json!({"domain": "LINUX64"}))],
            "/linux/personality/domain",
            Must,
        ),
        // config-windows.md
        case(
            K::Config,
            windows_config,
            vec![("/windows/resources", json!({"cpu": {"shares": 20000}}))],
            "/windows/resources/cpu/shares",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/root/path", json!("C:\\rootfs"))],
            "/root/path",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/root/readonly", json!(true))],
            "/root/readonly",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/windows/hyperv", json!({}))],
            "/root",
            Must,
        ),
        case(K::Config, windows_config, vec![("/root", rm())], "", Must),
        case(
            K::Config,
            windows_config,
            vec![("/windows/layerFolders", json!([]))],
            "/windows/layerFolders",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/process/cwd", json!("/tmp"))],
            "/process/cwd",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/process/args", rm())],
            "/process",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![(
                "/mounts",
                json!([{"destination": "C:\\foo"}, {"destination": "C:\\foo\\bar"}]),
            )],
            "/mounts/1/destination",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/mounts", json!([{"destination": "foo"}]))],
            "/mounts/0/destination",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![("/windows/devices", json!([{"id": "x", "idType": "vpci"}]))],
            "/windows/devices/0",
            Must,
        ),
        case(
            K::Config,
            windows_config,
            vec![(
                "/windows/resources",
                json!({"cpu": {"count": 1, "maximum": 5000}}),
            )],
            "/windows/resources/cpu",
            Must,
        ),
        // config-solaris.md
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "solaris": {}}),
            vec![],
            "",
            Must,
        ),
        // config-vm.md
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "vmlinuz"}}}),
            vec![],
            "/vm/kernel/path",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "/k", "initrd": "i"}}}),
            vec![],
            "/vm/kernel/initrd",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "/k"}, "hypervisor": {"path": "qemu"}}}),
            vec![],
            "/vm/hypervisor/path",
            Must,
        ),
        // config-zos.md
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "zos": {"namespaces": [{"type": "network"}]}}),
            vec![],
            "/zos/namespaces/0/type",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "zos": {"namespaces": [{"type": "pid", "path": "proc/1/ns/pid"}]}}),
            vec![],
            "/zos/namespaces/0/path",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "/k"}, "image": {"path": "i", "format": "raw"}}}),
            vec![],
            "/vm/image/path",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "zos": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}}),
            vec![],
            "/zos/namespaces/1/type",
            Must,
        ),
        // config-freebsd.md
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"host": "disable"}}}),
            vec![],
            "/freebsd/jail/host",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"ip6": "share"}}}),
            vec![],
            "/freebsd/jail/ip6",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"sysvshm": "share"}}}),
            vec![],
            "/freebsd/jail/sysvshm",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"vnet": "disable"}}}),
            vec![],
            "/freebsd/jail/vnet",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"ip4": "share"}}}),
            vec![],
            "/freebsd/jail/ip4",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"enforceStatfs": 3}}}),
            vec![],
            "/freebsd/jail/enforceStatfs",
            Must,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"jail": {"vnet": "new", "ip4": "inherit"}}}),
            vec![],
            "/freebsd/jail",
            Should,
        ),
        case(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "freebsd": {"devices": [{"mode": 438}]}}),
            vec![],
            "/freebsd/devices/0",
            Must,
        ),
        // runtime.md state, features.md
        case(
            K::Features,
            features,
            vec![("/ociVersionMin", json!("one"))],
            "/ociVersionMin",
            Must,
        ),
        case(
            K::State,
            state,
            vec![("/bundle", json!("relative"))],
            "/bundle",
            Must,
        ),
        case(K::State, state, vec![("/pid", rm())], "", Must),
        case(
            K::Features,
            features,
            vec![("/ociVersionMin", json!("2.0.0"))],
            "/ociVersionMax",
            Must,
        ),
        case(
            K::Features,
            features,
            vec![("/ociVersionMax", json!("latest"))],
            "/ociVersionMax",
            Must,
        ),
        case(
            K::Features,
            features,
            vec![(
                "/linux",
                json!({"seccomp": {"knownFlags": ["SECCOMP_FILTER_FLAG_LOG"], "supportedFlags": ["SECCOMP_FILTER_FLAG_TSYNC"]}}),
            )],
            "/linux/seccomp/supportedFlags/0",
            Must,
        ),
        // image-spec: manifest.md
        case(
            K::Manifest,
            manifest,
            vec![("/schemaVersion", json!(1))],
            "/schemaVersion",
            Must,
        ),
        case(
            K::Manifest,
            manifest,
            vec![("/mediaType", rm())],
            "",
            Should,
        ),
        case(
            K::Manifest,
            manifest,
            vec![(
                "/mediaType",
                json!("application/vnd.oci.image.index.v1+json"),
            )],
            "/mediaType",
            Must,
        ),
        case(
            K::Manifest,
            manifest,
            vec![("/mediaType", rm()), ("/manifests", json!([]))],
            "/manifests",
            Should,
        ),
        case(
            K::Manifest,
            manifest,
            vec![(
                "/config/mediaType",
                json!("application/vnd.oci.empty.v1+json"),
            )],
            "",
            Must,
        ),
        case(
            K::Manifest,
            manifest,
            vec![("/artifactType", json!("not a media type"))],
            "/artifactType",
            Must,
        ),
        case(
            K::Manifest,
            manifest,
            vec![("/layers", json!([]))],
            "/layers",
            Should,
        ),
        case(
            K::Manifest,
            manifest,
            vec![(
                "/subject",
                json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": D, "size": -1}),
            )],
            "/subject/size",
            Must,
        ),
        case(
            K::Manifest,
            manifest,
            vec![(
                "/annotations",
                json!({"org.opencontainers.image.made.up": "x"}),
            )],
            "/annotations/org.opencontainers.image.made.up",
            Must,
        ),
        // image-index.md
        case(
            K::Index,
            index,
            vec![("/artifactType", json!("x"))],
            "/artifactType",
            Must,
        ),
        case(
            K::Index,
            index,
            vec![("/schemaVersion", json!(3))],
            "/schemaVersion",
            Must,
        ),
        case(
            K::Index,
            index,
            vec![(
                "/mediaType",
                json!("application/vnd.oci.image.manifest.v1+json"),
            )],
            "/mediaType",
            Must,
        ),
        case(
            K::Index,
            index,
            vec![("/mediaType", rm()), ("/config", json!({}))],
            "/config",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![("/mediaType", rm()), ("/layers", json!([]))],
            "/layers",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![("/manifests/0/platform", rm())],
            "/manifests/0",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![("/manifests/0/platform/architecture", json!("z80"))],
            "/manifests/0/platform/architecture",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![("/manifests/0/platform/os", json!("beos"))],
            "/manifests/0/platform/os",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![("/manifests/0/platform/variant", json!("v5"))],
            "/manifests/0/platform/variant",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![
                ("/manifests/0/platform/os", json!("windows")),
                ("/manifests/0/platform/os.features", json!(["sse4"])),
            ],
            "/manifests/0/platform/os.features",
            Should,
        ),
        case(
            K::Index,
            index,
            vec![(
                "/annotations",
                json!({"org.opencontainers.image.ref.name": "a tag with spaces"}),
            )],
            "/annotations/org.opencontainers.image.ref.name",
            Should,
        ),
        // descriptor.md
        case(
            K::Descriptor,
            || json!({"mediaType": "application", "digest": D, "size": 2}),
            vec![],
            "/mediaType",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": -2}),
            vec![],
            "/size",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 2, "urls": ["not a uri"]}),
            vec![],
            "/urls/0",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 2, "urls": ["ftp://x/y"]}),
            vec![],
            "/urls/0",
            Should,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 2, "data": "e30"}),
            vec![],
            "/data",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 3, "data": "e30="}),
            vec![],
            "/data",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "size": 2, "data": "e30="}),
            vec![],
            "/data",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 2, "artifactType": "x"}),
            vec![],
            "/artifactType",
            Must,
        ),
        case(
            K::Descriptor,
            || json!({"mediaType": "text/plain", "digest": D, "size": 2, "annotations": {"": ""}}),
            vec![],
            "/annotations/",
            Should,
        ),
        // config.md (image)
        case(
            K::ImageConfig,
            image_config,
            vec![("/os", json!("beos"))],
            "/os",
            Should,
        ),
        case(
            K::ImageConfig,
            image_config,
            vec![("/rootfs/type", json!("tarballs"))],
            "/rootfs/type",
            Must,
        ),
        case(
            K::ImageConfig,
            image_config,
            vec![("/architecture", json!("vax"))],
            "/architecture",
            Should,
        ),
        case(
            K::ImageConfig,
            image_config,
            vec![("/variant", json!("v9000"))],
            "/variant",
            Should,
        ),
        // image-layout.md
    ]
}

/// A document the validators used to refuse with a rule the spec does not state, and which they
/// now accept: its kind, base, edits, and where the made-up MUST (or SHOULD) finding was.
struct Was {
    kind: DocumentKind,
    base: fn() -> Value,
    edits: Vec<(&'static str, Value)>,
    at: &'static str,
}

fn was(
    kind: DocumentKind,
    base: fn() -> Value,
    edits: Vec<(&'static str, Value)>,
    at: &'static str,
) -> Was {
    Was {
        kind,
        base,
        edits,
        at,
    }
}

/// Checks that no spec sentence backs, removed in the audit that quoted every rule. Each one is
/// now valid; where a kernel refuses the value, that is the kernel's error at run time.
fn removed_checks() -> Vec<Was> {
    let rm = || json!("<remove>");
    vec![
        // config.md
        was(
            K::Config,
            linux_config,
            vec![("/root/path", json!(""))],
            "/root/path",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/process/env", json!(["NOEQUALS"]))],
            "/process/env/0",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/process/rlimits",
                json!([{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}]),
            )],
            "/process/rlimits/0/soft",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/process/oomScoreAdj", json!(1001))],
            "/process/oomScoreAdj",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/process/scheduler",
                json!({"policy": "SCHED_OTHER", "nice": 40}),
            )],
            "/process/scheduler/nice",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/process/scheduler",
                json!({"policy": "SCHED_FIFO", "priority": 0}),
            )],
            "/process/scheduler/priority",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/process/scheduler",
                json!({"policy": "SCHED_OTHER", "runtime": 5}),
            )],
            "/process/scheduler/runtime",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/process/ioPriority",
                json!({"class": "IOPRIO_CLASS_BE", "priority": 9}),
            )],
            "/process/ioPriority/priority",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/process/user/umask", json!(0o7777))],
            "/process/user/umask",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/process/commandLine", json!("sh"))],
            "/process/commandLine",
        ),
        was(
            K::Config,
            linux_config,
            vec![
                ("/hostname", json!("h")),
                ("/linux/namespaces", json!([{"type": "pid"}])),
            ],
            "/hostname",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/hooks", json!({"prestart": [{"path": "/h"}]}))],
            "/hooks/prestart",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/hooks",
                json!({"poststart": [{"path": "/h", "env": ["X"]}]}),
            )],
            "/hooks/poststart/0/env/0",
        ),
        // config-linux.md
        was(
            K::Config,
            linux_config,
            vec![("/linux/namespaces", json!([{"type": "pid"}]))],
            "/linux/uidMappings",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/gidMappings", rm())],
            "/linux",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/uidMappings/0/size", json!(0))],
            "/linux/uidMappings/0",
        ),
        was(
            K::Config,
            linux_config,
            vec![
                ("/linux/uidMappings/0/hostID", json!(4294967295u32)),
                ("/linux/uidMappings/0/size", json!(2)),
            ],
            "/linux/uidMappings/0",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/uidMappings",
                json!([{"containerID": 0, "hostID": 1000, "size": 10}, {"containerID": 5, "hostID": 5000, "size": 1}]),
            )],
            "/linux/uidMappings/1",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/timeOffsets",
                json!({"monotonic": {"secs": 1, "nanosecs": 1000000000u32}}),
            )],
            "/linux/timeOffsets/monotonic/nanosecs",
        ),
        was(
            K::Config,
            linux_config,
            vec![
                ("/linux/namespaces", json!([{"type": "pid"}])),
                ("/linux/uidMappings", rm()),
                ("/linux/gidMappings", rm()),
                ("/linux/timeOffsets", json!({})),
            ],
            "/linux/timeOffsets",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/devices",
                json!([{"type": "p", "path": "/dev/f", "major": 1}]),
            )],
            "/linux/devices/0/major",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/netDevices", json!({"eth0/../x": {}}))],
            "/linux/netDevices/eth0~1..~1x",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/resources",
                json!({"memory": {"limit": 100, "swap": 50}}),
            )],
            "/linux/resources/memory/swap",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"blockIO": {"weight": 5}}))],
            "/linux/resources/blockIO/weight",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/resources", json!({"unified": {"../escape": "1"}}))],
            "/linux/resources/unified/..~1escape",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOTIFY"}]}),
            )],
            "/linux/seccomp",
        ),
        was(
            K::Config,
            linux_config,
            vec![(
                "/linux/seccomp",
                json!({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}),
            )],
            "/linux/seccomp/syscalls/0/args/0/index",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/sysctl", json!({"../../proc": "1"}))],
            "/linux/sysctl/..~1..~1proc",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/intelRdt", json!({"closID": "../x"}))],
            "/linux/intelRdt/closID",
        ),
        was(
            K::Config,
            linux_config,
            vec![("/linux/memoryPolicy", json!({"mode": "MPOL_BIND"}))],
            "/linux/memoryPolicy",
        ),
        // config-windows.md
        was(
            K::Config,
            windows_config,
            vec![("/windows/layerFolders", json!(["layers"]))],
            "/windows/layerFolders/0",
        ),
        was(
            K::Config,
            windows_config,
            vec![
                ("/windows/hyperv", json!({"utilityVMPath": "uvm"})),
                ("/root", rm()),
            ],
            "/windows/hyperv/utilityVMPath",
        ),
        // config-solaris.md
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {"anet": [{"linkname": "net0"}, {"linkname": "net0"}]}}),
            vec![],
            "/solaris/anet/1/linkname",
        ),
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {"anet": [{"configureAllowedAddress": "yes"}]}}),
            vec![],
            "/solaris/anet/0/configureAllowedAddress",
        ),
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {"anet": [{"macAddress": "01:00:00:00:00:00"}]}}),
            vec![],
            "/solaris/anet/0/macAddress",
        ),
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {"anet": [{"linkProtection": "mac-nospoof, bogus"}]}}),
            vec![],
            "/solaris/anet/0/linkProtection",
        ),
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {"cappedCPU": {"ncpus": "-1"}}}),
            vec![],
            "/solaris/cappedCPU/ncpus",
        ),
        // config-vm.md
        was(
            K::Config,
            || json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "vm": {"kernel": {"path": "/k"}, "image": {"path": "/i", "format": "iso"}}}),
            vec![],
            "/vm/image/format",
        ),
        // runtime.md state, features.md
        was(
            K::State,
            state,
            vec![("/ociVersion", json!("v1"))],
            "/ociVersion",
        ),
        was(K::State, state, vec![("/id", json!(""))], "/id"),
        was(
            K::Features,
            features,
            vec![("/hooks", json!(["preboot"]))],
            "/hooks/0",
        ),
        was(
            K::Features,
            features,
            vec![("/linux", json!({"capabilities": ["CAP_NEW"]}))],
            "/linux/capabilities/0",
        ),
        // image-spec: manifest.md
        was(
            K::Manifest,
            manifest,
            vec![(
                "/annotations",
                json!({"org.opencontainers.image.created": "yesterday"}),
            )],
            "/annotations/org.opencontainers.image.created",
        ),
        was(
            K::Manifest,
            manifest,
            vec![(
                "/annotations",
                json!({"org.opencontainers.image.base.digest": "nope"}),
            )],
            "/annotations/org.opencontainers.image.base.digest",
        ),
        // descriptor.md
        was(
            K::Descriptor,
            || json!({"mediaType": "application/vnd.oci.empty.v1+json", "digest": D, "size": 3}),
            vec![],
            "",
        ),
        // config.md (image)
        was(
            K::ImageConfig,
            image_config,
            vec![("/created", json!("2024-01-01"))],
            "/created",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/config/Env", json!(["=x"]))],
            "/config/Env/0",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/config/ExposedPorts", json!({"http": {}}))],
            "/config/ExposedPorts/http",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/config/Volumes", json!({"../../etc": {}}))],
            "/config/Volumes/..~1..~1etc",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/config/StopSignal", json!("please stop"))],
            "/config/StopSignal",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/history/0/created", json!("noon"))],
            "/history/0/created",
        ),
        was(
            K::ImageConfig,
            image_config,
            vec![("/history", json!([]))],
            "/history",
        ),
        // image-layout.md
        was(
            K::ImageLayout,
            || json!({"imageLayoutVersion": "2.0.0"}),
            vec![],
            "/imageLayoutVersion",
        ),
    ]
}

#[test]
fn baselines_are_clean() {
    for (kind, base) in [
        (K::Config, linux_config as fn() -> Value),
        (K::Config, windows_config),
        (K::Manifest, manifest),
        (K::Index, index),
        (K::ImageConfig, image_config),
        (K::State, state),
        (K::Features, features),
    ] {
        let (report, _) =
            parse_validate(kind, &serde_json::to_vec(&base()).expect("bytes")).expect("parses");
        assert!(report.is_empty(), "{kind} baseline has findings:\n{report}");
    }
}

/// Applies a case's edits to its base document and validates it.
fn run(kind: DocumentKind, base: fn() -> Value, edits: &[(&'static str, Value)]) -> Report {
    let mut doc = base();
    for (pointer, value) in edits {
        set(&mut doc, pointer, value.clone());
    }
    parse_validate(kind, &serde_json::to_vec(&doc).expect("bytes"))
        .unwrap_or_else(|e| panic!("{edits:?}: does not parse: {e}"))
        .0
}

/// Whether `quote` holds an RFC 2119 keyword (in capitals) of `level`.
fn states(quote: &str, level: Level) -> bool {
    let words: &[&str] = match level {
        Level::Must => &["MUST", "REQUIRED", "SHALL"],
        Level::Should => &["SHOULD", "RECOMMENDED"],
    };
    words.iter().any(|w| quote.contains(w))
}

/// The finding is backed by a sentence at its level, and the rule is one `Rule::all` lists.
fn assert_backed(f: &Finding) {
    assert!(!f.message.is_empty(), "{f}");
    assert!(
        Rule::all().any(|r| *r == f.rule),
        "{f}: the rule is not in Rule::all()"
    );
    let backed =
        states(f.rule.quote, f.level) || f.rule.basis.is_some_and(|b| states(b.quote, f.level));
    assert!(
        backed,
        "{f}: a {} finding whose quoted sentence has no {} keyword",
        f.level, f.level
    );
}

#[test]
fn every_rule_has_a_failing_case() {
    let all = cases();
    for (i, c) in all.iter().enumerate() {
        let report = run(c.kind, c.base, &c.edits);
        assert!(
            report
                .iter()
                .any(|f| f.pointer == c.expect_at && f.level == c.level),
            "case {i} ({:?}): expected a {} finding at {:?}, got:\n{report}",
            c.edits,
            c.level,
            c.expect_at
        );
        report.iter().for_each(assert_backed);
    }
    eprintln!("{} rule cases", all.len());
}

#[test]
fn every_rule_is_exercised_by_a_case() {
    let mut hit = Vec::new();
    // Two rules depend on options rather than on the document.
    let mut opts = ValidateOptions::default();
    opts.for_start = true;
    opts.target = Some(Target::Windows);
    let report = Spec::new("1.3.0").validate_with(&opts);
    // root (Windows Server), process (start) and windows (target): three findings at "".
    assert_eq!(
        report
            .iter()
            .filter(|f| f.pointer.is_empty() && f.rule.chapter == "config.md")
            .count(),
        3,
        "{report}"
    );
    report.iter().for_each(assert_backed);
    hit.extend(report.iter().map(|f| f.rule));
    for c in cases() {
        for f in run(c.kind, c.base, &c.edits) {
            hit.push(f.rule);
            hit.extend(f.rule.basis.copied());
        }
    }
    let missed: Vec<String> = Rule::all()
        .filter(|r| !hit.contains(r))
        .map(|r| r.to_string())
        .collect();
    assert!(missed.is_empty(), "no case breaks:\n{}", missed.join("\n"));
}

#[test]
fn removed_checks_no_longer_fire() {
    let all = removed_checks();
    for (i, w) in all.iter().enumerate() {
        let report = run(w.kind, w.base, &w.edits);
        assert!(
            report.is_valid(),
            "removed check {i} ({:?}) still refuses the document:\n{report}",
            w.edits
        );
        assert!(
            !report
                .iter()
                .any(|f| f.pointer == w.at && f.level == Level::Must),
            "removed check {i}: a MUST finding at {}",
            w.at
        );
        report.iter().for_each(assert_backed);
    }
    eprintln!("{} removed checks", all.len());
}
