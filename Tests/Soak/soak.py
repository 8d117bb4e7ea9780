#!/usr/bin/env python3
"""200 cycles of `puente run` while another process keeps dropping files into the Inbox.

    python3 Tests/Soak/soak.py [--cycles 200] [--pause 1] [--scale 0.05] [--puente PATH] [--keep]

The dropper (a separate process) writes, about three files a second, with `inbox.done_markers`
on:
- good files written slowly in place (in pieces, pauses between), then their `NAME.done`;
- good files written under a `.part` name, renamed, then their marker;
- broken files (cut short, or not XML at all), with their marker: they must be rejected;
- good files never given a marker: they must stay in the Inbox, untouched.
Every tenth cycle the back office's prices change (a masters reload and a delta export).
At the end: every order of every marked good file posted (or, for the generator's ~10% invalid
orders, rejected) exactly once, every taken file acknowledged, every
broken file in Inbox/rejected/ with its reason, the unmarked ones untouched, packages complete
and sequences without gaps, and memory flat (the second half of the cycles never higher than the
first half went, within 10%): each run's peak, or with --watch the one process's resident memory.
"""
import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def dropper(inbox, blocks, journal, stop):
    rng = random.Random(7)
    n = 0
    with open(journal, "w") as log:
        while not stop.is_set() and (n + 1) * 20 <= len(blocks):
            n += 1
            chunk = blocks[(n - 1) * 20:n * 20]
            name = f"soak-{n:05d}.xml"
            path = os.path.join(inbox, name)
            kind = rng.choices(["slow", "renamed", "broken", "unmarked"], [50, 20, 15, 15])[0]
            text = common.order_file(chunk)
            if kind == "broken":
                text = text[: len(text) // 2] if n % 2 else "esto no es XML\n"
            if kind in ("slow", "broken", "unmarked"):
                with open(path, "w", encoding="utf-8") as f:
                    step = max(1, len(text) // 5)
                    for i in range(0, len(text), step):
                        f.write(text[i:i + step])
                        f.flush()
                        time.sleep(rng.uniform(0.05, 0.4))
            else:
                common.drop(path, text)
            if kind != "unmarked":
                open(path + ".done", "w").close()
            log.write(json.dumps({"name": name, "kind": kind, "ids": common.order_ids(chunk), "text": text
                                  if kind == "unmarked" else None}) + "\n")
            log.flush()
            time.sleep(rng.uniform(0.1, 0.5))


def change_one_price(erp, rng):
    path = os.path.join(erp, "prices.csv")
    with open(path, encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    i = rng.randrange(len(rows))
    price_list, product, price = rows[i].split(",")
    units, cents = price.split(".")
    rows[i] = f"{price_list},{product},{int(units) + 1}.{cents}"
    common.drop(path, "\n".join([header, *rows]) + "\n")


def runs_recorded(work):
    try:
        db = sqlite3.connect(os.path.join(work, "puente.sqlite"), timeout=10)
        count = db.execute("SELECT count(*) FROM runs WHERE finished IS NOT NULL").fetchone()[0]
        db.close()
        return count
    except sqlite3.Error:
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between two cycles (a timer's interval)")
    parser.add_argument("--puente")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--watch", action="store_true",
                        help="one `puente run --watch --interval PAUSE` process for all the cycles (memory sampled from /proc)")
    args = parser.parse_args()
    puente = common.puente_binary(args.puente)
    work = tempfile.mkdtemp(prefix="puente-soak-")
    gen, blocks = common.generate(work, args.scale)
    erp = os.path.join(work, "erp")
    shutil.copytree(os.path.join(gen, "masters"), erp)
    common.write_config(work, "done_markers = true")
    inbox = os.path.join(work, "Inbox")
    os.makedirs(inbox)
    rng = random.Random(3)

    stop = multiprocessing.Event()
    journal = os.path.join(work, "dropped.jsonl")
    process = multiprocessing.Process(target=dropper, args=(inbox, blocks, journal, stop))
    process.start()
    started = time.monotonic()
    peaks, statuses, seen_hashes, problems = [], {}, {}, []
    watch = None
    if args.watch:
        watch = subprocess.Popen([puente, "--quiet", "run", "--watch", "--interval", str(max(1, int(args.pause)))], cwd=work,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for cycle in range(args.cycles):
        if watch:
            # The watch makes the cycles; this loop changes the dumps and samples its memory.
            if cycle % 10 == 9:
                change_one_price(erp, rng)
            while runs_recorded(work) < cycle + 1 and watch.poll() is None:
                time.sleep(0.2)
            with open(f"/proc/{watch.pid}/status") as f:
                peaks.append(next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")))
            continue
        if cycle % 10 == 9:
            change_one_price(erp, rng)
        status, peak = common.run_puente(puente, work, "run")
        peaks.append(peak)
        time.sleep(args.pause)
        statuses[status] = statuses.get(status, 0) + 1
    stop.set()
    process.join()
    if watch:
        watch.send_signal(signal.SIGTERM)
        common.check(watch.wait(timeout=120) == 0, "the watch did not stop cleanly on SIGTERM", problems)
    soak_time = time.monotonic() - started
    # What the dropper finished after the last cycle: two more runs take it.
    for _ in range(2):
        common.run_puente(puente, work, "run")

    dropped = [json.loads(line) for line in open(journal)]
    good = [d for d in dropped if d["kind"] in ("slow", "renamed")]
    broken = [d for d in dropped if d["kind"] == "broken"]
    unmarked = [d for d in dropped if d["kind"] == "unmarked"]
    expected = [i for d in good for i in d["ids"]]
    # The generated orders are ~10% invalid on purpose: each is posted or rejected, exactly once.
    posted, rejected = common.verify_orders(work, expected, problems)
    acks = set(os.listdir(os.path.join(work, "Outbox", "acks")))
    for d in good + broken:
        common.check(d["name"] + ".ack.xml" in acks, f"no ack for {d['name']}", problems)
    rejected_files = {}
    for day in os.listdir(os.path.join(inbox, "rejected")) if os.path.isdir(os.path.join(inbox, "rejected")) else []:
        for name in os.listdir(os.path.join(inbox, "rejected", day)):
            rejected_files[name] = day
    for d in broken:
        common.check(d["name"] in rejected_files and d["name"] + ".reason.txt" in rejected_files,
                     f"{d['name']} not rejected with a reason", problems)
    for d in unmarked:
        path = os.path.join(inbox, d["name"])
        common.check(os.path.exists(path) and open(path, encoding="utf-8").read() == d["text"],
                     f"{d['name']} (no marker) was touched", problems)
    left = sorted(n for n in os.listdir(inbox) if n.endswith(".xml") or n.endswith(".done"))
    common.check(left == sorted(d["name"] for d in unmarked), f"left in the Inbox: {left}", problems)
    packages = common.verify_packages(work, seen_hashes, problems)

    first, last = statistics.mean(peaks[:20]) / 1024, statistics.mean(peaks[-20:]) / 1024
    # Flat: the second half never goes higher than the first half went (warm-up included), give
    # or take 10%; a leak keeps raising the high-water mark.
    half = len(peaks) // 2
    first_high, second_high = max(peaks[:half]) / 1024, max(peaks[half:]) / 1024
    common.check(second_high <= first_high * 1.1, f"memory grew: highest {first_high:.1f} MB in the first half, "
                 f"{second_high:.1f} MB in the second", problems)
    store = os.path.getsize(os.path.join(work, "puente.sqlite")) / 1e6
    print(f"cycles: {args.cycles} in {soak_time:.0f} s ({soak_time / args.cycles:.2f} s each); exit statuses {statuses}")
    print(f"dropped: {len(dropped)} files ({len(good)} good, {len(broken)} broken, {len(unmarked)} without marker); "
          f"their {len(expected)} orders -> {posted} posted, {rejected} rejected (the generator's invalid ones), none twice")
    what = "resident memory of the watch" if watch else "peak memory per run"
    print(f"packages: {packages}; {what}: first 20 cycles {first:.1f} MB, last 20 {last:.1f} MB, "
          f"highest {first_high:.1f} MB in the first half, {second_high:.1f} MB in the second; store {store:.1f} MB")
    step = max(1, len(peaks) // 10)
    print("memory along the way (MB): " + " ".join(f"{p / 1024:.1f}" for p in peaks[::step]))
    common.finish(work, args.keep, problems,
                  "every good order once, every ack, every broken file rejected, the unmarked untouched, memory flat")


if __name__ == "__main__":
    main()
