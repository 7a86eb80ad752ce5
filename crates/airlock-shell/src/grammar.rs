//! The argument grammar shared by every tool: which options take a value,
//! which words are subcommands, and so which words are positionals. One
//! small mechanism, configured per tool by a [`Grammar`] row, so that global
//! options (`git -C dir -c k=v push`) never hide a subcommand.

use crate::syntax::Word;

/// How one tool's arguments are laid out.
#[derive(Debug, Clone, Copy)]
pub struct Grammar {
    /// Program names this grammar applies to.
    pub programs: &'static [&'static str],
    /// Options before the subcommand that take the next word as their value
    /// (`-C`, `--git-dir`); `--opt=value` is always understood.
    pub global_value_options: &'static [&'static str],
    /// Whether the tool has subcommands at all (`git push`, `terraform apply`).
    pub has_subcommands: bool,
    /// Subcommands that take a second-level subcommand (`git stash drop`,
    /// `terraform state rm`).
    pub nested: &'static [&'static str],
    /// Options after the subcommand that take the next word as their value.
    pub value_options: &'static [&'static str],
    /// Long options written with one dash (`-auto-approve`, `-chdir=dir`):
    /// do not split `-abc` into `-a -b -c`.
    pub single_dash_long: bool,
}

impl Grammar {
    /// The grammar of a tool nobody described: flags, then positionals.
    pub const PLAIN: Grammar = Grammar {
        programs: &[],
        global_value_options: &[],
        has_subcommands: false,
        nested: &[],
        value_options: &[],
        single_dash_long: false,
    };
}

/// One option as written: its name (`-r`, `--force`, `-auto-approve`) and
/// its value if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    /// Index of the word the option came from.
    pub word: usize,
}

/// A command's arguments, read through its grammar.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub program: String,
    pub subcommands: Vec<String>,
    pub flags: Vec<Flag>,
    /// Indices (into `words`) of positional arguments.
    pub positionals: Vec<usize>,
    /// Number of positionals that came before a `--`, if there was one.
    pub double_dash_at: Option<usize>,
    pub words: Vec<Word>,
}

impl Invocation {
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.name == name)
    }

    pub fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.has(n))
    }

    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.value.as_deref())
    }

    pub fn values_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter(move |f| f.name == name)
            .filter_map(|f| f.value.as_deref())
    }

    pub fn positional_words(&self) -> impl Iterator<Item = &Word> {
        self.positionals.iter().filter_map(|i| self.words.get(*i))
    }

    pub fn positional(&self, n: usize) -> Option<&Word> {
        self.positionals.get(n).and_then(|i| self.words.get(*i))
    }

    pub fn subcommand(&self, depth: usize) -> Option<&str> {
        self.subcommands.get(depth).map(String::as_str)
    }
}

/// Reads `words` (program first) through `grammar`.
pub fn read(grammar: &Grammar, program: &str, words: &[Word]) -> Invocation {
    let mut inv = Invocation {
        program: program.to_string(),
        words: words.to_vec(),
        ..Invocation::default()
    };
    let mut index = 1;
    let mut after_double_dash = false;
    let mut wanted_subcommands = if grammar.has_subcommands { 1 } else { 0 };
    while let Some(word) = words.get(index) {
        let text = word.text.as_str();
        let in_globals = grammar.has_subcommands && inv.subcommands.is_empty();
        if after_double_dash || word.dynamic || !text.starts_with('-') || text == "-" {
            if inv.subcommands.len() < wanted_subcommands && !after_double_dash && !word.dynamic {
                if inv.subcommands.is_empty() && grammar.nested.contains(&text) {
                    wanted_subcommands = 2;
                }
                inv.subcommands.push(text.to_string());
            } else {
                inv.positionals.push(index);
            }
            index += 1;
            continue;
        }
        if text == "--" {
            after_double_dash = true;
            inv.double_dash_at = Some(inv.positionals.len());
            // After `--` there are no more subcommands.
            wanted_subcommands = inv.subcommands.len();
            index += 1;
            continue;
        }
        let takes_value = |name: &str| {
            if in_globals {
                grammar.global_value_options.contains(&name)
            } else {
                grammar.value_options.contains(&name)
            }
        };
        if let Some((name, value)) = text.split_once('=') {
            if text.starts_with("--") || grammar.single_dash_long {
                inv.flags.push(Flag {
                    name: name.to_string(),
                    value: Some(value.to_string()),
                    word: index,
                });
                index += 1;
                continue;
            }
        }
        if text.starts_with("--") || grammar.single_dash_long || text.len() == 2 {
            let value = if takes_value(text) {
                index += 1;
                words.get(index).map(|w| w.text.clone())
            } else {
                None
            };
            inv.flags.push(Flag {
                name: text.to_string(),
                value,
                word: index.min(words.len().saturating_sub(1)),
            });
            index += 1;
            continue;
        }
        // `-rf`: a cluster of short options; one that takes a value takes
        // the rest of the cluster, or the next word.
        let cluster: Vec<char> = text.chars().skip(1).collect();
        let mut pos = 0;
        while let Some(c) = cluster.get(pos) {
            let name = format!("-{c}");
            if takes_value(&name) {
                let rest: String = cluster.iter().skip(pos + 1).collect();
                let value = if rest.is_empty() {
                    index += 1;
                    words.get(index).map(|w| w.text.clone())
                } else {
                    Some(rest)
                };
                inv.flags.push(Flag {
                    name,
                    value,
                    word: index.min(words.len().saturating_sub(1)),
                });
                break;
            }
            inv.flags.push(Flag {
                name,
                value: None,
                word: index,
            });
            pos += 1;
        }
        index += 1;
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_model::Span;

    fn words(line: &str) -> Vec<Word> {
        line.split_whitespace()
            .map(|w| Word::literal(w, Span::default()))
            .collect()
    }

    const GIT: Grammar = Grammar {
        programs: &["git"],
        global_value_options: &["-C", "-c"],
        has_subcommands: true,
        nested: &["stash"],
        value_options: &["-m"],
        single_dash_long: false,
    };

    #[test]
    fn global_options_do_not_hide_the_subcommand() {
        let inv = read(&GIT, "git", &words("git -C dir -c k=v push -f origin main"));
        assert_eq!(inv.subcommands, ["push"]);
        assert!(inv.has("-f"));
        let pos: Vec<_> = inv.positional_words().map(|w| w.text.as_str()).collect();
        assert_eq!(pos, ["origin", "main"]);
    }

    #[test]
    fn clusters_split_and_values_attach() {
        let inv = read(&GIT, "git", &words("git commit -am message file"));
        assert!(inv.has("-a"));
        assert_eq!(inv.value_of("-m"), Some("message"));
        let inv = read(&GIT, "git", &words("git stash drop stash@{0}"));
        assert_eq!(inv.subcommands, ["stash", "drop"]);
    }

    #[test]
    fn double_dash_ends_options() {
        let inv = read(&Grammar::PLAIN, "rm", &words("rm -rf -- -weird"));
        assert_eq!(inv.positional(0).map(|w| w.text.as_str()), Some("-weird"));
        assert_eq!(inv.double_dash_at, Some(0));
    }
}
