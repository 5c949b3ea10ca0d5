//! The hook cases' judges, on observations made by hand.

use serde_json::{Value, json};

use super::*;

fn judge(id: &str, v: &Value) -> &'static str {
    let case = cases().into_iter().find(|c| c.id == id).expect(id);
    (case.judge)(v).word()
}

const FULL: [&str; 18] = [
    "@create",
    "prestart.1",
    "prestart.2",
    "createRuntime.1",
    "createRuntime.2",
    "createContainer.1",
    "createContainer.2",
    "@created",
    "@start",
    "startContainer.1",
    "startContainer.2",
    "poststart.1",
    "poststart.2",
    "@started",
    "@delete",
    "poststop.1",
    "poststop.2",
    "@deleted",
];

/// What a conforming runtime's lifecycle run looks like.
fn good() -> Value {
    let rt = json!({"mnt": "mnt:[1]", "pid": "pid:[2]", "net": "net:[3]"});
    let ct = json!({"mnt": "mnt:[11]", "pid": "pid:[12]", "net": "net:[3]"});
    let mut hooks = serde_json::Map::new();
    for name in FULL.iter().filter(|n| !n.starts_with('@')) {
        let inside = name.starts_with("createContainer") || name.starts_with("startContainer");
        hooks.insert(
            (*name).to_owned(),
            json!({
                "state": {"ociVersion": "1.3.0", "id": "c", "status": "created", "bundle": "/b",
                          "pid": if inside { 1 } else { 100 }},
                "ns": if inside { ct.clone() } else { rt.clone() },
                "prepivot": true, "mounted": true, "ownPrepivot": true, "ownMounted": true,
            }),
        );
    }
    json!({
        "order": FULL, "hooks": hooks, "id": "c", "bundle": "/b", "statePid": 100,
        "probe": {"pid": 1, "ns": ct, "order": FULL[..11].join("\n")},
        "runtimeNs": rt, "created": ["pid", "mnt"], "delete": {"code": 0, "said": "ok"},
        "gone": true,
    })
}

/// `good()` with the log in `order`.
fn reordered(order: &[&str]) -> Value {
    let mut v = good();
    v["order"] = json!(order);
    v
}

fn without(name: &str) -> Value {
    let order: Vec<&str> = FULL.iter().copied().filter(|n| *n != name).collect();
    reordered(&order)
}

#[test]
fn a_conforming_run_passes_every_lifecycle_case() {
    let v = good();
    for c in cases() {
        if c.id.ends_with("/fails") {
            continue;
        }
        assert_eq!(
            (c.judge)(&v).word(),
            "pass",
            "{}: {:?}",
            c.id,
            (c.judge)(&v)
        );
    }
}

#[test]
fn a_hook_that_did_not_run_fails_its_case() {
    for (id, name) in [
        ("hooks/prestart/invoked", "prestart.2"),
        ("hooks/create-runtime/invoked", "createRuntime.1"),
        ("hooks/create-container/invoked", "createContainer.1"),
        ("hooks/start-container/invoked", "startContainer.2"),
        ("hooks/poststart/invoked", "poststart.1"),
        ("hooks/poststop/invoked", "poststop.1"),
    ] {
        assert_eq!(judge(id, &without(name)), "fail", "{id}");
    }
}

#[test]
fn hooks_out_of_order_fail() {
    let mut o = FULL;
    o.swap(1, 2); // prestart.2 before prestart.1
    assert_eq!(judge("hooks/order/listed", &reordered(&o)), "fail");
    let mut o = FULL;
    o.swap(2, 3); // createRuntime.1 before prestart.2
    assert_eq!(
        judge("hooks/prestart/before-create-runtime", &reordered(&o)),
        "fail"
    );
    let mut o = FULL;
    o.swap(4, 5); // createContainer.1 before createRuntime.2
    assert_eq!(
        judge(
            "hooks/create-container/after-create-runtime",
            &reordered(&o)
        ),
        "fail"
    );
}

