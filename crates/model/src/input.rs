//! Deserializing inputs without personal information in the error: the field path and the kind of problem, never serde's message.
//!
//! serde's and serde_json's messages quote what they refused — `invalid type: string "13812345678",
//! expected u16`, `unknown variant `张三`` — and name no field. [`from_json`] runs the deserializer
//! through `serde_path_to_error`, keeps the path (field names and indices, a key that is not a plain
//! identifier shown as `?`), and replaces the message by an [`InputProblem`] built from what it says
//! *about the type*: the expected type, the field that is missing or unknown. A message of our own model
//! types (a [`crate::ModelError`] from a checking constructor, which names the field and at most a mask)
//! passes through with any quoted part removed.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::error::ModelError;

/// What was wrong at the path of a [`ModelError::Input`]. Every variant carries only what the type
/// expected or a field name of ours, never a fragment of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputProblem {
    /// The input is not well-formed (JSON syntax).
    Syntax,
    /// The input ends in the middle of a value.
    UnexpectedEnd,
    /// A value of the wrong type (a string where a number belongs, ...).
    InvalidType {
        /// What the field takes, in serde's words (`u16`, `a string`, `struct PolicyFields`).
        expected: String,
    },
    /// A value of the right type that the field does not take.
    InvalidValue {
        /// What the field takes.
        expected: String,
    },
    /// A sequence or tuple of the wrong length.
    InvalidLength {
        /// What the field takes.
        expected: String,
    },
    /// An enum value the type does not have.
    UnknownVariant {
        /// The variants it has.
        expected: String,
    },
    /// A field the type does not have. Inputs are refused rather than trimmed: a field such as
    /// `"wechat": <a mobile number>` would otherwise be dropped without anyone knowing what was lost.
    UnknownField,
    /// A required field is missing.
    MissingField {
        /// The field.
        field: String,
    },
    /// A field given twice.
    DuplicateField {
        /// The field.
        field: String,
    },
    /// The field's own check refused the value: the check's message (a [`ModelError`]'s, which names
    /// the field and shows at most a mask), with anything quoted in it removed.
    Rejected {
        /// The check's message.
        message: String,
    },
    /// A number too large for the field.
    NumberOutOfRange,
    /// Bytes after the value.
    TrailingCharacters,
    /// Nested deeper than the parser allows.
    TooDeep,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::Syntax => f.write_str("not well-formed"),
            InputProblem::UnexpectedEnd => f.write_str("input ends too early"),
            InputProblem::InvalidType { expected } => write!(f, "wrong type, expected {expected}"),
            InputProblem::InvalidValue { expected } => write!(f, "value not accepted, expected {expected}"),
            InputProblem::InvalidLength { expected } => write!(f, "wrong length, expected {expected}"),
            InputProblem::UnknownVariant { expected } => write!(f, "unknown variant, expected {expected}"),
            InputProblem::UnknownField => f.write_str("unknown field"),
            InputProblem::MissingField { field } => write!(f, "missing field {field}"),
            InputProblem::DuplicateField { field } => write!(f, "duplicate field {field}"),
            InputProblem::Rejected { message } => f.write_str(message),
            InputProblem::NumberOutOfRange => f.write_str("number out of range"),
            InputProblem::TrailingCharacters => f.write_str("trailing characters after the value"),
            InputProblem::TooDeep => f.write_str("nested too deeply"),
        }
    }
}

/// Deserializes a model type (a [`crate::Customer`], a [`crate::Policy`], a [`crate::PersonFields`] — any
/// input type) from JSON. On failure the [`ModelError::Input`] names the field path and the kind of
/// problem and repeats nothing of the input; the model's input types refuse unknown fields.
///
/// ```
/// use custodia_model::{ModelError, Policy, from_json};
///
/// let bad = br#"{"id":"0190a0b0-0000-7000-8000-000000000001","policy_number":"P-1","insurer":"x",
///     "product":"y","line":"life","term_start":"2024-01-01","term_end":"13812345678",
///     "premium":{"minor_units":1,"currency":"CNY"},"termination":null}"#;
/// let error = from_json::<Policy>(bad).unwrap_err();
/// assert!(matches!(&error, ModelError::Input { path, .. } if path == "term_end"));
/// assert!(!format!("{error} {error:?}").contains("13812345678"));
/// ```
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ModelError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = safe_path(error.path());
        let inner = error.into_inner();
        input_error(path, &inner)
    })?;
    deserializer
        .end()
        .map_err(|error| input_error(String::new(), &error))?;
    Ok(value)
}

/// [`from_json`] for text.
pub fn from_json_str<T: DeserializeOwned>(text: &str) -> Result<T, ModelError> {
    from_json(text.as_bytes())
}

fn input_error(path: String, error: &serde_json::Error) -> ModelError {
    let path = if path.is_empty() { "input".to_owned() } else { path };
    ModelError::Input {
        path,
        problem: problem(error),
        line: error.line(),
        column: error.column(),
    }
}

/// A key is shown only if it looks like one of our field names; anything else (a key may itself be a
/// phone number or a name) is `?`.
fn plain_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn safe_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if plain_identifier(key) { key } else { "?" });
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

/// serde's message without what it quotes: the text of `error` up to serde_json's ` at line … column …`.
fn message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let location = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&location).map(str::to_owned).unwrap_or(text)
}

