//! Platform parsing and selection (image-index.md `platform`, "Platform Variants").

use carrack_spec::image::{
    Arch, Descriptor, Digest, MediaType, Os, Platform, PlatformMatcher, PlatformParseError,
};

fn platform(text: &str) -> Platform {
    let mut parts = text.split('/');
    let os = Os::from(parts.next().expect("test value"));
    let arch = Arch::from(parts.next().expect("test value"));
    let mut p = Platform::new(arch, os);
    p.variant = parts.next().map(str::to_owned);
    p
}

fn matcher(text: &str) -> PlatformMatcher {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn entry(n: u8, media_type: MediaType, p: Option<&str>) -> Descriptor {
    let digest: Digest = format!("sha256:{}", format!("{n:x}").repeat(64))
        .parse()
        .expect("test value");
    let mut d = Descriptor::new(media_type, digest, 1);
    d.platform = p.map(platform);
    d
}

#[test]
fn aliases_resolve_to_go_names() {
    assert_eq!(matcher("linux/x86_64"), matcher("linux/amd64"));
    assert_eq!(matcher("Linux/AMD64"), matcher("linux/amd64"));
    assert_eq!(matcher("linux/aarch64"), matcher("linux/arm64"));
    assert_eq!(matcher("linux/arm64/v8"), matcher("linux/arm64"));
    assert_eq!(matcher("linux/arm64/8"), matcher("linux/arm64"));
    assert_eq!(matcher("linux/armhf"), matcher("linux/arm/v7"));
    assert_eq!(matcher("linux/arm/7"), matcher("linux/arm"));
    assert_eq!(matcher("linux/armel"), matcher("linux/arm/v6"));
    assert_eq!(matcher("linux/i386"), matcher("linux/386"));
    assert_eq!(matcher("linux/amd64/v1"), matcher("linux/amd64"));
    assert_eq!(matcher("macos/arm64").os, Os::Darwin);
    assert_eq!(matcher("linux/amd64/v3").to_string(), "linux/amd64/v3");
    assert_eq!(
        matcher("windows(10.0.17763)/amd64").to_string(),
        "windows(10.0.17763)/amd64"
    );
}

#[test]
fn a_lone_os_or_architecture_takes_the_rest_from_the_host() {
    let host = PlatformMatcher::host();
    let os = matcher("windows");
    assert_eq!((os.os, &os.architecture), (Os::Windows, &host.architecture));
    let arch = matcher("riscv64");
    assert_eq!((&arch.os, arch.architecture), (&host.os, Arch::Riscv64));
    let same = matcher(host.architecture.as_str());
    assert_eq!(same, host);
}

#[test]
fn nonsense_does_not_parse() {
    assert_eq!(PlatformMatcher::parse(""), Err(PlatformParseError::Empty));
    for bad in ["banana", "linux/banana", "banana/amd64"] {
        let e = PlatformMatcher::parse(bad).expect_err("nonsense");
        assert!(
            matches!(e, PlatformParseError::Unknown { .. }),
            "{bad}: {e}"
        );
        assert!(e.to_string().contains("banana"), "{e}");
        assert!(e.to_string().contains("SHOULD understand"), "{e}");
    }
    assert!(matches!(
        PlatformMatcher::parse("linux/amd64/v3/x"),
        Err(PlatformParseError::Shape { .. })
    ));
    for bad in ["linux/amd64/v9", "linux/arm64/v7", "linux/arm/v4"] {
        assert!(
            matches!(
                PlatformMatcher::parse(bad),
                Err(PlatformParseError::Variant { .. })
            ),
            "{bad}"
        );
    }
    // Go knows these even though they have no variant of their own in the enum.
    assert!(PlatformMatcher::parse("linux/sparc64").is_ok());
    assert!(PlatformMatcher::parse("hurd/386").is_ok());
}

#[test]
fn amd64_levels_run_the_levels_below() {
    let v3 = matcher("linux/amd64/v3");
    assert_eq!(v3.rank(&platform("linux/amd64/v3")), Some(0));
    assert_eq!(v3.rank(&platform("linux/amd64/v2")), Some(1));
    assert_eq!(v3.rank(&platform("linux/amd64/v1")), Some(2));
    assert_eq!(v3.rank(&platform("linux/amd64")), Some(2));
    assert_eq!(v3.rank(&platform("linux/amd64/v4")), None);
    let base = matcher("linux/amd64");
    assert_eq!(base.rank(&platform("linux/amd64")), Some(0));
    assert_eq!(base.rank(&platform("linux/amd64/v1")), Some(0));
    assert_eq!(base.rank(&platform("linux/amd64/v2")), None);
    assert_eq!(base.rank(&platform("linux/x86_64")), Some(0));
    assert_eq!(base.rank(&platform("linux/arm64")), None);
    assert_eq!(base.rank(&platform("windows/amd64")), None);
}

#[test]
fn arm_variants_fall_back_as_containerd_orders_them() {
    let a64 = matcher("linux/arm64/v8.2");
    assert_eq!(a64.rank(&platform("linux/arm64/v8.2")), Some(0));
    assert_eq!(a64.rank(&platform("linux/arm64/v8")), Some(2));
    assert_eq!(a64.rank(&platform("linux/arm64")), Some(2));
    assert_eq!(a64.rank(&platform("linux/aarch64/v8.0")), Some(2));
    assert_eq!(a64.rank(&platform("linux/arm64/v9")), None);
    let v9 = matcher("linux/arm64/v9");
    assert!(v9.matches(&platform("linux/arm64/v8.5")));
    assert!(!v9.matches(&platform("linux/arm64/v8.6")));
    let arm = matcher("linux/arm/v7");
    assert!(arm.matches(&platform("linux/arm/v6")));
    assert!(arm.matches(&platform("linux/arm/v5")));
    assert!(arm.matches(&platform("linux/arm")));
    assert!(!arm.matches(&platform("linux/arm/v8")));
    assert!(!matcher("linux/arm/v6").matches(&platform("linux/arm")));
}

#[test]
fn variants_off_a_ladder_must_be_equal() {
    let p9 = matcher("linux/ppc64le/power9");
    assert!(p9.matches(&platform("linux/ppc64le/power9")));
    assert!(!p9.matches(&platform("linux/ppc64le/power8")));
    assert!(!p9.matches(&platform("linux/ppc64le")));
    assert!(matcher("linux/ppc64le").matches(&platform("linux/ppc64le")));
    assert!(!matcher("linux/ppc64le").matches(&platform("linux/ppc64le/power9")));
}

#[test]
fn os_version_and_features() {
    let win = matcher("windows(10.0.17763.1234)/amd64");
    let mut p = platform("windows/amd64");
    assert!(win.matches(&p), "no os.version in the entry: any");
    p.os_version = Some("10.0.17763.5000".into());
    assert!(win.matches(&p), "the same build");
    p.os_version = Some("10.0.20348.1".into());
    assert!(!win.matches(&p), "another build");
    let mut linux = platform("linux/amd64");
    linux.os_features = Some(vec!["sse9".into()]);
    let mut m = matcher("linux/amd64");
    assert!(!m.matches(&linux), "a mandatory feature the matcher lacks");
    m.os_features.push("sse9".into());
    assert!(m.matches(&linux));
}

#[test]
fn select_takes_the_best_then_the_first() {
    let entries = [
        entry(1, MediaType::ImageManifest, Some("linux/arm64")),
        entry(2, MediaType::ImageManifest, None),
        entry(3, MediaType::ImageLayer, Some("linux/amd64/v3")),
        entry(4, MediaType::ImageManifest, Some("linux/amd64")),
        entry(5, MediaType::ImageManifest, Some("linux/amd64/v2")),
        entry(6, MediaType::ImageManifest, Some("linux/amd64/v2")),
        entry(7, MediaType::ImageIndex, Some("linux/riscv64")),
    ];
    let digest = |d: Option<&Descriptor>| d.map(|d| d.digest.to_string()[7..8].to_owned());
    let pick = |text: &str| digest(matcher(text).select(&entries));
    assert_eq!(
        pick("linux/amd64/v3"),
        Some("5".into()),
        "v2 is best; a layer is no manifest"
    );
    assert_eq!(
        pick("linux/amd64/v2"),
        Some("5".into()),
        "the first of equals"
    );
    assert_eq!(pick("linux/amd64"), Some("4".into()));
    assert_eq!(pick("linux/arm64/v8.1"), Some("1".into()));
    assert_eq!(pick("linux/riscv64"), Some("7".into()), "a nested index");
    assert_eq!(
        pick("linux/s390x"),
        None,
        "unplatformed entries are left to the caller"
    );
}

#[test]
fn the_host_matches_itself() {
    let host = PlatformMatcher::host();
    let p = Platform::new(host.architecture.clone(), host.os.clone());
    assert_eq!(host.rank(&p).map(|_| ()), Some(()));
    assert!(host.matches(&p), "{host} must run its baseline");
}

/// ChainIDs as docker computed them: an image of two layers written by umoci, converted by
/// skopeo and loaded into dockerd 20.10, whose layer store names each layer stack by ChainID
/// (`/var/lib/docker/image/overlay2/layerdb/sha256/<chain>`).
#[test]
fn chain_ids_are_the_ones_docker_names_its_layers_by() {
    let diff_ids: Vec<carrack_spec::image::Digest> = [
        "sha256:7cee3db94b02bac00f1f419617654e41bcc17fc7b8b2a55c35d378f7fc1fbe3c",
        "sha256:fda4f2066414896a7351d129e76a664baeb5104b138d6db8a56c572da3e68fdc",
    ]
    .iter()
    .map(|d| d.parse().expect("digest"))
    .collect();
    let chain: Vec<String> = carrack_spec::image::RootFs::layers(diff_ids)
        .chain_ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        chain,
        [
            "sha256:7cee3db94b02bac00f1f419617654e41bcc17fc7b8b2a55c35d378f7fc1fbe3c",
            "sha256:6ab9e886e8c6458d35d0813375f593c772eb664f58d6d37c54b785fc0edc292a",
        ]
    );
}
