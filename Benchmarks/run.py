#!/usr/bin/env python3
"""Puente beside a plain Python script doing the same job, run alternately, on the benchmark workload.

    python3 Benchmarks/run.py export|import|masters [--runs 5] [--work Benchmarks/work]

export: a full package of the benchmark masters (the store's first package, as a site gets it),
Puente (`puente export`) against Benchmarks/export.py, alternately, each on a fresh copy of the
same store; then a delta after 1% of the prices changed (Puente only: the target compares it with
Puente's own full export). Prints each run, the medians, the ratio and Puente's peak memory, and
checks the targets of the export issue.

import: the 100,000 orders (~1,000,000 lines, ~10% invalid) as XML and as CSV, `puente import
FILE` against Benchmarks/import-simple.py (the simplest script a user would write: two tables,
no acks) and Benchmarks/import.py (Puente's own schema and the ack), in turns, each on a fresh
copy of the store; the floor (reading the file alone, SQLite inserting the same rows alone, with
the store's foreign-key checks) right after each Puente run, Puente's ratio to it taken run by run;
then Puente on the same orders three times over (300,000) to see that its memory stays flat.
Checks issue 9's targets. Builds Puente in release mode first.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUENTE = os.path.join(ROOT, ".build", "release", "puente")


def timed(command, cwd, allowed=(0,)):
    """Runs `command`; returns (seconds, peak resident memory in MB) of that process alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    error = process.stderr.read().decode()
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) not in allowed:
        sys.exit(f"{' '.join(command)} failed ({os.waitstatus_to_exitcode(status)}):\n{error}")
    return elapsed, usage.ru_maxrss / 1024


def quiet(command, cwd):
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def prepare(work):
    """Workload, release build and a store with the benchmark masters loaded (made once)."""
    if not os.path.exists(os.path.join(work, "orders", "orders.csv")):
        print("generating the workload…", flush=True)
        quiet([sys.executable, os.path.join(ROOT, "Benchmarks", "generate.py"), work], ROOT)
    print("building puente (release)…", flush=True)
    quiet(["swift", "build", "-c", "release", "--package-path", ROOT], ROOT)
    base = os.path.join(work, "base-store")
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    with open(os.path.join(base, "puente.toml"), "w") as f:
        # Hashing cost does not matter to an export: keep loading the masters quick. The import
        # is measured without its mail step (the Python scripts send none); the mail step has
        # figures of its own in Benchmarks/README.md.
        f.write("[security]\nbcrypt_cost = 4\n\n[mail]\nenabled = false\n")
    print("loading the benchmark masters into a store…", flush=True)
    quiet([PUENTE, "--quiet", "masters", "load", os.path.join(work, "masters")], base)
    return base


def fresh_copy(base, folder):
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(base, folder)
    return folder


def export(args):
    work = os.path.abspath(args.work)
    base = prepare(work)
    puente_runs, python_runs, memory = [], [], []
    for run in range(1, args.runs + 1):
        # Alternate which goes first, so neither always meets a warmer machine.
        order = ["puente", "python"] if run % 2 else ["python", "puente"]
        for who in order:
            folder = fresh_copy(base, os.path.join(work, f"run-{who}"))
            if who == "puente":
                seconds, peak = timed([PUENTE, "--quiet", "export"], folder)
                puente_runs.append(seconds)
                memory.append(peak)
            else:
                seconds, _ = timed([sys.executable, os.path.join(ROOT, "Benchmarks", "export.py"),
                                    "puente.sqlite", "Outbox"], folder)
                python_runs.append(seconds)
        print(f"run {run}: full export  puente {puente_runs[-1]:.2f} s ({memory[-1]:.0f} MB)"
              f"   python {python_runs[-1]:.2f} s", flush=True)

    # Deltas: the Puente store of the last run, 1% of the prices changed, then changed back.
    folder = os.path.join(work, "run-puente")
    deltas = []
    for run in range(1, args.runs + 1):
        dump = os.path.join(work, "changes" if run % 2 else "masters", "prices.csv")
        quiet([PUENTE, "--quiet", "masters", "load", dump], folder)
        seconds, _ = timed([PUENTE, "--quiet", "export"], folder)
        deltas.append(seconds)
        print(f"run {run}: delta export (1% of the prices) puente {seconds:.2f} s", flush=True)

    full, python, delta = (statistics.median(x) for x in (puente_runs, python_runs, deltas))
    peak = max(memory)
    ratio = python / full
    print()
    print(f"full export, median of {args.runs}: puente {full:.2f} s, python {python:.2f} s, "
          f"puente is {ratio:.1f}x faster; puente peak memory {peak:.0f} MB")
    print(f"delta export, median of {args.runs}: {delta:.3f} s = {delta / full:.3f} of the full export")
    checks = [
        (ratio >= 3, f"full export at least 3x faster than python: {ratio:.1f}x"),
        (peak < 100, f"peak memory under 100 MB: {peak:.0f} MB"),
        (delta < full / 10, f"delta under a tenth of the full export: {delta / full:.3f}"),
    ]
    for ok, text in checks:
        print(("PASS " if ok else "FAIL ") + text)
    return 0 if all(ok for ok, _ in checks) else 1


