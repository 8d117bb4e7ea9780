#!/usr/bin/env python3
"""Deterministic benchmark workload in the contract's formats.

    python3 Benchmarks/generate.py OUT_DIR [--scale 1.0]

Writes, at scale 1 (the same seed gives the same bytes on every machine):
- OUT_DIR/masters/{price_lists,products,sellers,clients,prices}.csv: 20,000 clients (2,000
  web-enabled), 50 sellers, 50,000 products, 20 price lists and 1,000,000 prices;
- OUT_DIR/changes/prices.csv: the same prices with 1% of them changed (for a delta export);
- OUT_DIR/orders/orders.xml and orders.csv: the same 100,000 orders of about 10 lines each
  (~1,000,000 lines) in both formats, about 10% of them invalid in one way or another.
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    masters = os.path.join(args.out, "masters")
    os.makedirs(masters, exist_ok=True)

    n_lists = 20
    n_products = int(50_000 * args.scale)
    n_clients = int(20_000 * args.scale)
    n_web = n_clients // 10
    n_sellers = 50
    n_prices = int(1_000_000 * args.scale)

    lists = [f"L{i:02d}" for i in range(1, n_lists + 1)]
    with open(os.path.join(masters, "price_lists.csv"), "w", newline="") as f:
        f.write("code,name,currency\n")
        for code in lists:
            f.write(f"{code},Lista {code},ARS\n")

    products = [f"P{i:06d}" for i in range(1, n_products + 1)]
    with open(os.path.join(masters, "products.csv"), "w", newline="") as f:
        f.write("code,description,unit,tax_rate,active\n")
        for i, code in enumerate(products):
            rate = "10.5" if i % 3 == 0 else "21"
            active = "0" if i % 97 == 0 else "1"
            f.write(f"{code},Producto {code} x {1 + i % 12} u,u,{rate},{active}\n")

    sellers = [f"V{i:03d}" for i in range(1, n_sellers + 1)]
    with open(os.path.join(masters, "sellers.csv"), "w", newline="") as f:
        f.write("code,name,email,web_password,active\n")
        for i, code in enumerate(sellers):
            password = f"vend-{code}-{rng.randrange(10**6)}" if i % 5 else ""
            f.write(f"{code},Vendedor {code},{code.lower()}@example.com.ar,{password},1\n")

    with open(os.path.join(masters, "clients.csv"), "w", newline="") as f:
        f.write("code,name,tax_id,email,price_list,seller,web_password,active\n")
        for i in range(n_clients):
            code = f"C{i + 1:06d}"
            password = f"cli-{code}-{rng.randrange(10**6)}" if i < n_web else ""
            seller = sellers[i % n_sellers] if i % 4 == 0 else ""
            tax_id = f"30-{70000000 + i:08d}-{i % 10}"
            f.write(f"{code},Cliente {code},{tax_id},{code.lower()}@example.com.ar,"
                    f"{lists[i % n_lists]},{seller},{password},1\n")

    # Each list prices a different 50,000-product window so the total is n_prices.
    per_list = n_prices // n_lists
    prices = {}
    with open(os.path.join(masters, "prices.csv"), "w", newline="") as f:
        f.write("price_list,product,price\n")
        for li, code in enumerate(lists):
            for j in range(per_list):
                product = products[(li * 1237 + j) % n_products]
                cents = rng.randrange(100, 5_000_000)
                prices[(code, product)] = cents
                f.write(f"{code},{product},{cents // 100}.{cents % 100:02d}\n")

    # 1% of the prices changed, for a delta export.
    changes = os.path.join(args.out, "changes")
    os.makedirs(changes, exist_ok=True)
    with open(os.path.join(changes, "prices.csv"), "w", newline="") as f:
        f.write("price_list,product,price\n")
        for i, ((code, product), cents) in enumerate(prices.items()):
            if i % 100 == 0:
                cents += 100
            f.write(f"{code},{product},{cents // 100}.{cents % 100:02d}\n")

    write_orders(args, rng, lists, products, sellers, n_clients, n_web, prices)


def write_orders(args, rng, lists, products, sellers, n_clients, n_web, prices):
    """100,000 orders at scale 1, ~10 lines each, ~10% invalid: the same orders as XML and CSV."""
    orders_dir = os.path.join(args.out, "orders")
    os.makedirs(orders_dir, exist_ok=True)
    n_orders = int(100_000 * args.scale)
    by_list = {}
    for (code, product) in prices:
        by_list.setdefault(code, []).append(product)
    with open(os.path.join(orders_dir, "orders.xml"), "w", encoding="utf-8", newline="") as x, \
            open(os.path.join(orders_dir, "orders.csv"), "w", encoding="utf-8", newline="") as c:
        x.write('<?xml version="1.0" encoding="UTF-8"?>\n<orders version="1">\n')
        c.write("order,pos,date,client,seller,product,quantity,price,note\n")
        for n in range(n_orders):
            order_id = f"W-{n + 1:07d}"
            client_index = rng.randrange(n_web)
            client = f"C{client_index + 1:06d}"
            price_list = lists[client_index % len(lists)]
            # Orders of a seller for one of his clients: clients i % 4 == 0 have seller i % 50.
            seller = ""
            if client_index % 4 == 0 and rng.random() < 0.3:
                seller = sellers[client_index % len(sellers)]
            pos = "9900"
            day = 1 + n % 28
            date = f"2026-11-{day:02d}T{8 + n % 12:02d}:{n % 60:02d}:00-03:00"
            lines = []
            for _ in range(rng.randrange(5, 16)):
                product = rng.choice(by_list[price_list])
                cents = prices[(price_list, product)]
                quantity = str(rng.randrange(1, 25))
                lines.append([product, quantity, f"{cents // 100}.{cents % 100:02d}"])
            fault = rng.random()
            if fault < 0.10:
                kind = rng.randrange(6)
                if kind == 0:
                    client = f"X{n:06d}"                      # unknown-client
                elif kind == 1:
                    lines[0][0] = "P999999"                   # unknown-product
                elif kind == 2:
                    lines[-1][2] = "0.01"                     # price-mismatch
                elif kind == 3:
                    lines[0][1] = "-2"                        # invalid-quantity
                elif kind == 4:
                    pos = "9999"                              # unknown-pos
                else:
                    date = "2026-13-45T10:00:00-03:00"        # invalid-date
            note = "Entregar por la tarde" if n % 7 == 0 else ""
            seller_attr = f' seller="{seller}"' if seller else ""
            x.write(f'  <order id="{order_id}" pos="{pos}" date="{date}" client="{client}"{seller_attr}>\n')
            if note:
                x.write(f"    <note>{note}</note>\n")
            for product, quantity, price in lines:
                x.write(f'    <line product="{product}" quantity="{quantity}" price="{price}"/>\n')
            x.write("  </order>\n")
            for i, (product, quantity, price) in enumerate(lines):
                first = i == 0
                c.write(f"{order_id},{pos},{date if first else ''},{client if first else ''},"
                        f"{seller if first else ''},{product},{quantity},{price},{note if first else ''}\n")
        x.write("</orders>\n")


if __name__ == "__main__":
    main()
