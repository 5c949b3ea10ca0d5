//! Documents carrack generates itself, validated by `carrack validate` with no argument.

use carrack_spec::Document;
use carrack_spec::image::{
    Arch, Descriptor, Digest, ExecConfig, History, ImageConfiguration, ImageIndex, ImageLayout,
    ImageManifest, MediaType, Os, Platform, RootFs, annotations,
};
use carrack_spec::runtime::{Spec, State, Status};

/// One generated document: a name to show, and its JSON bytes.
pub(crate) struct Embedded {
    pub(crate) name: &'static str,
    pub(crate) bytes: Vec<u8>,
}

fn descriptor_of<T: Document>(media_type: MediaType, doc: &T) -> (Descriptor, Vec<u8>) {
    let bytes = doc.to_vec();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    (
        Descriptor::new(media_type, Digest::sha256_of(&bytes), size),
        bytes,
    )
}

/// runc's default config, its rootless variant, a state, carrack's features, and a two-platform
/// image (configs, manifests, index, oci-layout) whose descriptors carry the real digests.
pub(crate) fn documents() -> Vec<Embedded> {
    let mut out = vec![
        Embedded {
            name: "config.json (runc spec default)",
            bytes: Spec::default_linux().to_vec(),
        },
        Embedded {
            name: "config.json (runc spec --rootless)",
            bytes: Spec::default_linux_rootless(1000, 1000).to_vec(),
        },
    ];
    let mut state = State::new(
        carrack_spec::runtime::VERSION,
        "demo",
        Status::Created,
        "/run/bundles/demo",
    );
    state.pid = Some(4242);
    out.push(Embedded {
        name: "state",
        bytes: state.to_vec(),
    });
    // What carrack's own Linux backend reports.
    let features = crate::host::features();
    out.push(Embedded {
        name: "features",
        bytes: features.to_vec(),
    });

    let mut manifests = Vec::new();
    for (arch, variant) in [(Arch::Amd64, None), (Arch::Arm64, Some("v8"))] {
        let layer = Digest::sha256_of(format!("layer for {arch}").as_bytes());
        let mut exec = ExecConfig::default();
        exec.env = Some(vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ]);
        exec.cmd = Some(vec!["/bin/sh".into()]);
        exec.working_dir = Some("/".into());
        let mut config =
            ImageConfiguration::new(arch.clone(), Os::Linux, RootFs::layers(vec![layer.clone()]));
        config.created = Some("2026-01-01T00:00:00Z".into());
        config.variant = variant.map(String::from);
        config.config = Some(exec);
        let mut history = History::default();
        history.created_by = Some("carrack embedded example".into());
        config.history = Some(vec![history]);
        let (config_desc, config_bytes) = descriptor_of(MediaType::ImageConfig, &config);
        let layer_desc = Descriptor::new(MediaType::ImageLayerGzip, layer, 32);
        let mut manifest = ImageManifest::new(config_desc, vec![layer_desc]);
        manifest.annotations = Some(
            [(
                annotations::CREATED.to_owned(),
                "2026-01-01T00:00:00Z".to_owned(),
            )]
            .into_iter()
            .collect(),
        );
        let (mut manifest_desc, manifest_bytes) =
            descriptor_of(MediaType::ImageManifest, &manifest);
        let mut platform = Platform::new(arch, Os::Linux);
        platform.variant = variant.map(String::from);
        manifest_desc.platform = Some(platform);
        manifests.push(manifest_desc);
        out.push(Embedded {
            name: "image configuration",
            bytes: config_bytes,
        });
        out.push(Embedded {
            name: "image manifest",
            bytes: manifest_bytes,
        });
    }
    let mut index = ImageIndex::new(manifests);
    index.annotations = Some(
        [(annotations::REF_NAME.to_owned(), "latest".to_owned())]
            .into_iter()
            .collect(),
    );
    out.push(Embedded {
        name: "image index",
        bytes: index.to_vec(),
    });
    out.push(Embedded {
        name: "oci-layout",
        bytes: ImageLayout::new().to_vec(),
    });
    out
}
