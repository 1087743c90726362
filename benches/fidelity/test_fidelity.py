"""Unit tests of the fidelity benchmark's comparison and SQLite oracle:
`python3 -m unittest discover benches/fidelity`."""

import unittest

import fidelity


def table(name, columns, pk=(), indexes=(), fks=()):
    return {
        "name": name,
        "columns": [
            {"name": n, "sql_type": t, "nullable": nul, "default": d, "primary_key_position": p}
            for n, t, nul, d, p in columns
        ],
        "primary_key": list(pk),
        "indexes": [{"name": n, "unique": u, "columns": list(c)} for n, u, c in indexes],
        "foreign_keys": [{"columns": list(c), "ref_table": r, "ref_columns": list(rc)} for c, r, rc in fks],
    }


class Compare(unittest.TestCase):
    def test_equal_tables_count_every_object(self):
        t = table("a", [("id", "INTEGER", False, None, 1), ("n", "TEXT", True, "'x'", 0)], pk=["id"],
                  indexes=[("a_n", False, ["n"])], fks=[(["n"], "b", ["id"])])
        counts, diffs = fidelity.compare([t], [t])
        self.assertEqual(diffs, [])
        self.assertEqual(counts["columns"], [2, 2])
        self.assertEqual(counts["indexes"], [1, 1])
        self.assertEqual(counts["foreign_keys"], [1, 1])

    def test_case_spacing_and_outer_parentheses_do_not_count(self):
        want = table("a", [("n", "numeric(10, 2)", True, "(unixepoch())", 0)])
        got = table("A", [("N", "NUMERIC(10,  2)", True, "unixepoch()", 0)])
        counts, diffs = fidelity.compare([want], [got])
        self.assertEqual(diffs, [])
        self.assertEqual(counts["columns"], [1, 1])

    def test_postgres_spellings_of_one_type_are_equal(self):
        want = table("b", [("id", "integer", False, "nextval('b_id_seq'::regclass)", 1),
                           ("t", "character varying(255)", True, "'x'::character varying", 0),
                           ("at", "timestamp with time zone", True, "now()", 0)])
        got = table("b", [("id", "serial", False, None, 1), ("t", "varchar(255)", True, "'x'", 0),
                          ("at", "timestamptz", True, "now()", 0)])
        counts, diffs = fidelity.compare([want], [got])
        self.assertEqual(diffs, [])
        self.assertEqual(counts["columns"], [3, 3])

    def test_every_kind_of_difference_is_one_line(self):
        want = table("a", [("id", "INTEGER", False, None, 1), ("gone", "TEXT", True, None, 0)], pk=["id"],
                     indexes=[("i", True, ["id"])], fks=[(["id"], "b", ["id"])])
        got = table("a", [("id", "TEXT", False, None, 1), ("extra", "TEXT", True, None, 0)], pk=["id"])
        counts, diffs = fidelity.compare([want, table("missing", [])], [got, table("only", [])])
        self.assertEqual(counts["columns"], [0, 3])
        self.assertEqual(counts["tables"], [1, 3])
        self.assertEqual(counts["indexes"], [0, 1])
        self.assertEqual(counts["foreign_keys"], [0, 1])
        self.assertEqual(len(diffs), 7, diffs)
        self.assertIn("a.id: dmqa `text` NOT NULL pk1 vs `integer` NOT NULL pk1", diffs)

    def test_expression_index_columns_compare_as_expressions(self):
        want = table("a", [], indexes=[("i", False, [None])])
        got = table("a", [], indexes=[("i", False, [{"name": "lower(email)"}])])
        counts, _ = fidelity.compare([want], [got])
        self.assertEqual(counts["indexes"], [1, 1])


