#!/usr/bin/env python3
"""Load a SQL file straight into the LOCAL D1 database of `wrangler dev --persist-to DIR`.

    python3 scripts/d1-load-local.py --persist-to DIR --file demo-network.sql [--database-id ID]

LOCAL ONLY, a fast path for the demo (scripts/dev.sh, tests/e2e/demo.test.mjs; docs/demo.md):
`wrangler d1 execute DB --local --file` sends a large file through the local D1 simulator
statement by statement; this writes it into the same SQLite file in one transaction.

Under `--persist-to DIR`, miniflare keeps each local D1 database as a Durable Object's SQLite
file, DIR/v3/d1/miniflare-D1DatabaseObject/<object id>.sqlite, the object id derived from the
database id (wrangler.toml `database_id`) as miniflare derives it (`idFromName` of the namespace
"miniflare-D1DatabaseObject": two HMAC-SHA256 halves). The file must exist already (the caller
applies the migrations with `wrangler d1 migrations apply DB --local --persist-to DIR` first)
and must hold the `d1_migrations` table. No `wrangler dev` may run on DIR meanwhile.

The SQL runs in ONE transaction with foreign keys on (as D1 enforces them): all or nothing.

Exit codes: 0 loaded; 1 the SQL failed (nothing written); 2 bad arguments;
3 could not find or handle the database file (the caller then falls back to
`wrangler d1 execute --local --file`).
"""

import argparse
import hashlib
import hmac
import os
import sqlite3
import sys
import time

NAMESPACE = "miniflare-D1DatabaseObject"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def object_id(unique_key: str, name: str) -> str:
    """miniflare's Durable Object id for `idFromName(name)` in namespace `unique_key`."""
    key = hashlib.sha256(unique_key.encode()).digest()
    name_hmac = hmac.new(key, name.encode(), hashlib.sha256).digest()[:16]
    check = hmac.new(key, name_hmac, hashlib.sha256).digest()[:16]
    return (name_hmac + check).hex()


def database_id_from_toml(binding: str) -> str | None:
    """The top-level `database_id` of the D1 binding in wrangler.toml (the local dev config)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        return None
    with open(os.path.join(ROOT, "wrangler.toml"), "rb") as f:
        toml = tomllib.load(f)
    for db in toml.get("d1_databases", []):
        if db.get("binding") == binding:
            return db.get("preview_database_id") or db.get("database_id")
    return None


def fail(code: int, message: str):
    print(f"d1-load-local: {message}", file=sys.stderr)
    sys.exit(code)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persist-to", required=True, help="the dir given to wrangler --persist-to")
    ap.add_argument("--file", required=True, help="the SQL file")
    ap.add_argument("--binding", default="DB", help="the D1 binding in wrangler.toml (default DB)")
    ap.add_argument("--database-id", help="the database id (default: wrangler.toml's, for --binding)")
    args = ap.parse_args()
    if not os.path.isfile(args.file):
        fail(2, f"--file {args.file}: no such file")

    db_id = args.database_id or database_id_from_toml(args.binding)
    if not db_id:
        fail(3, f"no database_id for binding {args.binding} in wrangler.toml")
    d1_dir = os.path.join(args.persist_to, "v3", "d1", NAMESPACE)
    path = os.path.join(d1_dir, object_id(NAMESPACE, db_id) + ".sqlite")
    if not os.path.isfile(path):
        present = sorted(os.listdir(d1_dir)) if os.path.isdir(d1_dir) else []
        fail(3, f"no local D1 file for database {db_id} at {path} (present: {present or 'none'}); "
                "apply the migrations first")
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=5)
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as e:
        fail(3, f"{path}: cannot open as SQLite: {e}")
    if "d1_migrations" not in tables:
        fail(3, f"{path}: no d1_migrations table (not a migrated D1 database)")

    with open(args.file, encoding="utf-8") as f:
        sql = f.read()
    t0 = time.monotonic()
    try:
        con.execute("PRAGMA foreign_keys = ON")
        # One transaction: executescript runs the whole file in SQLite's own parser; an error
        # leaves the transaction open, and it is rolled back below.
        con.executescript("BEGIN IMMEDIATE;\n" + sql + "\n;COMMIT;")
    except sqlite3.Error as e:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()
        fail(1, f"{args.file}: {e} (nothing written)")
    con.close()
    print(f"d1-load-local: {args.file} ({os.path.getsize(args.file) >> 20} MB) loaded into "
          f"{path} in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
