//! Configurations real engines write, which carrack used to refuse with rules the spec does not
//! state: docker 20.10's `blockIO.weight: 0`, podman `--privileged`'s device `fileMode` with the
//! file type bits of `st_mode`, FIFO devices with major and minor numbers, and capabilities
//! carrack does not know.

use carrack_spec::runtime::Spec;
use carrack_spec::{Document, Level, Report};
use serde_json::{Value, json};

const DOCKER: &[u8] = include_bytes!("data/docker-20.10-alpine.json");
const PODMAN: &[u8] = include_bytes!("data/podman-privileged.json");

fn validate(bytes: &[u8]) -> (Spec, Report) {
    let spec = Spec::from_slice(bytes).expect("parses");
    let report = spec.validate();
    (spec, report)
}

fn minimal(linux: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "ociVersion": "1.3.0",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
        "linux": linux
    }))
    .expect("bytes")
}

#[test]
fn docker_20_10_block_io_weight_zero_is_valid() {
    let (spec, report) = validate(DOCKER);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.musts().count(), 0, "{report}");
    assert!(
        !report
            .iter()
            .any(|f| f.pointer.starts_with("/linux/resources/blockIO")),
        "{report}"
    );
    let weight = spec
        .linux
        .as_ref()
        .and_then(|l| l.resources.as_ref())
        .and_then(|r| r.block_io.as_ref())
        .and_then(|b| b.weight);
    assert_eq!(weight, Some(0));
    // Lossless: the document writes back as it came.
    let original: Value = serde_json::from_slice(DOCKER).expect("JSON");
    assert_eq!(spec.to_value(), original);
}

#[test]
fn podman_privileged_device_modes_with_type_bits_are_valid() {
    let (spec, report) = validate(PODMAN);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.musts().count(), 0, "{report}");
    assert!(
        !report
            .iter()
            .any(|f| f.pointer.starts_with("/linux/devices")),
        "{report}"
    );
    let modes: Vec<u32> = spec
        .linux
        .as_ref()
        .and_then(|l| l.devices.as_ref())
        .expect("devices")
        .iter()
        .filter_map(|d| d.file_mode)
        .collect();
    // S_IFCHR|0666, S_IFBLK|0660, S_IFIFO|0600: st_mode as podman passes it.
    assert!(modes.contains(&0o20666) && modes.contains(&0o60660) && modes.contains(&0o10600));
}

#[test]
fn fifo_devices_with_major_and_minor_are_valid() {
    for (major, minor) in [(0, 0), (1, 3)] {
        let bytes = minimal(json!({"devices": [
            {"type": "p", "path": "/dev/fifo", "major": major, "minor": minor, "fileMode": 0o10600}
        ]}));
        let (_, report) = validate(&bytes);
        assert!(report.is_empty(), "{major}:{minor}: {report}");
    }
    // Without them, as config-linux.md allows for `p`, it is valid too.
    let (_, report) = validate(&minimal(
        json!({"devices": [{"type": "p", "path": "/dev/fifo"}]}),
    ));
    assert!(report.is_empty(), "{report}");
    // Other types still need them: "REQUIRED unless type is p".
    let (_, report) = validate(&minimal(
        json!({"devices": [{"type": "c", "path": "/dev/x"}]}),
    ));
    assert_eq!(report.musts().count(), 2, "{report}");
}

#[test]
fn an_unknown_capability_is_a_warning_not_a_must() {
    let bytes = serde_json::to_vec(&json!({
        "ociVersion": "1.3.0",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                    "capabilities": {"bounding": ["CAP_CHOWN", "CAP_FROM_2030"],
                                     "ambient": ["CAP_FROM_2030"]}},
        "linux": {}
    }))
    .expect("bytes");
    let (_, report) = validate(&bytes);
    assert!(report.is_valid(), "{report}");
    let pointers: Vec<&str> = report.iter().map(|f| f.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/process/capabilities/bounding/1",
            "/process/capabilities/ambient/0"
        ]
    );
    for f in &report {
        assert_eq!(f.level, Level::Should);
        assert_eq!(f.rule.chapter, "config.md");
        assert!(
            f.rule
                .quote
                .contains("MUST be logged as a warning by the runtime")
        );
        assert!(f.rule.quote.contains("Runtimes SHOULD NOT fail"));
        assert!(f.to_string().contains("CAP_FROM_2030"), "{f}");
    }
}

/// The official schemas: docker's config conforms; podman's breaks only the schema's cap of
/// `fileMode` at 0777, which the prose does not have, and the disagreement says so.
#[cfg(feature = "schema")]
#[test]
fn the_official_schemas_agree_or_say_they_disagree() {
    use carrack_spec::schema::SchemaSet;
    use carrack_spec::{DocumentKind, SpecName};

    let set = SchemaSet::official(SpecName::Runtime).expect("embedded schemas");
    let validator = set.validator_for(DocumentKind::Config).expect("compiles");
    let docker: Value = serde_json::from_slice(DOCKER).expect("JSON");
    assert_eq!(validator.check(&docker), []);

    let podman: Value = serde_json::from_slice(PODMAN).expect("JSON");
    let violations = validator.check(&podman);
    assert_eq!(violations.len(), 7, "{violations:#?}");
    for v in &violations {
        assert!(v.pointer.ends_with("/fileMode"), "{v:?}");
        let d = v
            .disagreement(DocumentKind::Config)
            .unwrap_or_else(|| panic!("{v:?} is not a known disagreement"));
        assert!(d.prose_allows());
        assert_eq!(d.prose.chapter, "config-linux.md");
    }
}
