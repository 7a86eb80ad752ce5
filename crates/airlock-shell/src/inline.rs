//! Inline interpreter code (`python -c`, `perl -e`, `ruby -e`, `node -e`,
//! `php -r`): finds calls that run shell commands or delete files and
//! extracts their literal arguments, so the shell classifier can judge them;
//! calls with arguments only known at run time make the code opaque. Code
//! that both reads credentials (or dumps the environment) and talks to the
//! network is reported as exfiltration.

use crate::rules::wrappers::Language;

/// What a piece of inline code does, as far as can be told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlineFindings {
    /// Shell command lines the code runs.
    pub shell_commands: Vec<String>,
    /// Paths the code deletes, with whether whole trees go.
    pub deletions: Vec<(String, bool)>,
    /// Why the code's effect cannot be told, if it cannot.
    pub opaque: Option<String>,
    /// How the code sends credentials or the environment over the network.
    pub exfiltration: Option<String>,
}

/// Calls and modules that send data over the network, in any language.
const NETWORK_APIS: &[&str] = &[
    "requests.post",
    "requests.put",
    "requests.get",
    "requests.request",
    "httpx.",
    "urllib.request",
    "urlopen",
    "http.client",
    "socket.socket",
    "socket.create_connection",
    "smtplib",
    "fetch(",
    "http.request",
    "https.request",
    "net.connect",
    "net.Socket",
    "axios",
    "XMLHttpRequest",
    "Net::HTTP",
    "TCPSocket",
    "LWP::",
    "HTTP::Tiny",
    "IO::Socket",
    "curl_exec",
    "fsockopen",
    "stream_socket_client",
    "file_get_contents('http",
    "file_get_contents(\"http",
];

/// Credential files and environment dumps named in code.
const SECRET_MARKERS: &[&str] = &[
    ".aws/credentials",
    ".ssh/id_",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    ".netrc",
    ".git-credentials",
    ".kube/config",
    ".docker/config.json",
    ".config/gh/hosts.yml",
    ".pypirc",
    ".npmrc",
    "/proc/self/environ",
    "'.env'",
    "\".env\"",
    "/.env",
    "dict(os.environ",
    "os.environ.copy()",
    "json.dumps(os.environ",
    "str(os.environ",
    "os.environ.items()",
    "data=os.environ",
    "json=os.environ",
    "JSON.stringify(process.env",
    "body: process.env",
    "%ENV",
    "ENV.to_h",
    "ENV.to_a",
    "getenv()",
    "$_ENV",
    "AWS_SECRET_ACCESS_KEY",
];

/// Whether `code` reads credentials and talks to the network.
fn exfiltration(code: &str) -> Option<String> {
    let api = NETWORK_APIS.iter().find(|api| code.contains(*api))?;
    let secret = SECRET_MARKERS
        .iter()
        .find(|marker| code.contains(*marker))?;
    Some(format!(
        "the inline code reads `{secret}` and sends data over the network (`{}`)",
        api.trim_end_matches(['(', '.'])
    ))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Api {
    Shell,
    Delete { tree: bool },
    Opaque,
}

struct ApiTable {
    calls: &'static [(&'static str, Api)],
    /// Names that, when present without a decidable call, make the code opaque.
    markers: &'static [&'static str],
}

const PYTHON: ApiTable = ApiTable {
    calls: &[
        ("os.system", Api::Shell),
        ("os.popen", Api::Shell),
        ("subprocess.run", Api::Shell),
        ("subprocess.call", Api::Shell),
        ("subprocess.check_call", Api::Shell),
        ("subprocess.check_output", Api::Shell),
        ("subprocess.Popen", Api::Shell),
        ("subprocess.getoutput", Api::Shell),
        ("subprocess.getstatusoutput", Api::Shell),
        ("shutil.rmtree", Api::Delete { tree: true }),
        ("os.removedirs", Api::Delete { tree: true }),
        ("os.remove", Api::Delete { tree: false }),
        ("os.unlink", Api::Delete { tree: false }),
        ("os.rmdir", Api::Delete { tree: false }),
        ("exec", Api::Opaque),
        ("eval", Api::Opaque),
        ("compile", Api::Opaque),
        ("__import__", Api::Opaque),
        ("b64decode", Api::Opaque),
        ("codecs.decode", Api::Opaque),
        ("marshal.loads", Api::Opaque),
        ("pickle.loads", Api::Opaque),
    ],
    markers: &[
        "subprocess",
        "os.system",
        "os.popen",
        "os.exec",
        "os.spawn",
        "pty.",
        "ctypes",
        "shutil.rmtree",
        "os.remove",
        "os.unlink",
        ".unlink(",
        ".rmdir(",
        "importlib",
        "getattr(",
    ],
};