/// The part of serde's message after its last `, expected ` (what the type takes, written by the type's
/// `Deserialize`, not taken from the input), if any.
fn expected_part(text: &str) -> Option<String> {
    text.rsplit_once(", expected ")
        .map(|(_, expected)| unquoted(expected))
}

/// `text` with every backquoted or double-quoted stretch replaced by `…`.
fn unquoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match inside {
            Some(close) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && close == '"' {
                    escaped = true;
                } else if c == close {
                    inside = None;
                }
            }
            None if c == '`' || c == '"' => {
                inside = Some(c);
                out.push('…');
            }
            None => out.push(c),
        }
    }
    out
}

/// A field name from a message such as ``missing field `policy_number` ``: shown only when it is an
/// identifier (field names of ours are).
fn quoted_field(text: &str) -> String {
    text.split('`')
        .nth(1)
        .filter(|name| plain_identifier(name))
        .unwrap_or("?")
        .to_owned()
}

fn problem(error: &serde_json::Error) -> InputProblem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax => {
            let text = message(error);
            if text.starts_with("trailing characters") {
                InputProblem::TrailingCharacters
            } else if text.starts_with("recursion limit exceeded") {
                InputProblem::TooDeep
            } else if text.starts_with("number out of range") {
                InputProblem::NumberOutOfRange
            } else {
                InputProblem::Syntax
            }
        }
        Category::Eof | Category::Io => InputProblem::UnexpectedEnd,
        Category::Data => {
            let text = message(error);
            let expected = || expected_part(&text).unwrap_or_default();
            if text.starts_with("invalid type: ") {
                InputProblem::InvalidType { expected: expected() }
            } else if text.starts_with("invalid value: ") {
                InputProblem::InvalidValue { expected: expected() }
            } else if text.starts_with("invalid length ") {
                InputProblem::InvalidLength { expected: expected() }
            } else if text.starts_with("unknown variant ") {
                InputProblem::UnknownVariant { expected: expected() }
            } else if text.starts_with("unknown field ") {
                InputProblem::UnknownField
            } else if text.starts_with("missing field ") {
                InputProblem::MissingField {
                    field: quoted_field(&text),
                }
            } else if text.starts_with("duplicate field ") {
                InputProblem::DuplicateField {
                    field: quoted_field(&text),
                }
            } else if text.starts_with("number out of range") {
                InputProblem::NumberOutOfRange
            } else {
                InputProblem::Rejected {
                    message: unquoted(&text),
                }
            }
        }
    }
}

/// A `serde_json` decoder's message with every value it quotes replaced by `…`: an error names what was wrong and
/// where, never the bytes found, so a corrupt record or ledger entry cannot leak its content (a name, a
/// number) through an error message.
/// serde puts values in double quotes (`invalid type: string "…"`) and in backticks (``unknown field `…` ``,
/// ``integer `…` ``); backticks that name our own fields (``missing field `x` ``, ``duplicate field `x` ``,
/// and everything after `, expected`) are kept, because they come from our types, not from the payload.
pub fn without_values(message: &str) -> String {
    let expected_at = message.find(", expected ").unwrap_or(message.len());
    let mut out = String::with_capacity(message.len());
    // The open quote, and whether its content is kept (our own field names) or dropped (a value).
    let mut inside: Option<(char, bool)> = None;
    for (at, ch) in message.char_indices() {
        match (ch, inside) {
            ('"' | '`', None) => {
                let before = &message[..at];
                let ours = ch == '`'
                    && (at >= expected_at
                        || before.ends_with("missing field ")
                        || before.ends_with("duplicate field "));
                out.push(ch);
                if !ours {
                    out.push('…');
                }
                inside = Some((ch, ours));
            }
            (c, Some((q, _))) if c == q => {
                out.push(c);
                inside = None;
            }
            (_, None) | (_, Some((_, true))) => out.push(ch),
            (_, Some((_, false))) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_stretches_go_and_the_rest_stays() {
        assert_eq!(unquoted(r#"a "13812345678" b `张三` c"#), "a … b … c");
        assert_eq!(unquoted(r#"x "a\"b" y"#), "x … y");
        assert_eq!(
            expected_part("invalid type: string \"1, expected 2\", expected u16").unwrap(),
            "u16"
        );
        assert!(
            plain_identifier("term_end") && !plain_identifier("13812345678") && !plain_identifier("张三")
        );
    }

    #[test]
    fn paths_show_field_names_and_indices_only() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            n: u16,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            items: Vec<Inner>,
        }
        let error = from_json::<Outer>(br#"{"items":[{"n":1},{"n":"13812345678"}]}"#).unwrap_err();
        let ModelError::Input { path, problem, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(path, "items[1].n");
        assert_eq!(
            problem,
            &InputProblem::InvalidType {
                expected: "u16".into()
            }
        );
        let error = from_json::<Outer>(br#"{"items":[{"n":1,"13812345678":2}]}"#).unwrap_err();
        assert!(
            matches!(
                &error,
                ModelError::Input {
                    problem: InputProblem::UnknownField,
                    ..
                }
            ),
            "{error}"
        );
        assert!(!error.to_string().contains("13812345678"), "{error}");
        let error = from_json::<Outer>(br#"{"items":[]} x"#).unwrap_err();
        assert!(
            matches!(
                &error,
                ModelError::Input {
                    problem: InputProblem::TrailingCharacters,
                    ..
                }
            ),
            "{error}"
        );
    }
}
