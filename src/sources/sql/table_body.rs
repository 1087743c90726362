//! Reads the body of a `CREATE TABLE` from sqlparser's tokens: MySQL-style
//! inline `INDEX name (cols)` items that SQLite rejects, and the trailing
//! `-- comments` that document columns.
//!
//! Both are token-level facts no parser keeps: sqlparser misreads inline
//! `INDEX` as a column under the SQLite dialect and fails on a partial one,
//! and SQLite stores comments only as text.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};
use std::collections::BTreeMap;

/// A MySQL-style index declared inside `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineIndex {
    /// Index name (generated from the table and columns when omitted).
    pub name: Option<String>,
    /// `UNIQUE INDEX` / `UNIQUE KEY`.
    pub unique: bool,
    /// The column list as written, without the parentheses.
    pub columns: String,
    /// The `WHERE` predicate of a partial index.
    pub predicate: Option<String>,
    /// The item as written, whitespace collapsed.
    pub written: String,
    /// 1-based line of the item within the statement.
    pub line: u32,
}

/// The statement with inline index items removed, and those items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// `CREATE TABLE` text SQLite can accept.
    pub sql: String,
    /// The removed items, in order.
    pub indexes: Vec<InlineIndex>,
}

/// Types that can follow a column named `key` or `index`; such an item is a
/// column, not an index.
const TYPE_WORDS: &[&str] = &[
    "TEXT",
    "VARCHAR",
    "CHAR",
    "INT",
    "INTEGER",
    "BIGINT",
    "NUMERIC",
    "DECIMAL",
    "REAL",
    "BLOB",
    "BOOLEAN",
    "JSON",
    "DATETIME",
    "TIMESTAMP",
    "NVARCHAR",
    "VARBINARY",
    "BINARY",
];

fn tokens(sql: &str) -> Option<Vec<TokenWithSpan>> {
    Tokenizer::new(&SQLiteDialect {}, sql)
        .tokenize_with_location()
        .ok()
}

