//! RFC 8785 JSON Canonicalization Scheme (JCS), and the digests airlock
//! computes over canonical JSON.
//!
//! The canonical form has no whitespace, object members sorted by the UTF-16
//! code units of their names, strings with only the escapes JSON requires
//! (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\u00xx` for other control
//! characters), and numbers written as ECMAScript writes an IEEE 754 double.

use serde_json::{Number, Value};
use sha2::{Digest, Sha256};

/// Integers up to this magnitude are exact doubles and print the same either way.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// The RFC 8785 canonical text of `value`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

/// `"sha256:<64 lower case hex>"` over the canonical JSON of an action, so the
/// same action has the same digest wherever it is computed.
pub fn action_digest(value: &Value) -> String {
    sha256_digest(canonical_json(value).as_bytes())
}

/// `"sha256:<64 lower case hex>"` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (index, (name, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_value(member, out);
            }
            out.push('}');
        }
    }
}

fn write_number(number: &Number, out: &mut String) {
    if let Some(unsigned) = number.as_u64() {
        if unsigned <= MAX_EXACT_INTEGER {
            out.push_str(&unsigned.to_string());
            return;
        }
    } else if let Some(signed) = number.as_i64() {
        if signed.unsigned_abs() <= MAX_EXACT_INTEGER {
            out.push_str(&signed.to_string());
            return;
        }
    }
    // Larger integers and all other numbers: the nearest double, as RFC 8785
    // treats every JSON number.
    match number.as_f64() {
        Some(double) => write_double(double, out),
        None => out.push_str(&number.to_string()),
    }
}

/// ECMAScript `Number.prototype.toString` for a finite double (ECMA-262
/// 7.1.12.1), which RFC 8785 section 3.2.2.3 adopts.
fn write_double(double: f64, out: &mut String) {
    if double == 0.0 || !double.is_finite() {
        // -0 prints as 0; JSON values never hold NaN or infinities.
        out.push('0');
        return;
    }
    if double < 0.0 {
        out.push('-');
    }
    let scientific = shortest_scientific(double.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digit_count = digits.len() as i64;
    // The decimal point sits after `point` digits: value = 0.digits × 10^point.
    let point = exponent + 1;

    if digit_count <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - digit_count) as usize));
    } else if 0 < point && point <= 21 {
        let (integral, fraction) = digits
            .split_at_checked(point as usize)
            .unwrap_or((digits.as_str(), ""));
        out.push_str(integral);
        out.push('.');
        out.push_str(fraction);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at_checked(1).unwrap_or((digits.as_str(), ""));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let shown_exponent = point - 1;
        out.push('e');
        out.push(if shown_exponent < 0 { '-' } else { '+' });
        out.push_str(&shown_exponent.unsigned_abs().to_string());
    }
}

/// The shortest decimal digits that read back as `magnitude`, as `d.ddde±x`;
/// of several candidates with that many digits, the one closest to the exact
/// value, ties going to an even last digit (as ECMA-262 requires).
fn shortest_scientific(magnitude: f64) -> String {
    // `{:e}` gives the shortest round-trip digits but breaks exact ties upward.
    let shortest = format!("{magnitude:e}");
    let digit_count = shortest.split('e').next().map_or(0, |mantissa| {
        mantissa.chars().filter(char::is_ascii_digit).count()
    });
    // `{:.Ne}` rounds the exact binary value correctly, ties to even.
    let nearest = format!("{magnitude:.*e}", digit_count.saturating_sub(1));
    if nearest.parse::<f64>() == Ok(magnitude) {
        nearest
    } else {
        shortest
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if (control as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", control as u32));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_of_text(text: &str) -> String {
        canonical_json(&serde_json::from_str(text).unwrap())
    }

    fn double_text(bits: u64) -> String {
        let mut out = String::new();
        write_double(f64::from_bits(bits), &mut out);
        out
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            canonical_of_text(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc8785_section_3_2_3_sorts_by_utf16_code_units() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        assert_eq!(
            canonical_of_text(input),
            concat!(
                r#"{"\r":"Carriage Return","1":"One","#,
                "\"\u{80}\":\"Control\",",
                "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",",
                "\"\u{20ac}\":\"Euro Sign\",",
                "\"\u{1f600}\":\"Emoji: Grinning Face\",",
                "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
            )
        );
    }

    #[test]
    fn rfc8785_appendix_b_number_samples() {
        let samples: [(u64, &str); 24] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in samples {
            assert_eq!(double_text(bits), expected, "bits {bits:016x}");
        }
    }

    #[test]
    fn integers_beyond_two_to_the_53_become_the_nearest_double() {
        assert_eq!(canonical_of_text("9007199254740993"), "9007199254740992");
        assert_eq!(canonical_of_text("-9007199254740993"), "-9007199254740992");
        assert_eq!(
            canonical_of_text("18446744073709551615"),
            "18446744073709552000"
        );
        assert_eq!(canonical_of_text("-0"), "0");
        assert_eq!(canonical_of_text("1.0"), "1");
        assert_eq!(canonical_of_text("100"), "100");
        assert_eq!(canonical_of_text("1e2"), "100");
    }

    #[test]
    fn control_characters_use_short_or_lower_case_unicode_escapes() {
        let value = Value::String("\u{1}\u{8}\t\u{1f}\u{7f}\u{2028}".to_owned());
        assert_eq!(
            canonical_json(&value),
            "\"\\u0001\\b\\t\\u001f\u{7f}\u{2028}\""
        );
    }

    #[test]
    fn action_digest_ignores_member_order_and_whitespace() {
        let a = action_digest(&serde_json::from_str(r#"{"b": 1, "a": [1, 2]}"#).unwrap());
        let b = action_digest(&serde_json::from_str(r#"{"a":[1,2],"b":1}"#).unwrap());
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:"));
        assert_eq!(a.len(), "sha256:".len() + 64);
        assert_eq!(
            a,
            sha256_digest(br#"{"a":[1,2],"b":1}"#),
            "digest is over the canonical text"
        );
    }
}
