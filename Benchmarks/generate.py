#!/usr/bin/env python3
"""Deterministic benchmark workload in the contract's formats.

    python3 Benchmarks/generate.py OUT_DIR [--scale 1.0]

Writes OUT_DIR/masters/{price_lists,products,sellers,clients,prices}.csv:
20,000 clients (2,000 web-enabled), 50 sellers, 50,000 products, 20 price lists and
1,000,000 prices at scale 1. The same seed gives the same bytes on every machine.
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
    with open(os.path.join(masters, "prices.csv"), "w", newline="") as f:
        f.write("price_list,product,price\n")
        for li, code in enumerate(lists):
            for j in range(per_list):
                product = products[(li * 1237 + j) % n_products]
                cents = rng.randrange(100, 5_000_000)
                f.write(f"{code},{product},{cents // 100}.{cents % 100:02d}\n")


if __name__ == "__main__":
    main()
