//! A small shell-style glob matcher (`*`, `?`, `[...]`) over strings and over
//! `/`-separated path components (with `**` for any number of components),
//! used by configuration patterns and the protected-path table.

/// Whether `text` matches the glob `pattern` (`*` matches any run of
/// characters, `?` one character, `[abc]`/`[a-z]`/`[!a]` a class).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !has_wildcard(pattern) {
        return pattern == text;
    }
    if pattern.is_ascii() && text.is_ascii() {
        return match_units(pattern.as_bytes(), text.as_bytes());
    }
    let pat: Vec<char> = pattern.chars().collect();
    let txt: Vec<char> = text.chars().collect();
    match_units(&pat, &txt)
}

/// Whether `pattern` contains glob metacharacters.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// A character of a pattern or text: bytes for ASCII, chars otherwise.
trait Unit: Copy + PartialEq + PartialOrd {
    fn is(self, c: char) -> bool;
}

impl Unit for u8 {
    fn is(self, c: char) -> bool {
        c.is_ascii() && self == c as u8
    }
}

impl Unit for char {
    fn is(self, c: char) -> bool {
        self == c
    }
}

fn match_units<U: Unit>(pat: &[U], txt: &[U]) -> bool {
    // Iterative matcher with single-star backtracking: linear-ish, no recursion.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < txt.len() {
        match pat.get(p).copied() {
            Some(c) if c.is('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(c) if c.is('?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(c) if c.is('[') => {
                if let Some((matched, next)) = match_class(pat, p, txt.get(t).copied()) {
                    if matched {
                        p = next;
                        t += 1;
                        continue;
                    }
                } else if txt.get(t).is_some_and(|x| x.is('[')) {
                    p += 1;
                    t += 1;
                    continue;
                }
            }
            Some(c) if Some(c) == txt.get(t).copied() => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|c| c.is('*')))
}

/// Matches a `[...]` class starting at `pat[start]` against `ch`; returns
/// whether it matched and the index after the class, or `None` when the
/// bracket is not a well-formed class.
fn match_class<U: Unit>(pat: &[U], start: usize, ch: Option<U>) -> Option<(bool, usize)> {
    let ch = ch?;
    let mut i = start + 1;
    let negate = pat.get(i).is_some_and(|c| c.is('!') || c.is('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let c = *pat.get(i)?;
        if c.is(']') && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if pat.get(i + 1).is_some_and(|d| d.is('-')) && pat.get(i + 2).is_some_and(|e| !e.is(']')) {
            let end = *pat.get(i + 2)?;
            if c <= ch && ch <= end {
                matched = true;
            }
            i += 3;
        } else {
            if c == ch {
                matched = true;
            }
            i += 1;
        }
    }
}

/// Whether the path components `path` match the component pattern `pattern`
/// (each component a glob, `**` any number of components, anchored at both
/// ends).
pub fn components_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| {
            path.get(skip..)
                .is_some_and(|tail| components_match(rest, tail))
        }),
        Some((first, rest)) => match path.split_first() {
            Some((head, tail)) => glob_match(first, head) && components_match(rest, tail),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_classes_match_like_the_shell() {
        assert!(glob_match("release/*", "release/1.2"));
        assert!(glob_match("main", "main"));
        assert!(!glob_match("main", "mainline"));
        assert!(glob_match("settings*.json", "settings.local.json"));
        assert!(glob_match("sd[a-z]", "sdb"));
        assert!(!glob_match("sd[!a-z]", "sdb"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn double_star_spans_components() {
        assert!(components_match(
            &["**", ".git", "**"],
            &["a", ".git", "config"]
        ));
        assert!(components_match(&["**", ".git", "**"], &[".git"]));
        assert!(!components_match(
            &["**", ".git", "**"],
            &["a", ".gitignore"]
        ));
        assert!(components_match(
            &["~", ".ssh", "**"],
            &["~", ".ssh", "id_rsa"]
        ));
    }
}
