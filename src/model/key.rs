//! Key patterns as literal and placeholder parts: `{appId}/bundle.js` is
//! `[Placeholder("appId"), Literal("/bundle.js")]`, so no later stage parses
//! braces back out of a string (and a key whose literal text holds a brace
//! stays a literal).

use schemars::JsonSchema;
use serde::Serialize;

/// One part of a [`Key`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyPart {
    /// Text the code writes as is.
    Literal(String),
    /// A value known only at run time, named after the expression that
    /// builds it (`appId` for `app.id`).
    Placeholder(String),
    /// A value the code makes anew for each write (`crypto.randomUUID()`,
    /// `Date.now()`), named like a placeholder: every write is a new key.
    Generated(String),
    /// A whole key dmqa could not follow to where it is built (a function
    /// parameter, a loop variable): it may be any family, so it names none.
    Opaque(String),
}

/// A key (or binding-name) pattern: literal text and placeholders, with no
/// two literals next to each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Key(Vec<KeyPart>);

impl Key {
    /// A key that is all literal text.
    pub fn literal(text: impl Into<String>) -> Key {
        let mut k = Key::default();
        k.push_literal(&text.into());
        k
    }

    /// A key that is one run-time value.
    pub fn placeholder(name: impl Into<String>) -> Key {
        Key(vec![KeyPart::Placeholder(name.into())])
    }

    /// Appends literal text, joining it to a literal already at the end.
    pub fn push_literal(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(KeyPart::Literal(s)) => s.push_str(text),
            _ => self.0.push(KeyPart::Literal(text.to_owned())),
        }
    }

    /// Appends a placeholder.
    pub fn push_placeholder(&mut self, name: impl Into<String>) {
        self.0.push(KeyPart::Placeholder(name.into()));
    }

    /// A key that is one value made anew for each write.
    pub fn generated(name: impl Into<String>) -> Key {
        Key(vec![KeyPart::Generated(name.into())])
    }

    /// A key that is a value dmqa could not follow.
    pub fn opaque(name: impl Into<String>) -> Key {
        Key(vec![KeyPart::Opaque(name.into())])
    }

    /// Whether the key is a value dmqa could not follow: any family.
    pub fn is_opaque(&self) -> bool {
        matches!(self.0.as_slice(), [KeyPart::Opaque(_)])
    }

    /// Whether a part is made anew for each write: every write of such a
    /// key is a new key.
    pub fn is_generated(&self) -> bool {
        self.0.iter().any(|p| matches!(p, KeyPart::Generated(_)))
    }

    /// The same key renamed `name` when it is one run-time value (a local
    /// holding `crypto.randomUUID()` is best named after the local).
    pub fn renamed(&self, name: &str) -> Key {
        match self.0.as_slice() {
            [KeyPart::Generated(_)] => Key::generated(name),
            [KeyPart::Placeholder(_)] => Key::placeholder(name),
            [KeyPart::Opaque(_)] => Key::opaque(name),
            _ => self.clone(),
        }
    }

    /// The key with each placeholder `rename` gives a new name renamed
    /// (a helper's parameter → the argument a call passes it).
    pub fn rename_placeholders(&self, rename: impl Fn(&str) -> Option<String>) -> Key {
        Key(self
            .0
            .iter()
            .map(|p| match p {
                KeyPart::Placeholder(n) => {
                    KeyPart::Placeholder(rename(n).unwrap_or_else(|| n.clone()))
                }
                p => p.clone(),
            })
            .collect())
    }

    /// Appends every part of `other`.
    pub fn append(&mut self, other: Key) {
        for p in other.0 {
            match p {
                KeyPart::Literal(s) => self.push_literal(&s),
                p => self.0.push(p),
            }
        }
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[KeyPart] {
        &self.0
    }

    /// Whether any part is known only at run time.
    pub fn has_placeholder(&self) -> bool {
        self.0.iter().any(|p| !matches!(p, KeyPart::Literal(_)))
    }

    /// Whether any part is literal text: a key made only of run-time
    /// values (`{url}{name}`) names no family.
    pub fn has_literal(&self) -> bool {
        self.0.iter().any(|p| matches!(p, KeyPart::Literal(_)))
    }

    /// Whether the key is one run-time value and nothing else.
    pub fn is_single_placeholder(&self) -> bool {
        matches!(
            self.0.as_slice(),
            [KeyPart::Placeholder(_) | KeyPart::Generated(_) | KeyPart::Opaque(_)]
        )
    }

    /// The literal text before the first placeholder (`pending/` for
    /// `pending/{id}`; empty when the key starts with a placeholder).
    pub fn literal_prefix(&self) -> &str {
        match self.0.first() {
            Some(KeyPart::Literal(s)) => s,
            _ => "",
        }
    }

    /// The key with its placeholder names erased: `site:{d}:models` and
    /// `site:{domain}:models` have one shape.
    pub fn shape(&self) -> Vec<Option<&str>> {
        self.0
            .iter()
            .map(|p| match p {
                KeyPart::Literal(s) => Some(s.as_str()),
                KeyPart::Placeholder(_) | KeyPart::Generated(_) | KeyPart::Opaque(_) => None,
            })
            .collect()
    }

    /// The pattern in dmqa's notation, `{name}` for each placeholder: how
    /// the report prints it and how patterns sort.
    pub fn notation(&self) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                KeyPart::Literal(s) => out.push_str(s),
                KeyPart::Placeholder(n) | KeyPart::Generated(n) | KeyPart::Opaque(n) => {
                    out.push('{');
                    out.push_str(n);
                    out.push('}');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[(&str, bool)]) -> Key {
        let mut k = Key::default();
        for (s, var) in parts {
            if *var {
                k.push_placeholder(*s);
            } else {
                k.push_literal(s);
            }
        }
        k
    }

    #[test]
    fn literals_join_and_placeholders_stay_apart() {
        let mut k = Key::literal("site:");
        k.push_placeholder("domain");
        k.append(key(&[(":", false), ("models", false)]));
        assert_eq!(
            k.parts(),
            [
                KeyPart::Literal("site:".into()),
                KeyPart::Placeholder("domain".into()),
                KeyPart::Literal(":models".into()),
            ]
        );
        assert_eq!(k.notation(), "site:{domain}:models");
    }

    #[test]
    fn shapes_ignore_placeholder_names_only() {
        let a = key(&[("site:", false), ("d", true), (":models", false)]);
        let b = key(&[("site:", false), ("domain", true), (":models", false)]);
        let c = key(&[("site:", false), ("d", true), (":users", false)]);
        assert_eq!(a.shape(), b.shape());
        assert_ne!(a.shape(), c.shape());
    }

    #[test]
    fn a_brace_in_literal_text_is_not_a_placeholder() {
        let k = Key::literal("{literal}/x");
        assert!(!k.has_placeholder());
        assert_eq!(k.literal_prefix(), "{literal}/x");
        assert!(Key::placeholder("id").is_single_placeholder());
        assert!(!key(&[("a/", false), ("id", true)]).is_single_placeholder());
    }

    #[test]
    fn serialises_as_a_list_of_parts() {
        let k = key(&[("app:", false), ("appId", true)]);
        assert_eq!(
            serde_json::to_string(&k).unwrap(),
            r#"[{"literal":"app:"},{"placeholder":"appId"}]"#
        );
    }
}
