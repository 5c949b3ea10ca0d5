//! Owner mapping for rootless unpacking: container ids (as the tar headers give them) to host
//! ids, in the `container:host:size` form umoci and newuidmap use.

use std::fmt;
use std::str::FromStr;

/// One contiguous range of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// First id inside the container.
    pub container: u32,
    /// First id on the host.
    pub host: u32,
    /// Number of ids.
    pub size: u32,
}

impl IdRange {
    fn map(&self, id: u32) -> Option<u32> {
        let off = id.checked_sub(self.container)?;
        (off < self.size)
            .then(|| self.host.checked_add(off))
            .flatten()
    }
}

impl FromStr for IdRange {
    type Err = IdMapError;
    fn from_str(s: &str) -> Result<Self, IdMapError> {
        let bad = || IdMapError(s.to_owned());
        let mut it = s.split(':').map(|p| p.parse::<u32>().map_err(|_| bad()));
        let (Some(c), Some(h), size, None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        let size = size.unwrap_or(Ok(1))?;
        if size == 0 {
            return Err(bad());
        }
        Ok(Self {
            container: c?,
            host: h?,
            size,
        })
    }
}

impl fmt::Display for IdRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.container, self.host, self.size)
    }
}

/// A range that is not `container:host[:size]` with a non-zero size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?}: an id mapping is container:host[:size] with a non-zero size")]
pub struct IdMapError(String);

/// uid and gid mappings. An empty list maps nothing.
///
/// ```
/// use carrack_unpack::IdMap;
/// let map = IdMap { uids: vec!["0:1000:1".parse()?, "1:100000:65536".parse()?], gids: vec![] };
/// assert_eq!(map.uid(0), Some(1000));
/// assert_eq!(map.uid(33), Some(100032));
/// assert_eq!(map.gid(0), None);
/// # Ok::<(), carrack_unpack::IdMapError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdMap {
    /// uid ranges.
    pub uids: Vec<IdRange>,
    /// gid ranges.
    pub gids: Vec<IdRange>,
}

impl IdMap {
    /// The host uid of container uid `id`.
    pub fn uid(&self, id: u32) -> Option<u32> {
        self.uids.iter().find_map(|r| r.map(id))
    }
    /// The host gid of container gid `id`.
    pub fn gid(&self, id: u32) -> Option<u32> {
        self.gids.iter().find_map(|r| r.map(id))
    }
    /// The container uid of host uid `id` (the reverse direction, for committing).
    pub fn uid_back(&self, id: u32) -> Option<u32> {
        back(&self.uids, id)
    }
    /// The container gid of host gid `id`.
    pub fn gid_back(&self, id: u32) -> Option<u32> {
        back(&self.gids, id)
    }
}

fn back(ranges: &[IdRange], id: u32) -> Option<u32> {
    ranges.iter().find_map(|r| {
        IdRange {
            container: r.host,
            host: r.container,
            size: r.size,
        }
        .map(id)
    })
}

impl From<IdRange> for carrack_spec::runtime::IdMapping {
    fn from(r: IdRange) -> Self {
        Self::new(r.container, r.host, r.size)
    }
}

impl From<&carrack_spec::runtime::IdMapping> for IdRange {
    fn from(m: &carrack_spec::runtime::IdMapping) -> Self {
        Self {
            container: m.container_id,
            host: m.host_id,
            size: m.size,
        }
    }
}

impl IdMap {
    /// The mapping a runtime configuration gives its user namespace (`linux.uidMappings`,
    /// `linux.gidMappings`).
    ///
    /// ```
    /// use carrack_unpack::IdMap;
    /// let spec = carrack_spec::runtime::Spec::default_linux_rootless(1000, 100);
    /// let map = IdMap::from_spec(&spec);
    /// assert_eq!((map.uid(0), map.gid(0)), (Some(1000), Some(100)));
    /// let mut back = carrack_spec::runtime::Spec::default_linux();
    /// map.set_in_spec(&mut back);
    /// assert_eq!(IdMap::from_spec(&back), map);
    /// ```
    pub fn from_spec(spec: &carrack_spec::runtime::Spec) -> Self {
        let ranges = |m: Option<&Vec<carrack_spec::runtime::IdMapping>>| {
            m.into_iter().flatten().map(IdRange::from).collect()
        };
        let linux = spec.linux.as_ref();
        Self {
            uids: ranges(linux.and_then(|l| l.uid_mappings.as_ref())),
            gids: ranges(linux.and_then(|l| l.gid_mappings.as_ref())),
        }
    }

    /// Writes this mapping as the configuration's `linux.uidMappings` and `linux.gidMappings`.
    pub fn set_in_spec(&self, spec: &mut carrack_spec::runtime::Spec) {
        let linux = spec.linux.get_or_insert_with(Default::default);
        linux.uid_mappings = Some(self.uids.iter().copied().map(Into::into).collect());
        linux.gid_mappings = Some(self.gids.iter().copied().map(Into::into).collect());
    }
}
