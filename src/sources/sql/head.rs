//! What a DDL statement does to the schema, read from its first tokens with
//! sqlparser's tokenizer (so quoting and comments follow a real lexer).
//!
//! SQLite is the judge of what a statement means; this only tells which
//! object a statement creates, renames or drops, so that dmqa can remember
//! where each object was defined and the comment above it.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// The schema effect of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// `CREATE [TEMP] TABLE [IF NOT EXISTS] name`.
    CreateTable { name: String },
    /// `CREATE VIRTUAL TABLE name USING module(…)`, with the table an FTS
    /// index takes its rows from (`content='docs'`; `None` when it stores
    /// its own, `Some("")` when it stores none).
    CreateVirtualTable {
        name: String,
        module: String,
        content: Option<String>,
    },
    /// `CREATE [UNIQUE] INDEX name ON table`.
    CreateIndex { name: String, table: String },
    /// `CREATE VIEW name`.
    CreateView { name: String },
    /// `CREATE TRIGGER name`.
    CreateTrigger { name: String },
    /// `ALTER TABLE from RENAME TO to`.
    RenameTable { from: String, to: String },
    /// `ALTER TABLE table ADD [COLUMN] column`.
    AddColumn { table: String, column: String },
    /// `ALTER TABLE table RENAME [COLUMN] from TO to`.
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// `DROP TABLE|INDEX|VIEW|TRIGGER name`.
    Drop { name: String },
    /// `PRAGMA …`.
    Pragma,
    /// A plain `SELECT` or `VALUES`: it reads, so it cannot change the
    /// schema (and is not run).
    Select,
    /// Anything else (DML, transactions, …).
    Other,
}

/// How much of a statement is tokenized to read its head: enough for any
/// `CREATE … name ON table`, and a 1 MB seed `INSERT` costs nothing.
const HEAD_BYTES: usize = 2048;

/// Tokens of `sql` without whitespace and comments, or `None` when the
/// tokenizer gives up before the first token.
pub fn significant_tokens(sql: &str) -> Option<Vec<TokenWithSpan>> {
    let mut tokens = Vec::new();
    // A cut inside a string literal is a tokenizer error; the tokens before
    // it are still good.
    let _ = Tokenizer::new(&SQLiteDialect {}, sql).tokenize_with_location_into_buf(&mut tokens);
    tokens.retain(|t| !matches!(t.token, Token::Whitespace(_)));
    (!tokens.is_empty()).then_some(tokens)
}

fn prefix(sql: &str) -> &str {
    if sql.len() <= HEAD_BYTES {
        return sql;
    }
    let mut end = HEAD_BYTES;
    while !sql.is_char_boundary(end) {
        end -= 1;
    }
    &sql[..end]
}

/// The first `n` tokens of `sql` as upper-case words (`None` for a token
/// that is not an unquoted word).
pub fn leading_keywords(sql: &str, n: usize) -> Vec<Option<String>> {
    significant_tokens(prefix(sql))
        .unwrap_or_default()
        .iter()
        .take(n)
        .map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        })
        .collect()
}

/// Reads the schema effect of `sql`.
pub fn head(sql: &str) -> Head {
    let Some(tokens) = significant_tokens(prefix(sql)) else {
        return Head::Other;
    };
    let mut c = Cursor {
        tokens: &tokens,
        i: 0,
    };
    c.read().unwrap_or(Head::Other)
}

/// The table an `ALTER TABLE [IF EXISTS] [ONLY] name …` statement changes,
/// whatever the change (`ADD CONSTRAINT`, `ALTER COLUMN`, `DROP COLUMN`).
pub fn altered_table(sql: &str) -> Option<String> {
    let tokens = significant_tokens(prefix(sql))?;
    let mut c = Cursor {
        tokens: &tokens,
        i: 0,
    };
    if !(c.eat("ALTER") && c.eat("TABLE")) {
        return None;
    }
    c.eat_all(&["IF", "EXISTS"]);
    let _ = c.eat("ONLY");
    c.name()
}

