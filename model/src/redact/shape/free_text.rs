//! Free text (arguments, commands, scripts, annotation values, Helm leaves) read word by word: what
//! each word is (a flag name, a safe word, a secret, an assignment) so that only known-safe facts
//! are kept.

use super::*;

const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "token", "digest", "negotiate"];

/// One piece of a parsed argument or text: kept as is, or replaced by a marker of `value` for `why`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Kept text.
    Text(String),
    /// A value that must become a marker.
    Secret {
        /// The literal value.
        value: String,
        /// Why it goes.
        why: Why,
    },
}

/// What comes next in an argument list or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A positional word.
    Word,
    /// The value of a flag.
    FlagValue,
    /// The value of a secret-named flag, header or word.
    Secret,
}

/// Parses free text or one argument vector into pieces: flag names, safe words and the structure of
/// assignments stay; flag values and words that are not safe facts go (see [`safe_token`]). Secret-
/// named flags (`--token X`), assignments (`PGPASSWORD=X`, `--password=X`), headers
/// (`Authorization: Bearer X`, `PRIVATE-TOKEN: X`) and short options with attached values (`-pX`)
/// lose their values. Markers are kept, spaces and all.
pub fn parse_words(items: &[&str]) -> Vec<Vec<Piece>> {
    let mut expect = Expect::Word;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let mut pieces = Vec::new();
        let mut last = 0;
        for (start, end) in word_spans(item) {
            if start > last {
                let gap = &item[last..start];
                if gap.contains('\n') {
                    // A new line of a script or snippet starts afresh.
                    expect = Expect::Word;
                }
                pieces.push(Piece::Text(gap.to_string()));
            }
            last = end;
            let word = &item[start..end];
            expect = parse_word(word, expect, &mut pieces);
        }
        if last < item.len() {
            pieces.push(Piece::Text(item[last..].to_string()));
        }
        out.push(pieces);
    }
    out
}

/// Parses one word, pushing its pieces; returns what the next word is.
fn parse_word(word: &str, expect: Expect, out: &mut Vec<Piece>) -> Expect {
    // Quotes and shell punctuation around the word stay as they are.
    let after_lead = word.trim_start_matches(|c: char| "\"'`([{}".contains(c));
    let lead = &word[..word.len() - after_lead.len()];
    let core = if after_lead.ends_with('>') && after_lead.contains(MARKER_PREFIX) {
        after_lead
    } else {
        after_lead.trim_end_matches(|c: char| "\"'`)]};,".contains(c))
    };
    let trail = &after_lead[core.len()..];
    let push_text = |out: &mut Vec<Piece>, s: &str| {
        if !s.is_empty() {
            out.push(Piece::Text(s.to_string()));
        }
    };
    push_text(out, lead);
    if lead.ends_with("}}")
        && let Some(rest) = core.strip_prefix('-')
    {
        // `{{ .Release.Name }}-scim`: a suffix of a template expression, not a flag.
        out.push(Piece::Text("-".into()));
        let next = parse_core(rest, Expect::Word, out);
        push_text(out, trail);
        return next;
    }
    let next = parse_core(core, expect, out);
    push_text(out, trail);
    next
}

fn secret(out: &mut Vec<Piece>, value: &str, why: Why) {
    out.push(Piece::Secret {
        value: value.to_string(),
        why,
    });
}

/// Keeps `value` when it is a safe token, else a marker piece.
fn value_piece(out: &mut Vec<Piece>, value: &str) {
    match safe_token(value) {
        Verdict::Keep => out.push(Piece::Text(value.to_string())),
        Verdict::Rewrite(s) => out.push(Piece::Text(s)),
        Verdict::Deny(why) => secret(out, value, why),
    }
}