def tripled(work, fmt):
    """The benchmark orders three times over, with distinct ids (made once, line by line, so
    this process stays small: a child's peak memory as `wait4` reports it starts from its
    parent's at the fork)."""
    source = os.path.join(work, "orders", f"orders.{fmt}")
    target = os.path.join(work, "orders", f"orders-3x.{fmt}")
    if os.path.exists(target):
        return target
    with open(target + ".tmp", "w", encoding="utf-8") as out:
        for copy in "ABC":
            with open(source, encoding="utf-8") as f:
                for number, line in enumerate(f):
                    if fmt == "xml":
                        if line.startswith("<?xml") or line.startswith("<orders") or line.startswith("</orders>"):
                            if copy == "A" and not line.startswith("</orders>"):
                                out.write(line)
                            continue
                        out.write(line.replace('id="W-', f'id="{copy}-'))
                    else:
                        if number == 0:
                            if copy == "A":
                                out.write(line)
                            continue
                        out.write(line.replace("W-", f"{copy}-", 1))
        if fmt == "xml":
            out.write("</orders>\n")
    os.rename(target + ".tmp", target)
    return target


FLOOR_SQL = """
PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384;
PRAGMA foreign_keys = {foreign_keys};
BEGIN IMMEDIATE;
INSERT INTO processed_files(id, name, size, sha256, outcome, processed, source_path, finished)
VALUES (1, 'orders.xml', 70762428, printf('%064x', 1), 'processed', '2026-12-01T10:00:00-03:00', 'orders.xml', 0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
INSERT INTO orders(id, pos, number, web_id, status, order_date, client, seller, note, total, content_hash,
                   source_file, source_line, created, change_seq)
SELECT i, 9900, i, printf('W-%07d', i), CASE WHEN i % 9 = 0 THEN 'held' ELSE 'pending' END,
       '2026-11-28T10:15:00-03:00', printf('C%05d', i % 20000), NULL, '', 123456, printf('%064x', i * 7919),
       'orders.xml', i * 10, '2026-12-01T10:00:00-03:00', 5 FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {orders} * {per_order} - 1)
INSERT INTO order_lines(order_id, line_no, product, quantity, price, list_price, amount, source_line)
SELECT i / {per_order} + 1, i % {per_order} + 1, printf('P%05d', i % 50000), 3000, 12345000, 12345000, 37035000, i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq)
SELECT i, NULL, 'pending', '2026-12-01T10:00:00-03:00', 'import', 'orders.xml', 5 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rejected})
INSERT INTO rejected_orders(file_id, pos, web_id, client, seller, order_date, source_line, reasons)
SELECT 1, 9900, printf('R-%07d', i), 'C00001', NULL, '2026-11-28T10:15:00-03:00', i,
       '[{{"code":"unknown-client","line":1}}]' FROM n;
COMMIT;
"""


def floor(work, base, fmt, counts):
    """The floor of an import on this machine: reading the file (XML: libxml2's streaming reader
    with the orders XSD, `xmllint --stream --schema`; CSV: reading its bytes) and SQLite
    inserting the same rows into the same schema in one transaction (`sqlite3` running
    INSERT … SELECT, no binding from a program at all), each timed alone; on two cores the two
    can overlap, so the floor is the slower of them. The inserts check the schema's foreign
    keys, as Puente's store does (the file's `processed_files` row first, as Puente's): they are
    part of the job. Also returned, for the record: the same inserts without those checks."""
    source = os.path.join(work, "orders", f"orders.{fmt}")
    if fmt == "xml":
        read, _ = timed(["xmllint", "--stream", "--noout", "--schema",
                         os.path.join(ROOT, "docs", "schemas", "orders.xsd"), source], work)
    else:
        read, _ = timed(["cat", source], work)
    inserts = []
    for foreign_keys in ("ON", "OFF"):
        folder = fresh_copy(base, os.path.join(work, "run-floor"))
        sql = os.path.join(folder, "floor.sql")
        with open(sql, "w") as f:
            f.write(FLOOR_SQL.format(foreign_keys=foreign_keys, **counts))
        start = time.perf_counter()
        with open(sql) as f:
            subprocess.run(["sqlite3", os.path.join(folder, "puente.sqlite")], stdin=f, check=True,
                           stdout=subprocess.DEVNULL)
        inserts.append(time.perf_counter() - start)
    return read, inserts[0], inserts[1]


