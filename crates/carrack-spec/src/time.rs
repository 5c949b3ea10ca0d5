//! RFC 3339 timestamps as the specs write them (`created` in image configurations and runc's
//! state), formatted without a date library.

/// Formats seconds (and nanoseconds) since the Unix epoch as RFC 3339 UTC. With `nanos` of
/// `Some(n)` the fraction is written as Go's RFC3339Nano does (trailing zeros dropped).
///
/// ```
/// use carrack_spec::time::rfc3339;
/// assert_eq!(rfc3339(0, None), "1970-01-01T00:00:00Z");
/// assert_eq!(rfc3339(1_700_000_000, None), "2023-11-14T22:13:20Z");
/// assert_eq!(rfc3339(1_700_000_000, Some(120_000_000)), "2023-11-14T22:13:20.12Z");
/// ```
pub fn rfc3339(secs: i64, nanos: Option<u32>) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let frac = match nanos.filter(|n| *n > 0 && *n < 1_000_000_000) {
        Some(n) => {
            let digits = format!(".{n:09}");
            digits.trim_end_matches('0').to_owned()
        }
        None => String::new(),
    };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Now, as RFC 3339 with nanoseconds.
///
/// ```
/// assert!(carrack_spec::time::now().ends_with('Z'));
/// ```
pub fn now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(
        i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Some(d.subsec_nanos()),
    )
}
