#!/usr/bin/env python3
"""dmqa's speed and memory benchmark.

Generates realistic trees deterministically — a Workers monorepo (three
Workers with D1 migrations, Drizzle schemas, KV / R2 / queue code) buried in
front-end and utility TypeScript, some of it with look-alike `.put(` /
`env.` / `prepare(` calls that are not bindings, plus a git-ignored
`node_modules` — then times `dmqa scan` as a whole process beside `rg`
reading the same tree, pair by pair, and reports medians and peak RSS.

    cargo build --release --locked
    python3 benches/bench.py                 # 2,000 / 20,000 / 200,000 files
    python3 benches/bench.py --sizes 20000   # one size
    python3 benches/bench.py --runs 7
    python3 benches/bench.py --sizes 2000 --workers 300   # a many-Worker monorepo
    python3 benches/bench.py --repos DIR     # every checkout under DIR instead

Needs `rg` (ripgrep) on PATH. Generated trees are git repositories (so rg
skips what `.gitignore` lists, as dmqa does) in a temporary folder,
removed afterwards. Each run is one process timed with a monotonic clock
and its peak RSS read from the kernel (`wait4`); dmqa and rg alternate,
and the table shows medians.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RG_ARGS = ["-c", "-e", "sqliteTable|pgTable|CREATE TABLE", "-e", r"\.prepare\(", "-e", r"env\.\w+\.(put|get|send)"]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def worker(root, name, rnd, tables):
    base = os.path.join(root, "apps", name)
    write(os.path.join(base, "wrangler.toml"), f"""name = "{name}"
main = "src/index.ts"
compatibility_date = "2025-06-01"

[[d1_databases]]
binding = "DB"
database_name = "{name}-db"
database_id = "00000000-0000-0000-0000-000000000000"

[[kv_namespaces]]
binding = "CACHE"
id = "0123456789abcdef0123456789abcdef"

[[r2_buckets]]
binding = "FILES"
bucket_name = "{name}-files"

[[queues.producers]]
binding = "JOBS"
queue = "{name}-jobs"

[[queues.consumers]]
queue = "{name}-jobs"
max_retries = 3
dead_letter_queue = "{name}-dlq"
""")
    for i, t in enumerate(tables):
        parent = tables[i - 1] if i else None
        fk = f",\n  {parent}_id TEXT NOT NULL REFERENCES {parent}s(id)" if parent else ""
        write(os.path.join(base, "migrations", f"{i + 1:04d}_{t}.sql"), f"""-- {t.capitalize()} records
CREATE TABLE {t}s (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL DEFAULT (unixepoch()){fk}
);
CREATE INDEX idx_{t}s_status ON {t}s(status);
""")
    cols = "\n".join(f'  {t}: sqliteTable("{t}s", {{ id: text("id").primaryKey(), name: text("name").notNull(), status: text("status").notNull() }}),' for t in tables)
    write(os.path.join(base, "src", "db", "schema.ts"), f"""import {{ sqliteTable, text }} from "drizzle-orm/sqlite-core";

export const tables = {{
{cols}
}};
""")
    routes = []
    for t in tables:
        routes.append(f"""
app.get("/{t}s/:id", async (c) => {{
  const cached = await c.env.CACHE.get(`{t}:${{c.req.param("id")}}`, "json");
  if (cached) return c.json(cached);
  const row = await c.env.DB.prepare("SELECT id, name FROM {t}s WHERE id = ?").bind(c.req.param("id")).first();
  await c.env.CACHE.put(`{t}:${{c.req.param("id")}}`, JSON.stringify(row), {{ expirationTtl: 300 }});
  return c.json(row);
}});

app.post("/{t}s", async (c) => {{
  const body = await c.req.json<{{ id: string; name: string }}>();
  await c.env.DB.prepare("INSERT INTO {t}s (id, name) VALUES (?, ?)").bind(body.id, body.name).run();
  await c.env.FILES.put(`{t}/${{body.id}}/raw.json`, JSON.stringify(body));
  await c.env.JOBS.send({{ kind: "{t}", id: body.id }});
  return c.body(null, 201);
}});
""")
    write(os.path.join(base, "src", "index.ts"), """import { Hono } from "hono";

type Env = { DB: D1Database; CACHE: KVNamespace; FILES: R2Bucket; JOBS: Queue<{ kind: string; id: string }> };
const app = new Hono<{ Bindings: Env }>();
""" + "".join(routes) + """
export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<{ kind: string; id: string }>, env: Env) {
    for (const m of batch.messages) {
      await env.DB.prepare("UPDATE jobs SET status = 'done' WHERE id = ?").bind(m.body.id).run();
      m.ack();
    }
  },
};
""")


FRONT = """import {{ useState, useEffect }} from "react";
import {{ format{a} }} from "{path}";

// Look-alikes: none of these is a binding.
const memo = new Map<string, number>();
const store = {{ put(k: string, v: string) {{ return k + v; }}, get(k: string) {{ return k; }} }};

