//! One test per rule: a configuration breaking it is refused, naming the place and quoting the
//! spec's sentence; one keeping it is planned.

mod common;

use carrack_solaris::rules::{self, Rule};
use carrack_solaris::{HostFacts, Placement, PlanError, plan};
use carrack_spec::runtime::{
    Anet, CappedCpu, CappedMemory, Mount, Rlimit, RlimitType, Solaris, Spec,
};

fn at() -> Placement {
    Placement {
        id: "r".into(),
        bundle: "/b".into(),
        zonecfg_file: "/s/zonecfg".into(),
    }
}

fn with(sol: Solaris) -> Spec {
    common::spec(&["/usr/bin/true"]).with_solaris(sol)
}

fn anet(a: Anet) -> Spec {
    with(Solaris::default().with_anet(vec![a.with_lower_link("net0")]))
}

/// The error of planning `spec` on both hosts, which must agree.
fn refused(spec: &Spec) -> PlanError {
    let s11 =
        plan(spec, &HostFacts::solaris11("/zones"), &at()).expect_err("refused on Solaris 11");
    let il = plan(spec, &common::illumos(), &at()).expect_err("refused on illumos");
    assert_eq!(s11.to_string(), il.to_string());
    s11
}

fn accepted(spec: &Spec) {
    plan(spec, &HostFacts::solaris11("/zones"), &at()).expect("planned on Solaris 11");
    plan(spec, &common::illumos(), &at()).expect("planned on illumos");
}

fn breaks(e: &PlanError, rule: Rule, pointer: &str) {
    match e {
        PlanError::Rule {
            pointer: p,
            rule: r,
            ..
        } => assert_eq!((p.as_str(), *r), (pointer, rule)),
        other => panic!("not a rule error: {other}"),
    }
    assert!(e.to_string().contains(rule.quote), "{e}");
}

#[test]
fn max_shm_memory_is_a_scaled_number() {
    let e = refused(&with(Solaris::default().with_max_shm_memory("512MB")));
    breaks(&e, rules::SCALED_NUMBER, "/solaris/maxShmMemory");
    accepted(&with(Solaris::default().with_max_shm_memory("512m")));
}

#[test]
fn capped_memory_values_are_scaled_numbers() {
    let mem = CappedMemory::default()
        .with_physical("1G")
        .with_swap("lots");
    let e = refused(&with(Solaris::default().with_capped_memory(mem)));
    breaks(&e, rules::SCALED_NUMBER, "/solaris/cappedMemory/swap");
    let mem = CappedMemory::default().with_physical("1G").with_swap("2T");
    accepted(&with(Solaris::default().with_capped_memory(mem)));
}

#[test]
fn ncpus_is_a_fraction_or_a_mixed_number() {
    let cpu = CappedCpu::default().with_ncpus("1,5");
    let e = refused(&with(Solaris::default().with_capped_cpu(cpu)));
    breaks(&e, rules::NCPUS, "/solaris/cappedCPU/ncpus");
    for n in ["8", ".75", "1.25"] {
        accepted(&with(
            Solaris::default().with_capped_cpu(CappedCpu::default().with_ncpus(n)),
        ));
    }
}

#[test]
fn configure_allowed_address_is_true_or_false() {
    let e = refused(&anet(Anet::default().with_configure_allowed_address("yes")));
    breaks(
        &e,
        rules::CONFIGURE_ALLOWED_ADDRESS,
        "/solaris/anet/0/configureAllowedAddress",
    );
    accepted(&anet(
        Anet::default().with_configure_allowed_address("true"),
    ));
}

#[test]
fn mac_address_is_a_keyword_or_a_unicast_address() {
    let e = refused(&anet(Anet::default().with_mac_address("01:00:5e:00:00:fb")));
    breaks(&e, rules::MAC_ADDRESS, "/solaris/anet/0/macAddress");
    let e = refused(&anet(Anet::default().with_mac_address("02:zz:00:00:00:01")));
    breaks(&e, rules::MAC_ADDRESS, "/solaris/anet/0/macAddress");
    for ok in ["02:42:f8:52:c7:16", "random", "factory", "auto"] {
        accepted(&anet(Anet::default().with_mac_address(ok)));
    }
}

