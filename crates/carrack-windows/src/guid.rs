//! Layer ids: the GUID HCS knows a layer folder by.
//!
//! hcsshim derives a layer's id with `wclayer.LayerID`: the folder's base name given to
//! `NameToGuid` of vmcompute.dll ("the algorithm in the Host Compute Service, ensuring GUIDs
//! generated with the same string are common across all clients"). That algorithm is not
//! published, so it cannot be reproduced off Windows. This crate therefore:
//!
//! - on Windows, asks vmcompute.dll (`NameToGuid`) through the real executor
//!   ([`crate::executor::Executor::layer_id`]) and hands the answers to the planner in
//!   [`crate::HostFacts::layer_ids`], so the ids are exactly hcsshim's;
//! - elsewhere (and in tests) uses [`name_to_guid`], an RFC 4122 version-5 (SHA-1, name-based)
//!   UUID of the base name under the namespace [`LAYER_NAMESPACE`] — stable and collision-free
//!   like NameToGuid's, but not the same values. It is computed as Go's
//!   `github.com/Microsoft/go-winio/pkg/guid.NewV5` and Python's `uuid.uuid5` compute theirs.

use sha1::{Digest, Sha1};

/// The namespace of [`name_to_guid`]: `uuid5(NAMESPACE_URL,
/// "https://github.com/carrack-oci/carrack/windows/layer-id")`.
pub const LAYER_NAMESPACE: [u8; 16] = [
    0x53, 0x09, 0x23, 0x39, 0x04, 0x30, 0x54, 0x2e, 0xa2, 0x76, 0x4a, 0x21, 0x18, 0x01, 0x38, 0x11,
];

/// The RFC 4122 version-5 UUID of `name` in `namespace`, as lower-case text.
///
/// ```
/// // RFC 4122's DNS namespace and the example of Python's documentation.
/// let dns = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];
/// assert_eq!(carrack_windows::uuid_v5(&dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
/// ```
pub fn uuid_v5(namespace: &[u8; 16], name: &str) -> String {
    let mut h = Sha1::new();
    h.update(namespace);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The last component of a Windows path (`\` or `/` separated), as `filepath.Split` gives it.
pub(crate) fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches(['\\', '/']);
    trimmed.rsplit(['\\', '/']).next().unwrap_or(trimmed)
}

/// The portable layer id of a layer folder: [`uuid_v5`] of its base name under
/// [`LAYER_NAMESPACE`] (see the module documentation for why it is not NameToGuid's value).
///
/// ```
/// assert_eq!(
///     carrack_windows::name_to_guid(r"C:\Layers\layer-base"),
///     "95272fe2-1c10-5330-b7c3-501f776c1d93"
/// );
/// ```
pub fn name_to_guid(folder: &str) -> String {
    uuid_v5(&LAYER_NAMESPACE, base_name(folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DNS: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    const URL: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];

    #[test]
    fn rfc4122_v5_vectors() {
        // The widely published v5 vector, and Python's uuid.uuid5 answers.
        assert_eq!(
            uuid_v5(&DNS, "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2"
        );
        assert_eq!(
            uuid_v5(
                &URL,
                "https://github.com/carrack-oci/carrack/windows/layer-id"
            ),
            "53092339-0430-542e-a276-4a2118013811"
        );
    }

    #[test]
    fn layer_ids_hash_the_base_name_only() {
        // Vectors computed with Python's uuid.uuid5(LAYER_NAMESPACE, name).
        for (path, want) in [
            (
                r"C:\Layers\layer-base",
                "95272fe2-1c10-5330-b7c3-501f776c1d93",
            ),
            (r"D:\x\layer1\", "9160622b-17cb-579a-8e5c-ef3220112420"),
            (
                "C:/l/C8B1AA3E1B1D2B1A",
                "efa872c0-6246-5ed4-8930-800fda24bbce",
            ),
            ("sandbox", "e1dfca4a-ab7c-5eac-8aeb-1c1427e02f25"),
            ("", "439f352f-dcc5-5dc4-a8ea-9d6510d4fcda"),
        ] {
            assert_eq!(name_to_guid(path), want, "{path}");
        }
    }
}
