//! Building documents in code: `Default`, the generated `with_*` setters and the shorthands give
//! the JSON one would write by hand, and a realistic configuration validates clean.

use carrack_spec::Document;
use carrack_spec::image::{Arch, ExecConfig, ImageConfiguration, Os, RootFs};
use carrack_spec::runtime::{
    Capabilities, Capability, Cpu, Hook, Hooks, IdMapping, Linux, Memory, Mount, Namespace,
    NamespaceType, Process, Resources, Rlimit, RlimitType, Root, Spec, User,
};
use serde_json::json;

/// A rootless web server: its own user namespace mapped onto 65 536 host ids, a data directory
/// bound in, a read-only resolv.conf, a small /tmp, and memory, CPU and pids limits.
fn web_server() -> Spec {
    let caps = [Capability::NetBindService, Capability::Kill];
    Spec::default()
        .with_root(Root::new("rootfs").with_readonly(true))
        .with_hostname("web")
        .with_process(
            Process::default()
                .with_args(["/usr/bin/server", "--port", "80"])
                .with_env(["PATH=/usr/bin:/bin"])
                .with_user(User::posix(0, 0))
                .with_no_new_privileges(true)
                .with_capabilities(
                    Capabilities::default()
                        .with_bounding(caps.clone())
                        .with_effective(caps.clone())
                        .with_permitted(caps),
                )
                .with_rlimits([Rlimit::new(RlimitType::Nofile, 4096, 4096)]),
        )
        .add_mount(Mount::new("/proc").with_kind("proc").with_source("proc"))
        .add_mount(Mount::bind("/srv/web", "/data"))
        .add_mount(Mount::bind("/etc/resolv.conf", "/etc/resolv.conf").read_only())
        .add_mount(Mount::tmpfs("/tmp").add_option("size=64m"))
        .with_linux(
            Linux::default()
                .with_namespaces([
                    NamespaceType::Pid,
                    NamespaceType::Ipc,
                    NamespaceType::Uts,
                    NamespaceType::Mount,
                ])
                .with_user_namespace(
                    IdMapping::new(0, 100_000, 65_536),
                    IdMapping::new(0, 100_000, 65_536),
                )
                .with_masked_paths(["/proc/kcore"]),
        )
        .add_network_namespace_path()
        .with_memory_limit(512 << 20)
        .with_cpu_quota(50_000, 100_000)
        .with_pids_limit(256)
}

/// Joining an existing network namespace: the one place the test needs `linux_mut`.
trait JoinNetwork {
    fn add_network_namespace_path(self) -> Self;
}

impl JoinNetwork for Spec {
    fn add_network_namespace_path(mut self) -> Self {
        let namespaces = self.linux_mut().namespaces.get_or_insert_with(Vec::new);
        namespaces.push(Namespace::join(
            NamespaceType::Network,
            "/var/run/netns/web",
        ));
        self
    }
}

#[test]
fn a_realistic_config_writes_the_expected_json() {
    let expected = json!({
        "ociVersion": "1.3.0",
        "root": {"path": "rootfs", "readonly": true},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data", "type": "bind", "source": "/srv/web", "options": ["rbind"]},
            {"destination": "/etc/resolv.conf", "type": "bind", "source": "/etc/resolv.conf",
             "options": ["rbind", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "size=64m"]}
        ],
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": ["/usr/bin/server", "--port", "80"],
            "env": ["PATH=/usr/bin:/bin"],
            "cwd": "/",
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 4096, "hard": 4096}],
            "capabilities": {
                "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
                "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
                "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
            },
            "noNewPrivileges": true
        },
        "hostname": "web",
        "linux": {
            "namespaces": [
                {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                {"type": "user"}, {"type": "network", "path": "/var/run/netns/web"}
            ],
            "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
            "resources": {
                "memory": {"limit": 536870912},
                "cpu": {"quota": 50000, "period": 100000},
                "pids": {"limit": 256}
            },
            "maskedPaths": ["/proc/kcore"]
        }
    });
    let spec = web_server();
    assert_eq!(spec.to_value(), expected);
    // Written in the documented member order, and read back to the same value.
    let text = spec.to_string_pretty();
    assert_eq!(Spec::from_slice(text.as_bytes()).expect("parses"), spec);
}

#[test]
fn a_realistic_config_validates_clean() {
    let report = web_server().validate();
    assert!(report.is_empty(), "{report}");
}

#[test]
fn one_call_replaces_the_nested_options() {
    // What a memory limit took before the shorthands.
    let mut by_hand = Spec::new("1.3.0");
    by_hand
        .linux
        .get_or_insert_with(Linux::default)
        .resources
        .get_or_insert_with(Resources::default)
        .memory
        .get_or_insert_with(Memory::default)
        .limit = Some(1 << 30);
    assert_eq!(Spec::default().with_memory_limit(1 << 30), by_hand);

    // The shorthands keep what is already there.
    let spec = Spec::default()
        .with_linux(
            Linux::default()
                .with_resources(Resources::default().with_cpu(Cpu::default().with_cpus("0-1"))),
        )
        .with_cpu_shares(512)
        .with_memory_limit(1 << 20)
        .with_memory_limit(2 << 20);
    let cpu = json!({"cpus": "0-1", "shares": 512});
    let value = spec.to_value();
    assert_eq!(value["linux"]["resources"]["cpu"], cpu);
    assert_eq!(
        value["linux"]["resources"]["memory"],
        json!({"limit": 2 << 20})
    );
}

#[test]
fn user_namespace_is_listed_once() {
    let mapping = IdMapping::new(0, 1000, 1);
    let linux = Linux::default()
        .with_namespaces([NamespaceType::User])
        .with_user_namespace(mapping.clone(), mapping);
    assert_eq!(linux.namespaces.map(|n| n.len()), Some(1));
}

#[test]
fn read_only_replaces_rw() {
    let m = Mount::bind("/a", "/b")
        .add_option("rw")
        .read_only()
        .read_only();
    assert_eq!(m.options, Some(vec!["rbind".to_owned(), "ro".to_owned()]));
}

#[test]
fn every_all_optional_model_has_default_and_setters_set_some() {
    let hooks = Hooks::default().with_poststop([Hook::new("/bin/cleanup").with_timeout(5)]);
    assert_eq!(
        serde_json::to_value(&hooks).expect("writes"),
        json!({"poststop": [{"path": "/bin/cleanup", "timeout": 5}]})
    );
    let exec = ExecConfig::default()
        .with_entrypoint(["/bin/app"])
        .with_labels([("org.example", "yes")]);
    assert_eq!(
        serde_json::to_value(&exec).expect("writes"),
        json!({"Entrypoint": ["/bin/app"], "Labels": {"org.example": "yes"}})
    );
    // Required members have setters too.
    let config = ImageConfiguration::new(Arch::Amd64, Os::Linux, RootFs::layers(vec![]))
        .with_os(Os::Windows)
        .with_config(exec);
    assert_eq!(config.os, Os::Windows);
    assert_eq!(
        Spec::default().with_oci_version("1.2.0").oci_version,
        "1.2.0"
    );
    // Unknown members are kept by the setters' neighbour, `extra`.
    assert!(Memory::default().with_swappiness(10).extra.is_empty());
}