const PERL: ApiTable = ApiTable {
    calls: &[
        ("system", Api::Shell),
        ("exec", Api::Shell),
        ("qx", Api::Shell),
        ("rmtree", Api::Delete { tree: true }),
        ("remove_tree", Api::Delete { tree: true }),
        ("unlink", Api::Delete { tree: false }),
        ("rmdir", Api::Delete { tree: false }),
        ("eval", Api::Opaque),
        ("decode_base64", Api::Opaque),
    ],
    markers: &[
        "system",
        "exec",
        "qx",
        "`",
        "open(",
        "unlink",
        "rmtree",
        "remove_tree",
        "IPC::",
    ],
};

const RUBY: ApiTable = ApiTable {
    calls: &[
        ("system", Api::Shell),
        ("exec", Api::Shell),
        ("spawn", Api::Shell),
        ("IO.popen", Api::Shell),
        ("Open3.capture2", Api::Shell),
        ("Open3.capture3", Api::Shell),
        ("Open3.popen3", Api::Shell),
        ("%x", Api::Shell),
        ("FileUtils.rm_rf", Api::Delete { tree: true }),
        ("FileUtils.rm_r", Api::Delete { tree: true }),
        ("FileUtils.remove_dir", Api::Delete { tree: true }),
        ("FileUtils.remove_entry", Api::Delete { tree: true }),
        ("FileUtils.rm_f", Api::Delete { tree: false }),
        ("FileUtils.rm", Api::Delete { tree: false }),
        ("File.delete", Api::Delete { tree: false }),
        ("File.unlink", Api::Delete { tree: false }),
        ("Dir.rmdir", Api::Delete { tree: false }),
        ("instance_eval", Api::Opaque),
        ("eval", Api::Opaque),
        ("Base64.decode64", Api::Opaque),
        ("send", Api::Opaque),
    ],
    markers: &[
        "system",
        "exec",
        "spawn",
        "popen",
        "Open3",
        "%x",
        "`",
        "FileUtils",
        "File.delete",
        "File.unlink",
        "Dir.rmdir",
        "Kernel",
    ],
};

const NODE: ApiTable = ApiTable {
    calls: &[
        ("execSync", Api::Shell),
        ("execFileSync", Api::Shell),
        ("spawnSync", Api::Shell),
        ("exec", Api::Shell),
        ("execFile", Api::Shell),
        ("spawn", Api::Shell),
        ("rmSync", Api::Delete { tree: true }),
        ("rmdirSync", Api::Delete { tree: true }),
        ("fs.rm", Api::Delete { tree: true }),
        ("rimraf", Api::Delete { tree: true }),
        ("unlinkSync", Api::Delete { tree: false }),
        ("fs.unlink", Api::Delete { tree: false }),
        ("eval", Api::Opaque),
        ("Function", Api::Opaque),
        ("atob", Api::Opaque),
        ("Buffer.from", Api::Opaque),
    ],
    markers: &[
        "child_process",
        "execSync",
        "spawn",
        "exec(",
        "rmSync",
        "rmdirSync",
        "unlink",
        "fs.rm",
        "rimraf",
        "process.binding",
        "vm.",
    ],
};

const PHP: ApiTable = ApiTable {
    calls: &[
        ("shell_exec", Api::Shell),
        ("system", Api::Shell),
        ("passthru", Api::Shell),
        ("exec", Api::Shell),
        ("popen", Api::Shell),
        ("proc_open", Api::Shell),
        ("unlink", Api::Delete { tree: false }),
        ("rmdir", Api::Delete { tree: false }),
        ("eval", Api::Opaque),
        ("base64_decode", Api::Opaque),
        ("assert", Api::Opaque),
    ],
    markers: &[
        "shell_exec",
        "system",
        "passthru",
        "exec",
        "popen",
        "proc_open",
        "`",
        "unlink",
        "rmdir",
    ],
};

