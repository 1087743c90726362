//! Splits a SQL file into statements, keeping where each one starts and the
//! comment block right above it.
//!
//! A statement ends at a `;` outside quotes (`'…'`, `"…"`, `` `…` ``,
//! `[…]`), comments (`-- …`, `/* … */`), Postgres dollar quotes
//! (`$$ … $$`, `$tag$ … $tag$`) and `BEGIN … END` trigger bodies. Drizzle's
//! `--> statement-breakpoint` is an ordinary comment here (and never a
//! purpose). This is a lexer, not a parser: each statement is then handed to
//! SQLite or sqlparser whole.

/// One statement of a SQL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement text, from its first token up to (not including) `;`.
    pub text: &'a str,
    /// 1-based line of its first token.
    pub line: u32,
    /// 1-based column (in characters) of its first token.
    pub column: u32,
    /// The comment block directly above it (no blank line between), joined
    /// with spaces; `None` when there is none.
    pub comment: Option<String>,
    /// A comment after the closing `;` on the same line.
    pub trailing_comment: Option<String>,
}

/// Splits `sql` into statements. Never fails: unterminated quotes or
/// comments run to the end of the input.
pub fn split(sql: &str) -> Vec<Statement<'_>> {
    Splitter::new(sql).run()
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    line_start: usize,
}

/// Per-statement state while scanning.
#[derive(Default)]
struct Pending {
    start: Option<(usize, u32, u32)>,
    comments: Vec<(u32, u32, String)>,
    words: Vec<String>,
    block_depth: u32,
}

impl Pending {
    fn is_trigger(&self) -> bool {
        // CREATE [TEMP|TEMPORARY] TRIGGER …
        let w: Vec<&str> = self.words.iter().take(3).map(String::as_str).collect();
        matches!(
            w.as_slice(),
            ["CREATE", "TRIGGER", ..] | ["CREATE", "TEMP" | "TEMPORARY", "TRIGGER"]
        )
    }
}

impl<'a> Splitter<'a> {
    fn new(src: &'a str) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn column(&self, at: usize) -> u32 {
        let chars = self
            .src
            .get(self.line_start..at)
            .map_or(at - self.line_start, |s| s.chars().count());
        u32::try_from(chars).unwrap_or(u32::MAX).saturating_add(1)
    }

    fn advance(&mut self) {
        match self.bytes.get(self.pos) {
            None => return,
            Some(b'\n') => {
                self.line += 1;
                self.line_start = self.pos + 1;
            }
            Some(_) => {}
        }
        self.pos += 1;
    }

    /// Advances until `pred` holds at the current position or input ends.
    fn skip_until(&mut self, mut pred: impl FnMut(&[u8], usize) -> bool) {
        while self.pos < self.bytes.len() && !pred(self.bytes, self.pos) {
            self.advance();
        }
    }

