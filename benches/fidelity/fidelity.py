#!/usr/bin/env python3
"""Schema fidelity: dmqa's tables against real engines.

For each checkout, `dmqa model` gives the databases dmqa read. Each one is
rebuilt by a real engine and the two are compared table by table: columns
(type, nullability, default, primary key position), indexes (name, unique,
columns) and foreign keys (columns, referenced table and columns).

Oracles:

* SQLite / D1 migrations: the database's SQL files, in dmqa's order, applied
  with Python's `sqlite3` (foreign keys on), one migration file at a time as
  `wrangler d1 migrations apply` does (a failing file is rolled back and
  reported, the next ones still run).
* A Drizzle schema (`--drizzle`): `drizzle-kit export` for each
  `drizzle.config.*` dmqa found, with drizzle-kit installed from npm into a
  temporary folder. SQLite output is applied with `sqlite3`; Postgres output
  with PGlite (also from npm) when `--postgres` is given. This runs the
  schema module, as drizzle-kit itself does: use it on your own checkout.

    cargo build --release --locked
    python3 benches/fidelity/fidelity.py CHECKOUT [CHECKOUT …]
    python3 benches/fidelity/fidelity.py --drizzle --postgres CHECKOUT
    python3 benches/fidelity/fidelity.py -v CHECKOUT     # every difference

Prints one line per database and a table of per-dialect percentages. The
comparison itself (`compare`) has unit tests: `python3 -m unittest
discover benches/fidelity`.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# --------------------------------------------------------------- comparison


# Postgres spells one type several ways; its catalog uses the long names.
PG_ALIASES = {
    "character varying": "varchar",
    "character": "char",
    "int4": "integer",
    "int": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "timestamptz": "timestamp with time zone",
    "timestamp without time zone": "timestamp",
    "timetz": "time with time zone",
    "time without time zone": "time",
    "decimal": "numeric",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
}


def norm_type(t):
    """A declared type, compared without case, inner spacing or Postgres's
    alias spelling (`varchar` is `character varying`, `serial` is an
    `integer` whose default is a sequence)."""
    t = " ".join((t or "").lower().split()).replace(" (", "(").replace(", ", ",")
    array = ""
    while t.endswith("[]"):
        t, array = t[:-2], array + "[]"
    base, paren, rest = t.partition("(")
    base = PG_ALIASES.get(base, base)
    return base + paren + rest + array


def norm_default(d):
    """A default as written: outer parentheses, case and Postgres's casts of
    literals (`'x'::character varying`) do not matter; a sequence's
    `nextval(…)` is the default a serial column has."""
    if d is None:
        return None
    d = d.strip()
    while d.startswith("(") and d.endswith(")") and balanced(d[1:-1]):
        d = d[1:-1].strip()
    d = d.lower().replace("public.", "")
    if d.startswith("nextval("):
        return None
    if d.startswith("'") and "'::" in d:
        d = d[: d.rindex("'::") + 1]
    return d


def balanced(s):
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def compare(oracle, dmqa):
    """Compares two lists of tables (dicts shaped like `dmqa model`'s).

    Returns counts per kind (`tables`, `columns`, `primary_keys`,
    `indexes`, `foreign_keys`: `[equal, total]`) and the differences, one
    line each. Totals are the oracle's objects; an object only dmqa has is a
    difference that counts against it too.
    """
    counts = {k: [0, 0] for k in ("tables", "columns", "primary_keys", "indexes", "foreign_keys")}
    diffs = []
    by_name = {t["name"].lower(): t for t in dmqa}
    for t in oracle:
        name = t["name"]
        counts["tables"][1] += 1
        d = by_name.pop(name.lower(), None)
        if d is None:
            diffs.append(f"{name}: table missing")
            for k in ("columns", "indexes", "foreign_keys"):
                counts[k][1] += len(t.get(k, []))
            counts["primary_keys"][1] += 1
            continue
        counts["tables"][0] += 1
        cols = {c["name"].lower(): c for c in d["columns"]}
        for c in t["columns"]:
            counts["columns"][1] += 1
            dc = cols.pop(c["name"].lower(), None)
            if dc is None:
                diffs.append(f"{name}.{c['name']}: column missing")
                continue
            got = (norm_type(dc["sql_type"]), dc["nullable"], norm_default(dc.get("default")),
                   dc.get("primary_key_position", 0))
            want = (norm_type(c["sql_type"]), c["nullable"], norm_default(c.get("default")),
                    c.get("primary_key_position", 0))
            if got == want:
                counts["columns"][0] += 1
            else:
                diffs.append(f"{name}.{c['name']}: dmqa {fmt_col(got)} vs {fmt_col(want)}")
        for extra in cols:
            counts["columns"][1] += 1
            diffs.append(f"{name}.{extra}: column only in dmqa")
        counts["primary_keys"][1] += 1
        want_pk = [c.lower() for c in t.get("primary_key", [])]
        got_pk = [c.lower() for c in d.get("primary_key", [])]
        if want_pk == got_pk:
            counts["primary_keys"][0] += 1
        else:
            diffs.append(f"{name}: primary key dmqa {got_pk} vs {want_pk}")
        compare_set(counts["indexes"], diffs, name, "index", index_keys(t), index_keys(d))
        compare_set(counts["foreign_keys"], diffs, name, "foreign key", fk_keys(t), fk_keys(d))
    for extra in by_name:
        counts["tables"][1] += 1
        diffs.append(f"{extra}: table only in dmqa")
    return counts, diffs


def fmt_col(c):
    ty, nullable, default, pk = c
    return f"`{ty}`{'' if nullable else ' NOT NULL'}{'' if default is None else ' DEFAULT ' + default}{' pk' + str(pk) if pk else ''}"


def index_keys(t):
    """Indexes by what they are: unique flag and columns (names differ for
    automatic indexes), lower case; an expression is `<expr>` (SQLite's
    catalog does not give its text)."""
    def col(c):
        name = c["name"] if isinstance(c, dict) else c
        if name is None or any(ch in name for ch in "( "):
            return "<expr>"
        return name.lower()
    # The index SQLite backs a primary key with is the primary key, compared
    # as such.
    return sorted((bool(i.get("unique")), tuple(col(c) for c in i["columns"]))
                  for i in t.get("indexes", []) if i.get("origin") not in ("PrimaryKey", "pk"))


def fk_keys(t):
    return sorted(
        (tuple(c.lower() for c in f["columns"]), f["ref_table"].lower(), tuple(c.lower() for c in f["ref_columns"]))
        for f in t.get("foreign_keys", [])
    )


def compare_set(count, diffs, table, what, want, got):
    remaining = list(got)
    for w in want:
        count[1] += 1
        if w in remaining:
            remaining.remove(w)
            count[0] += 1
        else:
            diffs.append(f"{table}: {what} {w} missing")
    for g in remaining:
        count[1] += 1
        diffs.append(f"{table}: {what} {g} only in dmqa")


# ------------------------------------------------------------------ oracles


def sqlite_catalog(conn):
    """Tables of a SQLite database, shaped like `dmqa model`'s."""
    tables = []
    # Shadow tables (an FTS5 index's `_data`, `_idx`, …) are the virtual
    # table's storage, not tables of the schema.
    shadow = {r[1] for r in conn.execute("PRAGMA table_list") if r[2] == "shadow"}
    names = [(r[0], r[1] or "") for r in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' ORDER BY name") if r[0] not in shadow]
    for name, ddl in names:
        q = name.replace('"', '""')
        info = list(conn.execute(f'PRAGMA table_info("{q}")'))
        pk_count = sum(1 for r in info if r[5])
        without_rowid = "without rowid" in " ".join(ddl.lower().split())
        cols = []
        for _, cname, ctype, notnull, dflt, pkpos in info:
            # SQLite: only a rowid alias (a lone INTEGER primary key) or a
            # WITHOUT ROWID table's key is NOT NULL without saying so.
            rowid_alias = pkpos and pk_count == 1 and (ctype or "").upper() == "INTEGER"
            cols.append({"name": cname, "sql_type": ctype,
                         "nullable": not notnull and not (pkpos and (rowid_alias or without_rowid)),
                         "default": dflt, "primary_key_position": pkpos})
        pk = [c["name"] for c in sorted((c for c in cols if c["primary_key_position"]),
                                        key=lambda c: c["primary_key_position"])]
        indexes = []
        for _, iname, unique, origin, _ in conn.execute(f'PRAGMA index_list("{q}")'):
            icols = [r[2] for r in conn.execute(f'PRAGMA index_info("{iname}")')]
            indexes.append({"name": iname, "unique": bool(unique), "columns": icols, "origin": origin})
        fks = defaultdict(lambda: {"columns": [], "ref_columns": [], "ref_table": ""})
        for fid, _, ref, frm, to, *_ in conn.execute(f'PRAGMA foreign_key_list("{q}")'):
            fks[fid]["columns"].append(frm)
            fks[fid]["ref_columns"].append(to or "")
            fks[fid]["ref_table"] = ref
        tables.append({"name": name, "columns": cols, "primary_key": pk, "indexes": indexes,
                       "foreign_keys": list(fks.values())})
    return tables


def apply_sqlite(checkout, files):
    """Applies the files' statements in order, each on its own, skipping the
    ones SQLite rejects (as dmqa does: it reads what it can and reports the
    rest); returns (catalog, the rejected statements)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    failures = []
    for where, stmt in file_statements(checkout, files):
        try:
            conn.execute(stmt)
        except sqlite3.Error as e:
            failures.append(f"{where}: {e}")
    return sqlite_catalog(conn), failures


def file_statements(checkout, files):
    """(`path:line`, text) of each statement of the files, in order;
    drizzle-kit's breakpoint markers removed."""
    for f in files:
        with open(os.path.join(checkout, f), encoding="utf-8", errors="replace") as fh:
            sql = fh.read().replace("--> statement-breakpoint", "")
        for line, stmt in statements(sql):
            yield f"{f}:{line}", stmt


LIBSQL_APPLY = r"""
const Database = require("libsql");
const fs = require("fs");
const db = new Database(":memory:");
db.exec("PRAGMA foreign_keys = ON");
const failures = [];
for (const [where, stmt] of JSON.parse(fs.readFileSync(0, "utf8"))) {
  try { db.exec(stmt); } catch (e) { failures.push(where + ": " + e.message); }
}
const schema = db.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").all();
process.stdout.write(JSON.stringify({ schema: schema.map((r) => r.sql), failures }));
"""


def apply_libsql(checkout, files, tools):
    """`apply_sqlite` with libSQL (Turso's SQLite, from npm) as the engine:
    it also runs libSQL's own statements (`ALTER TABLE … ALTER COLUMN … TO
    …`). The schema libSQL ends with is plain SQLite DDL, read back through
    `sqlite3` for the same catalog."""
    script = os.path.join(tools, "libsql.cjs")
    with open(script, "w") as fh:
        fh.write(LIBSQL_APPLY)
    stmts = list(file_statements(checkout, files))
    r = subprocess.run(["node", script], input=json.dumps(stmts), capture_output=True, text=True,
                       timeout=300, cwd=tools, check=True)
    out = json.loads(r.stdout)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for sql in out["schema"]:
        try:
            conn.execute(sql)
        except sqlite3.Error:
            pass  # a virtual table's shadow tables, made again by the table itself
    return sqlite_catalog(conn), out["failures"]


def statements(sql):
    """(1-based line, text) of each complete statement of `sql`."""
    out, buf, start = [], "", 1
    for n, line in enumerate(sql.splitlines(keepends=True), 1):
        if not buf.strip():
            start = n
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip().rstrip(";").strip():
                out.append((start, buf))
            buf = ""
    if buf.strip() and sqlite3.complete_statement(buf + ";"):
        out.append((start, buf))
    return out


def drizzle_export(checkout, config, tools):
    """`drizzle-kit export` SQL for a config, or None."""
    exe = os.path.join(tools, "node_modules", ".bin", "drizzle-kit")
    # The config and schema import drizzle-kit / drizzle-orm: found in the
    # temporary folder, not the checkout's node_modules.
    env = dict(os.environ, NODE_PATH=os.path.join(tools, "node_modules"))
    r = subprocess.run([exe, "export", "--config", config], cwd=checkout, capture_output=True,
                       text=True, timeout=300, env=env)
    # drizzle-kit exits 0 when the schema does not load; it then prints no SQL.
    if r.returncode != 0 or not r.stdout.strip():
        print(f"  drizzle-kit export {config} failed: {r.stderr.strip()[:300]}", file=sys.stderr)
        return None
    return r.stdout


PGLITE_DUMP = r"""
const { PGlite } = require("@electric-sql/pglite");
const fs = require("fs");
// The contrib extensions PGlite ships, so `CREATE EXTENSION pgcrypto` and
// the defaults and indexes that use them work.
const extensions = {};
for (const name of ["pgcrypto", "pg_trgm", "uuid_ossp", "moddatetime", "citext", "hstore", "ltree",
                    "btree_gin", "btree_gist", "fuzzystrmatch", "unaccent", "cube", "earthdistance",
                    "intarray", "tablefunc"]) {
  try { extensions[name] = require("@electric-sql/pglite/contrib/" + name)[name]; } catch {}
}
try { extensions.vector = require("@electric-sql/pglite/vector").vector; } catch {}
(async () => {
  const db = new PGlite({ extensions });
  const { files, prelude } = JSON.parse(fs.readFileSync(0, "utf8"));
  const failures = [];
  if (prelude) await db.exec(prelude);
  // Each statement on its own, so one rejected statement does not drop the
  // rest of its file: split at `;` outside quotes, comments and $tag$ bodies.
  const split = (sql) => {
    const out = []; let cur = "", i = 0;
    while (i < sql.length) {
      const c = sql[i], rest = sql.slice(i);
      let m;
      if (c === "'" || c === '"') {
        const j = sql.indexOf(c, i + 1); const e = j < 0 ? sql.length : j + 1;
        cur += sql.slice(i, e); i = e;
      } else if (rest.startsWith("--")) {
        const j = sql.indexOf("\n", i); const e = j < 0 ? sql.length : j;
        i = e;
      } else if (rest.startsWith("/*")) {
        const j = sql.indexOf("*/", i + 2); i = j < 0 ? sql.length : j + 2;
      } else if ((m = /^\$[A-Za-z_]*\$/.exec(rest))) {
        const j = sql.indexOf(m[0], i + m[0].length); const e = j < 0 ? sql.length : j + m[0].length;
        cur += sql.slice(i, e); i = e;
      } else if (c === ";") {
        if (cur.trim()) out.push(cur); cur = ""; i++;
      } else { cur += c; i++; }
    }
    if (cur.trim()) out.push(cur);
    return out;
  };
  for (const f of files) {
    for (const stmt of split(fs.readFileSync(f, "utf8").replaceAll("--> statement-breakpoint", ""))) {
      try { await db.exec(stmt); }
      catch (e) { failures.push(f + ": " + e.message); }
    }
  }
  const q = async (s) => (await db.query(s)).rows;
  const cols = await q(`SELECT c.table_name t, c.column_name n, c.ordinal_position o,
      CASE WHEN c.data_type = 'USER-DEFINED' THEN c.udt_name
           WHEN c.data_type = 'ARRAY' THEN substr(c.udt_name, 2) || '[]'
           ELSE format_type(a.atttypid, a.atttypmod) END ty,
      c.is_nullable = 'YES' nul, c.column_default d
    FROM information_schema.columns c
    JOIN pg_attribute a ON a.attrelid = (quote_ident(c.table_schema)||'.'||quote_ident(c.table_name))::regclass
      AND a.attname = c.column_name
    JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
    WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`);
  const pks = await q(`SELECT tc.table_name t, kcu.column_name n, kcu.ordinal_position o
    FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu
      ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
    WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' ORDER BY 1, 3`);
  // Key columns only (not INCLUDE ones); an expression is <expr>.
  const idx = await q(`SELECT t.relname t, i.relname n, ix.indisunique u,
      array(SELECT coalesce(a.attname, '<expr>') FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
            LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum <> 0
            WHERE k.ord <= ix.indnkeyatts ORDER BY k.ord) cols
    FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_namespace ns ON ns.oid = t.relnamespace
    WHERE ns.nspname = 'public' AND NOT ix.indisprimary`);
  const fks = await q(`SELECT cl.relname t, con.conname n,
      array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) cols,
      CASE WHEN rns.nspname = 'public' THEN rc.relname ELSE rns.nspname || '.' || rc.relname END rt,
      array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) rcols
    FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_class rc ON rc.oid = con.confrelid
    JOIN pg_namespace ns ON ns.oid = cl.relnamespace JOIN pg_namespace rns ON rns.oid = rc.relnamespace
    WHERE con.contype = 'f' AND ns.nspname = 'public'`);
  process.stdout.write(JSON.stringify({ cols, pks, idx, fks, failures }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


# What a Supabase project's migrations take for granted: its roles, the
# `auth.users` table they reference, and the schemas extensions live in.
SUPABASE_PRELUDE = """
CREATE ROLE anon; CREATE ROLE authenticated; CREATE ROLE service_role;
CREATE SCHEMA auth; CREATE SCHEMA extensions; CREATE SCHEMA storage;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql AS 'SELECT NULL::text';
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb';
"""


def postgres_catalog(files, tools, prelude=None):
    """Applies Postgres SQL files with PGlite (after `prelude`); returns
    (catalog, failures)."""
    script = os.path.join(tools, "dump.cjs")
    with open(script, "w") as fh:
        fh.write(PGLITE_DUMP)
    r = subprocess.run(["node", script], input=json.dumps({"files": files, "prelude": prelude}),
                       capture_output=True, text=True, cwd=tools, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[:500])
    dump = json.loads(r.stdout)
    tables = {}
    for c in dump["cols"]:
        t = tables.setdefault(c["t"], {"name": c["t"], "columns": [], "primary_key": [],
                                       "indexes": [], "foreign_keys": []})
        t["columns"].append({"name": c["n"], "sql_type": c["ty"], "nullable": c["nul"],
                             "default": c["d"], "primary_key_position": 0})
    for p in dump["pks"]:
        t = tables[p["t"]]
        t["primary_key"].append(p["n"])
        for c in t["columns"]:
            if c["name"] == p["n"]:
                c["primary_key_position"] = p["o"]
    for i in dump["idx"]:
        tables[i["t"]]["indexes"].append({"name": i["n"], "unique": i["u"], "columns": i["cols"]})
    for f in dump["fks"]:
        tables[f["t"]]["foreign_keys"].append({"columns": f["cols"], "ref_table": f["rt"],
                                               "ref_columns": f["rcols"]})
    return list(tables.values()), dump["failures"]


def install_tools(packages):
    tools = tempfile.mkdtemp(prefix="dmqa-fidelity-")
    subprocess.run(["npm", "init", "-y"], cwd=tools, capture_output=True, check=True)
    subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", *packages],
                   cwd=tools, capture_output=True, check=True, timeout=900)
    return tools


# --------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkouts", nargs="+")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "dmqa"))
    ap.add_argument("--drizzle", action="store_true", help="also compare drizzle-kit export")
    ap.add_argument("--postgres", action="store_true", help="apply Postgres SQL with PGlite")
    ap.add_argument("--libsql", action="store_true", help="apply SQLite (not D1) SQL with libSQL")
    ap.add_argument("-v", action="store_true", help="print every difference")
    a = ap.parse_args()
    totals = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    tools = None
    if a.drizzle or a.postgres or a.libsql:
        packages = (["drizzle-kit", "drizzle-orm"] if a.drizzle else []) + \
                   (["@electric-sql/pglite"] if a.postgres else []) + \
                   (["libsql"] if a.libsql else [])
        tools = install_tools(packages)
    try:
        for checkout in a.checkouts:
            model = json.loads(subprocess.run([a.bin, "model", "-q", checkout], capture_output=True,
                                              text=True, check=True).stdout)
            for oracle_name, dialect, want, got, notes in oracles(checkout, model, a, tools):
                counts, diffs = compare(want, got)
                for k, (eq, n) in counts.items():
                    totals[dialect][k][0] += eq
                    totals[dialect][k][1] += n
                print(f"{checkout} {oracle_name} ({dialect}): {summary(counts)}")
                for n in notes if a.v else notes[:3]:
                    print(f"    oracle rejected: {n}")
                if not a.v and len(notes) > 3:
                    print(f"    … {len(notes) - 3} more rejected (-v)")
                for d in diffs if a.v else diffs[:5]:
                    print(f"    {d}")
                if not a.v and len(diffs) > 5:
                    print(f"    … {len(diffs) - 5} more (-v)")
    finally:
        if tools:
            shutil.rmtree(tools, ignore_errors=True)
    print()
    print("| dialect | tables | columns exact | primary keys | indexes | foreign keys |")
    print("|---|---|---|---|---|---|")
    for dialect, c in sorted(totals.items()):
        cells = " | ".join(pct(*c[k]) for k in ("tables", "columns", "primary_keys", "indexes", "foreign_keys"))
        print(f"| {dialect} | {cells} |")


def oracles(checkout, model, a, tools):
    """(oracle name, dialect, oracle tables, dmqa tables, notes) per
    database an oracle can rebuild."""
    for db in model["databases"]:
        sources = db["sources"]
        if not sources or not all(s.endswith(".sql") for s in sources):
            continue
        if db["origin"] != "migrations":
            continue
        # No engine here for MySQL: the record drizzle-kit wrote with the
        # migrations stands in (its snapshot of the schema after the last).
        snapshot = db["engine"] == "MySql" and drizzle_snapshot(checkout, sources)
        if snapshot:
            yield f"drizzle-kit snapshot {snapshot[0]}", "MySql (snapshot)", snapshot[1], db["tables"], []
        if db["engine"] == "Sqlite" and a.libsql:
            want, failures = apply_libsql(checkout, sources, tools)
            yield db["id"], "Sqlite (libSQL)", want, db["tables"], failures
        elif db["engine"] in ("Sqlite", "D1"):
            want, failures = apply_sqlite(checkout, sources)
            yield db["id"], db["engine"], want, db["tables"], failures
        elif db["engine"] == "Postgres" and a.postgres:
            supabase = os.path.isdir(os.path.join(checkout, "supabase"))
            want, failures = postgres_catalog([os.path.join(checkout, s) for s in sources], tools,
                                              SUPABASE_PRELUDE if supabase else None)
            yield db["id"], "Postgres", want, db["tables"], failures
    # A Drizzle schema against the snapshot drizzle-kit wrote when it last
    # generated a migration from it (read, not run).
    for cfg in model.get("drizzle_configs", []):
        out = os.path.join(checkout, cfg["out"])
        try:
            sources = [os.path.join(cfg["out"], f) for f in os.listdir(out) if f.endswith(".sql")]
        except OSError:
            continue
        snapshot = drizzle_snapshot(checkout, sources)
        if snapshot:
            dialect = {"sqlite": "Sqlite", "turso": "Sqlite", "postgresql": "Postgres",
                       "mysql": "MySql"}.get(cfg.get("dialect") or "", "Sqlite")
            names = {t["name"].lower() for t in snapshot[1]}
            yield f"drizzle-kit snapshot {snapshot[0]}", f"{dialect} Drizzle schema", snapshot[1], \
                orm_tables(model, names), []
    if not a.drizzle:
        return
    for cfg in model.get("drizzle_configs", []):
        path = cfg["location"]["path"]
        dialect = {"sqlite": "Sqlite", "turso": "Sqlite", "postgresql": "Postgres"}.get(cfg.get("dialect") or "")
        if dialect is None or (dialect == "Postgres" and not a.postgres):
            continue
        sql = drizzle_export(os.path.join(checkout, os.path.dirname(path)), os.path.basename(path), tools)
        if sql is None:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
            fh.write(sql)
        try:
            if dialect == "Sqlite":
                want, failures = apply_sqlite("/", [fh.name])
            else:
                want, failures = postgres_catalog([fh.name], tools)
        finally:
            os.unlink(fh.name)
        yield f"drizzle-kit export {path}", dialect, want, orm_tables(model, {t["name"].lower() for t in want}), \
            failures


def snapshot_tables(snapshot):
    """The tables of a drizzle-kit snapshot (`meta/NNNN_snapshot.json`, any
    dialect), shaped like `dmqa model`'s: what drizzle-kit recorded as the
    schema after the migration it wrote with it."""
    tables = []
    for t in snapshot.get("tables", {}).values():
        if t.get("schema") not in (None, "", "public"):
            continue
        composite = [pk["columns"] for pk in t.get("compositePrimaryKeys", {}).values()]
        pk = composite[0] if composite else [c["name"] for c in t["columns"].values() if c.get("primaryKey")]
        columns = []
        for c in t["columns"].values():
            default = c.get("default")
            if isinstance(default, bool):
                default = str(default).lower()
            elif default is not None:
                default = str(default)
            columns.append({
                "name": c["name"],
                "sql_type": c["type"],
                "nullable": not c.get("notNull", False) and c["name"] not in pk,
                "default": default,
                "primary_key_position": pk.index(c["name"]) + 1 if c["name"] in pk else 0,
            })
        def names(cols):
            # Postgres snapshots list `{expression, isExpression}` objects.
            return [("<expr>" if c.get("isExpression") else c["expression"]) if isinstance(c, dict) else c
                    for c in cols]
        indexes = [{"unique": bool(i.get("isUnique")), "columns": names(i["columns"])}
                   for i in t.get("indexes", {}).values()]
        indexes += [{"unique": True, "columns": u["columns"]} for u in t.get("uniqueConstraints", {}).values()]
        indexes += [{"unique": True, "columns": [c["name"]]} for c in t["columns"].values() if c.get("isUnique")]
        fks = [{"columns": f["columnsFrom"], "ref_table": f["tableTo"], "ref_columns": f["columnsTo"]}
               for f in t.get("foreignKeys", {}).values()]
        tables.append({"name": t["name"], "columns": columns, "primary_key": pk, "indexes": indexes,
                       "foreign_keys": fks})
    return tables


def drizzle_snapshot(checkout, sources):
    """The snapshot drizzle-kit wrote with the last of a folder's
    migrations, when they are numbered 0000, 0001, … without a gap and its
    journal lists as many, as (path, tables); None otherwise (a folder with
    hand-written migrations is not what its snapshots describe)."""
    folders = {os.path.dirname(s) for s in sources}
    if len(folders) != 1:
        return None
    folder = folders.pop()
    numbers = sorted(os.path.basename(s)[:4] for s in sources)
    if numbers != [f"{i:04d}" for i in range(len(numbers))]:
        return None
    try:
        with open(os.path.join(checkout, folder, "meta", "_journal.json")) as fh:
            if len(json.load(fh)["entries"]) != len(numbers):
                return None
        path = os.path.join(folder, "meta", f"{numbers[-1]}_snapshot.json")
        with open(os.path.join(checkout, path)) as fh:
            return path, snapshot_tables(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def orm_tables(model, names):
    """dmqa's tables read from Drizzle schema code, of the given names."""
    return [t for db in model["databases"] for t in (db["tables"] + db["orm_tables"])
            if t["name"].lower() in names and t["location"]["path"].endswith(".ts")]


def pct(eq, n):
    return "-" if n == 0 else f"{100 * eq / n:.1f} % ({eq}/{n})"


def summary(counts):
    return ", ".join(f"{k} {pct(*v)}" for k, v in counts.items())


if __name__ == "__main__":
    main()
