//! The fidelity rules: lossless round trips, deterministic bytes, open enumerations, no added
//! defaults, required members enforced, duplicates refused.

use carrack_spec::image::{
    Arch, Descriptor, ImageConfiguration, ImageManifest, MediaType, Os, Platform,
};
use carrack_spec::runtime::{Capability, NamespaceType, Process, Spec};
use carrack_spec::{Document, strict};
use serde_json::{Value, json};

fn round_trip<T: Document>(input: &Value) -> Value {
    let doc = T::from_slice(&serde_json::to_vec(input).expect("bytes")).expect("parses");
    doc.to_value()
}

#[test]
fn unknown_members_survive_at_every_depth() {
    let input = json!({
        "ociVersion": "1.3.0",
        "x-top": {"nested": [1, 2, {"deep": true}]},
        "process": {"cwd": "/", "args": ["sh"], "x-proc": 1, "user": {"uid": 0, "gid": 0, "x-user": "u"}},
        "linux": {"resources": {"memory": {"limit": 1, "x-mem": null}, "x-res": []}, "x-linux": "l"}
    });
    assert_eq!(round_trip::<Spec>(&input), input);
    let manifest = json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2,
                   "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "x-d": 5},
        "layers": [],
        "x-registry": {"signed": "yes"}
    });
    assert_eq!(round_trip::<ImageManifest>(&manifest), manifest);
}

#[test]
fn explicit_nulls_and_empty_collections_are_kept() {
    let input = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": null, "Cmd": ["sh"], "Env": [], "Labels": {}, "Healthcheck": {"Test": ["NONE"]}, "Hostname": ""},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": null
    });
    assert_eq!(round_trip::<ImageConfiguration>(&input), input);
}

#[test]
fn constructors_add_no_defaults() {
    assert_eq!(
        Spec::new("1.3.0").to_string_compact(),
        r#"{"ociVersion":"1.3.0"}"#
    );
    assert_eq!(Process::new("/").to_value_compact(), json!({"cwd": "/"}));
    let p = Platform::new(Arch::Amd64, Os::Linux);
    assert_eq!(
        serde_json::to_value(&p).expect("value"),
        json!({"architecture": "amd64", "os": "linux"})
    );
}

trait ToValueCompact {
    fn to_value_compact(&self) -> Value;
}
impl ToValueCompact for Process {
    fn to_value_compact(&self) -> Value {
        serde_json::to_value(self).expect("value")
    }
}

#[test]
fn platform_os_version_and_features_use_dotted_keys() {
    let mut p = Platform::new(Arch::Amd64, Os::Windows);
    p.os_version = Some("10.0.17763.1234".into());
    p.os_features = Some(vec!["win32k".into()]);
    let v = serde_json::to_value(&p).expect("value");
    assert_eq!(v["os.version"], "10.0.17763.1234");
    assert_eq!(v["os.features"], json!(["win32k"]));
    assert!(v.get("os_version").is_none());
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let a = br#"{"ociVersion":"1.3.0","annotations":{"b":"2","a":"1"},"z-x":1,"a-x":2,"linux":{"sysctl":{"z":"1","a":"2"}}}"#;
    let b = br#"{"linux":{"sysctl":{"a":"2","z":"1"}},"a-x":2,"annotations":{"a":"1","b":"2"},"z-x":1,"ociVersion":"1.3.0"}"#;
    let (a, b) = (
        Spec::from_slice(a).expect("a"),
        Spec::from_slice(b).expect("b"),
    );
    assert_eq!(a.to_vec(), b.to_vec());
    assert_eq!(a, b);
}

#[test]
fn open_enumerations_accept_unknown_values_and_validation_reports_them() {
    let spec = Spec::from_slice(
        br#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},"process":{"cwd":"/","args":["a"],"user":{"uid":0,"gid":0},
            "capabilities":{"bounding":["CAP_CHOWN","CAP_TELEPORT"]}},
            "linux":{"namespaces":[{"type":"pid"},{"type":"quantum"}]}}"#,
    )
    .expect("unknown enum values parse");
    let caps = spec
        .process
        .as_ref()
        .and_then(|p| p.capabilities.as_ref())
        .and_then(|c| c.bounding.as_ref())
        .expect("caps");
    assert_eq!(caps[0], Capability::Chown);
    assert_eq!(caps[1], Capability::Other("CAP_TELEPORT".into()));
    let ns = spec
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .expect("ns");
    assert_eq!(ns[1].kind, NamespaceType::Other("quantum".into()));
    let report = spec.validate();
    assert!(
        report
            .iter()
            .any(|f| f.pointer == "/process/capabilities/bounding/1")
    );
    assert!(
        report
            .iter()
            .any(|f| f.pointer == "/linux/namespaces/1/type")
    );
    assert!(spec.to_string_compact().contains("CAP_TELEPORT"));

    let m = MediaType::from("application/vnd.example.thing+json");
    assert!(!m.is_known() && m.is_rfc6838());
    assert_eq!(Arch::from("z80"), Arch::Other("z80".into()));
}