fn is_trivia(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

fn kw(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

/// Token index ranges `[start, end)` of the top-level items of the first
/// parenthesised body, each with the index of the comma before it.
fn items(toks: &[TokenWithSpan]) -> Option<Vec<(usize, usize, Option<usize>)>> {
    let open = toks.iter().position(|t| t.token == Token::LParen)?;
    let mut res = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut comma = None;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    res.push((start, i, comma));
                    return Some(res);
                }
            }
            Token::Comma if depth == 1 => {
                res.push((start, i, comma));
                comma = Some(i);
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

fn text(toks: &[TokenWithSpan]) -> String {
    toks.iter().map(|t| t.token.to_string()).collect()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads one item as an inline index, if it is one.
fn inline_index(item: &[TokenWithSpan]) -> Option<InlineIndex> {
    let sig: Vec<&TokenWithSpan> = item.iter().filter(|t| !is_trivia(&t.token)).collect();
    let mut i = 0;
    let mut unique = false;
    match kw(&sig.first()?.token).as_deref() {
        Some("INDEX" | "KEY") => i += 1,
        Some("UNIQUE" | "FULLTEXT" | "SPATIAL") => {
            unique = kw(&sig.first()?.token).as_deref() == Some("UNIQUE");
            if !matches!(kw(&sig.get(1)?.token).as_deref(), Some("INDEX" | "KEY")) {
                return None;
            }
            i += 2;
        }
        _ => return None,
    }
    let mut name = None;
    if let Token::Word(w) = &sig.get(i)?.token {
        if w.quote_style.is_none() && TYPE_WORDS.contains(&w.value.to_ascii_uppercase().as_str()) {
            return None;
        }
        name = Some(w.value.clone());
        i += 1;
    }
    if sig.get(i)?.token != Token::LParen {
        return None;
    }
    // The matching parenthesis closes the column list.
    let mut depth = 0;
    let mut close = None;
    for (j, t) in sig.iter().enumerate().skip(i) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    close = Some(j);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let columns = sig[i + 1..close]
        .iter()
        .map(|t| t.token.to_string())
        .collect::<Vec<_>>();
    let columns = columns
        .join(" ")
        .replace(" ,", ",")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")");
    let rest = &sig[close + 1..];
    let predicate = match rest
        .iter()
        .position(|t| kw(&t.token).as_deref() == Some("WHERE"))
    {
        Some(w) => {
            // Rebuild the predicate from the full token run to keep spacing.
            let first = rest.get(w + 1)?;
            let from = item.iter().position(|t| std::ptr::eq(t, *first))?;
            let pred = text(&item[from..]);
            let pred = strip_comments(&pred);
            Some(collapse(&pred))
        }
        None => None,
    };
    let written = collapse(&strip_comments(&text(
        &item[item.iter().position(|t| std::ptr::eq(t, sig[0]))?..],
    )));
    Some(InlineIndex {
        name,
        unique,
        columns,
        predicate,
        written,
        line: sig[0].span.start.line as u32,
    })
}

fn strip_comments(s: &str) -> String {
    s.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Byte offset of a 1-based (line, column-in-characters) position.
fn offset(sql: &str, line_starts: &[usize], line: u64, col: u64) -> usize {
    let Some(&start) = usize::try_from(line)
        .ok()
        .and_then(|l| line_starts.get(l.saturating_sub(1)))
    else {
        return sql.len();
    };
    let skip = usize::try_from(col.saturating_sub(1)).unwrap_or(usize::MAX);
    sql.get(start..)
        .and_then(|rest| rest.char_indices().nth(skip).map(|(i, _)| start + i))
        .unwrap_or(sql.len())
}

/// Byte offsets in `sql` of its tokens' 1-based line and column positions.
struct Offsets<'s> {
    sql: &'s str,
    line_starts: Vec<usize>,
}

impl<'s> Offsets<'s> {
    fn new(sql: &'s str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(sql.match_indices('\n').map(|(i, _)| i + 1));
        Offsets { sql, line_starts }
    }

    /// Where token `t` starts.
    fn at(&self, t: &TokenWithSpan) -> usize {
        offset(
            self.sql,
            &self.line_starts,
            t.span.start.line,
            t.span.start.column,
        )
    }

    /// Where token `t` ends.
    fn after(&self, t: &TokenWithSpan) -> usize {
        offset(
            self.sql,
            &self.line_starts,
            t.span.end.line,
            t.span.end.column,
        )
    }
}

/// Removes MySQL-style inline index items from a `CREATE TABLE`; `None`
/// when the statement has none. The rest of the text is kept byte for byte.
pub fn strip_inline_indexes(sql: &str) -> Option<Stripped> {
    let toks = tokens(sql)?;
    let items = items(&toks)?;
    let offsets = Offsets::new(sql);
    let at = |t: &TokenWithSpan| offsets.at(t);
    let after = |t: &TokenWithSpan| offsets.after(t);
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut indexes = Vec::new();
    for (k, &(start, end, comma)) in items.iter().enumerate() {
        let Some(ix) = inline_index(&toks[start..end]) else {
            continue;
        };
        indexes.push(ix);
        let item_end = toks.get(end).map_or(sql.len(), at);
        match comma {
            // Drop the comma that introduces the item and the item, but
            // keep a comment on the comma's line: it documents the column
            // before.
            Some(c) => {
                cuts.push((at(&toks[c]), after(&toks[c])));
                let trailing = toks[c + 1..end]
                    .iter()
                    .take_while(|t| is_trivia(&t.token))
                    .find(|t| {
                        matches!(
                            t.token,
                            Token::Whitespace(Whitespace::SingleLineComment { .. })
                        ) && t.span.start.line == toks[c].span.start.line
                    });
                // Resume after the comment's line break, or the `)` that
                // follows would become part of the comment.
                let from = match trailing {
                    Some(t) => {
                        let end = after(t);
                        sql.get(end..)
                            .and_then(|r| r.find('\n'))
                            .map_or(end, |i| end + i + 1)
                            .min(item_end)
                    }
                    None => after(&toks[c]),
                };
                cuts.push((from, item_end));
            }
            // The first item: drop it and the comma after it.
            None => {
                let to = match items.get(k + 1) {
                    Some(&(next, _, Some(_))) => toks.get(next).map_or(item_end, at),
                    _ => item_end,
                };
                cuts.push((toks.get(start).map_or(item_end, at), to));
            }
        }
    }
    if indexes.is_empty() {
        return None;
    }
    cuts.sort();
    let mut out = String::with_capacity(sql.len());
    let mut pos = 0;
    for (from, to) in cuts {
        if from > pos {
            out.push_str(sql.get(pos..from).unwrap_or(""));
        }
        pos = pos.max(to);
    }
    out.push_str(sql.get(pos..).unwrap_or(""));
    Some(Stripped { sql: out, indexes })
}

/// Trailing `-- comments` of a `CREATE TABLE`'s column lines, by lower-case
/// column name.
pub fn column_comments(sql: &str) -> BTreeMap<String, String> {
    let mut res = BTreeMap::new();
    let Some(toks) = tokens(sql) else {
        return res;
    };
    let Some(items) = items(&toks) else {
        return res;
    };
    let mut last: Option<(u64, String)> = None;
    for &(start, end, _) in &items {
        for t in &toks[start..end] {
            match &t.token {
                Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                    if let Some((line, col)) = &last
                        && *line == t.span.start.line
                    {
                        let c = comment.trim();
                        if !c.is_empty() {
                            res.entry(col.clone()).or_insert_with(|| c.to_owned());
                        }
                    }
                }
                Token::Whitespace(_) => {}
                _ => {
                    let col = toks[start..end]
                        .iter()
                        .find(|t| !is_trivia(&t.token))
                        .and_then(|t| match &t.token {
                            Token::Word(w) => Some(w.value.to_ascii_lowercase()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    last = Some((t.span.end.line, col));
                }
            }
        }
        // The comma after an item stays on the item's line.
        if let Some(c) = toks.get(end)
            && c.token == Token::Comma
            && let Some((_, col)) = &last
        {
            last = Some((c.span.end.line, col.clone()));
        }
    }
    res.retain(|k, _| {
        !matches!(
            k.to_ascii_uppercase().as_str(),
            "PRIMARY" | "UNIQUE" | "FOREIGN" | "CHECK" | "CONSTRAINT" | "INDEX" | "KEY" | ""
        )
    });
    res
}

/// The value of a name token (a word, quoted or not).
fn name_of(t: &TokenWithSpan) -> Option<&str> {
    match &t.token {
        Token::Word(w) => Some(&w.value),
        _ => None,
    }
}

/// A libSQL `ALTER TABLE t ALTER COLUMN c TO <column definition>` (what
/// drizzle-kit writes for Turso): the table, the column and the new
/// definition as written.
pub fn libsql_alter_column(sql: &str) -> Option<(String, String, String)> {
    let toks = tokens(sql)?;
    let words: Vec<&TokenWithSpan> = toks.iter().filter(|t| !is_trivia(&t.token)).collect();
    let is = |i: usize, k: &str| words.get(i).and_then(|t| kw(&t.token)).as_deref() == Some(k);
    if !(is(0, "ALTER") && is(1, "TABLE") && is(3, "ALTER") && is(4, "COLUMN") && is(6, "TO")) {
        return None;
    }
    let table = name_of(words[2])?.to_owned();
    let column = name_of(words[5])?.to_owned();
    let from = Offsets::new(sql).at(words.get(7)?);
    let definition = sql.get(from..)?.trim_end().trim_end_matches(';').trim_end();
    Some((table, column, definition.to_owned()))
}

/// A `CREATE TABLE`'s body, from its `(` to the end, with the item that
/// defines `column` replaced by `definition`; the rest byte for byte.
pub fn replace_column(sql: &str, column: &str, definition: &str) -> Option<String> {
    let toks = tokens(sql)?;
    let items = items(&toks)?;
    let offsets = Offsets::new(sql);
    let at = |t: &TokenWithSpan| offsets.at(t);
    let after = |t: &TokenWithSpan| offsets.after(t);
    let open = toks.iter().position(|t| t.token == Token::LParen)?;
    let (first, last) = items.iter().find_map(|&(start, end, _)| {
        let item: Vec<&TokenWithSpan> = toks[start..end]
            .iter()
            .filter(|t| !is_trivia(&t.token))
            .collect();
        let name = name_of(item.first()?)?;
        name.eq_ignore_ascii_case(column)
            .then(|| (at(item[0]), after(item[item.len() - 1])))
    })?;
    let body = at(&toks[open]);
    Some(format!(
        "{}{definition}{}",
        sql.get(body..first)?,
        sql.get(last..)?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_libsql_alter_column() {
        assert_eq!(
            libsql_alter_column(
                "ALTER TABLE `page_subscriber` ALTER COLUMN \"email\" TO \"email\" text NOT NULL;"
            ),
            Some((
                "page_subscriber".into(),
                "email".into(),
                "\"email\" text NOT NULL".into()
            ))
        );
        assert_eq!(
            libsql_alter_column("ALTER TABLE t ALTER COLUMN c SET NOT NULL"),
            None
        );
        assert_eq!(libsql_alter_column("ALTER TABLE t ADD COLUMN c TEXT"), None);
    }

    #[test]
    fn replaces_one_column_and_keeps_the_rest() {
        let sql = "CREATE TABLE `s` (\n\t`id` integer PRIMARY KEY, -- the key\n\t`status` text(4) NOT NULL,\n\tCHECK (id > 0)\n) STRICT";
        assert_eq!(
            replace_column(sql, "STATUS", "\"status\" text NOT NULL").as_deref(),
            Some(
                "(\n\t`id` integer PRIMARY KEY, -- the key\n\t\"status\" text NOT NULL,\n\tCHECK (id > 0)\n) STRICT"
            )
        );
        assert_eq!(replace_column(sql, "missing", "x int"), None);
    }

    const SEED_STYLE: &str = "CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  thread_id TEXT, -- For topics
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,

  -- Composite index for channel message queries
  INDEX idx_channel_time (channel_id, created_at DESC),
  INDEX idx_thread_time (thread_id, created_at) WHERE thread_id IS NOT NULL,
  UNIQUE KEY uq_chan (channel_id, id)
)";

    #[test]
    fn strips_inline_indexes_and_keeps_columns() {
        let got = strip_inline_indexes(SEED_STYLE).unwrap();
        assert_eq!(
            got.sql,
            "CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  thread_id TEXT, -- For topics
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP)"
        );
        let names: Vec<_> = got
            .indexes
            .iter()
            .map(|i| {
                (
                    i.name.clone().unwrap_or_default(),
                    i.unique,
                    i.columns.clone(),
                    i.predicate.clone(),
                    i.line,
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    "idx_channel_time".into(),
                    false,
                    "channel_id, created_at DESC".into(),
                    None,
                    8
                ),
                (
                    "idx_thread_time".into(),
                    false,
                    "thread_id, created_at".into(),
                    Some("thread_id IS NOT NULL".into()),
                    9
                ),
                ("uq_chan".into(), true, "channel_id, id".into(), None, 10),
            ]
        );
        assert_eq!(
            got.indexes[1].written,
            "INDEX idx_thread_time (thread_id, created_at) WHERE thread_id IS NOT NULL"
        );
    }

    #[test]
    fn a_column_named_key_is_not_an_index() {
        assert_eq!(
            strip_inline_indexes("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)"),
            None
        );
        assert_eq!(
            strip_inline_indexes("CREATE TABLE kv (key VARCHAR(64) NOT NULL)"),
            None
        );
    }

    #[test]
    fn keeps_the_comment_of_the_column_before_a_removed_index() {
        let sql = "CREATE TABLE u (\n  deleted_at DATETIME, -- Soft delete\n  INDEX idx_a (a)\n)";
        let got = strip_inline_indexes(sql).unwrap();
        assert_eq!(
            got.sql,
            "CREATE TABLE u (\n  deleted_at DATETIME -- Soft delete\n)"
        );
        assert_eq!(
            column_comments(&got.sql)
                .get("deleted_at")
                .map(String::as_str),
            Some("Soft delete")
        );
    }

    #[test]
    fn reads_trailing_column_comments() {
        let got = column_comments(SEED_STYLE);
        assert_eq!(got.len(), 1);
        assert_eq!(got["thread_id"], "For topics");
    }
}
