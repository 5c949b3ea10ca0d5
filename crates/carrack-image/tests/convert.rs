//! conversion.md, rule by rule.

use carrack_image::{ConvertError, ConvertOptions, EtcFiles, Volumes, to_runtime};
use carrack_spec::Document;
use carrack_spec::image::ImageConfiguration;
use carrack_spec::runtime::{Process, Spec};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/usr/sbin/nologin\napp:x:1000:1000::/home/app:/bin/sh\n";
const GROUP: &str = "root:x:0:\nweb:x:33:\nlog:x:4:web,app\nvideo:x:44:app\napp:x:1000:\n";

fn image(config: &str) -> ImageConfiguration {
    ImageConfiguration::from_json_str(&format!(
        r#"{{"architecture":"arm64","variant":"v8","os":"linux","os.version":"6.1","os.features":["a","b"],"author":"me","created":"2024-01-01T00:00:00Z","config":{config},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    ))
    .expect("image config")
}

fn base() -> Spec {
    let mut s = Spec::new("1.3.0");
    let mut p = Process::new("/");
    p.args = Some(vec!["sh".into()]);
    p.env = Some(vec!["PATH=/bin".into(), "TERM=xterm".into()]);
    s.process = Some(p);
    s
}

fn convert(config: &str) -> Result<Spec, ConvertError> {
    to_runtime(
        &image(config),
        base(),
        &EtcFiles::parse(PASSWD, GROUP),
        &ConvertOptions::default(),
    )
}

fn process(s: &Spec) -> &Process {
    s.process.as_ref().expect("process")
}

#[test]
fn verbatim_fields() {
    let s = convert(
        r#"{"WorkingDir":"/srv","Env":["PATH=/usr/bin","A=1"],"Entrypoint":["/app"],"Cmd":["-v"]}"#,
    )
    .expect("convert");
    let p = process(&s);
    assert_eq!(p.cwd, "/srv");
    // Image entries first; the base's only for names the image does not set (PATH is not duplicated).
    assert_eq!(
        p.env,
        Some(vec![
            "PATH=/usr/bin".into(),
            "A=1".into(),
            "TERM=xterm".into()
        ])
    );
    assert_eq!(p.args, Some(vec!["/app".into(), "-v".into()]));
    let s = convert(r#"{"Cmd":["echo","hi"]}"#).expect("cmd only");
    assert_eq!(process(&s).args, Some(vec!["echo".into(), "hi".into()]));
    let s = convert(r#"{"Entrypoint":["/e"]}"#).expect("entrypoint only");
    assert_eq!(process(&s).args, Some(vec!["/e".into()]));
    let s = convert(r#"{}"#).expect("neither");
    assert_eq!(
        process(&s).args,
        Some(vec!["sh".into()]),
        "the base's args stay"
    );
}

#[test]
fn user_parsing() {
    let u = |c: &str| {
        convert(&format!(r#"{{"User":"{c}"}}"#)).map(|s| process(&s).user.clone().expect("user"))
    };
    let web = u("web").expect("web");
    assert_eq!(
        (web.uid, web.gid, web.additional_gids.clone()),
        (Some(33), Some(33), Some(vec![4]))
    );
    let app = u("app").expect("app");
    assert_eq!(app.additional_gids, Some(vec![4, 44]));
    let numeric = u("1000:44").expect("numeric");
    assert_eq!(
        (numeric.uid, numeric.gid, numeric.additional_gids),
        (Some(1000), Some(44), None)
    );
    let named_group = u("app:video").expect("app:video");
    assert_eq!(
        (named_group.gid, named_group.additional_gids),
        (Some(44), None),
        "a given group means no additionalGids"
    );
    let only_uid = u("33").expect("33");
    assert_eq!(
        (only_uid.uid, only_uid.gid, only_uid.additional_gids),
        (Some(33), Some(33), None)
    );
    assert_eq!(
        u("nobody-here"),
        Err(ConvertError::NoSuchUser("nobody-here".into()))
    );
    assert_eq!(
        u("web:nogroup"),
        Err(ConvertError::NoSuchGroup("nogroup".into()))
    );
}

#[test]
fn annotations_from_the_configuration_and_labels_win() {
    let s = convert(r#"{"StopSignal":"SIGQUIT","ExposedPorts":{"80/tcp":{},"53/udp":{}},"Labels":{"org.opencontainers.image.author":"label wins","x.y":"z"}}"#)
        .expect("convert");
    let a = s.annotations.expect("annotations");
    let get = |k: &str| {
        a.get(&format!("org.opencontainers.image.{k}"))
            .map(String::as_str)
    };
    assert_eq!(get("os"), Some("linux"));
    assert_eq!(get("architecture"), Some("arm64"));
    assert_eq!(get("variant"), Some("v8"));
    assert_eq!(get("os.version"), Some("6.1"));
    assert_eq!(get("os.features"), Some("a,b"));
    assert_eq!(get("created"), Some("2024-01-01T00:00:00Z"));
    assert_eq!(get("stopSignal"), Some("SIGQUIT"));
    assert_eq!(get("exposedPorts"), Some("53/udp,80/tcp"));
    assert_eq!(get("author"), Some("label wins"));
    assert_eq!(a.get("x.y").map(String::as_str), Some("z"));
}

#[test]
fn volumes_are_checked_and_optionally_mounted() {
    assert!(matches!(
        convert(r#"{"Volumes":{"/data/../../etc":{}}}"#),
        Err(ConvertError::BadVolume(_))
    ));
    assert!(matches!(
        convert(r#"{"Volumes":{"relative":{}}}"#),
        Err(ConvertError::BadVolume(_))
    ));
    let s = convert(r#"{"Volumes":{"/data":{}}}"#).expect("ignored by default");
    assert!(s.mounts.is_none());
    let mut opts = ConvertOptions::default();
    opts.volumes = Volumes::Tmpfs;
    let s = to_runtime(
        &image(r#"{"Volumes":{"/data":{}}}"#),
        base(),
        &EtcFiles::default(),
        &opts,
    )
    .expect("tmpfs");
    let m = &s.mounts.expect("mounts")[0];
    assert_eq!(
        (m.destination.as_str(), m.kind.as_deref()),
        ("/data", Some("tmpfs"))
    );
}

#[test]
fn converting_runc_default_gives_a_valid_config() {
    let s = to_runtime(
        &image(r#"{"User":"app","Cmd":["/bin/sh"],"WorkingDir":"/home/app"}"#),
        Spec::default_linux(),
        &EtcFiles::parse(PASSWD, GROUP),
        &ConvertOptions::default(),
    )
    .expect("convert");
    let report = s.validate();
    assert!(report.is_valid(), "{report}");
}