#[test]
fn hooks_at_the_wrong_step_fail() {
    // runc 1.1 runs poststart during create.
    let runc: Vec<&str> = [&FULL[..7], &FULL[11..13], &FULL[7..11], &FULL[13..]].concat();
    assert_eq!(
        judge("hooks/poststart/before-start-returns", &reordered(&runc)),
        "fail"
    );
    let mut v = good();
    v["hooks"]["createRuntime.1"]["prepivot"] = json!(false);
    assert_eq!(judge("hooks/create-runtime/before-pivot-root", &v), "fail");
    let mut v = good();
    v["hooks"]["createContainer.1"]["ownMounted"] = json!(false);
    assert_eq!(
        judge("hooks/create-container/before-pivot-root", &v),
        "fail"
    );
    let mut v = good();
    v["probe"]["order"] = json!(FULL[..9].join("\n"));
    assert_eq!(judge("hooks/start-container/before-process", &v), "fail");
    let mut o = FULL;
    o.swap(14, 15); // poststop.1 before the delete was called
    assert_eq!(
        judge("hooks/poststop/before-delete-returns", &reordered(&o)),
        "fail"
    );
}

#[test]
fn the_state_and_its_pid_are_judged() {
    let mut v = good();
    v["hooks"]["poststop.2"]["state"] = json!({"unparsed": ""});
    assert_eq!(judge("hooks/state/stdin", &v), "fail");
    let mut v = good();
    v["hooks"]["poststart.1"]["state"]["pid"] = json!(1);
    assert_eq!(judge("hooks/state/pid-runtime-namespace", &v), "fail");
    // carrack gives createContainer the host's pid.
    let mut v = good();
    v["hooks"]["createContainer.1"]["state"]["pid"] = json!(1318);
    assert_eq!(judge("hooks/state/pid-container-namespace", &v), "fail");
}

#[test]
fn hooks_in_the_wrong_namespaces_fail() {
    let mut v = good();
    v["hooks"]["createRuntime.1"]["ns"]["mnt"] = json!("mnt:[11]");
    assert_eq!(judge("hooks/create-runtime/runtime-namespace", &v), "fail");
    let mut v = good();
    v["hooks"]["poststart.1"]["ns"]["pid"] = json!("pid:[12]");
    assert_eq!(judge("hooks/poststart/runtime-namespace", &v), "fail");
    let mut v = good();
    v["hooks"]["createContainer.1"]["ns"]["pid"] = json!("pid:[2]");
    assert_eq!(
        judge("hooks/create-container/container-namespace", &v),
        "fail"
    );
    let mut v = good();
    v["hooks"]["startContainer.1"]["ns"] = json!({});
    assert_eq!(
        judge("hooks/start-container/container-namespace", &v),
        "fail"
    );
    // A namespace the config does not create is not compared.
    let mut v = good();
    v["hooks"]["startContainer.1"]["ns"]["uts"] = json!("uts:[9]");
    assert_eq!(
        judge("hooks/start-container/container-namespace", &v),
        "pass"
    );
}

#[test]
fn failing_hooks_are_judged() {
    let ok = |order: &[&str]| json!({"order": order, "create": {"code": 1, "said": "x"}, "exists": false});
    let v = ok(&["@create", "prestart.1", "poststop.1", "@created"]);
    assert_eq!(judge("hooks/prestart/fails", &v), "pass");
    // carrack: no poststop after the failure.
    let v = ok(&["@create", "prestart.1", "@created"]);
    assert_eq!(judge("hooks/prestart/fails", &v), "fail");
    let v = ok(&[
        "@create",
        "prestart.1",
        "createRuntime.1",
        "poststop.1",
        "@created",
    ]);
    assert_eq!(judge("hooks/prestart/fails", &v), "fail");
    assert_eq!(judge("hooks/create-runtime/fails", &v), "pass");
    let mut v = ok(&[
        "@create",
        "prestart.1",
        "createRuntime.1",
        "poststop.1",
        "@created",
    ]);
    v["exists"] = json!(true);
    assert_eq!(judge("hooks/create-runtime/fails", &v), "fail");
    v["exists"] = json!(false);
    v["create"]["code"] = json!(0);
    assert_eq!(judge("hooks/create-runtime/fails", &v), "fail");

    let mut v = good();
    v["order"] = json!(["@delete", "poststop.1", "poststop.2", "@deleted"]);
    assert_eq!(judge("hooks/poststop/fails", &v), "pass");
    // runc and carrack stop at the failing poststop hook.
    v["order"] = json!(["@delete", "poststop.1", "@deleted"]);
    assert_eq!(judge("hooks/poststop/fails", &v), "fail");
}
