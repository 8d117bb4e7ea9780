#!/usr/bin/env python3
"""The import job as a competent user would write it with Python's standard library only.

    python3 Benchmarks/import.py STORE ORDER_FILE [--pos 9900] [--timezone-offset -03:00]

Reads an order file (XML with xml.etree.ElementTree.iterparse, clearing elements as it goes;
CSV with the csv module), applies the same rules as `puente import` (every reason code, the
list price within tolerance 0 or the price last published to the site), and posts in one
transaction into the same Puente store: accepted and held orders with their numbers, lines
and status history, rejected orders with their reasons, the file's record. It writes the ack
too. It is the yardstick for Puente's speed, not a second implementation: it skips the Inbox
rules, the lock and the file moves, which cost Puente nothing measurable.
"""
import argparse
import csv
import datetime
import decimal
import hashlib
import io
import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

Q4 = decimal.Decimal("0.0001")
Q3 = decimal.Decimal("0.001")


def parse_decimal(text, places):
    try:
        value = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -places or "e" in text.lower():
        return None
    return value


def parse_date(text, default_offset):
    try:
        if len(text) in (16, 19):
            text = text + default_offset
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value


class Masters:
    def __init__(self, db):
        self.sites = {9900}
        self.clients = {r[0]: r[1:] for r in db.execute(
            "SELECT code, active, password_hash <> '', price_list, seller FROM clients")}
        self.sellers = {r[0]: r[1:] for r in db.execute("SELECT code, active, password_hash <> '' FROM sellers")}
        self.products = {r[0]: r[1] for r in db.execute("SELECT code, active FROM products")}
        self.prices = {(r[0], r[1]): r[2] for r in db.execute(
            "SELECT price_list, product, price FROM prices WHERE active = 1")}
        self.db = db

    def published(self, pos, price_list, product, moment):
        row = self.db.execute(
            "SELECT id, change_seq FROM packages WHERE pos = ? AND published_unix <= ? ORDER BY sequence DESC LIMIT 1",
            (pos, int(moment.timestamp()))).fetchone()
        if not row:
            return None
        if not self.db.execute("SELECT 1 FROM package_price_lists WHERE package_id = ? AND price_list = ?",
                               (row[0], price_list)).fetchone():
            return None
        version = self.db.execute(
            "SELECT price, active FROM prices WHERE price_list = ?1 AND product = ?2 AND change_seq <= ?3 "
            "UNION ALL SELECT price, active FROM price_history WHERE price_list = ?1 AND product = ?2 "
            "AND valid_from_seq <= ?3 AND valid_until_seq > ?3 LIMIT 1", (price_list, product, row[1])).fetchone()
        return version[0] if version and version[1] else None


def check(order, masters, default_offset):
    """Returns (outcome, reasons, pos, date, lines, total, content)."""
    reasons = []
    line0 = order["line"]

    def reason(code, line=None, product=None, expected=None, got=None):
        reasons.append({"code": code, "line": line or line0, "product": product, "expected": expected, "got": got})

    pos = int(order["pos"]) if order["pos"].isdigit() else None
    if pos not in masters.sites:
        reason("unknown-pos", got=order["pos"])
    date = parse_date(order["date"], default_offset)
    if date is None:
        reason("invalid-date", got=order["date"])
    client = masters.clients.get(order["client"])
    seller_code = order["seller"]
    if client:
        if not client[0]:
            reason("client-inactive", got=order["client"])
        if not seller_code and not client[1]:
            reason("client-not-web-enabled", got=order["client"])
    else:
        reason("unknown-client", got=order["client"])
    if seller_code:
        seller = masters.sellers.get(seller_code)
        if seller:
            if not seller[0]:
                reason("seller-inactive", got=seller_code)
            if not seller[1]:
                reason("seller-not-web-enabled", got=seller_code)
            if client and client[3] != seller_code:
                reason("client-not-assigned-to-seller", got=seller_code)
        else:
            reason("unknown-seller", got=seller_code)
    if not order["lines"]:
        reason("empty-order")
    lines, total = [], decimal.Decimal(0)
    for product, quantity_text, price_text, line in order["lines"]:
        quantity = parse_decimal(quantity_text, 3)
        if quantity is None or quantity <= 0:
            quantity = None
            reason("invalid-quantity", line, product, got=quantity_text)
        price = parse_decimal(price_text, 4)
        if price is None or price < 0:
            price = None
            reason("invalid-price", line, product, got=price_text)
        active = masters.products.get(product)
        if active is None:
            reason("unknown-product", line, product)
        elif not active:
            reason("product-inactive", line, product)
        list_price = None
        if client and active is not None:
            units = masters.prices.get((client[2], product))
            if units is None:
                reason("no-price", line, product, got=client[2])
            else:
                list_price = decimal.Decimal(units) / 10000
                if price is not None and price != list_price:
                    shown = masters.published(pos, client[2], product, date) if pos and date else None
                    if shown is None or decimal.Decimal(shown) / 10000 != price:
                        reason("price-mismatch", line, product, f"{list_price:.2f}", f"{price:.2f}")
        if quantity is not None and price is not None:
            amount = (price * quantity).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
            total += amount
            lines.append((product, quantity, price, list_price, amount, line))
    content = "\x1f".join([order["client"], seller_code, str(int(date.timestamp())) if date else order["date"]]
                          + [x for l in order["lines"] for x in l[:3]])
    held_codes = {"price-mismatch", "product-inactive"}
    if not reasons:
        outcome = "accepted"
    elif all(r["code"] in held_codes for r in reasons):
        outcome = "held"
    else:
        outcome = "rejected"
    return outcome, reasons, pos, date, lines, total, content


