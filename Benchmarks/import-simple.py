#!/usr/bin/env python3
"""The simplest import script a competent user would write instead of Puente: the yardstick
issue 9 measures Puente against.

    python3 Benchmarks/import-simple.py MASTERS_STORE ORDER_FILE OUT_DB [--timezone-offset -03:00]

Python's standard library only: `ElementTree.iterparse` (clearing elements) or `csv`, the same
rules as `puente import` (the checks and reason codes of Benchmarks/import.py: POS, date,
client, seller, products, quantities, the client's list price or the one last published to the
site, duplicates by content), the masters read from Puente's store, and its own minimal
two-table schema in OUT_DB (orders, order_lines): accepted and held orders inserted in one
transaction. No acks, no rejected-order records, no status history, no file record.
"""
import argparse
import datetime
import decimal
import hashlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import importlib

full = importlib.import_module("import")  # Benchmarks/import.py: the rules, the readers

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders(
    id INTEGER PRIMARY KEY, pos INTEGER NOT NULL, web_id TEXT NOT NULL, status TEXT NOT NULL,
    order_date TEXT NOT NULL, client TEXT NOT NULL, seller TEXT, note TEXT, total TEXT NOT NULL,
    content_hash TEXT NOT NULL, UNIQUE(pos, web_id));
CREATE TABLE IF NOT EXISTS order_lines(
    order_id INTEGER NOT NULL REFERENCES orders(id), line_no INTEGER NOT NULL, product TEXT NOT NULL,
    quantity TEXT NOT NULL, price TEXT NOT NULL, amount TEXT NOT NULL, PRIMARY KEY(order_id, line_no));
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("masters")
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--timezone-offset", default="-03:00")
    args = parser.parse_args()
    masters = full.Masters(sqlite3.connect(f"file:{args.masters}?mode=ro", uri=True))
    db = sqlite3.connect(args.out, isolation_level=None)
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    counts = {}
    orders = full.xml_orders(args.file) if args.file.lower().endswith(".xml") else full.csv_orders(args.file)
    for order in orders:
        outcome, reasons, pos, date, lines, total, content = full.check(order, masters, args.timezone_offset)
        content_hash = hashlib.sha256(content.encode()).hexdigest()
        if pos is not None and outcome != "rejected":
            posted = db.execute("SELECT content_hash FROM orders WHERE pos = ? AND web_id = ?",
                                (pos, order["id"])).fetchone()
            if posted:
                outcome = "duplicate" if posted[0] == content_hash else "rejected"
        if outcome in ("accepted", "held"):
            order_id = db.execute(
                "INSERT INTO orders(pos, web_id, status, order_date, client, seller, note, total, content_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pos, order["id"], "pending" if outcome == "accepted" else "held", date.isoformat(),
                 order["client"], order["seller"] or None, order["note"], str(total), content_hash)).lastrowid
            db.executemany(
                "INSERT INTO order_lines(order_id, line_no, product, quantity, price, amount) VALUES (?, ?, ?, ?, ?, ?)",
                [(order_id, i + 1, p, str(q), str(pr), str(a)) for i, (p, q, pr, lp, a, ln) in enumerate(lines)])
        counts[outcome] = counts.get(outcome, 0) + 1
    db.execute("COMMIT")
    print(os.path.basename(args.file), counts)


if __name__ == "__main__":
    main()
