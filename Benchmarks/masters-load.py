#!/usr/bin/env python3
"""A plain Python loader of the back office's dumps: the yardstick for `puente masters load`.

    python3 Benchmarks/masters-load.py DB MASTERS_FOLDER [--cost 4]

Python's standard library only, the way a competent user would write it: each dump (UTF-8 or
Windows-1252, `,` or `;`) is a full replacement of its master, in one transaction, with the
same rules as Puente's: every row checked (empty code, the active flag, tax rate, price with at
most 4 decimals and never negative, references to price lists, sellers and products that exist),
a key repeated keeps its first row, records missing from the dump become inactive (never
deleted), unchanged records are not written, changed ones share one change sequence, a dump
that would deactivate more than half of the active records is refused. Web passwords are kept
as bcrypt hashes (`crypt`, which reaches libxcrypt's bcrypt, at the same cost as Puente) and
hashed only when new or changed (an HMAC fingerprint of each, like Puente's). Its own schema,
one table per master, in DB; each dump streamed into a staging table and merged with SQL, so
memory stays small.
"""
import argparse
import crypt
import csv
import decimal
import hashlib
import hmac
import io
import os
import secrets
import sqlite3
import sys

MASTERS = [  # (file, table, key columns, value columns, references {column: table})
    ("price_lists.csv", "price_lists", ["code"], ["name", "currency"], {}),
    ("products.csv", "products", ["code"], ["description", "unit", "tax_rate"], {}),
    ("sellers.csv", "sellers", ["code"], ["name", "email", "password_hash", "password_fingerprint"], {}),
    ("clients.csv", "clients", ["code"], ["name", "tax_id", "email", "price_list", "seller", "password_hash",
                                          "password_fingerprint"], {"price_list": "price_lists", "seller": "sellers"}),
    ("prices.csv", "prices", ["price_list", "product"], ["price"], {"price_list": "price_lists", "product": "products"}),
]
ACTIVE = {"": 1, "1": 1, "true": 1, "s": 1, "si": 1, "sí": 1, "y": 1, "yes": 1, "0": 0, "false": 0, "n": 0, "no": 0}


def schema(db):
    db.execute("CREATE TABLE IF NOT EXISTS counter(value INTEGER NOT NULL)")
    if db.execute("SELECT count(*) FROM counter").fetchone()[0] == 0:
        db.execute("INSERT INTO counter VALUES (0)")
    for _, table, keys, values, _ in MASTERS:
        columns = ", ".join(f"{c} TEXT NOT NULL" for c in keys + values)
        db.execute(f"CREATE TABLE IF NOT EXISTS {table}({columns}, active INTEGER NOT NULL, change_seq INTEGER NOT NULL, "
                   f"PRIMARY KEY ({', '.join(keys)})) WITHOUT ROWID")


def read_dump(path):
    """The dump streamed: UTF-8 (a BOM allowed) when it all decodes so, else Windows-1252."""
    with open(path, "rb") as f:
        try:
            f.read().decode("utf-8")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1252"
    text = open(path, encoding=encoding, newline="")
    first = text.readline()
    text.seek(0)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.reader(text, delimiter=delimiter)
    header = [name.strip().lower() for name in next(rows)]
    return delimiter, header, rows


def amount(text, places, comma):
    if comma:
        if "." in text:
            return None
        text = text.replace(",", ".")
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -places or value < 0:
        return None
    return str(int(value * 10 ** places))


