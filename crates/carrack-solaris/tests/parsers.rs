//! The parsers on real output and on hostile lines: typed errors, never a panic.

use carrack_solaris::parse::{self, ParseError, SmfState, ZoneState};

#[test]
fn zoneadm_list_reads_real_lines_and_undoes_escapes() {
    let out = "0:global:running:/::solaris:shared\n\
               12:web:running:/zones/web:9f6e7e2a-1c1b-4c5e-b0f6-2d7a1e3b9c10:solaris:excl\n\
               -:odd:installed:/zones/a\\:b\\\\c:uuid:sparse:excl:-:\n";
    let z = parse::zoneadm_list(out).expect("parsed");
    assert_eq!(z.len(), 3);
    assert_eq!(
        (z[1].id, z[1].state, z[1].brand.as_str()),
        (Some(12), ZoneState::Running, "solaris")
    );
    assert_eq!((z[2].id, z[2].path.as_str()), (None, "/zones/a:b\\c"));
    for s in [
        "configured",
        "incomplete",
        "installed",
        "ready",
        "running",
        "shutting_down",
        "down",
        "mounted",
        "unavailable",
    ] {
        let line = format!("-:z:{s}:/z:u:b:excl");
        assert_eq!(parse::zoneadm_list(&line).expect(s)[0].state.as_str(), s);
    }
}

#[test]
fn zoneadm_list_refuses_hostile_lines() {
    let cases: &[&str] = &[
        "garbage",
        "1:web:running",
        "x:web:running:/z:u:b:excl",
        "99999999999:web:running:/z:u:b:excl",
        "-1:web:running:/z:u:b:excl",
        "1::running:/z:u:b:excl",
        "1:web:exploded:/z:u:b:excl",
        "1:web:running:/z:u:b:excl\\",
        "1:web:RUNNING:/z:u:b:excl",
        ":::::::",
        "\u{0}:\u{feff}:running:/:u:b:e",
    ];
    for c in cases {
        assert!(parse::zoneadm_list(c).is_err(), "{c:?}");
    }
    assert!(matches!(
        parse::zoneadm_list("1:w:running:/z:u:b:excl\\"),
        Err(ParseError::Escape { .. })
    ));
    assert_eq!(parse::zoneadm_list("\n  \n").map(|v| v.len()), Ok(0));
}

#[test]
fn svcs_states() {
    assert_eq!(
        parse::svcs_state("online\n").map(|s| s.state),
        Ok(SmfState::Online)
    );
    assert_eq!(
        parse::svcs_state("\n maintenance \n").map(|s| s.state),
        Ok(SmfState::Maintenance)
    );
    let t = parse::svcs_state("offline*").expect("transitioning");
    assert!(t.transitioning && t.state == SmfState::Offline);
    for bad in [
        "",
        "\n\n",
        "ONLINE",
        "online**",
        "on line",
        "*",
        "legacy-run",
    ] {
        assert!(parse::svcs_state(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn dladm_vnics() {
    let v =
        parse::dladm_vnics("crk1n0:e1000g0\nstorage0:ixgbe1\nodd\\:name:aggr0\n").expect("parsed");
    assert_eq!(v[2], ("odd:name".to_owned(), "aggr0".to_owned()));
    for bad in ["onlyone", "a:b:c", ":e1000g0", "a:b\\"] {
        assert!(parse::dladm_vnics(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn passwd_entries() {
    let p = parse::passwd("www:x:80:80:Web:/var/www:/bin/sh\n").expect("parsed");
    assert_eq!((p.name.as_str(), p.uid, p.gid), ("www", 80, 80));
    for bad in [
        "",
        "www:x:80:80",
        "www:x:eighty:80:::",
        ":x:80:80:::",
        "-l:x:1:1:::",
        "a b:x:1:1:::",
        "w:x:1:4294967296:::",
    ] {
        assert!(parse::passwd(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn zonecfg_info_minimal_fields() {
    let out = "zonename: web\nzonepath: /zones/web\nbrand: solaris\nautoboot: false\nbootargs:\nlimitpriv: default\nip-type: exclusive\n\
               fs:\n\tdir: /opt/local\n\tspecial: /usr/local\n\ttype: lofs\n\toptions: [ro,nodevices]\n\
               capped-cpu:\n\t[ncpus: 8.00]\nanet:\n\tlinkname: net0\n\tlower-link: net2\n";
    let i = parse::zonecfg_info(out).expect("parsed");
    assert_eq!(i.get("zonepath"), Some("/zones/web"));
    assert_eq!(i.get("bootargs"), Some(""));
    assert_eq!(i.resources.len(), 3);
    assert_eq!(
        i.resources[1],
        (
            "capped-cpu".to_owned(),
            vec![("ncpus".to_owned(), "8.00".to_owned())]
        )
    );
    assert_eq!(i.resources[0].1[3].1, "[ro,nodevices]");
    for bad in ["\tdir: /x\n", "no colon here\n", ": value\n", "fs:\n\t:x\n"] {
        assert!(parse::zonecfg_info(bad).is_err(), "{bad:?}");
    }
}

/// Every byte string of a few hostile shapes: no parser panics.
#[test]
fn no_parser_panics_on_noise() {
    let alphabet = [
        ":", "\\", "\n", "\t", "[", "]", "*", "-", "0", "a", "é", "\u{0}", " ", "running",
    ];
    let mut n: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..5000 {
        let mut s = String::new();
        for _ in 0..(n % 24) {
            n = n
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s.push_str(alphabet[(n >> 33) as usize % alphabet.len()]);
        }
        let _ = parse::zoneadm_list(&s);
        let _ = parse::svcs_state(&s);
        let _ = parse::dladm_vnics(&s);
        let _ = parse::passwd(&s);
        let _ = parse::zonecfg_info(&s);
        let _ = parse::split_escaped("t", &s);
    }
}
