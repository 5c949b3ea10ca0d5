//! Property tests: for generated documents, writing then parsing gives the same value, and
//! writing is deterministic.

use std::collections::BTreeMap;

use carrack_spec::Document;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ExecConfig, History, ImageConfiguration, ImageIndex, ImageManifest,
    MediaType, Os, Platform, RootFs,
};
use carrack_spec::runtime::{
    Capabilities, Capability, Cpu, Hook, Hooks, IdMapping, Linux, Memory, Mount, Namespace,
    NamespaceType, Pids, Process, Resources, Rlimit, RlimitType, Root, Seccomp, SeccompAction,
    SeccompArg, SeccompOperator, Spec, Syscall, User,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;
use serde_json::Value;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/._ =-]{0,12}"
}

fn extra() -> impl Strategy<Value = carrack_spec::Extra> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    let json = leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::from),
            btree_map("[a-z]{1,4}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        ]
    });
    btree_map("x-[a-z]{1,6}", json, 0..2).prop_map(carrack_spec::Extra::from)
}

fn open<T: From<String> + std::fmt::Debug + Clone + 'static>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T> {
    prop_oneof![3 => proptest::sample::select(known).prop_map(|s| T::from(s.to_owned())), 1 => "[A-Za-z_]{1,10}".prop_map(T::from)]
}

fn strings() -> impl Strategy<Value = Option<Vec<String>>> {
    of(vec(text(), 0..3))
}

fn annotations() -> impl Strategy<Value = Option<BTreeMap<String, String>>> {
    of(btree_map("[a-z.]{1,10}", text(), 0..3))
}

fn digest() -> impl Strategy<Value = Digest> {
    prop_oneof![
        any::<[u8; 8]>().prop_map(|b| Digest::sha256_of(&b)),
        any::<[u8; 8]>().prop_map(|b| Digest::sha512_of(&b)),
        "[a-z0-9]{1,5}(\\+[a-z0-9]{1,4})?:[a-zA-Z0-9=_-]{1,20}"
            .prop_map(|s| s.parse::<Digest>().expect("grammar")),
    ]
}

fn platform() -> impl Strategy<Value = Platform> {
    (
        open::<Arch>(Arch::KNOWN),
        open::<Os>(Os::KNOWN),
        of(text()),
        strings(),
        of(text()),
        strings(),
        extra(),
    )
        .prop_map(|(a, o, ov, of_, v, f, x)| {
            let mut p = Platform::new(a, o);
            (p.os_version, p.os_features, p.variant, p.features, p.extra) = (ov, of_, v, f, x);
            p
        })
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    (
        open::<MediaType>(MediaType::KNOWN),
        digest(),
        any::<i64>(),
        strings(),
        annotations(),
        of(text()),
        of(platform()),
        of(open::<MediaType>(MediaType::KNOWN)),
        extra(),
    )
        .prop_map(|(m, d, s, u, a, data, p, at, x)| {
            let mut desc = Descriptor::new(m, d, s);
            (
                desc.urls,
                desc.annotations,
                desc.data,
                desc.platform,
                desc.artifact_type,
                desc.extra,
            ) = (u, a, data, p, at, x);
            desc
        })
}

fn manifest() -> impl Strategy<Value = ImageManifest> {
    (
        descriptor(),
        vec(descriptor(), 0..4),
        of(descriptor()),
        of(open::<MediaType>(MediaType::KNOWN)),
        annotations(),
        extra(),
        any::<bool>(),
    )
        .prop_map(|(c, l, s, at, a, x, no_media_type)| {
            let mut m = ImageManifest::new(c, l);
            (m.subject, m.artifact_type, m.annotations, m.extra) = (s, at, a, x);
            if no_media_type {
                m.media_type = None;
            }
            m
        })
}

fn index() -> impl Strategy<Value = ImageIndex> {
    (
        vec(descriptor(), 0..4),
        of(descriptor()),
        annotations(),
        extra(),
    )
        .prop_map(|(ms, s, a, x)| {
            let mut i = ImageIndex::new(ms);
            (i.subject, i.annotations, i.extra) = (s, a, x);
            i
        })
}