    fn run(mut self) -> Vec<Statement<'a>> {
        let mut out: Vec<Statement<'a>> = Vec::new();
        // The line the last statement's `;` is on, while nothing but
        // whitespace has followed it on that line.
        let mut after_semicolon: Option<u32> = None;
        let mut cur = Pending::default();
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            let next = self.bytes.get(self.pos + 1).copied();
            match b {
                b'-' if next == Some(b'-') => {
                    let (line, col) = (self.line, self.column(self.pos));
                    let from = self.pos + 2;
                    self.skip_until(|s, i| s[i] == b'\n');
                    if cur.start.is_none() {
                        let text = self.src.get(from..self.pos).unwrap_or("").trim();
                        if after_semicolon == Some(line)
                            && !text.starts_with('>')
                            && let Some(prev) = out.last_mut()
                        {
                            prev.trailing_comment = Some(text.to_owned());
                        } else {
                            cur.comments.push((line, col, text.to_owned()));
                        }
                    }
                }
                b'/' if next == Some(b'*') => {
                    let col = self.column(self.pos);
                    let from = self.pos + 2;
                    self.advance();
                    self.advance();
                    self.skip_until(|s, i| s[i] == b'*' && s.get(i + 1) == Some(&b'/'));
                    let to = self.pos.min(self.bytes.len());
                    self.advance();
                    self.advance();
                    if cur.start.is_none() {
                        // A block comment counts as ending on its last line.
                        let line = self.line;
                        let text = self.src.get(from..to).unwrap_or("");
                        let text = text
                            .lines()
                            .map(|l| l.trim().trim_start_matches('*').trim())
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                            .join(" ");
                        cur.comments.push((line, col, text));
                    }
                }
                b';' if cur.block_depth == 0 => {
                    if let Some(stmt) = self.finish(&mut cur) {
                        out.push(stmt);
                        after_semicolon = Some(self.line);
                    }
                    self.advance();
                }
                _ if b.is_ascii_whitespace() => {
                    if b == b'\n' {
                        after_semicolon = None;
                    }
                    self.advance();
                }
                _ => {
                    after_semicolon = None;
                    self.mark_start(&mut cur);
                    match b {
                        b'\'' | b'"' | b'`' => self.quoted(b),
                        b'[' => {
                            self.advance();
                            self.skip_until(|s, i| s[i] == b']');
                            self.advance();
                        }
                        b'$' => self.dollar(),
                        _ if b.is_ascii_alphanumeric() || b == b'_' => self.word(&mut cur),
                        _ => self.advance(),
                    }
                }
            }
        }
        if let Some(stmt) = self.finish(&mut cur) {
            out.push(stmt);
        }
        out
    }

    fn mark_start(&self, cur: &mut Pending) {
        if cur.start.is_none() {
            cur.start = Some((self.pos, self.line, self.column(self.pos)));
        }
    }

    /// A quoted string or identifier; a doubled quote escapes itself.
    fn quoted(&mut self, q: u8) {
        self.advance();
        loop {
            self.skip_until(|s, i| s[i] == q);
            self.advance();
            if self.bytes.get(self.pos) == Some(&q) {
                self.advance();
            } else {
                break;
            }
        }
    }

    /// `$tag$ … $tag$` (Postgres dollar quoting); a bare `$1` is a parameter.
    fn dollar(&mut self) {
        let rest = &self.bytes[self.pos + 1..];
        let tag_len = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let is_tag =
            rest.get(tag_len) == Some(&b'$') && !rest.first().is_some_and(u8::is_ascii_digit);
        if !is_tag {
            self.advance();
            return;
        }
        let tag = self.bytes[self.pos..self.pos + tag_len + 2].to_vec();
        for _ in 0..tag.len() {
            self.advance();
        }
        self.skip_until(|s, i| s[i..].starts_with(&tag));
        for _ in 0..tag.len() {
            if self.pos < self.bytes.len() {
                self.advance();
            }
        }
    }

    fn word(&mut self, cur: &mut Pending) {
        let from = self.pos;
        self.skip_until(|s, i| !(s[i].is_ascii_alphanumeric() || s[i] == b'_'));
        let word = self
            .src
            .get(from..self.pos)
            .unwrap_or("")
            .to_ascii_uppercase();
        if cur.words.len() < 3 {
            cur.words.push(word.clone());
        }
        if cur.is_trigger() {
            match word.as_str() {
                "BEGIN" | "CASE" => cur.block_depth += 1,
                "END" => cur.block_depth = cur.block_depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    fn finish(&self, cur: &mut Pending) -> Option<Statement<'a>> {
        let pending = std::mem::take(cur);
        let (start, line, column) = pending.start?;
        let text = self.src.get(start..self.pos).unwrap_or("").trim_end();
        Some(Statement {
            text,
            line,
            column,
            comment: leading_comment(&pending.comments, line),
            trailing_comment: None,
        })
    }
}

/// The last run of comments that ends on the line right above `line` (or
/// on the same line, before the statement), each on consecutive lines.
fn leading_comment(comments: &[(u32, u32, String)], line: u32) -> Option<String> {
    let mut block: Vec<&str> = Vec::new();
    let mut expect = line;
    for (l, _, text) in comments.iter().rev() {
        if *l + 1 != expect && *l != expect {
            break;
        }
        expect = *l;
        // Drizzle's `--> statement-breakpoint`, the header `wrangler d1
        // migrations create` writes (`-- Migration number: 0001 \t 2024-…`)
        // and the step names `prisma migrate` writes (`-- CreateTable`)
        // are markers, not prose.
        if !text.starts_with('>')
            && !text.starts_with("Migration number:")
            && !is_prisma_step(text)
            && !text.is_empty()
        {
            block.push(text);
        }
    }
    block.reverse();
    (!block.is_empty()).then(|| block.join(" "))
}

/// `CreateTable`, `AlterTable`, `RedefineTables`, `AddForeignKey`: one
/// word, a verb joined to what it changes, as `prisma migrate` names the
/// steps of a migration.
fn is_prisma_step(text: &str) -> bool {
    ["Create", "Alter", "Drop", "Redefine", "Add", "Rename"]
        .iter()
        .any(|verb| {
            text.strip_prefix(verb).is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_ascii_uppercase())
                    && rest.chars().all(|c| c.is_ascii_alphabetic())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(sql: &str) -> Vec<(u32, String)> {
        split(sql)
            .into_iter()
            .map(|s| (s.line, s.text.chars().take(24).collect()))
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_strings_and_comments() {
        let sql = "CREATE TABLE a (x TEXT DEFAULT 'a;b');\n-- c; d\n/* ; */ INSERT INTO a VALUES (\"q;\");\nSELECT 1";
        assert_eq!(
            heads(sql),
            vec![
                (1, "CREATE TABLE a (x TEXT D".to_owned()),
                (3, "INSERT INTO a VALUES (\"q".to_owned()),
                (4, "SELECT 1".to_owned()),
            ]
        );
    }

    #[test]
    fn keeps_trigger_bodies_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  DELETE FROM c WHERE x = CASE WHEN 1 THEN 2 END;\nEND;\nCREATE INDEX i ON a(x);";
        let got = split(sql);
        assert_eq!(got.len(), 2);
        assert!(got[0].text.ends_with("END"));
        assert_eq!(got[1].line, 5);
    }

    #[test]
    fn trigger_if_not_exists_and_temp() {
        let sql =
            "CREATE TEMP TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN SELECT 1; END; SELECT 2;";
        assert_eq!(split(sql).len(), 2);
    }

    #[test]
    fn dollar_quotes_hide_semicolons() {
        let sql =
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nSELECT $1;";
        let got = split(sql);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].text, "SELECT $1");
    }

    #[test]
    fn drizzle_breakpoints_are_not_purposes() {
        let sql = "CREATE TABLE `a` (`id` integer);\n--> statement-breakpoint\nCREATE TABLE `b` (`id` integer);";
        let got = split(sql);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].comment, None);
        assert_eq!(got[1].line, 3);
    }

    #[test]
    fn wrangler_migration_headers_are_not_purposes() {
        let sql = "-- Migration number: 0001 \t 2024-12-27T22:04:18.794Z\nCREATE TABLE a (id TEXT);\n-- Migration number: 0002\n-- People\nCREATE TABLE b (x);";
        let got = split(sql);
        assert_eq!(got[0].comment, None);
        assert_eq!(got[1].comment.as_deref(), Some("People"));
    }

    #[test]
    fn prisma_step_names_are_not_purposes() {
        let sql = "-- CreateTable\nCREATE TABLE \"A\" (x);\n-- RedefineTables\n-- Accounts\nCREATE TABLE b (x);\n-- Create\nCREATE TABLE c (x);";
        let got = split(sql);
        assert_eq!(got[0].comment, None);
        assert_eq!(got[1].comment.as_deref(), Some("Accounts"));
        assert_eq!(got[2].comment.as_deref(), Some("Create"));
    }

    #[test]
    fn trailing_comments_belong_to_the_statement_before() {
        let sql = "ALTER TABLE a ADD COLUMN k TEXT; -- R2 key\n-- Next\nCREATE TABLE b (x);";
        let got = split(sql);
        assert_eq!(got[0].trailing_comment.as_deref(), Some("R2 key"));
        assert_eq!(got[1].comment.as_deref(), Some("Next"));
        assert_eq!(got[1].trailing_comment, None);
    }

    #[test]
    fn comment_block_directly_above_is_the_purpose() {
        let sql = "-- unrelated\n\n-- Users of the app\n-- (GDPR: personal data)\nCREATE TABLE users (id TEXT);";
        let got = split(sql);
        assert_eq!(
            got[0].comment.as_deref(),
            Some("Users of the app (GDPR: personal data)")
        );
        assert_eq!((got[0].line, got[0].column), (5, 1));
    }

    #[test]
    fn block_comment_purpose_and_columns_in_characters() {
        let sql = "/**\n * Übersicht table\n */\n  CREATE TABLE x (a int);";
        let got = split(sql);
        assert_eq!(got[0].comment.as_deref(), Some("Übersicht table"));
        assert_eq!((got[0].line, got[0].column), (4, 3));
    }

    #[test]
    fn unterminated_input_never_panics() {
        for sql in [
            "'abc",
            "/* x",
            "$a$ never",
            "CREATE TRIGGER t BEGIN",
            "[x",
            "\"",
            "--",
        ] {
            let _ = split(sql);
        }
        assert_eq!(split("  ;;  ; ").len(), 0);
    }
}
