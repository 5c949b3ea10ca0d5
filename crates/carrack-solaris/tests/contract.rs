//! carrack-platform's contract, against the zones backend over the recording executor, for
//! both host kinds: every check of `contract::ALL`, then what the recording host was left with
//! (no zone, no VNIC).

mod common;

use carrack_platform::Platform;
use carrack_platform::contract::{ALL, Fixture};
use common::*;

fn run_all(p: &dyn Platform, f: &dyn Fixture) {
    let mut failed = Vec::new();
    for (name, check) in ALL {
        match check(p, f) {
            Ok(()) => {}
            Err(e) => failed.push(format!("{name}: {e}")),
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(ALL.len(), 14, "a new contract check: list it here too");
}

#[test]
fn the_contract_holds_on_solaris11() {
    let p = platform(carrack_solaris::HostFacts::solaris11("/zones"));
    run_all(&p, &Bundles(fresh_dir("bundles")));
    assert!(p.executor().zones().is_empty(), "every zone was deleted");
}

#[test]
fn the_contract_holds_on_illumos() {
    let p = platform(illumos());
    run_all(&p, &Bundles(fresh_dir("bundles")));
    assert!(p.executor().zones().is_empty(), "every zone was deleted");
    assert!(p.executor().vnics().is_empty(), "every VNIC was deleted");
}