def load(db, path, table, keys, values, references, key, cost):
    """One dump: rows checked as they are read and streamed into a staging table (a key
    repeated keeps its first row), then merged into the master with three SQL statements."""
    delimiter, header, rows = read_dump(path)
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    existing = {column: {r[0] for r in db.execute(f"SELECT code FROM {target}")} for column, target in references.items()}
    fingerprints = {}
    if "password_hash" in values:
        fingerprints = {r[0]: (r[1], r[2]) for r in db.execute(
            f"SELECT code, password_fingerprint, password_hash FROM {table} WHERE password_hash <> ''")}
    comma = delimiter == ";"
    columns = keys + values
    counts = {"errors": 0, "hashed": 0}

    plain = [c for c in columns if c not in ("password_hash", "password_fingerprint")]
    positions = [index.get(c) for c in plain]
    key_slots = [plain.index(k) for k in keys]
    reference_slots = [(plain.index(c), existing[c]) for c in references]
    active_slot = index.get("active")
    number_slot = plain.index("tax_rate") if table == "products" else plain.index("price") if table == "prices" else None
    places = 2 if table == "products" else 4

    def staged():
        for fields in rows:
            if not fields:
                continue
            width = len(fields)
            record = [fields[i].strip() if i is not None and i < width else "" for i in positions]
            active = ACTIVE.get(fields[active_slot].strip().lower() if active_slot is not None and active_slot < width else "")
            if active is None or not all(record[i] for i in key_slots):
                counts["errors"] += 1
                continue
            if number_slot is not None:
                record[number_slot] = amount(record[number_slot], places, comma)
                if record[number_slot] is None:
                    counts["errors"] += 1
                    continue
            if table == "price_lists" and not record[2]:
                record[2] = "ARS"
            if any(record[i] and record[i] not in codes for i, codes in reference_slots):
                counts["errors"] += 1
                continue
            if "password_hash" in values:
                password = fields[index["web_password"]] if "web_password" in index else ""
                code = record[0]
                mark = hmac.new(key, (code + "\0" + password).encode(), hashlib.sha256).hexdigest() if password else ""
                known = fingerprints.get(code)
                if not password:
                    hashed = ""
                elif known and known[0] == mark:
                    hashed = known[1]
                else:
                    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost))
                    counts["hashed"] += 1
                record += [hashed, mark]
            record.append(active)
            yield record

    db.execute("DROP TABLE IF EXISTS temp.staging")
    db.execute(f"CREATE TEMP TABLE staging({', '.join(columns)}, active, PRIMARY KEY ({', '.join(keys)})) WITHOUT ROWID")
    db.executemany(f"INSERT OR IGNORE INTO staging VALUES ({', '.join('?' for _ in columns)}, ?)", staged())
    match = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    staged_count = db.execute("SELECT count(*) FROM staging").fetchone()[0]
    active_before = db.execute(f"SELECT count(*) FROM {table} WHERE active = 1").fetchone()[0]
    gone = db.execute(f"SELECT count(*) FROM {table} t WHERE active = 1 AND NOT EXISTS "
                      f"(SELECT 1 FROM staging s WHERE {match})").fetchone()[0]
    if staged_count == 0 or gone * 2 > active_before > 0:
        return f"{os.path.basename(path)}: refused"
    sequence = db.execute("UPDATE counter SET value = value + 1 RETURNING value").fetchone()[0]
    added = db.execute(f"INSERT INTO {table} SELECT s.*, {sequence} FROM staging s WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {table} t WHERE {match})").rowcount
    differs = " OR ".join(f"t.{c} IS NOT s.{c}" for c in values + ["active"])
    changed = db.execute(f"UPDATE {table} AS t SET {', '.join(f'{c} = s.{c}' for c in values + ['active'])}, "
                         f"change_seq = {sequence} FROM staging s WHERE {match} AND ({differs})").rowcount
    deactivated = db.execute(f"UPDATE {table} AS t SET active = 0, change_seq = {sequence} WHERE active = 1 AND NOT EXISTS "
                             f"(SELECT 1 FROM staging s WHERE {match})").rowcount
    return (f"{os.path.basename(path)}: {added} added, {changed} changed, {deactivated} deactivated, "
            f"{staged_count - added - changed} unchanged, {counts['errors']} errors, {counts['hashed']} hashed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("folder")
    parser.add_argument("--cost", type=int, default=4)
    args = parser.parse_args()
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    schema(db)
    key_file = args.db + ".key"
    if not os.path.exists(key_file):
        with open(key_file, "w") as f:
            f.write(secrets.token_hex(32))
    key = bytes.fromhex(open(key_file).read().strip())
    for file, table, keys, values, references in MASTERS:
        path = os.path.join(args.folder, file)
        if not os.path.exists(path):
            continue
        db.execute("BEGIN IMMEDIATE")
        print(load(db, path, table, keys, values, references, key, args.cost))
        db.execute("COMMIT")


if __name__ == "__main__":
    main()