def posted_counts(folder):
    import sqlite3
    db = sqlite3.connect(os.path.join(folder, "puente.sqlite"))
    orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    lines = db.execute("SELECT count(*) FROM order_lines").fetchone()[0]
    rejected = db.execute("SELECT count(*) FROM rejected_orders").fetchone()[0]
    # Lines go in order by order, as an import writes them (in key order: a scattered insert
    # into the lines' b-tree costs SQLite far more, and would flatter the comparison).
    return {"orders": orders, "per_order": round(lines / orders), "rejected": max(rejected, 1)}


def import_job(args):
    work = os.path.abspath(args.work)
    base = prepare(work)
    for tool in ("xmllint", "sqlite3"):
        if shutil.which(tool) is None:
            sys.exit(f"the import benchmark measures the floor with {tool}: apt-get install "
                     + ("libxml2-utils" if tool == "xmllint" else "sqlite3"))
    results = {}
    scripts = {"simple": "import-simple.py", "full": "import.py"}
    for fmt in ("xml", "csv"):
        source = os.path.join(work, "orders", f"orders.{fmt}")
        runs = {"puente": [], "simple": [], "full": []}
        memory = []
        floors = []
        counts = None
        for run in range(1, args.runs + 1):
            # Alternate the order, so that none always meets a warmer machine.
            order = ["puente", "simple", "full"] if run % 2 else ["full", "simple", "puente"]
            for who in order:
                folder = fresh_copy(base, os.path.join(work, f"run-{who}"))
                shutil.copy(source, os.path.join(folder, f"orders.{fmt}"))
                if who == "puente":
                    seconds, peak = timed([PUENTE, "--quiet", "import", f"orders.{fmt}"], folder, allowed=(0, 65))
                    memory.append(peak)
                    counts = posted_counts(folder)
                    # The floor right after, back to back: this machine's speed moves within
                    # minutes, so Puente is compared with the floor of the same moment.
                    read, insert, unchecked = floor(work, base, fmt, counts)
                    floors.append((read, insert, unchecked, seconds))
                elif who == "simple":
                    # Its own two tables in a database of its own; the masters read from the store.
                    seconds, _ = timed([sys.executable, os.path.join(ROOT, "Benchmarks", scripts[who]),
                                        "puente.sqlite", f"orders.{fmt}", "simple.sqlite"], folder)
                else:
                    seconds, _ = timed([sys.executable, os.path.join(ROOT, "Benchmarks", scripts[who]),
                                        "puente.sqlite", f"orders.{fmt}"], folder)
                runs[who].append(seconds)
            print(f"run {run}: import {fmt.upper()}  puente {runs['puente'][-1]:.2f} s ({memory[-1]:.0f} MB)"
                  f"   simple python {runs['simple'][-1]:.2f} s   full python {runs['full'][-1]:.2f} s", flush=True)
            read, insert, unchecked, seconds = floors[-1]
            print(f"        floor {fmt.upper()} (right after puente): reading {read:.2f} s, inserting the same rows "
                  f"{insert:.2f} s ({unchecked:.2f} s without checking foreign keys): puente "
                  f"{seconds / max(read, insert):.2f}x of it", flush=True)
        read, insert, unchecked = (statistics.median(f[i] for f in floors) for i in range(3))
        # Puente against the floor run by run, then the median of those ratios.
        to_floor = statistics.median(f[3] / max(f[0], f[1]) for f in floors)
        to_unchecked = statistics.median(f[3] / max(f[0], f[2]) for f in floors)
        big = tripled(work, fmt)
        folder = fresh_copy(base, os.path.join(work, "run-puente"))
        shutil.copy(big, os.path.join(folder, f"orders-3x.{fmt}"))
        big_seconds, big_peak = timed([PUENTE, "--quiet", "import", f"orders-3x.{fmt}"], folder, allowed=(0, 65))
        print(f"3x file: import {fmt.upper()}  puente {big_seconds:.2f} s ({big_peak:.0f} MB)", flush=True)
        results[fmt] = ({who: statistics.median(times) for who, times in runs.items()}, max(memory), big_peak,
                        max(read, insert), max(read, unchecked), to_floor, to_unchecked)

    print()
    checks = []
    for fmt, (medians, peak, big_peak, floor_seconds, unchecked_floor, to_floor, to_unchecked) in results.items():
        puente = medians["puente"]
        simple, full = medians["simple"] / puente, medians["full"] / puente
        growth = big_peak / peak
        print(f"import {fmt.upper()}, median of {args.runs}: puente {puente:.2f} s, simple python "
              f"{medians['simple']:.2f} s ({simple:.1f}x), full python {medians['full']:.2f} s ({full:.1f}x); "
              f"floor {floor_seconds:.2f} s (puente {to_floor:.2f}x of it, the median of the runs' ratios; "
              f"{to_unchecked:.2f}x of {unchecked_floor:.2f} s without foreign-key checks); peak memory {peak:.0f} MB, "
              f"{big_peak:.0f} MB for a file 3x larger ({growth:.2f}x)")
        checks += [
            (simple >= 3, f"{fmt.upper()} import at least 3x faster than the simple python script: {simple:.1f}x"),
            (to_floor <= 1.3, f"{fmt.upper()} import within 1.3x of the floor: {to_floor:.2f}x"),
            (peak <= 100, f"{fmt.upper()} peak memory at most 100 MB: {peak:.0f} MB"),
            (growth <= 1.1, f"{fmt.upper()} memory flat, a 3x file at most 1.1x the memory: {growth:.2f}x"),
        ]
    for ok, text in checks:
        print(("PASS " if ok else "FAIL ") + text)
    return 0 if all(ok for ok, _ in checks) else 1


