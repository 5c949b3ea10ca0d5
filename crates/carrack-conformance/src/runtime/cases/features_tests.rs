//! The features cases' judges, on observations made by hand.

use serde_json::{Value, json};

use super::*;

fn judge(id: &str, v: &Value) -> &'static str {
    let case = cases().into_iter().find(|c| c.id == id).expect(id);
    (case.judge)(v).word()
}

#[test]
fn versions_are_compared_by_semver_precedence() {
    assert_eq!(precedence("1.0.2-dev", "1.0.0"), Some(Ordering::Greater));
    assert_eq!(precedence("1.1.0-rc.2", "1.1.0"), Some(Ordering::Less));
    assert_eq!(
        precedence("1.1.0-rc.2", "1.1.0-rc.10"),
        Some(Ordering::Less)
    );
    assert_eq!(precedence("1.3.0+build", "1.3.0"), Some(Ordering::Equal));
    assert_eq!(precedence("1.3", "1.0.0"), None);
    let id = "features/version/max-not-less";
    assert_eq!(
        judge(id, &json!({"min": "1.0.0", "max": "1.0.2-dev"})),
        "pass"
    );
    assert_eq!(judge(id, &json!({"min": "1.0.0", "max": "1.0.0"})), "pass");
    assert_eq!(
        judge(id, &json!({"min": "1.1.0", "max": "1.1.0-rc.1"})),
        "fail"
    );
    assert_eq!(judge(id, &json!({"min": "1.0.0", "max": null})), "fail");
}

#[test]
fn the_versions_must_be_accepted() {
    let ok = json!({"version": "1.0.0", "create": {"code": 0, "said": "ok"}});
    let no = json!({"version": "1.0.0", "create": {"code": 1, "said": "unsupported"}});
    for id in [
        "features/version/min-accepted",
        "features/version/max-accepted",
    ] {
        assert_eq!(judge(id, &ok), "pass");
        assert_eq!(judge(id, &no), "fail");
    }
}

#[test]
fn only_defined_properties_are_allowed() {
    let id = "features/properties/defined";
    let text = |t: &str| json!({"text": t});
    assert_eq!(
        judge(
            id,
            &text(
                r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","hooks":["poststop"],"linux":{"namespaces":["pid"]}}"#
            )
        ),
        "pass"
    );
    assert_eq!(
        judge(
            id,
            &text(r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","org.example":1}"#)
        ),
        "fail"
    );
    assert_eq!(
        judge(
            id,
            &text(r#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","linux":{"cpus":[]}}"#)
        ),
        "fail"
    );
    assert_eq!(judge(id, &text("not json")), "fail");
}

#[test]
fn annotations_map_strings_to_strings() {
    let id = "features/annotations/map";
    assert_eq!(judge(id, &json!({"annotations": null})), "pass");
    assert_eq!(
        judge(id, &json!({"annotations": {"org.example.v": "1"}})),
        "pass"
    );
    assert_eq!(
        judge(id, &json!({"annotations": {"org.example.v": 1}})),
        "fail"
    );
    assert_eq!(judge(id, &json!({"annotations": {"": "x"}})), "fail");
    assert_eq!(judge(id, &json!({"annotations": ["a"]})), "fail");
}

#[test]
fn listed_hooks_must_run() {
    let id = "features/hooks/supported";
    let v = json!({"listed": ["prestart", "poststop", "org.example"], "order": ["prestart.1", "poststop.1"]});
    assert_eq!(judge(id, &v), "pass");
    let v = json!({"listed": ["prestart", "poststop"], "order": ["prestart.1"]});
    assert_eq!(judge(id, &v), "fail");
}

#[test]
fn listed_mount_options_must_take_effect() {
    let id = "features/mount-options/recognized";
    let line = "61 155 0:77 / /certify-opts ro,nosuid,nodev - tmpfs tmpfs rw,sync";
    let v = json!({"options": ["ro", "nosuid", "sync"], "create": {"code": 0, "said": "ok"}, "mountinfo": line});
    assert_eq!(judge(id, &v), "pass");
    let v = json!({"options": ["noexec"], "create": {"code": 0, "said": "ok"}, "mountinfo": line});
    assert_eq!(judge(id, &v), "fail");
    let v = json!({"options": ["ro"], "create": {"code": 1, "said": "unknown option"}, "mountinfo": null});
    assert_eq!(judge(id, &v), "fail");
    let v = json!({"options": ["ro"], "create": {"code": 0, "said": "ok"}, "mountinfo": null});
    assert_eq!(judge(id, &v), "fail");
}

#[test]
fn listed_namespaces_must_be_made() {
    let id = "features/linux/namespaces";
    let runtime = json!({"mnt": "mnt:[1]", "user": "user:[2]", "time": "time:[3]"});
    let ok = json!({"used": ["mount", "user"], "untested": [], "create": {"code": 0, "said": "ok"},
                    "container": {"mnt": "mnt:[9]", "user": "user:[8]", "time": "time:[3]"}, "runtime": runtime});
    assert_eq!(judge(id, &ok), "pass");
    let mut shared = ok.clone();
    shared["used"] = json!(["mount", "user", "time"]);
    assert_eq!(judge(id, &shared), "fail");
    let mut refused = ok;
    refused["create"] = json!({"code": 1, "said": "unknown namespace type time"});
    assert_eq!(judge(id, &refused), "fail");
}
