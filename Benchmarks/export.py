#!/usr/bin/env python3
"""The export job as a competent user would write it with Python's standard library only.

    python3 Benchmarks/export.py STORE OUTBOX [--pos 9900] [--level 1]

Reads the same Puente store (sqlite3), selects the same records as `puente export --full`
(web-enabled clients and the clients of web-enabled sellers, web-enabled sellers, their pairs,
active products, the lists those clients use and their prices, the site's orders), writes each
set as XML (string building with xml.sax.saxutils) and CSV (csv module) into a zip (zipfile,
deflate at the same level Puente uses) with a manifest of counts and SHA-256, under a temporary
name that is flushed and renamed, and records the package in the store. It is the yardstick for
Puente's speed, not a second implementation: it writes full packages only.
"""
import argparse
import csv
import datetime
import hashlib
import io
import os
import sqlite3
import zipfile
from xml.sax.saxutils import quoteattr

WEB_SELLER = "s.active = 1 AND s.password_hash <> ''"
EXPORTED_CLIENTS = f"""
    SELECT c.* FROM clients c LEFT JOIN sellers s ON s.code = c.seller
    WHERE c.active = 1 AND (c.password_hash <> '' OR ({WEB_SELLER}))"""


def decimal(units, scale):
    """Fixed-point integer to text with 2 to `scale` fraction digits, as Puente writes it."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    whole, frac = divmod(units, 10 ** scale)
    digits = f"{frac:0{scale}d}".rstrip("0")
    return f"{sign}{whole}.{digits.ljust(2, '0')}"


def sets(db, pos):
    flag = lambda v: "true" if v else "false"
    yield ("clients", "client", ["code", "name", "tax_id", "email", "price_list", "seller", "password_hash", "active"],
           ((r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6], "true") for r in db.execute(
               f"SELECT code, name, tax_id, email, price_list, seller, password_hash FROM ({EXPORTED_CLIENTS}) ORDER BY code")))
    yield ("sellers", "seller", ["code", "name", "email", "password_hash", "active"],
           ((r[0], r[1], r[2], r[3], "true") for r in db.execute(
               f"SELECT code, name, email, password_hash FROM sellers s WHERE {WEB_SELLER} ORDER BY code")))
    yield ("seller_clients", "seller_client", ["seller", "client", "active"],
           ((r[0], r[1], "true") for r in db.execute(
               f"SELECT c.seller, c.code FROM ({EXPORTED_CLIENTS}) c JOIN sellers s ON s.code = c.seller AND {WEB_SELLER} "
               "ORDER BY c.seller, c.code")))
    yield ("products", "product", ["code", "description", "unit", "tax_rate", "active"],
           ((r[0], r[1], r[2], decimal(r[3], 2), "true") for r in db.execute(
               "SELECT code, description, unit, tax_rate FROM products WHERE active = 1 ORDER BY code")))
    lists = [r[0] for r in db.execute(
        f"SELECT code FROM price_lists WHERE active = 1 AND code IN (SELECT price_list FROM ({EXPORTED_CLIENTS})) ORDER BY code")]
    yield ("price_lists", "price_list", ["code", "name", "currency", "active"],
           ((r[0], r[1], r[2], "true") for r in db.execute(
               f"SELECT code, name, currency FROM price_lists WHERE code IN ({','.join('?' * len(lists))}) ORDER BY code",
               lists)))

    def prices():
        for code in lists:
            for r in db.execute("SELECT price_list, product, price FROM prices WHERE price_list = ? AND active = 1 "
                                "ORDER BY product", (code,)):
                yield (r[0], r[1], decimal(r[2], 4), "true")
    yield ("prices", "price", ["price_list", "product", "price", "active"], prices())
    yield ("order_status", "status", ["order", "number", "status", "changed"],
           ((r[0], r[1], r[2], r[3]) for r in db.execute(
               "SELECT o.web_id, printf('%04d-%08d', o.pos, o.number), o.status, "
               "ifnull((SELECT changed FROM order_status_history h WHERE h.order_id = o.id ORDER BY h.id DESC LIMIT 1), o.created) "
               "FROM orders o WHERE o.pos = ? ORDER BY o.number", (pos,))))


class Hashing(io.RawIOBase):
    """Counts and hashes what goes through to a zip member."""

    def __init__(self, member):
        self.member, self.sha = member, hashlib.sha256()

    def writable(self):
        return True

    def write(self, data):
        self.sha.update(data)
        self.member.write(data)
        return len(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("outbox")
    parser.add_argument("--pos", type=int, default=9900)
    parser.add_argument("--level", type=int, default=1)
    args = parser.parse_args()
    db = sqlite3.connect(args.store, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    last = db.execute("SELECT ifnull(max(sequence), 0) FROM packages WHERE pos = ?", (args.pos,)).fetchone()[0]
    covered = db.execute("SELECT value FROM change_counter").fetchone()[0]
    sequence = last + 1
    now = datetime.datetime.now().astimezone()
    created = now.isoformat(timespec="seconds")
    folder = os.path.join(args.outbox, str(args.pos))
    os.makedirs(folder, exist_ok=True)
    name = f"puente-{args.pos}-{sequence:06d}-full.zip"
    final, temporary = os.path.join(folder, name), os.path.join(folder, f".{name}.tmp")
    manifest = []
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED, compresslevel=args.level) as archive:
        for set_name, element, fields, rows in sets(db, args.pos):
            # zipfile allows one member open for writing at a time: the XML streams into the
            # zip while the CSV collects in memory, then goes in whole.
            xml_member = archive.open(set_name + ".xml", "w", force_zip64=True)
            xml_out = Hashing(xml_member)
            xml_buf = io.BufferedWriter(xml_out, 1 << 18)
            csv_text = io.StringIO()
            writer = csv.writer(csv_text, lineterminator="\n")
            writer.writerow(fields)
            xml_buf.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{set_name} version="1">'.encode())
            count = 0
            chunk = []
            for row in rows:
                writer.writerow(row)
                chunk.append("\n<" + element + "".join(f" {f}={quoteattr(v)}" for f, v in zip(fields, row)) + "/>")
                count += 1
                if len(chunk) == 4096:
                    xml_buf.write("".join(chunk).encode())
                    chunk = []
            xml_buf.write(("".join(chunk) + f"\n</{set_name}>\n").encode())
            xml_buf.flush()
            xml_member.close()
            csv_bytes = csv_text.getvalue().encode()
            archive.writestr(set_name + ".csv", csv_bytes)
            manifest.append((set_name + ".xml", count, xml_out.sha.hexdigest()))
            manifest.append((set_name + ".csv", count, hashlib.sha256(csv_bytes).hexdigest()))
        lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<package version="1" pos="{args.pos}" sequence="{sequence}" '
                 f'kind="full" base="" created="{created}">']
        lines += [f'<file name="{n}" records="{c}" sha256="{h}"/>' for n, c, h in manifest]
        lines.append("</package>\n")
        archive.writestr("manifest.xml", "\n".join(lines))
    with open(temporary, "rb") as f:
        os.fsync(f.fileno())
    db.execute("INSERT INTO packages(pos, sequence, kind, base, created, file_name, change_seq, published_unix) "
               "VALUES (?, ?, 'full', NULL, ?, ?, ?, ?)", (args.pos, sequence, created, name, covered, int(now.timestamp())))
    db.execute("COMMIT")
    os.rename(temporary, final)
    print(f"{final}: {sum(c for n, c, h in manifest if n.endswith('.xml'))} records")


if __name__ == "__main__":
    main()