fn image_config() -> impl Strategy<Value = ImageConfiguration> {
    let exec = (
        of(text()),
        strings(),
        strings(),
        strings(),
        of(text()),
        of(btree_map("[a-z]{1,5}", text(), 0..3)),
        of(any::<bool>()),
        extra(),
    )
        .prop_map(|(u, env, ep, cmd, wd, labels, ae, x)| {
            let mut c = ExecConfig::default();
            (
                c.user,
                c.env,
                c.entrypoint,
                c.cmd,
                c.working_dir,
                c.labels,
                c.args_escaped,
                c.extra,
            ) = (u, env, ep, cmd, wd, labels, ae, x);
            c
        });
    let history = (of(text()), of(text()), of(any::<bool>())).prop_map(|(c, by, e)| {
        let mut h = History::default();
        (h.created, h.created_by, h.empty_layer) = (c, by, e);
        h
    });
    (
        open::<Arch>(Arch::KNOWN),
        open::<Os>(Os::KNOWN),
        vec(digest(), 0..4),
        of(exec),
        of(vec(history, 0..3)),
        of(text()),
        extra(),
    )
        .prop_map(|(a, o, d, e, h, created, x)| {
            let mut c = ImageConfiguration::new(a, o, RootFs::layers(d));
            (c.config, c.history, c.created, c.extra) = (e, h, created, x);
            c
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    let user = (
        of(any::<u32>()),
        of(any::<u32>()),
        of(vec(any::<u32>(), 0..3)),
        of(text()),
    )
        .prop_map(|(u, g, a, n)| {
            let mut user = User::default();
            (user.uid, user.gid, user.additional_gids, user.username) = (u, g, a, n);
            user
        });
    let caps = (
        of(vec(open::<Capability>(Capability::KNOWN), 0..4)),
        of(vec(open::<Capability>(Capability::KNOWN), 0..2)),
    )
        .prop_map(|(b, e)| {
            let mut c = Capabilities::default();
            (c.bounding, c.effective) = (b, e);
            c
        });
    let rlimit = (
        open::<RlimitType>(RlimitType::KNOWN),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(t, s, h)| Rlimit::new(t, s, h));
    let process = (
        text(),
        strings(),
        strings(),
        of(user),
        of(caps),
        of(vec(rlimit, 0..3)),
        of(any::<bool>()),
        of(any::<i64>()),
        extra(),
    )
        .prop_map(|(cwd, args, env, user, caps, rl, nnp, oom, x)| {
            let mut p = Process::new(cwd);
            (
                p.args,
                p.env,
                p.user,
                p.capabilities,
                p.rlimits,
                p.no_new_privileges,
                p.oom_score_adj,
                p.extra,
            ) = (args, env, user, caps, rl, nnp, oom, x);
            p
        });
    let mount = (text(), of(text()), strings(), of(text())).prop_map(|(d, s, o, t)| {
        let mut m = Mount::new(d);
        (m.source, m.options, m.kind) = (s, o, t);
        m
    });
    let hooks = of(vec(text().prop_map(Hook::new), 0..2)).prop_map(|h| {
        let mut hooks = Hooks::default();
        hooks.create_runtime = h;
        hooks
    });
    let idmap =
        (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(c, h, s)| IdMapping::new(c, h, s));
    let seccomp = (
        open::<SeccompAction>(SeccompAction::KNOWN),
        vec(
            (
                vec(text(), 0..3),
                open::<SeccompAction>(SeccompAction::KNOWN),
                of(vec(
                    (
                        0u32..6,
                        any::<u64>(),
                        open::<SeccompOperator>(SeccompOperator::KNOWN),
                    ),
                    0..2,
                )),
            ),
            0..3,
        ),
    )
        .prop_map(|(d, calls)| {
            let mut s = Seccomp::new(d);
            s.syscalls = Some(
                calls
                    .into_iter()
                    .map(|(names, action, args)| {
                        let mut c = Syscall::new(names, action);
                        c.args = args.map(|a| {
                            a.into_iter()
                                .map(|(i, v, op)| SeccompArg::new(i, v, op))
                                .collect()
                        });
                        c
                    })
                    .collect(),
            );
            s
        });
    let resources = (
        of(any::<i64>()),
        of(any::<u64>()),
        of(text()),
        of(any::<i64>()),
        of(btree_map("[a-z.]{1,8}", text(), 0..2)),
    )
        .prop_map(|(limit, shares, cpus, pids, unified)| {
            let mut r = Resources::default();
            let mut m = Memory::default();
            m.limit = limit;
            let mut c = Cpu::default();
            (c.shares, c.cpus) = (shares, cpus);
            (r.memory, r.cpu, r.pids, r.unified) = (Some(m), Some(c), pids.map(Pids::new), unified);
            r
        });
    let linux = (
        of(vec(
            open::<NamespaceType>(NamespaceType::KNOWN).prop_map(Namespace::new),
            0..4,
        )),
        of(vec(idmap, 0..2)),
        of(resources),
        of(seccomp),
        of(btree_map("[a-z.]{1,8}", text(), 0..2)),
        strings(),
        extra(),
    )
        .prop_map(|(ns, ids, r, s, sysctl, masked, x)| {
            let mut l = Linux::default();
            (
                l.namespaces,
                l.uid_mappings,
                l.resources,
                l.seccomp,
                l.sysctl,
                l.masked_paths,
                l.extra,
            ) = (ns, ids, r, s, sysctl, masked, x);
            l
        });
    (
        "[0-9]\\.[0-9]\\.[0-9]",
        of(text().prop_map(Root::new)),
        of(vec(mount, 0..3)),
        of(process),
        of(text()),
        of(hooks),
        annotations(),
        of(linux),
        extra(),
    )
        .prop_map(|(v, root, mounts, process, host, hooks, ann, linux, x)| {
            let mut s = Spec::new(v);
            (
                s.root,
                s.mounts,
                s.process,
                s.hostname,
                s.hooks,
                s.annotations,
                s.linux,
                s.extra,
            ) = (root, mounts, process, host, hooks, ann, linux, x);
            s
        })
}

fn identity<T: Document + PartialEq + std::fmt::Debug>(doc: &T) -> Result<(), TestCaseError> {
    let bytes = doc.to_vec();
    let back = T::from_slice(&bytes)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&bytes))))?;
    prop_assert_eq!(&back, doc);
    prop_assert_eq!(back.to_vec(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn spec_round_trips(s in spec()) { identity(&s)?; }
    #[test]
    fn manifest_round_trips(m in manifest()) { identity(&m)?; }
    #[test]
    fn index_round_trips(i in index()) { identity(&i)?; }
    #[test]
    fn image_config_round_trips(c in image_config()) { identity(&c)?; }
    #[test]
    fn descriptor_round_trips(d in descriptor()) { identity(&d)?; }
    #[test]
    fn validation_never_panics(s in spec(), m in manifest()) {
        let _ = s.validate();
        let _ = m.validate();
    }
}