export function Component{i}(props: {{ id: string; items: string[] }}) {{
  const [count, setCount] = useState({n});
  useEffect(() => {{
    memo.set(props.id, count);
    store.put(props.id, String(count));
    const cached = store.get(props.id);
    if (process.env.NODE_ENV !== "production") console.log(cached);
  }}, [props.id, count]);
  const rows = props.items.map((item, j) => ({{ key: `${{props.id}}-${{j}}`, label: format{a}(item) }}));
  return (
    <ul className="list-{i}">
      {{rows.map((r) => (
        <li key={{r.key}} onClick={{() => setCount(count + 1)}}>
          {{r.label}}
        </li>
      ))}}
    </ul>
  );
}}
"""

UTIL = """/** Formatting helpers, batch {i}. */
export function format{i}(s: string): string {{
  return s.trim().toLowerCase().replace(/\\s+/g, "-");
}}

export class Queue{i}<T> {{
  private items: T[] = [];
  send(item: T) {{ this.items.push(item); }}
  prepare(q: string) {{ return q.split(" ").length; }}
  put(k: string, v: T) {{ this.items.push(v); return k; }}
}}

export const sizes{i} = [{nums}];
"""


def generate(root, files, workers=3, seed=42):
    rnd = random.Random(seed)
    tables = ["org", "app", "release", "channel", "device"]
    names = ["api", "uploads", "billing"] if workers == 3 else [f"w{i}" for i in range(workers)]
    for w in names:
        worker(root, w, rnd, tables)
    write(os.path.join(root, ".gitignore"), "node_modules/\ndist/\n")
    n_front = files // 2
    n_util = files - n_front
    for i in range(n_util):
        nums = ", ".join(str(rnd.randint(0, 9999)) for _ in range(8))
        write(os.path.join(root, "packages", "utils", f"d{i // 500}", f"u{i}.ts"), UTIL.format(i=i, nums=nums))
    for i in range(n_front):
        b = rnd.randrange(n_util)
        write(os.path.join(root, "packages", "ui", f"d{i // 500}", f"C{i}.tsx"),
              FRONT.format(i=i, a=b, path=f"../../utils/d{b // 500}/u{b}", n=rnd.randint(0, 9)))
    for i in range(max(files // 5, 100)):
        write(os.path.join(root, "node_modules", f"pkg{i // 50}", f"m{i}.js"),
              f"module.exports = {{ put(k, v) {{ return env.X.put(k, v); }}, prepare: (q) => q }};\n")


def timed(cmd):
    """Wall seconds and peak RSS (MB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    secs = time.perf_counter() - start
    proc.returncode = 0  # reaped above
    return secs, usage.ru_maxrss / 1024


def compare(dmqa_cmd, rg_cmd, runs):
    """Medians over `runs` alternating runs: dmqa s, rg s, ratio, peak MB of each."""
    d_times, r_times, d_mem, r_mem, ratios = [], [], [], [], []
    timed(dmqa_cmd)  # warm the page cache for both
    timed(rg_cmd)
    for _ in range(runs):
        dt, dm = timed(dmqa_cmd)
        rt, rm = timed(rg_cmd)
        d_times.append(dt); r_times.append(rt); d_mem.append(dm); r_mem.append(rm)
        ratios.append(dt / rt if rt > 0 else float("inf"))
    return (statistics.median(d_times), statistics.median(r_times), statistics.median(ratios),
            max(d_mem), max(r_mem))


def row(label, figures):
    d, r, ratio, dm, rm = figures
    return f"| {label} | {d:.3f} | {r:.3f} | {ratio:.1f} | {dm:.0f} | {rm:.0f} |"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,20000,200000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=3,
                    help="Workers in the monorepo (each with its config, migrations and binding reads)")
    ap.add_argument("--repos", help="time every checkout under this folder instead of generated trees")
    ap.add_argument("--dmqa", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "dmqa"))
    args = ap.parse_args()
    rg = shutil.which("rg")
    if not rg:
        sys.exit("rg (ripgrep) is not on PATH")
    dmqa = os.path.abspath(args.dmqa)
    print(f"machine: {os.cpu_count()} cores; runs: {args.runs} (median, alternating)")
    header = "| {} | dmqa s | rg s | ratio | dmqa peak MB | rg peak MB |"
    rule = "|---|---|---|---|---|---|"
    if args.repos:
        print(header.format("checkout"))
        print(rule)
        for name in sorted(os.listdir(args.repos)):
            root = os.path.join(args.repos, name)
            if os.path.isdir(root):
                figures = compare([dmqa, "scan", root, "--out", "/dev/null", "-q"], [rg] + RG_ARGS + [root],
                                  args.runs)
                print(row(name, figures), flush=True)
        return
    print(f"Workers: {args.workers}")
    print(header.format("files"))
    print(rule)
    for size in [int(s) for s in args.sizes.split(",")]:
        root = tempfile.mkdtemp(prefix=f"dmqa-bench-{size}-")
        try:
            generate(root, size, args.workers)
            # A git repository, as a checkout is: rg then skips what
            # `.gitignore` lists (node_modules), as dmqa does.
            subprocess.run(["git", "init", "-q", root], check=True)
            figures = compare([dmqa, "scan", root, "--out", "/dev/null", "-q"], [rg] + RG_ARGS + [root],
                              args.runs)
            print(row(f"{size:,}", figures), flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