def xml_orders(path):
    order = None
    for event, element in ET.iterparse(path, events=("start", "end")):
        if event == "start" and element.tag == "order":
            a = element.attrib
            order = {"id": a.get("id", ""), "pos": a.get("pos", ""), "date": a.get("date", ""),
                     "client": a.get("client", ""), "seller": a.get("seller", ""), "note": "", "line": 0, "lines": []}
        elif event == "end":
            if element.tag == "line":
                a = element.attrib
                order["lines"].append((a.get("product", ""), a.get("quantity", ""), a.get("price", ""), 0))
            elif element.tag == "note":
                order["note"] = element.text or ""
            elif element.tag == "order":
                yield order
                element.clear()


def csv_orders(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        order = None
        for number, row in enumerate(reader, start=2):
            if order and (order["id"] != row["order"] or order["pos"] != row["pos"]):
                yield order
                order = None
            if order is None:
                order = {"id": row["order"], "pos": row["pos"], "date": row["date"], "client": row["client"],
                         "seller": row["seller"], "note": row["note"], "line": number, "lines": []}
            order["lines"].append((row["product"], row["quantity"], row["price"], number))
        if order:
            yield order


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("file")
    parser.add_argument("--timezone-offset", default="-03:00")
    args = parser.parse_args()
    name = os.path.basename(args.file)
    with open(args.file, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    size = os.path.getsize(args.file)
    now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    db = sqlite3.connect(args.store, isolation_level=None)
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("BEGIN IMMEDIATE")
    masters = Masters(db)
    file_id = db.execute("INSERT INTO processed_files(name, size, sha256, outcome, processed) VALUES (?, ?, ?, 'processed', ?)",
                         (name, size, sha, now)).lastrowid
    seq = db.execute("UPDATE change_counter SET value = value + 1 RETURNING value").fetchone()[0]
    last = {}
    ack = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ack version="1" file={quoteattr(name)} sha256="{sha}" processed="{now}">']
    counts = {}
    orders = xml_orders(args.file) if args.file.lower().endswith(".xml") else csv_orders(args.file)
    for order in orders:
        outcome, reasons, pos, date, lines, total, content = check(order, masters, args.timezone_offset)
        content_hash = hashlib.sha256(content.encode()).hexdigest()
        if pos is not None:
            posted = db.execute("SELECT content_hash FROM orders WHERE pos = ? AND web_id = ?", (pos, order["id"])).fetchone()
            if posted:
                if posted[0] == content_hash:
                    outcome, reasons = "duplicate", []
                else:
                    reasons.append({"code": "conflicting-duplicate", "line": order["line"]})
                    outcome = "rejected"
        number = None
        if outcome in ("accepted", "held"):
            if pos not in last:
                row = db.execute("SELECT last_number FROM order_sequences WHERE pos = ?", (pos,)).fetchone()
                last[pos] = row[0] if row else 0
            last[pos] += 1
            number = f"{pos:04d}-{last[pos]:08d}"
            status = "pending" if outcome == "accepted" else "held"
            order_id = db.execute(
                "INSERT INTO orders(pos, number, web_id, status, order_date, client, seller, note, total, content_hash, "
                "source_file, source_line, created, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pos, last[pos], order["id"], status, date.isoformat(), order["client"], order["seller"] or None,
                 order["note"], int(total * 10000), content_hash, name, order["line"], now, seq)).lastrowid
            db.executemany(
                "INSERT INTO order_lines(order_id, line_no, product, quantity, price, list_price, amount, source_line) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(order_id, i + 1, p, int(q * 1000), int(pr * 10000), int(lp * 10000) if lp is not None else None,
                  int(a * 10000), ln) for i, (p, q, pr, lp, a, ln) in enumerate(lines)])
            db.execute("INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq) "
                       "VALUES (?, NULL, ?, ?, 'import', ?, ?)", (order_id, status, now, name, seq))
        elif outcome == "rejected":
            db.execute("INSERT INTO rejected_orders(file_id, pos, web_id, client, seller, order_date, source_line, reasons) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (file_id, pos, order["id"], order["client"], order["seller"] or None, order["date"], order["line"],
                        json.dumps(reasons)))
        counts[outcome] = counts.get(outcome, 0) + 1
        element = f'\n  <order id={quoteattr(order["id"])} pos={quoteattr(order["pos"])} outcome="{outcome}"'
        element += f' number="{number}"' if number else ""
        if reasons:
            element += ">" + "".join(
                "\n    <reason " + " ".join(f"{k}={quoteattr(str(v))}" for k, v in r.items() if v is not None) + "/>"
                for r in reasons) + "\n  </order>"
        else:
            element += "/>"
        ack.append(element)
    for pos, value in last.items():
        db.execute("INSERT INTO order_sequences(pos, last_number) VALUES (?, ?) "
                   "ON CONFLICT(pos) DO UPDATE SET last_number = excluded.last_number", (pos, value))
    ack.append("\n</ack>\n")
    ack_path = os.path.join(os.path.dirname(os.path.abspath(args.store)), f"{name}.python.ack.xml")
    with open(ack_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("".join(ack))
        f.flush()
        os.fsync(f.fileno())
    db.execute("COMMIT")
    os.rename(ack_path + ".tmp", ack_path)
    print(name, counts)


if __name__ == "__main__":
    main()