def masters_job(args):
    """`puente masters load` of the benchmark masters (20,000 clients with 2,040 web passwords,
    50,000 products, 1,000,000 prices) into an empty store, against Benchmarks/masters-load.py
    into an empty database, in turns, bcrypt cost 4 on both sides; then the same dumps again
    (Puente: must change nothing), and 1% of the prices changed."""
    work = os.path.abspath(args.work)
    prepare(work)
    masters = os.path.join(work, "masters")
    puente_runs, python_runs, memory, again_runs = [], [], [], []
    for run in range(1, args.runs + 1):
        order = ["puente", "python"] if run % 2 else ["python", "puente"]
        for who in order:
            folder = os.path.join(work, f"masters-{who}")
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder)
            if who == "puente":
                with open(os.path.join(folder, "puente.toml"), "w") as f:
                    f.write("[security]\nbcrypt_cost = 4\n")
                seconds, peak = timed([PUENTE, "--quiet", "masters", "load", masters], folder)
                puente_runs.append(seconds)
                memory.append(peak)
                import sqlite3
                db = os.path.join(folder, "puente.sqlite")
                before = sqlite3.connect(db).execute("SELECT value FROM change_counter").fetchone()[0]
                again, again_peak = timed([PUENTE, "--quiet", "masters", "load", masters], folder)
                after = sqlite3.connect(db).execute("SELECT value FROM change_counter").fetchone()[0]
                again_runs.append((again, before == after))
            else:
                seconds, _ = timed([sys.executable, "-W", "ignore", os.path.join(ROOT, "Benchmarks", "masters-load.py"),
                                    os.path.join(folder, "masters.sqlite"), masters, "--cost", "4"], folder)
                python_runs.append(seconds)
        print(f"run {run}: masters load  puente {puente_runs[-1]:.2f} s ({memory[-1]:.0f} MB), the same dumps again "
              f"{again_runs[-1][0]:.2f} s   python {python_runs[-1]:.2f} s", flush=True)
    folder = os.path.join(work, "masters-puente")
    changed, changed_peak = timed([PUENTE, "--quiet", "masters", "load", os.path.join(work, "changes", "prices.csv")], folder)
    print(f"1% of the prices changed: puente {changed:.2f} s ({changed_peak:.0f} MB)", flush=True)
    puente, python = statistics.median(puente_runs), statistics.median(python_runs)
    again = statistics.median(t for t, _ in again_runs)
    peak = max(memory + [changed_peak])
    ratio = python / puente
    print()
    print(f"masters load, median of {args.runs}: puente {puente:.2f} s, python {python:.2f} s, puente is {ratio:.1f}x "
          f"faster; peak memory {peak:.0f} MB; the same dumps again {again:.2f} s")
    checks = [
        (ratio >= 2, f"masters load at least 2x faster than python: {ratio:.1f}x"),
        (peak <= 64, f"masters load peak memory at most 64 MB: {peak:.0f} MB"),
        (again <= 1 and all(same for _, same in again_runs),
         f"the same dumps again in at most 1 s, changing nothing: {again:.2f} s"),
    ]
    for ok, text in checks:
        print(("PASS " if ok else "FAIL ") + text)
    return 0 if all(ok for ok, _ in checks) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("job", choices=["export", "import", "masters"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default=os.path.join(ROOT, "Benchmarks", "work"))
    args = parser.parse_args()
    sys.exit({"export": export, "import": import_job, "masters": masters_job}[args.job](args))


if __name__ == "__main__":
    main()