struct Cursor<'a> {
    tokens: &'a [TokenWithSpan],
    i: usize,
}

impl Cursor<'_> {
    /// The next token as an upper-case keyword, if it is an unquoted word.
    fn peek_kw(&self) -> Option<String> {
        match self.tokens.get(self.i).map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn eat(&mut self, kw: &str) -> bool {
        if self.peek_kw().as_deref() == Some(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_all(&mut self, kws: &[&str]) -> bool {
        let save = self.i;
        if kws.iter().all(|k| self.eat(k)) {
            true
        } else {
            self.i = save;
            false
        }
    }

    /// The value of `key = value` among the module arguments that follow
    /// (`fts5(title, content='docs', content_rowid=id)`), at the top level
    /// of their parentheses.
    fn module_option(&mut self, key: &str) -> Option<String> {
        if !matches!(
            self.tokens.get(self.i).map(|t| &t.token),
            Some(Token::LParen)
        ) {
            return None;
        }
        let mut depth = 0usize;
        let mut at_start = true;
        while let Some(t) = self.tokens.get(self.i) {
            self.i += 1;
            match &t.token {
                Token::LParen => depth += 1,
                Token::RParen if depth <= 1 => return None,
                Token::RParen => depth -= 1,
                Token::Comma if depth == 1 => at_start = true,
                Token::Word(w) if depth == 1 && at_start && w.value.eq_ignore_ascii_case(key) => {
                    if !matches!(self.tokens.get(self.i).map(|t| &t.token), Some(Token::Eq)) {
                        at_start = false;
                        continue;
                    }
                    self.i += 1;
                    return match self.tokens.get(self.i).map(|t| &t.token) {
                        Some(Token::SingleQuotedString(v) | Token::DoubleQuotedString(v)) => {
                            Some(v.clone())
                        }
                        Some(Token::Word(w)) => Some(w.value.clone()),
                        _ => None,
                    };
                }
                _ => at_start = false,
            }
        }
        None
    }

    /// A possibly schema-qualified name; returns its last part.
    fn name(&mut self) -> Option<String> {
        let mut last = None;
        loop {
            match self.tokens.get(self.i).map(|t| &t.token) {
                Some(Token::Word(w)) => last = Some(w.value.clone()),
                Some(Token::SingleQuotedString(s)) => last = Some(s.clone()),
                _ => return last,
            }
            self.i += 1;
            if matches!(
                self.tokens.get(self.i).map(|t| &t.token),
                Some(Token::Period)
            ) {
                self.i += 1;
            } else {
                return last;
            }
        }
    }

    fn read(&mut self) -> Option<Head> {
        if self.eat("PRAGMA") {
            return Some(Head::Pragma);
        }
        if self.eat("SELECT") || self.eat("VALUES") {
            return Some(Head::Select);
        }
        if self.eat("CREATE") {
            let _ = self.eat("TEMP") || self.eat("TEMPORARY");
            if self.eat("VIRTUAL") && self.eat("TABLE") {
                self.eat_all(&["IF", "NOT", "EXISTS"]);
                let name = self.name()?;
                let module = if self.eat("USING") {
                    self.name().unwrap_or_default()
                } else {
                    String::new()
                };
                let content = self.module_option("content");
                return Some(Head::CreateVirtualTable {
                    name,
                    module,
                    content,
                });
            }
            if self.eat("TABLE") {
                self.eat_all(&["IF", "NOT", "EXISTS"]);
                return Some(Head::CreateTable { name: self.name()? });
            }
            let _ = self.eat("UNIQUE");
            if self.eat("INDEX") {
                self.eat_all(&["IF", "NOT", "EXISTS"]);
                let name = self.name()?;
                if !self.eat("ON") {
                    return None;
                }
                let table = self.name()?;
                return Some(Head::CreateIndex { name, table });
            }
            if self.eat("VIEW") {
                self.eat_all(&["IF", "NOT", "EXISTS"]);
                return Some(Head::CreateView { name: self.name()? });
            }
            if self.eat("TRIGGER") {
                self.eat_all(&["IF", "NOT", "EXISTS"]);
                return Some(Head::CreateTrigger { name: self.name()? });
            }
            return None;
        }
        if self.eat("ALTER") && self.eat("TABLE") {
            let _ = self.eat("ONLY");
            let table = self.name()?;
            if self.eat("RENAME") {
                if self.eat("TO") {
                    return Some(Head::RenameTable {
                        from: table,
                        to: self.name()?,
                    });
                }
                let _ = self.eat("COLUMN");
                let from = self.name()?;
                if !self.eat("TO") {
                    return None;
                }
                return Some(Head::RenameColumn {
                    table,
                    from,
                    to: self.name()?,
                });
            }
            if self.eat("ADD") {
                let _ = self.eat("COLUMN");
                return Some(Head::AddColumn {
                    table,
                    column: self.name()?,
                });
            }
            return None;
        }
        if self.eat("DROP") {
            for kind in ["TABLE", "INDEX", "VIEW", "TRIGGER"] {
                if self.eat(kind) {
                    self.eat_all(&["IF", "EXISTS"]);
                    return Some(Head::Drop { name: self.name()? });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_object_names_through_quotes_and_qualifiers() {
        assert_eq!(
            head("CREATE TABLE IF NOT EXISTS `main`.\"users\" (id int)"),
            Head::CreateTable {
                name: "users".into()
            }
        );
        assert_eq!(
            head("create unique index if not exists idx_a on [apps](x)"),
            Head::CreateIndex {
                name: "idx_a".into(),
                table: "apps".into()
            }
        );
        assert_eq!(
            head("CREATE VIRTUAL TABLE docs_fts USING fts5(title, content='docs')"),
            Head::CreateVirtualTable {
                name: "docs_fts".into(),
                module: "fts5".into(),
                content: Some("docs".into()),
            }
        );
        // Its own rows, none, a column named `content`, a bare word.
        let content = |sql: &str| match head(sql) {
            Head::CreateVirtualTable { content, .. } => content,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            content("CREATE VIRTUAL TABLE f USING fts5(title, body)"),
            None
        );
        assert_eq!(
            content("CREATE VIRTUAL TABLE f USING fts5(a, content='')"),
            Some(String::new())
        );
        assert_eq!(
            content("CREATE VIRTUAL TABLE f USING fts5(title, content)"),
            None
        );
        assert_eq!(
            content("CREATE VIRTUAL TABLE f USING fts4(a, tokenize=porter, CONTENT = docs)"),
            Some("docs".into())
        );
        assert_eq!(
            content("CREATE VIRTUAL TABLE r USING rtree(id, x0, x1)"),
            None
        );
    }

    #[test]
    fn reads_alter_table_forms() {
        assert_eq!(
            head("ALTER TABLE `__new_apps` RENAME TO `apps`"),
            Head::RenameTable {
                from: "__new_apps".into(),
                to: "apps".into()
            }
        );
        assert_eq!(
            head("ALTER TABLE apps ADD COLUMN slug TEXT"),
            Head::AddColumn {
                table: "apps".into(),
                column: "slug".into()
            }
        );
        assert_eq!(
            head("ALTER TABLE apps RENAME COLUMN a TO b"),
            Head::RenameColumn {
                table: "apps".into(),
                from: "a".into(),
                to: "b".into()
            }
        );
        assert_eq!(
            head("DROP TABLE IF EXISTS old"),
            Head::Drop { name: "old".into() }
        );
        assert_eq!(head("PRAGMA foreign_keys=OFF"), Head::Pragma);
        assert_eq!(head("INSERT INTO a VALUES (1)"), Head::Other);
    }
}
