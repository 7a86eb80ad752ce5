//! The text embedded in the binary: airlock's Cedar schema and its default
//! policy pack (`policies/default/*.cedar`, in file-name order).

/// The Cedar schema every policy is validated against
/// (`policies/schema.cedarschema`).
pub const SCHEMA_TEXT: &str = include_str!("../policies/schema.cedarschema");

/// The default pack, as `(file name, Cedar text)` in file-name order. The
/// order matters: it is the order policies are listed and reported in.
pub const DEFAULT_PACK: [(&str, &str); 9] = [
    (
        "01-deny-critical-targets.cedar",
        include_str!("../policies/default/01-deny-critical-targets.cedar"),
    ),
    (
        "02-deny-exfiltration.cedar",
        include_str!("../policies/default/02-deny-exfiltration.cedar"),
    ),
    (
        "03-escalate-production.cedar",
        include_str!("../policies/default/03-escalate-production.cedar"),
    ),
    (
        "04-escalate-unknown-effect.cedar",
        include_str!("../policies/default/04-escalate-unknown-effect.cedar"),
    ),
    (
        "05-escalate-destructive.cedar",
        include_str!("../policies/default/05-escalate-destructive.cedar"),
    ),
    (
        "06-escalate-protected-targets.cedar",
        include_str!("../policies/default/06-escalate-protected-targets.cedar"),
    ),
    (
        "07-escalate-privilege.cedar",
        include_str!("../policies/default/07-escalate-privilege.cedar"),
    ),
    (
        "08-escalate-high-risk.cedar",
        include_str!("../policies/default/08-escalate-high-risk.cedar"),
    ),
    (
        "09-allow-routine-work.cedar",
        include_str!("../policies/default/09-allow-routine-work.cedar"),
    ),
];

/// The directory label default-pack files carry in errors, versions and
/// [`crate::PolicyInfo::file`].
pub const DEFAULT_PACK_DIR: &str = "default";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_pack_lists_every_file_in_the_directory_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/default");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".cedar"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = DEFAULT_PACK.iter().map(|(name, _)| *name).collect();
        assert_eq!(on_disk, embedded);
    }
}