class SqliteOracle(unittest.TestCase):
    def test_statements_are_applied_one_by_one_and_rejections_kept(self):
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "0001.sql"), "w") as fh:
                fh.write("CREATE TABLE a (id TEXT PRIMARY KEY, b TEXT NOT NULL);\n"
                         "--> statement-breakpoint\n"
                         "CREATE TABLE bad (id INT, INDEX i (id));\n"
                         "CREATE VIRTUAL TABLE f USING fts5(b);\n"
                         "CREATE TABLE w (k INTEGER PRIMARY KEY) WITHOUT ROWID;\n")
            tables, failures = fidelity.apply_sqlite(d, ["0001.sql"])
        names = [t["name"] for t in tables]
        self.assertEqual(names, ["a", "f", "w"])
        self.assertEqual(len(failures), 1)
        self.assertTrue(failures[0].startswith("0001.sql:3:"), failures)
        a = tables[0]
        # A TEXT primary key may hold NULL in SQLite; a WITHOUT ROWID key not.
        self.assertTrue(a["columns"][0]["nullable"])
        self.assertFalse(tables[2]["columns"][0]["nullable"])


class DrizzleSnapshot(unittest.TestCase):
    # A MySQL snapshot as drizzle-kit 0.3x writes it: the key in
    # `compositePrimaryKeys` even for one column, a unique constraint, a
    # foreign key.
    SNAPSHOT = {
        "dialect": "mysql",
        "tables": {
            "posts": {
                "name": "posts",
                "columns": {
                    "id": {"name": "id", "type": "int", "primaryKey": False, "notNull": True,
                           "autoincrement": True},
                    "slug": {"name": "slug", "type": "varchar(64)", "primaryKey": False, "notNull": True},
                    "user_id": {"name": "user_id", "type": "int", "primaryKey": False, "notNull": False},
                    "at": {"name": "at", "type": "timestamp", "primaryKey": False, "notNull": True,
                           "default": "(now())"},
                    "n": {"name": "n", "type": "int", "primaryKey": False, "notNull": True, "default": 0},
                },
                "indexes": {"by_user": {"name": "by_user", "columns": ["user_id"], "isUnique": False}},
                "foreignKeys": {"fk": {"name": "fk", "tableFrom": "posts", "tableTo": "users",
                                       "columnsFrom": ["user_id"], "columnsTo": ["id"]}},
                "compositePrimaryKeys": {"posts_id": {"name": "posts_id", "columns": ["id"]}},
                "uniqueConstraints": {"slug_u": {"name": "slug_u", "columns": ["slug"]}},
            }
        },
    }

    def test_a_snapshot_is_read_as_tables(self):
        [t] = fidelity.snapshot_tables(self.SNAPSHOT)
        want = table("posts", [("id", "int", False, None, 1), ("slug", "varchar(64)", False, None, 0),
                               ("user_id", "int", True, None, 0), ("at", "timestamp", False, "(now())", 0),
                               ("n", "int", False, "0", 0)],
                     pk=["id"], indexes=[("by_user", False, ["user_id"]), ("slug_u", True, ["slug"])],
                     fks=[(["user_id"], "users", ["id"])])
        counts, diffs = fidelity.compare([want], [t])
        self.assertEqual(diffs, [])
        self.assertEqual(counts["indexes"], [2, 2])

    def test_only_a_folder_numbered_without_gaps_has_a_snapshot(self):
        import json
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "m", "meta"))
            with open(os.path.join(d, "m", "meta", "0001_snapshot.json"), "w") as fh:
                json.dump(self.SNAPSHOT, fh)
            with open(os.path.join(d, "m", "meta", "_journal.json"), "w") as fh:
                json.dump({"entries": [{"idx": 0, "tag": "0000_a"}, {"idx": 1, "tag": "0001_b"}]}, fh)
            path, tables = fidelity.drizzle_snapshot(d, ["m/0000_a.sql", "m/0001_b.sql"])
            self.assertEqual(path, "m/meta/0001_snapshot.json")
            self.assertEqual([t["name"] for t in tables], ["posts"])
            # A hand-written migration after the last generated one.
            self.assertIsNone(fidelity.drizzle_snapshot(d, ["m/0000_a.sql", "m/0001_b.sql", "m/0003_c.sql"]))
            # A journal that lists fewer migrations than the folder holds.
            self.assertIsNone(fidelity.drizzle_snapshot(d, ["m/0000_a.sql", "m/0001_b.sql", "m/0002_c.sql"]))


if __name__ == "__main__":
    unittest.main()
