//! The in-memory SQLite that untrusted migration SQL runs in.
//!
//! D1 is SQLite, so the truth about a D1 schema is what SQLite makes of its
//! migrations. This module owns the only place dmqa evaluates anything from
//! the checkout, and makes sure that evaluation can touch nothing: the
//! database lives in memory, attaching is limited to zero databases and
//! denied by an authorizer (which also refuses `VACUUM INTO`, extension
//! loading, file functions and every pragma that is not a read-only
//! catalog query), strings and blobs are capped at D1's 2 MB, and a progress
//! handler interrupts a statement that runs too long (a recursive trigger,
//! a huge recursive CTE). Each statement has a budget in virtual-machine
//! steps (deterministic) and a wall-clock deadline (for steps that are
//! each slow); the caller may end a whole file's statements earlier. The
//! catalog read-back has its own, larger budget, sized for thousands of
//! tables.

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `ident` as a double-quoted SQLite identifier, for the SQL dmqa writes
/// itself (a table made again, a rebuilt schema, a query plan).
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// SQLite calls the progress handler every this many VM instructions.
const PROGRESS_STEP: i32 = 1_000;
/// A statement may run at most this many progress steps (10⁷ instructions).
const PROGRESS_BUDGET: u32 = 10_000;
/// …and at most this long.
pub const STATEMENT_TIME: Duration = Duration::from_secs(1);
/// The catalog read-back may run this many progress steps (10⁹
/// instructions: tens of thousands of tables)…
const CATALOG_BUDGET: u32 = 1_000_000;
/// …and this long.
const CATALOG_TIME: Duration = Duration::from_secs(20);
/// The longest string, blob or row a statement may build: D1's own limit
/// (2,000,000 bytes), far below what makes one `randomblob` slow.
const MAX_LENGTH: i32 = 2_000_000;

/// Pragmas a migration may run: catalog reads, the foreign-key switches
/// drizzle emits around table rebuilds, and the read-only `quick_check`
/// SQLite itself runs to verify a column `ALTER TABLE … ADD COLUMN` adds
/// with a CHECK or NOT NULL constraint. Everything else is denied.
const ALLOWED_PRAGMAS: &[&str] = &[
    "quick_check",
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
    limits: Arc<Limits>,
}

/// What the progress handler checks: steps taken against the budget, and
/// the deadline (milliseconds after `start`).
struct Limits {
    start: Instant,
    steps: AtomicU32,
    budget: AtomicU32,
    deadline_ms: AtomicU64,
}

impl Limits {
    fn exceeded(&self) -> bool {
        self.steps.fetch_add(1, Ordering::Relaxed) >= self.budget.load(Ordering::Relaxed)
            || self.start.elapsed().as_millis() as u64 > self.deadline_ms.load(Ordering::Relaxed)
    }

    fn reset(&self, budget: u32, deadline: Instant) {
        self.steps.store(0, Ordering::Relaxed);
        self.budget.store(budget, Ordering::Relaxed);
        let ms = deadline.saturating_duration_since(self.start).as_millis() as u64;
        self.deadline_ms.store(ms, Ordering::Relaxed);
    }
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
        conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_LENGTH)?;
        conn.set_limit(Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1_000)?;
        conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 16 * 1024 * 1024)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
            false,
        )?;
        conn.authorizer(Some(authorize))?;
        cap_heap();
        let limits = Arc::new(Limits {
            start: Instant::now(),
            steps: AtomicU32::new(0),
            budget: AtomicU32::new(PROGRESS_BUDGET),
            deadline_ms: AtomicU64::new(STATEMENT_TIME.as_millis() as u64),
        });
        let handler = Arc::clone(&limits);
        conn.progress_handler(PROGRESS_STEP, Some(move || handler.exceeded()))?;
        Ok(Sandbox { conn, limits })
    }

    /// Runs `sql` (one or more statements) with a fresh step budget, for
    /// at most [`STATEMENT_TIME`].
    pub fn execute(&self, sql: &str) -> Result<(), SandboxError> {
        self.execute_until(sql, None)
    }

    /// [`execute`](Self::execute), stopping at `until` if that comes
    /// first (the end of a file's time).
    pub fn execute_until(&self, sql: &str, until: Option<Instant>) -> Result<(), SandboxError> {
        let own = Instant::now() + STATEMENT_TIME;
        let deadline = until.map_or(own, |u| u.min(own));
        self.limits.reset(PROGRESS_BUDGET, deadline);
        self.conn.execute_batch(sql).map_err(|e| classify(&e))
    }

    /// The connection with the catalog's larger budget, for the queries
    /// dmqa itself writes: the catalog read-back, query plans.
    pub fn own(&self) -> &Connection {
        self.limits
            .reset(CATALOG_BUDGET, Instant::now() + CATALOG_TIME);
        &self.conn
    }
}

/// SQLite's memory for the whole process: a statement building rows past
/// it fails with "out of memory" instead of growing without bound.
const HEAP_LIMIT: i64 = 256 * 1024 * 1024;

fn cap_heap() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: sqlite3_hard_heap_limit64 only sets a process-wide limit;
    // it is safe to call at any time, from any thread.
    ONCE.call_once(|| unsafe {
        rusqlite::ffi::sqlite3_hard_heap_limit64(HEAP_LIMIT);
    });
}

/// Why the sandbox refused or failed a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxError {
    /// SQLite itself rejects the statement (and so would D1).
    Rejected(String),
    /// The sandbox refused it: it could touch files or is not a catalog read.
    Denied(String),
    /// It ran past its step, time or memory budget and was interrupted.
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
    } else if msg.contains("interrupted") || msg.contains("out of memory") {
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
    #[test]
    fn an_added_column_with_a_check_is_valid_sqlite() {
        let sb = super::Sandbox::open().expect("sandbox");
        sb.execute("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);")
            .expect("create");
        sb.execute(
            "ALTER TABLE t ADD COLUMN status TEXT NOT NULL DEFAULT 'a' CHECK (status IN ('a', 'b'))",
        )
        .expect("SQLite accepts ADD COLUMN … CHECK, verifying it with quick_check");
    }

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

    #[test]
    fn a_deadline_stops_a_statement_whose_steps_are_few_but_slow() {
        let sb = Sandbox::open().unwrap();
        sb.execute("CREATE TABLE t (b BLOB)").unwrap();
        let slow = "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) SELECT randomblob(1000) FROM c";
        let start = Instant::now();
        assert_eq!(
            sb.execute_until(slow, Some(Instant::now())),
            Err(SandboxError::Interrupted)
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn strings_past_d1s_limit_and_rows_past_the_heap_fail_fast() {
        let sb = Sandbox::open().unwrap();
        sb.execute("CREATE TABLE t (b BLOB)").unwrap();
        let start = Instant::now();
        assert!(matches!(
            sb.execute("INSERT INTO t VALUES (randomblob(16000000))"),
            Err(SandboxError::Rejected(m)) if m.contains("too big")
        ));
        let huge = "INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5000) SELECT randomblob(1900000) FROM c";
        assert_eq!(sb.execute(huge), Err(SandboxError::Interrupted));
        // Bounded: the statement's own second, with slack for a busy machine.
        assert!(start.elapsed() < STATEMENT_TIME + Duration::from_secs(10));
        // The catalog still reads, on its own budget.
        let n: i64 = sb
            .own()
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
