//! The shape of `terraform show -json` plan output as airlock reads it:
//! typed structs for the few fields that matter, borrowed raw slices for
//! everything looked at later (or not at all), so that judging a large plan
//! never builds a full JSON tree of every resource's values.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The top level of a plan. Unknown fields are ignored (the format promises
/// only additions within a major version).
#[derive(Debug, Deserialize)]
pub(crate) struct RawPlan<'a> {
    #[serde(default)]
    pub format_version: Option<String>,
    #[serde(default)]
    pub terraform_version: Option<String>,
    #[serde(default, borrow)]
    pub resource_changes: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    pub resource_drift: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub planned_values: Option<IgnoredAny>,
    /// Present in `terraform show -json` of a *state*, not of a plan.
    #[serde(default)]
    pub values: Option<IgnoredAny>,
    #[serde(default)]
    pub applyable: Option<bool>,
    #[serde(default)]
    pub complete: Option<bool>,
    #[serde(default)]
    pub errored: Option<bool>,
}

/// One element of `resource_changes`.
#[derive(Debug, Deserialize)]
pub(crate) struct RawResourceChange<'a> {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub previous_address: Option<String>,
    #[serde(default)]
    pub module_address: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default, rename = "type")]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub provider_name: Option<String>,
    #[serde(default)]
    pub deposed: Option<String>,
    #[serde(default, borrow)]
    pub change: Option<RawChange<'a>>,
    #[serde(default)]
    pub action_reason: Option<String>,
}

/// The `change` object of a resource change.
#[derive(Debug, Deserialize)]
pub(crate) struct RawChange<'a> {
    #[serde(default)]
    pub actions: Option<Vec<String>>,
    #[serde(default, borrow)]
    pub before: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub after: Option<&'a RawValue>,
    #[serde(default)]
    pub replace_paths: Option<Vec<Vec<PathStep>>>,
    #[serde(default)]
    pub importing: Option<RawImporting>,
}

/// The `importing` object of a change planned by an `import` block.
#[derive(Debug, Deserialize)]
pub(crate) struct RawImporting {
    #[serde(default)]
    pub id: Option<String>,
}

/// One step of a `replace_paths` entry: an attribute name or an index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PathStep {
    Key(String),
    Index(String),
}

impl<'de> Deserialize<'de> for PathStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = PathStep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute name or an index")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PathStep, E> {
                Ok(PathStep::Key(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PathStep, E> {
                Ok(PathStep::Index(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PathStep, E> {
                Ok(PathStep::Index(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PathStep, E> {
                Ok(PathStep::Index(v.to_string()))
            }
        }
        deserializer.deserialize_any(StepVisitor)
    }
}

/// Renders a `replace_paths` entry as `attr.nested[0]`.
pub(crate) fn render_path(steps: &[PathStep]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            PathStep::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathStep::Index(index) => {
                out.push('[');
                out.push_str(index);
                out.push(']');
            }
        }
    }
    out
}

/// A JSON string, borrowed from the input when it has no escapes.
pub(crate) struct JsonStr<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// The members of a JSON object, values left raw.
pub(crate) struct RawObject<'a>(pub Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some((key, value)) = map.next_entry::<JsonStr<'de>, &'de RawValue>()? {
                    members.push((key.0, value));
                }
                Ok(RawObject(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// The elements of a JSON array, left raw.
pub(crate) struct RawArray<'a>(pub Vec<&'a RawValue>);

impl<'de> Deserialize<'de> for RawArray<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArrayVisitor;
        impl<'de> Visitor<'de> for ArrayVisitor {
            type Value = RawArray<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawArray<'de>, A::Error> {
                let mut elements = Vec::new();
                while let Some(element) = seq.next_element::<&'de RawValue>()? {
                    elements.push(element);
                }
                Ok(RawArray(elements))
            }
        }
        deserializer.deserialize_seq(ArrayVisitor)
    }
}

/// What kind of JSON value a raw slice holds, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawKind {
    Object,
    Array,
    String,
    Other,
}

pub(crate) fn raw_kind(raw: &RawValue) -> RawKind {
    match raw.get().trim_start().as_bytes().first() {
        Some(b'{') => RawKind::Object,
        Some(b'[') => RawKind::Array,
        Some(b'"') => RawKind::String,
        _ => RawKind::Other,
    }
}

/// The members of `raw` if it is an object.
pub(crate) fn object_members(raw: &RawValue) -> Option<RawObject<'_>> {
    if raw_kind(raw) != RawKind::Object {
        return None;
    }
    serde_json::from_str::<RawObject<'_>>(raw.get()).ok()
}

/// The elements of `raw` if it is an array.
pub(crate) fn array_elements(raw: &RawValue) -> Option<RawArray<'_>> {
    if raw_kind(raw) != RawKind::Array {
        return None;
    }
    serde_json::from_str::<RawArray<'_>>(raw.get()).ok()
}

/// The string `raw` holds, if it is a string.
pub(crate) fn string_value(raw: &RawValue) -> Option<Cow<'_, str>> {
    if raw_kind(raw) != RawKind::String {
        return None;
    }
    serde_json::from_str::<JsonStr<'_>>(raw.get())
        .ok()
        .map(|s| s.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_object_borrows_plain_keys_and_owns_escaped_ones() {
        let obj: RawObject<'_> = serde_json::from_str(r#"{"a":1,"b\"c":{"x":[1]}}"#).unwrap();
        assert_eq!(obj.0.len(), 2);
        assert!(matches!(obj.0[0].0, Cow::Borrowed("a")));
        assert_eq!(obj.0[1].0, "b\"c");
        assert_eq!(obj.0[1].1.get(), r#"{"x":[1]}"#);
    }

    #[test]
    fn replace_paths_render_as_attribute_paths() {
        let steps: Vec<PathStep> = serde_json::from_str(r#"["network",0,"cidr"]"#).unwrap();
        assert_eq!(render_path(&steps), "network[0].cidr");
    }

    #[test]
    fn string_value_only_reads_strings() {
        let raw: &RawValue = serde_json::from_str(r#""prod\u0031""#).unwrap();
        assert_eq!(string_value(raw).as_deref(), Some("prod1"));
        let raw: &RawValue = serde_json::from_str("12").unwrap();
        assert_eq!(string_value(raw), None);
    }
}