fn table(language: Language) -> &'static ApiTable {
    match language {
        Language::Python => &PYTHON,
        Language::Perl => &PERL,
        Language::Ruby => &RUBY,
        Language::Node => &NODE,
        Language::Php => &PHP,
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads a string literal at the start of `text` (quotes `'`, `"`, `` ` ``,
/// Python prefixes and triple quotes). Returns the value, or `None` when the
/// text does not start with a plain literal (interpolation counts as not
/// plain).
fn string_literal(text: &str, language: Language) -> Option<String> {
    let mut rest = text.trim_start();
    if language == Language::Python {
        let prefix_len = rest
            .chars()
            .take_while(|c| matches!(c, 'r' | 'R' | 'b' | 'B' | 'u' | 'U' | 'f' | 'F'))
            .count();
        if prefix_len > 0 && prefix_len <= 2 {
            let prefix = rest.get(..prefix_len)?;
            if prefix.contains(['f', 'F']) {
                return None;
            }
            rest = rest.get(prefix_len..)?;
        }
    }
    let quote = rest.chars().next()?;
    if !matches!(quote, '\'' | '"' | '`') {
        return None;
    }
    let triple: String = std::iter::repeat_n(quote, 3).collect();
    let (body, closer) = if rest.starts_with(&triple) {
        (rest.get(3..)?, triple.as_str())
    } else {
        (rest.get(1..)?, rest.get(..quote.len_utf8())?)
    };
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if body.get(i..).is_some_and(|tail| tail.starts_with(closer)) {
            return Some(value);
        }
        if c == '\\' {
            if let Some((_, next)) = chars.next() {
                value.push(match next {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            continue;
        }
        let interpolating = match language {
            Language::Ruby | Language::Perl | Language::Php => {
                quote == '"' && (c == '#' || c == '$' || c == '@')
            }
            Language::Node => quote == '`' && c == '$',
            Language::Python => false,
        };
        if interpolating
            && (language != Language::Ruby || body.get(i + 1..).is_some_and(|t| t.starts_with('{')))
        {
            return None;
        }
        value.push(c);
    }
    None
}

/// Reads the literal argument of a call starting at `args` (just after the
/// name): a string, or a list of strings joined with spaces.
fn literal_argument(args: &str, language: Language) -> Option<String> {
    let args = args.trim_start();
    let args = match args.strip_prefix('(') {
        Some(inner) => inner.trim_start(),
        None if matches!(language, Language::Perl | Language::Ruby) => args,
        None => return None,
    };
    if let Some(list) = args.strip_prefix('[') {
        let mut items = Vec::new();
        let mut rest = list.trim_start();
        loop {
            if rest.starts_with(']') {
                break;
            }
            let item = string_literal(rest, language)?;
            let consumed = literal_length(rest)?;
            rest = rest.get(consumed..)?.trim_start();
            items.push(quote_for_shell(&item));
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        return Some(items.join(" "));
    }
    // Perl and PHP `system("cmd", "arg")`, Node `spawn("cmd", ["a"])`: join them.
    let first = string_literal(args, language)?;
    let mut rest = args.get(literal_length(args)?..)?.trim_start();
    let mut words = vec![first];
    while let Some(after) = rest.strip_prefix(',') {
        let after = after.trim_start();
        if let Some(list) = after.strip_prefix('[') {
            let inner = literal_argument(&format!("([{list}"), language)?;
            words.push(inner);
            break;
        }
        match string_literal(after, language) {
            Some(word) => {
                words.push(quote_for_shell(&word));
                rest = after.get(literal_length(after)?..)?.trim_start();
            }
            None => break,
        }
    }
    Some(words.join(" "))
}

fn quote_for_shell(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
        && !word.is_empty()
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Byte length of the literal at the start of `text` (after trimming).
fn literal_length(text: &str) -> Option<usize> {
    let lead = text.len() - text.trim_start().len();
    let rest = text.trim_start();
    let prefix_len = rest
        .chars()
        .take_while(|c| matches!(c, 'r' | 'R' | 'b' | 'B' | 'u' | 'U'))
        .count();
    let body = rest.get(prefix_len..)?;
    let quote = body.chars().next()?;
    let triple: String = std::iter::repeat_n(quote, 3).collect();
    let (open, closer) = if body.starts_with(&triple) {
        (3, triple.clone())
    } else {
        (1, quote.to_string())
    };
    let inner = body.get(open..)?;
    let mut i = 0;
    let bytes = inner.as_bytes();
    while i < inner.len() {
        if bytes.get(i) == Some(&b'\\') {
            i += 2;
            continue;
        }
        if inner
            .get(i..)
            .is_some_and(|t| t.starts_with(closer.as_str()))
        {
            return Some(lead + prefix_len + open + i + closer.len());
        }
        i += inner
            .get(i..)
            .and_then(|t| t.chars().next())
            .map_or(1, char::len_utf8);
    }
    None
}

/// Analyses inline `code` written in `language`.
pub fn analyze(code: &str, language: Language) -> InlineFindings {
    let table = table(language);
    let mut findings = InlineFindings {
        exfiltration: exfiltration(code),
        ..InlineFindings::default()
    };
    let mut decided = 0usize;
    for (name, api) in table.calls {
        let mut from = 0;
        while let Some(found) = code.get(from..).and_then(|t| t.find(name)) {
            let start = from + found;
            let end = start + name.len();
            from = end;
            let before = code.get(..start).and_then(|b| b.chars().last());
            // `exec` must not match `os.execv` or `my_exec`; dotted names
            // carry their own qualifier.
            let qualified = name.contains('.');
            if before.is_some_and(|c| {
                is_ident_char(c) || (!qualified && c == '.' && *api == Api::Opaque)
            }) {
                continue;
            }
            let after = code.get(end..).unwrap_or("");
            if after.chars().next().is_some_and(is_ident_char) {
                continue;
            }
            let looks_called = after.trim_start().starts_with('(')
                || (matches!(language, Language::Perl | Language::Ruby) && after.starts_with(' '))
                || (*name == "qx" || *name == "%x");
            if !looks_called {
                continue;
            }
            match api {
                Api::Opaque => {
                    findings.opaque = Some(format!(
                        "the inline code calls `{name}`, whose effect is only known at run time"
                    ));
                }
                Api::Shell => {
                    let arg = if *name == "qx" || *name == "%x" {
                        delimited(after)
                    } else {
                        literal_argument(after, language)
                    };
                    match arg {
                        Some(cmd) => {
                            decided += 1;
                            findings.shell_commands.push(cmd);
                        }
                        None => {
                            findings.opaque = Some(format!(
                                "the inline code runs a command built at run time (`{name}`)"
                            ));
                        }
                    }
                }
                Api::Delete { tree } => match literal_argument(after, language) {
                    Some(path) => {
                        decided += 1;
                        findings.deletions.push((path, *tree));
                    }
                    None => {
                        findings.opaque = Some(format!(
                            "the inline code deletes a path only known at run time (`{name}`)"
                        ));
                    }
                },
            }
        }
    }
    // Backticks run shell commands in Perl, Ruby and PHP.
    if matches!(language, Language::Perl | Language::Ruby | Language::Php) {
        let mut parts = code.split('`');
        parts.next();
        while let (Some(cmd), Some(_)) = (parts.next(), parts.clone().next()) {
            if cmd.contains("#{") || cmd.contains('$') {
                findings.opaque =
                    Some("the inline code runs a command built at run time (backticks)".into());
            } else {
                decided += 1;
                findings.shell_commands.push(cmd.to_string());
            }
        }
    }
    if findings.opaque.is_none() && decided == 0 {
        if let Some(marker) = table.markers.iter().find(|m| code.contains(*m)) {
            findings.opaque = Some(format!(
                "the inline code uses `{marker}` in a way that cannot be followed"
            ));
        }
    }
    findings
}

/// `qx(...)`, `qx{...}`, `%x(...)`: the delimited text.
fn delimited(after: &str) -> Option<String> {
    let open = after.chars().next()?;
    let close = match open {
        '(' => ')',
        '{' => '}',
        '[' => ']',
        '<' => '>',
        other if !other.is_alphanumeric() && !other.is_whitespace() => other,
        _ => return None,
    };
    let body = after.get(open.len_utf8()..)?;
    let end = body.find(close)?;
    let text = body.get(..end)?;
    if text.contains('$') || text.contains("#{") {
        return None;
    }
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_shell_calls_with_literals_are_extracted() {
        let f = analyze("import os; os.system('rm -rf /')", Language::Python);
        assert_eq!(f.shell_commands, ["rm -rf /"]);
        let f = analyze(
            "import subprocess; subprocess.run(['git', 'push', '-f'])",
            Language::Python,
        );
        assert_eq!(f.shell_commands, ["git push -f"]);
        assert!(f.opaque.is_none());
    }

    #[test]
    fn computed_arguments_are_opaque() {
        let f = analyze("import os, sys; os.system(sys.argv[1])", Language::Python);
        assert!(f.opaque.is_some());
        let f = analyze("import shutil; shutil.rmtree(p)", Language::Python);
        assert!(f.opaque.is_some());
    }

    #[test]
    fn deletions_and_harmless_code() {
        let f = analyze("import shutil; shutil.rmtree('/etc')", Language::Python);
        assert_eq!(f.deletions, [("/etc".to_string(), true)]);
        let f = analyze("print(sum(range(10)))", Language::Python);
        assert_eq!(f, InlineFindings::default());
        let f = analyze("system(\"rm -rf /\")", Language::Perl);
        assert_eq!(f.shell_commands, ["rm -rf /"]);
        let f = analyze(
            "require('child_process').execSync('git push -f')",
            Language::Node,
        );
        assert_eq!(f.shell_commands, ["git push -f"]);
        let f = analyze("puts `ls`", Language::Ruby);
        assert_eq!(f.shell_commands, ["ls"]);
    }
}
