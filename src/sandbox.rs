//! The in-memory SQLite that untrusted migration SQL runs in.
//!
//! D1 is SQLite, so the truth about a D1 schema is what SQLite makes of its
//! migrations. This module owns the only place dmqa evaluates anything from
//! the checkout, and makes sure that evaluation can touch nothing: the
//! database lives in memory, attaching is limited to zero databases and
//! denied by an authorizer (which also refuses `VACUUM INTO`, extension
//! loading, file functions and every pragma that is not a read-only
//! catalog query), and a progress handler interrupts a statement that runs
//! too long (a recursive trigger, a huge recursive CTE). The budget is
//! counted in virtual-machine steps, not wall time, so it is deterministic.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// SQLite calls the progress handler every this many VM instructions.
const PROGRESS_STEP: i32 = 1_000;
/// A statement may run at most this many progress steps (10⁷ instructions).
const PROGRESS_BUDGET: u32 = 10_000;

/// Pragmas a migration may run: catalog reads and the foreign-key switches
/// drizzle emits around table rebuilds. Everything else is denied.
const ALLOWED_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_keys",
    "defer_foreign_keys",
    "legacy_alter_table",
    "recursive_triggers",
];

/// Functions that could read or write files or change the tokenizer table.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
];

/// An in-memory SQLite that cannot touch the filesystem.
pub struct Sandbox {
    conn: Connection,
    steps: Arc<AtomicU32>,
}

impl Sandbox {
    /// Opens a fresh sandbox.
    pub fn open() -> rusqlite::Result<Sandbox> {
        let mut conn = Connection::open_in_memory_with_flags(
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_MEMORY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 16 * 1024 * 1024)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 16 * 1024 * 1024)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
            false,
        )?;
        conn.authorizer(Some(authorize))?;
        let steps = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&steps);
        conn.progress_handler(
            PROGRESS_STEP,
            Some(move || counter.fetch_add(1, Ordering::Relaxed) >= PROGRESS_BUDGET),
        )?;
        Ok(Sandbox { conn, steps })
    }

    /// Runs `sql` (one or more statements) with a fresh step budget.
    pub fn execute(&self, sql: &str) -> Result<(), SandboxError> {
        self.steps.store(0, Ordering::Relaxed);
        self.conn.execute_batch(sql).map_err(|e| classify(&e))
    }

    /// The connection, for catalog queries dmqa itself writes.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Why the sandbox refused or failed a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxError {
    /// SQLite itself rejects the statement (and so would D1).
    Rejected(String),
    /// The sandbox refused it: it could touch files or is not a catalog read.
    Denied(String),
    /// It ran past the step budget and was interrupted.
    Interrupted,
}

fn classify(err: &rusqlite::Error) -> SandboxError {
    let mut msg = match err {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    };
    // SQLite 3.54 appends "in <the whole statement> at offset N"; the
    // statement is already located by its file and line.
    if let Some(at) = msg.rfind(" at offset ")
        && let Some(cut) = msg[..at].find(" in ")
    {
        msg.truncate(cut);
    }
    if msg.contains("not authorized") || msg.contains("authorization denied") {
        SandboxError::Denied(msg)
    } else if msg.contains("interrupted") {
        SandboxError::Interrupted
    } else if msg.contains("too many attached databases") {
        SandboxError::Denied(msg)
    } else {
        SandboxError::Rejected(msg)
    }
}

fn authorize(ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Attach { .. } | AuthAction::Detach { .. } => Authorization::Deny,
        AuthAction::Function { function_name }
            if DENIED_FUNCTIONS
                .iter()
                .any(|f| function_name.eq_ignore_ascii_case(f)) =>
        {
            Authorization::Deny
        }
        AuthAction::Pragma { pragma_name, .. } => {
            if ALLOWED_PRAGMAS
                .iter()
                .any(|p| pragma_name.eq_ignore_ascii_case(p))
            {
                Authorization::Allow
            } else {
                Authorization::Deny
            }
        }
        AuthAction::Unknown { .. } => Authorization::Deny,
        _ => Authorization::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denies_everything_that_touches_files() {
        let dir = std::env::temp_dir().join(format!("dmqa-sandbox-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("evil.db");
        let path = target.to_string_lossy().replace('\'', "''");
        let sb = Sandbox::open().unwrap();
        sb.execute("CREATE TABLE t (x)").unwrap();
        for sql in [
            format!("ATTACH DATABASE '{path}' AS evil"),
            format!("VACUUM INTO '{path}'"),
            "SELECT load_extension('x')".to_owned(),
            "PRAGMA writable_schema = ON".to_owned(),
            "PRAGMA journal_mode = WAL".to_owned(),
        ] {
            let got = sb.execute(&sql);
            assert!(
                matches!(got, Err(SandboxError::Denied(_))),
                "{sql}: {got:?}"
            );
        }
        assert!(!target.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn runs_real_migrations_and_stops_runaway_ones() {
        let sb = Sandbox::open().unwrap();
        sb.execute("PRAGMA foreign_keys=OFF; CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE VIRTUAL TABLE f USING fts5(body);")
            .unwrap();
        assert_eq!(
            sb.execute("CREATE TABLE b (x INDEX)"),
            Err(SandboxError::Rejected(
                "near \"INDEX\": syntax error".into()
            ))
        );
        let runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
        assert_eq!(sb.execute(runaway), Err(SandboxError::Interrupted));
        // The budget is per statement: the next one runs normally.
        sb.execute("INSERT INTO a DEFAULT VALUES").unwrap();
    }
}