#[test]
fn required_members_are_required() {
    let err =
        Spec::from_slice(br#"{"root":{"path":"rootfs"}}"#).expect_err("ociVersion is required");
    assert!(err.to_string().contains("ociVersion"), "{err}");
    let err =
        Descriptor::from_slice(br#"{"mediaType":"a/b","size":1}"#).expect_err("digest is required");
    assert!(err.to_string().contains("digest"), "{err}");
    let err = Spec::from_slice(br#"{"ociVersion":null}"#).expect_err("null is not a version");
    assert!(err.to_string().contains("ociVersion"), "{err}");
}

#[test]
fn errors_name_the_json_path() {
    let err = Spec::from_slice(
        br#"{"ociVersion":"1.3.0","linux":{"resources":{"memory":{"limit":"lots"}}}}"#,
    )
    .expect_err("bad type");
    assert_eq!(err.pointer(), Some("/linux/resources/memory/limit"));
    let err = ImageManifest::from_slice(
        br#"{"schemaVersion":2,"config":{"mediaType":"a/b","size":1,"digest":"sha256:../../../etc/passwd"},"layers":[]}"#,
    )
    .expect_err("hostile digest");
    assert_eq!(err.pointer(), Some("/config/digest"));
    assert!(err.to_string().contains("descriptor.md"), "{err}");
}

#[test]
fn duplicate_members_are_refused() {
    let err =
        Spec::from_slice(br#"{"ociVersion":"1.3.0","ociVersion":"1.0.0"}"#).expect_err("duplicate");
    assert!(err.to_string().contains("duplicate field"), "{err}");
    let err =
        Spec::from_slice(br#"{"ociVersion":"1.3.0","x":1,"x":2}"#).expect_err("duplicate unknown");
    assert!(err.to_string().contains("duplicate field"), "{err}");
    // A member given as null and then with a value is a duplicate too, and the other way round,
    // and twice null.
    assert!(Spec::from_slice(br#"{"ociVersion":"1.3.0","hostname":null,"hostname":"h"}"#).is_err());
    assert!(Spec::from_slice(br#"{"ociVersion":"1.3.0","hostname":"h","hostname":null}"#).is_err());
    assert!(
        Spec::from_slice(br#"{"ociVersion":"1.3.0","hostname":null,"hostname":null}"#).is_err()
    );
}

#[test]
fn escaped_member_names_are_recognised() {
    // serde_json hands an escaped name over as a copy rather than a borrow: still the member.
    let spec = Spec::from_slice(br#"{"ociVersion":"1.3.0","host\u006eame":"h","x\u002dy":1}"#)
        .expect("parses");
    assert_eq!(spec.hostname.as_deref(), Some("h"));
    assert_eq!(spec.extra.get("x-y"), Some(&json!(1)));
    assert!(
        Spec::from_slice(br#"{"ociVersion":"1.3.0","hostname":"a","host\u006eame":"b"}"#).is_err()
    );
}

#[test]
fn trailing_garbage_and_oversized_input_are_refused() {
    assert!(Spec::from_slice(br#"{"ociVersion":"1.3.0"} {}"#).is_err());
    let big = vec![b' '; 1024];
    let err = Spec::from_reader_limited(&big[..], 100).expect_err("too large");
    assert!(matches!(
        err,
        carrack_spec::ParseError::TooLarge { limit: 100, .. }
    ));
}

#[test]
fn strict_mode_rejects_unknown_members_with_their_path() {
    let err =
        strict::from_slice::<Spec>(br#"{"ociVersion":"1.3.0","process":{"cwd":"/","argz":[]}}"#)
            .expect_err("typo");
    // The pointer names the object holding the unknown member; the message names the member.
    assert_eq!(err.pointer(), Some("/process"));
    assert!(err.to_string().contains("unknown field `argz`"), "{err}");
    // and leaves lenient parsing on this thread untouched afterwards
    assert!(Spec::from_slice(br#"{"ociVersion":"1.3.0","argz":1}"#).is_ok());
}

#[test]
fn hostile_digests_never_parse() {
    for bad in [
        "sha256:../../etc/passwd",
        "sha256:",
        ":abc",
        "sha256/abc",
        "SHA256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "sha256:44136FA355B3678A1146AD16F7E8649E94FB4FC21FE77E8310C060F61CAAFF8A",
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8",
        "sha512:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        "blake3:xyz",
        "foo..bar:abc",
        "foo:a/b",
        "foo:a.b",
        "foo:..",
    ] {
        assert!(
            bad.parse::<carrack_spec::image::Digest>().is_err(),
            "{bad} parsed"
        );
    }
    for good in [
        "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
        "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
    ] {
        assert!(
            good.parse::<carrack_spec::image::Digest>().is_ok(),
            "{good} refused"
        );
    }
}

/// Found by the fuzz smoke run (`parse_state`): an unknown member holding an integer past u64
/// (a float to serde_json) read back as a different float, because serde_json's fast float
/// parser is not correctly rounded. With `float_roundtrip`, what carrack writes reads back equal.
#[test]
fn numbers_in_unknown_members_read_back_equal() {
    let big = format!("4422{}", "1".repeat(75));
    let text = format!(
        r#"{{"ociVersion":"0.2.0","id":"c","status":"running","bundle":"/b","x-n":{big},"x-f":0.1e-300}}"#
    );
    let doc = carrack_spec::runtime::State::from_slice(text.as_bytes()).expect("parses");
    let bytes = doc.to_vec();
    let again = carrack_spec::runtime::State::from_slice(&bytes).expect("re-parses");
    assert_eq!(again, doc, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(again.to_vec(), bytes, "stable bytes");
}