fn parse_core(core: &str, expect: Expect, out: &mut Vec<Piece>) -> Expect {
    if core.is_empty() {
        return expect;
    }
    if core.contains(MARKER_PREFIX) {
        // Text redacted before: the marker stays, the rest is parsed again.
        let at = core.find(MARKER_PREFIX).unwrap_or(0);
        let end = core[at..].find('>').map_or(core.len(), |i| at + i + 1);
        if at > 0 {
            let before = &core[..at];
            // `NAME=`, `--flag=`, `-p` and `Header:` before a marker were kept the first time.
            let name = before.trim_end_matches(['=', ':']).trim_start_matches('-');
            let kept = (before.ends_with('=') || before.ends_with(':'))
                && (is_var_name(name) || name.contains('='))
                || (before.starts_with('-') && before.len() == 2);
            if kept {
                out.push(Piece::Text(before.to_string()));
            } else {
                parse_core(before, Expect::Word, out);
            }
        }
        out.push(Piece::Text(core[at..end].to_string()));
        if end < core.len() {
            parse_core(&core[end..], Expect::Word, out);
        }
        return Expect::Word;
    }
    if matches!(
        core,
        "&&" | "||" | "|" | ";" | "\\" | ">" | ">>" | "<" | "2>&1" | "&" | "#"
    ) || is_chmod_mode(core)
    {
        out.push(Piece::Text(core.to_string()));
        return Expect::Word;
    }
    if core.contains("-----BEGIN ") {
        secret(out, core, Why::SecretShaped);
        return Expect::Word;
    }
    // `Authorization:` / `PRIVATE-TOKEN:` header names.
    if let Some(name) = core.strip_suffix(':')
        && !name.is_empty()
        && chars_in(name, "-_")
    {
        out.push(Piece::Text(core.to_string()));
        return if secret_name(name) {
            Expect::Secret
        } else if expect == Expect::FlagValue {
            Expect::Word
        } else {
            expect
        };
    }
    match expect {
        Expect::Secret => {
            if AUTH_SCHEMES.contains(&core.to_ascii_lowercase().as_str()) {
                out.push(Piece::Text(core.to_string()));
                return Expect::Secret;
            }
            if core.starts_with("--") {
                return parse_core(core, Expect::Word, out);
            }
            secret(out, core, Why::SecretNamed);
            return Expect::Word;
        }
        Expect::FlagValue if !core.starts_with('-') => {
            return parse_value(core, out);
        }
        _ => {}
    }
    // `--flag=value`, `--flag`, `-f`, `-fVALUE`.
    if let Some(flag) = core.strip_prefix('-') {
        let long = flag.strip_prefix('-');
        if let Some(name) = long {
            if let Some((name, value)) = name.split_once('=')
                && is_flag_name(name)
            {
                out.push(Piece::Text(format!("--{name}=")));
                if value.is_empty() || is_marker(value) {
                    out.push(Piece::Text(value.to_string()));
                } else if secret_name(name) {
                    secret(out, value, Why::SecretNamed);
                } else {
                    parse_value(value, out);
                }
                return Expect::Word;
            }
            if !is_flag_name(name) {
                secret(out, core, secret_shape(core).unwrap_or(Why::NotAllowed));
                return Expect::Word;
            }
            out.push(Piece::Text(core.to_string()));
            return if secret_name(name) {
                Expect::Secret
            } else {
                Expect::FlagValue
            };
        }
        if flag.is_empty() || is_quantity(core) {
            out.push(Piece::Text(core.to_string()));
            return Expect::Word;
        }
        if !flag.as_bytes()[0].is_ascii_alphanumeric() {
            secret(out, core, secret_shape(core).unwrap_or(Why::NotAllowed));
            return Expect::Word;
        }
        let short = &flag[..1];
        if flag.len() == 1 || (flag.len() <= 4 && flag.bytes().all(|b| b.is_ascii_alphabetic())) {
            out.push(Piece::Text(core.to_string()));
            return Expect::FlagValue;
        }
        // `-pVALUE` (mysql), `-uuser:pass`: the option letter stays.
        out.push(Piece::Text(format!("-{short}")));
        let rest = &flag[short.len()..];
        if is_marker(rest) {
            out.push(Piece::Text(rest.to_string()));
        } else {
            secret(out, rest, Why::NotAllowed);
        }
        return Expect::Word;
    }
    if let Some((name, value)) = core.split_once(':')
        && secret_name(name)
        && !value.is_empty()
        && !value.starts_with('/')
    {
        out.push(Piece::Text(format!("{name}:")));
        secret(out, value, Why::SecretNamed);
        return Expect::Word;
    }
    // `NAME=value` assignments.
    if let Some((name, value)) = core.split_once('=')
        && !value.is_empty()
        && is_var_name(name)
    {
        assignment(name, value, out, |v, o| {
            parse_value(v, o);
        });
        return Expect::Word;
    }
    if chars_in(core, "-_") && secret_word(core) {
        out.push(Piece::Text(core.to_string()));
        return Expect::Secret;
    }
    value_piece(out, core);
    Expect::Word
}

/// `name=value`: the name stays; the value goes when the name names a secret, else `rest` decides.
fn assignment(name: &str, value: &str, out: &mut Vec<Piece>, rest: fn(&str, &mut Vec<Piece>)) {
    out.push(Piece::Text(format!("{name}=")));
    if value.is_empty() || is_marker(value) {
        out.push(Piece::Text(value.to_string()));
    } else if secret_name(name) {
        secret(out, value, Why::SecretNamed);
    } else {
        rest(value, out);
    }
}

/// A flag's or assignment's value: a safe token, or `name=value` pairs (`--from-literal=password=X`),
/// or a comma-separated list of safe tokens.
fn parse_value(value: &str, out: &mut Vec<Piece>) -> Expect {
    if let Some((name, inner)) = value.split_once('=')
        && !inner.is_empty()
        && is_var_name(name)
    {
        assignment(name, inner, out, |v, o| value_piece(o, v));
        return Expect::Word;
    }
    if let Some((name, inner)) = value.split_once(':')
        && secret_name(name)
        && !inner.is_empty()
    {
        out.push(Piece::Text(format!("{name}:")));
        secret(out, inner, Why::SecretNamed);
        return Expect::Word;
    }
    if value.contains(',') && !value.contains("://") {
        let parts: Vec<&str> = value.split(',').collect();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(Piece::Text(",".into()));
            }
            value_piece(out, p);
        }
        return Expect::Word;
    }
    value_piece(out, value);
    Expect::Word
}

/// Byte ranges of the whitespace-separated words of `s`. A marker (`<redacted fp=... len=N ...>`) is
/// part of its word, spaces and all, so text redacted once is left alone the second time.
pub fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    let mut skip_to = 0;
    for (i, c) in s.char_indices() {
        if i < skip_to {
            continue;
        }
        if s[i..].starts_with(MARKER_PREFIX)
            && let Some(end) = s[i..].find('>')
        {
            start.get_or_insert(i);
            skip_to = i + end + 1;
            continue;
        }
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                spans.push((st, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        spans.push((st, s.len()));
    }
    spans
}

/// Free text reduced to its safe words (markers are written as `<secret:WHY>` placeholders here; the
/// redactor writes real markers through [`parse_words`]). Used by shape checks that have no
/// redactor; the walker uses [`parse_words`] directly.
pub(super) fn words(s: &str) -> String {
    parse_words(&[s])
        .into_iter()
        .flatten()
        .map(|p| match p {
            Piece::Text(t) => t,
            Piece::Secret { why, .. } => format!("<secret:{}>", why.as_str()),
        })
        .collect()
}
