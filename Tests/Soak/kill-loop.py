#!/usr/bin/env python3
"""kill -9 over `puente run`, at varying moments, then runs to the end; checks that nothing was
lost, doubled or overwritten.

    python3 Tests/Soak/kill-loop.py [--kills 40] [--scale 0.05] [--puente PATH] [--keep]

Each round changes 1% of the prices in the back office's dumps (so the cycle reloads masters
and exports a delta), drops one order file, starts `puente run` and kills it with SIGKILL after
a delay that moves through the cycle (masters, import, export, mail). At the end, runs until a
run has nothing left, then checks: every order of every file posted or rejected exactly once,
order numbers without gaps, one ack per file, every package complete (manifest hashes) and
never overwritten, package sequences without gaps (deltas each on the one before), and the
store's prices and clients as in the last dumps.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def change_prices(erp, rng):
    path = os.path.join(erp, "prices.csv")
    with open(path, encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    for i in rng.sample(range(len(rows)), max(1, len(rows) // 100)):
        price_list, product, price = rows[i].split(",")
        units, cents = price.split(".")
        rows[i] = f"{price_list},{product},{int(units) + 1}.{cents}"
    common.drop(path, "\n".join([header, *rows]) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--puente")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    puente = common.puente_binary(args.puente)
    work = tempfile.mkdtemp(prefix="puente-kill-")
    rng = random.Random(11)
    gen, blocks = common.generate(work, args.scale)
    erp = os.path.join(work, "erp")
    shutil.copytree(os.path.join(gen, "masters"), erp)
    common.write_config(work)
    os.makedirs(os.path.join(work, "Inbox"))
    per_file = max(1, len(blocks) // (args.kills + 1))
    files = [blocks[i:i + per_file] for i in range(0, per_file * (args.kills + 1), per_file)]

    started = time.monotonic()
    status, _ = common.run_puente(puente, work, "run")
    print(f"first cycle (masters, full export): {time.monotonic() - started:.2f} s, exit {status}")

    seen_hashes = {}
    problems = []
    killed = 0
    expected = []
    round_time = None
    for round_ in range(args.kills + 1):
        change_prices(erp, rng)
        name = f"kill-{round_:03d}.xml"
        common.drop(os.path.join(work, "Inbox", name), common.order_file(files[round_]))
        expected += common.order_ids(files[round_])
        if round_time is None:
            # Round 0 runs whole: how long a round's cycle takes here, to spread the kills over it.
            started = time.monotonic()
            common.run_puente(puente, work, "run")
            round_time = time.monotonic() - started
            print(f"a round's cycle (masters reload, import, delta export, mail): {round_time:.2f} s")
            continue
        delay = rng.uniform(0.02, round_time * 1.2)
        process = subprocess.Popen([puente, "--quiet", "run"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        common.verify_packages(work, seen_hashes, problems, interrupted=True)

    # To the end: until a run finds nothing left to do.
    for attempt in range(5):
        status, _ = common.run_puente(puente, work, "run")
        left = [n for n in os.listdir(os.path.join(work, "Inbox")) if n.endswith(".xml")]
        if status in (0, 65) and not left:
            break
    print(f"rounds: {args.kills}, killed: {killed}, final run exit {status} after {attempt + 1} run(s)")

    posted, rejected = common.verify_orders(work, expected, problems)
    acks = sorted(n for n in os.listdir(os.path.join(work, "Outbox", "acks")) if n.startswith("kill-"))
    common.check(acks == [f"kill-{i:03d}.xml.ack.xml" for i in range(args.kills + 1)], f"acks: {len(acks)} of {args.kills + 1}", problems)
    packages = common.verify_packages(work, seen_hashes, problems)
    common.verify_masters(work, erp, problems)
    print(f"orders: {len(expected)} in {args.kills + 1} files -> {posted} posted, {rejected} rejected; packages: {packages}")
    common.finish(work, args.keep, problems,
                  "every order once, numbers and sequences without gaps, packages complete and never overwritten, "
                  "masters as in the dumps")


if __name__ == "__main__":
    main()