#[test]
fn link_protection_is_comma_separated_values() {
    let e = refused(&anet(
        Anet::default().with_link_protection("mac-nospoof,,ip-nospoof"),
    ));
    breaks(&e, rules::LINK_PROTECTION, "/solaris/anet/0/linkProtection");
    accepted(&anet(
        Anet::default().with_link_protection("mac-nospoof, ip-nospoof"),
    ));
}

#[test]
fn rlimits_that_cannot_be_mapped_are_errors() {
    let mut spec = common::spec(&["/usr/bin/true"]);
    if let Some(p) = spec.process.as_mut() {
        p.rlimits = Some(vec![Rlimit::new(RlimitType::Msgqueue, 1, 1)]);
    }
    breaks(&refused(&spec), rules::RLIMIT_MAPPED, "/process/rlimits/0");
    if let Some(p) = spec.process.as_mut() {
        p.rlimits = Some(vec![Rlimit::new(RlimitType::Data, 1000, 1024)]);
    }
    breaks(
        &refused(&spec),
        rules::RLIMIT_MAPPED,
        "/process/rlimits/0/soft",
    );
    if let Some(p) = spec.process.as_mut() {
        p.rlimits = Some(vec![Rlimit::new(RlimitType::Nofile, 256, 1024)]);
    }
    accepted(&spec);
}

#[test]
fn args0_with_an_equals_sign_is_an_invalid_value() {
    breaks(
        &refused(&common::spec(&["A=b"])),
        rules::VALID_VALUES,
        "/process/args/0",
    );
}

#[test]
fn config_md_rules_for_solaris_come_from_carrack_spec() {
    // "Solaris: This value MUST be an absolute path."
    let spec = common::spec(&["/usr/bin/true"]).add_mount(Mount::new("data"));
    let e = refused(&spec);
    assert!(matches!(e, PlanError::Spec(_)), "{e}");
    assert!(
        e.to_string()
            .contains("Solaris: This value MUST be an absolute path."),
        "{e}"
    );
}

#[test]
fn values_zonecfg_cannot_spell_are_refused() {
    let e = refused(&with(Solaris::default().with_limitpriv("default,\"x\"")));
    assert!(
        matches!(e, PlanError::Unquotable { ref pointer, .. } if pointer == "/solaris/limitpriv"),
        "{e}"
    );
}

#[test]
fn illumos_refuses_what_it_cannot_do_and_solaris11_does_it() {
    let spec = anet(Anet::default().with_configure_allowed_address("false"));
    plan(&spec, &HostFacts::solaris11("/zones"), &at()).expect("Solaris 11 has the property");
    let e = plan(&spec, &common::illumos(), &at()).expect_err("illumos has not");
    assert!(matches!(e, PlanError::Unsupported { .. }), "{e}");
    let no_link = with(Solaris::default().with_anet(vec![Anet::default()]));
    let e = plan(&no_link, &HostFacts::illumos("/zones"), &at()).expect_err("no link");
    assert!(matches!(e, PlanError::Host { .. }), "{e}");
    plan(&no_link, &HostFacts::solaris11("/zones"), &at()).expect("lower-link=auto");
}

#[test]
fn an_env_entry_is_name_equals_value() {
    for bad in ["NOEQ", "-i=x"] {
        let mut spec = common::spec(&["/usr/bin/true"]);
        if let Some(p) = spec.process.as_mut() {
            p.env = Some(vec!["A=b".into(), bad.into()]);
        }
        let e = refused(&spec);
        breaks(&e, rules::VALID_VALUES, "/process/env/1");
    }
    let mut spec = common::spec(&["/usr/bin/true"]);
    if let Some(p) = spec.process.as_mut() {
        p.env = Some(vec!["A=b".into(), "EMPTY=".into()]);
    }
    accepted(&spec);
}

#[test]
fn root_runs_with_group_zero() {
    let mut spec = common::spec(&["/usr/bin/true"]);
    if let Some(u) = spec.process.as_mut().and_then(|p| p.user.as_mut()) {
        u.uid = Some(0);
        u.gid = Some(5);
    }
    for host in [HostFacts::solaris11("/zones"), common::illumos()] {
        let e = plan(&spec, &host, &at()).expect_err("refused");
        assert!(
            matches!(e, PlanError::Unsupported { ref pointer, .. } if pointer == "/process/user/gid"),
            "{e}"
        );
    }
}
