//! Small predicates shared by the validators.

/// Whether `v` is a SemVer 2.0.0 version (`MAJOR.MINOR.PATCH[-pre][+build]`).
pub(crate) fn is_semver(v: &str) -> bool {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let numeric = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let mut parts = core.split('.');
    let core_ok = (0..3).all(|_| parts.next().is_some_and(numeric)) && parts.next().is_none();
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id)))
    });
    let build_ok = build.is_none_or(|b| b.split('.').all(ident));
    core_ok && pre_ok && build_ok
}

/// Parses the `MAJOR.MINOR.PATCH` of a SemVer string, ignoring pre-release and build.
pub(crate) fn semver_core(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// Whether `p` is an absolute POSIX path.
pub(crate) fn is_abs_posix(p: &str) -> bool {
    p.starts_with('/')
}

/// Whether `p` is an absolute Windows path: `C:\…`, `\\server\share…` or `\\?\…`.
pub(crate) fn is_abs_windows(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || p.starts_with(r"\\")
}

/// Whether `p` is a Windows volume GUID path, `\\?\Volume{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}\`.
pub(crate) fn is_volume_guid_path(p: &str) -> bool {
    let Some(rest) = p.strip_prefix(r"\\?\Volume{") else {
        return false;
    };
    let Some(guid) = rest.strip_suffix(r"}\") else {
        return false;
    };
    let groups: Vec<&str> = guid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `s` is a list like `0-3,7` (as for cpusets and NUMA nodes).
pub(crate) fn is_cpu_list(s: &str) -> bool {
    let s = s.trim();
    s.is_empty()
        || s.split(',').all(|part| {
            let part = part.trim();
            let num = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
            match part.split_once('-') {
                Some((a, b)) => num(a.trim()) && num(b.trim()),
                None => num(part),
            }
        })
}

/// Whether `s` is a huge page size as in cgroup file names: digits then `KB`, `MB`, `GB`…
pub(crate) fn is_hugepage_size(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&s[digits..], "KB" | "MB" | "GB" | "TB" | "PB")
}

/// Whether `s` looks like an RFC 3986 URI: a scheme, `:`, and no characters a URI cannot hold.
pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let sb = scheme.as_bytes();
    !sb.is_empty()
        && sb[0].is_ascii_alphabetic()
        && sb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && rest.bytes().all(|c| {
            c.is_ascii_graphic()
                && !matches!(
                    c,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        for ok in [
            "1.3.0",
            "0.0.0",
            "1.0.2-dev",
            "1.0.0-rc.1+build.5",
            "10.20.30",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.3", "1", "01.0.0", "1.0.0-", "1.0.0-01", "a.b.c", "1.0.0+", "",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn paths_and_lists() {
        assert!(is_volume_guid_path(
            r"\\?\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\"
        ));
        assert!(!is_volume_guid_path(r"C:\rootfs"));
        assert!(
            is_abs_windows(r"C:\foo")
                && is_abs_windows(r"\\server\share")
                && !is_abs_windows("foo")
        );
        assert!(is_cpu_list("0-3,7") && is_cpu_list("") && !is_cpu_list("0-") && !is_cpu_list("a"));
        assert!(
            is_hugepage_size("2MB")
                && is_hugepage_size("64KB")
                && !is_hugepage_size("2M")
                && !is_hugepage_size("MB")
        );
        assert!(is_uri("https://example.com/x") && !is_uri("no scheme") && !is_uri("://x"));
        assert_eq!(semver_core("1.2.3-rc1"), Some((1, 2, 3)));
    }
}
