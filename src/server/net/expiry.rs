//! When a certificate expires: its `notAfter`, for the `acdhub_tls_certificate_not_after_seconds`
//! gauge that an alert watches, so a renewal that did not happen is seen before browsers see it.
//!
//! Read straight from the DER: the field sits at a fixed place in every X.509 certificate
//! (RFC 5280, 4.1), so walking five elements of the outer structure finds it, and no X.509 crate
//! is needed for one date. rustls has already parsed and accepted the certificate by then; a
//! certificate this walk cannot read just leaves the gauge as it was.
//!
//! ```text
//! Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, ... }
//! TBSCertificate ::= SEQUENCE { version [0] EXPLICIT (optional), serialNumber INTEGER,
//!     signature AlgorithmIdentifier, issuer Name, validity SEQUENCE { notBefore Time,
//!     notAfter Time }, ... }
//! Time ::= UTCTime "YYMMDDHHMMSSZ" | GeneralizedTime "YYYYMMDDHHMMSSZ"
//! ```

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// The certificate's `notAfter` as Unix seconds; `None` if the DER is not shaped like a
/// certificate.
pub fn not_after(der: &[u8]) -> Option<i64> {
    let (SEQUENCE, certificate, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, mut tbs, _) = element(certificate)? else {
        return None;
    };
    if tbs.first() == Some(&VERSION) {
        tbs = element(tbs)?.2;
    }
    // serialNumber, signature, issuer
    for _ in 0..3 {
        tbs = element(tbs)?.2;
    }
    let (SEQUENCE, validity, _) = element(tbs)? else {
        return None;
    };
    let after_not_before = element(validity)?.2;
    let (tag, time, _) = element(after_not_before)?;
    time_of(tag, time)
}

/// One DER element: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    // Multi-byte tags do not occur in the part of a certificate read here.
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let (bytes, after) = rest.split_at(count);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |length, byte| length << 8 | usize::from(*byte))
    };
    if rest.len() < length {
        return None;
    }
    let (contents, after) = rest.split_at(length);
    Some((tag, contents, after))
}

/// A UTCTime (years 1950 to 2049) or GeneralizedTime in UTC, as Unix seconds.
fn time_of(tag: u8, text: &[u8]) -> Option<i64> {
    let digits = std::str::from_utf8(text).ok()?.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let year: i16 = digits[..2].parse().ok()?;
            (
                if year >= 50 { 1900 + year } else { 2000 + year },
                &digits[2..],
            )
        }
        (GENERALIZED_TIME, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let two = |at: usize| rest[at..at + 2].parse::<i8>().ok();
    let when = DateTime::new(year, two(0)?, two(2)?, two(4)?, two(6)?, two(8)?, 0).ok()?;
    Some(when.to_zoned(TimeZone::UTC).ok()?.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    use super::*;

    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn the_development_certificates_expiry_is_read() {
        // openssl x509 -noout -enddate: notAfter=Nov 20 12:57:22 2036 GMT
        let localhost = der(include_str!("../../../certs/localhost.pem"));
        assert_eq!(not_after(&localhost), Some(2_110_798_642));
        // The CA (no extensions of its own in the way) too, which expires the same day.
        let ca = der(include_str!("../../../certs/dev-ca.pem"));
        assert!(not_after(&ca).is_some());
    }

    #[test]
    fn both_time_forms_are_read_in_utc() {
        assert_eq!(time_of(UTC_TIME, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(time_of(UTC_TIME, b"700101000000Z"), Some(0));
        assert_eq!(
            time_of(GENERALIZED_TIME, b"20500101000000Z"),
            Some(2_524_608_000)
        );
        assert_eq!(time_of(UTC_TIME, b"700101000000"), None, "not UTC");
        assert_eq!(time_of(UTC_TIME, b"20500101000000Z"), None);
        assert_eq!(time_of(GENERALIZED_TIME, b"2050010100000Z"), None);
        assert_eq!(time_of(UTC_TIME, b"701301000000Z"), None, "month 13");
    }

    #[test]
    fn what_is_not_a_certificate_has_no_expiry() {
        let der = der(include_str!("../../../certs/localhost.pem"));
        assert_eq!(not_after(&der[..der.len() / 3]), None, "cut short");
        assert_eq!(not_after(b""), None);
        assert_eq!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(not_after(b"not a certificate"), None);
    }
}
