//! Canonical JSON (RFC 8785, "JCS") writer used to turn audit entries into
//! their leaf bytes: object members sorted by the UTF-16 code units of their
//! names, no insignificant whitespace, minimal string escaping, and ECMAScript
//! number formatting. One deliberate, documented difference: integers whose
//! magnitude exceeds 2^53 are written with all their decimal digits instead
//! of being rounded to the nearest double, so that no two distinct stored
//! integers share leaf bytes.

use serde_json::{Map, Number, Value};

/// Append the canonical form of `value` to `out`.
pub fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(members, out),
    }
}

/// The canonical form of `value` as a byte vector.
pub fn to_canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(value, &mut out);
    out
}

fn write_object(members: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(left, _), (right, _)| compare_utf16(left, right));
    out.push(b'{');
    for (position, (name, member)) in sorted.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_string(name, out);
        out.push(b':');
        write_value(member, out);
    }
    out.push(b'}');
}

/// RFC 8785 orders member names by their UTF-16 code units. For ASCII and
/// most of the BMP this equals byte order; it differs only for characters
/// above U+FFFF versus U+E000..U+FFFF.
fn compare_utf16(left: &str, right: &str) -> std::cmp::Ordering {
    if left.is_ascii() && right.is_ascii() {
        left.as_bytes().cmp(right.as_bytes())
    } else {
        left.encode_utf16().cmp(right.encode_utf16())
    }
}

/// Append a JSON string literal escaped as RFC 8785 requires: `"` and `\`
/// escaped, U+0008/09/0A/0C/0D as `\b \t \n \f \r`, every other control
/// character below U+0020 as `\u00xx` (lowercase hex), everything else
/// written as raw UTF-8.
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (position, &byte) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match byte {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            b'\t' => Some(b"\\t"),
            b'\n' => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            b'\r' => Some(b"\\r"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..position]);
        match escape {
            Some(sequence) => out.extend_from_slice(sequence),
            None => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0x0f)]);
            }
        }
        run_start = position + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Append an unsigned integer in decimal.
pub fn write_u64(value: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut cursor = digits.len();
    let mut rest = value;
    loop {
        cursor -= 1;
        digits[cursor] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[cursor..]);
}

fn write_number(number: &Number, out: &mut Vec<u8>) {
    if let Some(unsigned) = number.as_u64() {
        write_u64(unsigned, out);
    } else if let Some(signed) = number.as_i64() {
        out.push(b'-');
        write_u64(signed.unsigned_abs(), out);
    } else if let Some(float) = number.as_f64() {
        write_f64(float, out);
    } else {
        // Arbitrary-precision numbers are not enabled; fall back to the
        // number's own text so the output stays deterministic.
        out.extend_from_slice(number.to_string().as_bytes());
    }
}

/// ECMAScript `Number.prototype.toString` for a finite double, as required
/// by RFC 8785 section 3.2.2.3. Rust's `{:e}` formatting yields the shortest
/// digit string that round-trips, which is exactly the digit string
/// ECMAScript uses; only the layout rules differ.
pub fn write_f64(value: f64, out: &mut Vec<u8>) {
    if value == 0.0 || !value.is_finite() {
        // -0 is written as 0; JSON values cannot hold NaN or infinities.
        out.push(b'0');
        return;
    }
    if value < 0.0 {
        out.push(b'-');
    }
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent_text) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i64 = exponent_text.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let digit_count = digits.len() as i64;
    // `point` is ECMAScript's n: the value is 0.d1d2..dk × 10^n.
    let point = exponent + 1;
    if digit_count <= point && point <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (point - digit_count) as usize));
    } else if 0 < point && point <= 21 {
        let (integer, fraction) = digits.split_at(point as usize);
        out.extend_from_slice(integer);
        out.push(b'.');
        out.extend_from_slice(fraction);
    } else if -6 < point && point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        out.push(b'e');
        let shown_exponent = point - 1;
        out.push(if shown_exponent < 0 { b'-' } else { b'+' });
        write_u64(shown_exponent.unsigned_abs(), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: &Value) -> String {
        String::from_utf8(to_canonical_bytes(value)).unwrap()
    }

    fn float(value: f64) -> String {
        let mut out = Vec::new();
        write_f64(value, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn objects_are_sorted_and_compact() {
        let value = json!({"b": 1, "a": [true, null, "x"], "c": {"z": 0, "y": -3}});
        assert_eq!(
            canonical(&value),
            r#"{"a":[true,null,"x"],"b":1,"c":{"y":-3,"z":0}}"#
        );
    }

    #[test]
    fn strings_use_minimal_escapes() {
        let value = json!("q\"b\\\u{8}\t\n\u{c}\r\u{1}\u{1f}\u{7f}é€😀/");
        assert_eq!(
            canonical(&value),
            "\"q\\\"b\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\u{7f}é€😀/\""
        );
    }

    #[test]
    fn member_names_sort_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB01 (FB01),
        // although its UTF-8 bytes sort after.
        let value = json!({"\u{fb01}": 1, "\u{1f600}": 2});
        assert_eq!(canonical(&value), "{\"\u{1f600}\":2,\"\u{fb01}\":1}");
    }

    #[test]
    fn numbers_follow_ecmascript_layout() {
        // Cases from RFC 8785 appendix B.
        assert_eq!(float(0.0), "0");
        assert_eq!(float(-0.0), "0");
        assert_eq!(float(5e-324), "5e-324");
        assert_eq!(float(1.7976931348623157e308), "1.7976931348623157e+308");
        assert_eq!(float(9007199254740992.0), "9007199254740992");
        assert_eq!(float(295147905179352830000.0), "295147905179352830000");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1e23), "1e+23");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(1e-7), "1e-7");
        assert_eq!(float(333333333.3333333), "333333333.3333333");
        assert_eq!(float(-1.5), "-1.5");
        assert_eq!(float(4.5), "4.5");
        assert_eq!(float(2e-3), "0.002");
        assert_eq!(float(123.456e10), "1234560000000");
    }

    #[test]
    fn integers_keep_every_digit() {
        assert_eq!(canonical(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(canonical(&json!(i64::MIN)), "-9223372036854775808");
    }
}
