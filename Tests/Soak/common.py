"""What the kill loop and the soak script share: a work folder with generated dumps, the
puente binary, and the checks that nothing was lost, doubled or overwritten."""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def puente_binary(given):
    path = given or os.path.join(ROOT, ".build", "release", "puente")
    if not os.access(path, os.X_OK):
        sys.exit(f"no puente at {path}: build it with `swift build -c release` (or pass --puente)")
    return path


def generate(work, scale):
    """Generated dumps (Benchmarks/generate.py) in work/gen; the order blocks of its orders.xml."""
    gen = os.path.join(work, "gen")
    subprocess.run([sys.executable, os.path.join(ROOT, "Benchmarks", "generate.py"), gen, "--scale", str(scale)], check=True)
    with open(os.path.join(gen, "orders", "orders.xml"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"  <order .*?</order>\n", text, flags=re.S)
    return gen, blocks


def order_file(blocks):
    return '<?xml version="1.0" encoding="UTF-8"?>\n<orders version="1">\n' + "".join(blocks) + "</orders>\n"


def order_ids(blocks):
    return [re.search(r'id="([^"]+)"', b).group(1) for b in blocks]


def write_config(work, extra=""):
    with open(os.path.join(work, "puente.toml"), "w") as f:
        f.write(f"""[security]
bcrypt_cost = 4

[inbox]
settle_seconds = 0.5
{extra}

[masters]
source = "erp"
""")


def drop(path, text):
    """Writes a file the way a careful site does: a temporary name, then a rename."""
    temporary = path + ".part"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.rename(temporary, path)


def run_puente(puente, work, *arguments, timeout=600):
    """Runs puente to its end: (exit status, peak RSS in KiB)."""
    process = subprocess.Popen([puente, "--quiet", *arguments], cwd=work, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    return process.returncode, usage.ru_maxrss


def check(condition, message, problems):
    if not condition:
        problems.append(message)
    return condition


def verify_orders(work, expected_ids, problems):
    """Every order of every taken file posted or kept as rejected exactly once; numbers without gaps."""
    db = sqlite3.connect(os.path.join(work, "puente.sqlite"))
    posted = [row[0] for row in db.execute("SELECT web_id FROM orders")]
    rejected = [row[0] for row in db.execute("SELECT web_id FROM rejected_orders")]
    numbers = sorted(row[0] for row in db.execute("SELECT number FROM orders WHERE pos = 9900"))
    seen = posted + rejected
    check(len(seen) == len(set(seen)), f"{len(seen) - len(set(seen))} orders recorded twice", problems)
    check(set(seen) == set(expected_ids),
          f"orders missing: {len(set(expected_ids) - set(seen))}, unexpected: {len(set(seen) - set(expected_ids))}", problems)
    check(numbers == list(range(1, len(numbers) + 1)), "order numbers have gaps or repeats", problems)
    db.close()
    return len(posted), len(rejected)


def verify_packages(work, seen_hashes, problems, interrupted=False):
    """Every package complete (manifest hashes match), sequences 1..N without gaps, a first full,
    each delta on the one before, none changed since first seen. `interrupted`: right after a
    run was killed, which may have left the package it was writing under its temporary name
    (`.NAME.tmp`, as the contract says a package is written), recorded or not: the next run's
    export removes it or gives it its name. Otherwise no temporary file may be left."""
    folder = os.path.join(work, "Outbox", "9900")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".zip"))
    leftovers = [n for n in os.listdir(folder) if n.endswith(".tmp")]
    if interrupted:
        check(len(leftovers) <= 1 and all(n.startswith(".puente-9900-") and n.endswith(".zip.tmp") for n in leftovers),
              f"temporary files other than one package's in the Outbox: {leftovers}", problems)
    else:
        check(not leftovers, f"temporary files left in the Outbox: {leftovers}", problems)
    sequences = []
    for name in names:
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        check(seen_hashes.setdefault(name, digest) == digest, f"{name} was overwritten", problems)
        with zipfile.ZipFile(path) as z:
            check(z.testzip() is None, f"{name}: a damaged member", problems)
            manifest = ET.fromstring(z.read("manifest.xml"))
            for entry in manifest.findall("file"):
                data = z.read(entry.get("name"))
                check(hashlib.sha256(data).hexdigest() == entry.get("sha256"), f"{name}: {entry.get('name')} hash", problems)
            sequence = int(manifest.get("sequence"))
            base = manifest.get("base")
            if sequence == 1:
                check(manifest.get("kind") == "full", f"{name}: the first package is not full", problems)
            elif manifest.get("kind") == "delta":
                check(base == str(sequence - 1), f"{name}: delta on {base}, not on {sequence - 1}", problems)
            sequences.append(sequence)
    check(sequences == list(range(1, len(sequences) + 1)), f"package sequences with gaps: {sequences}", problems)
    db = sqlite3.connect(os.path.join(work, "puente.sqlite"))
    recorded = sorted(row[0] for row in db.execute("SELECT file_name FROM packages WHERE pos = 9900"))
    db.close()
    # Killed between the commit and the rename: the last recorded package is still under its
    # temporary name.
    renaming = interrupted and recorded[:-1] == names and leftovers == ["." + recorded[-1] + ".tmp"]
    check(recorded == names or renaming, "the store's packages and the Outbox's differ", problems)
    return len(names)


def verify_masters(work, erp, problems):
    """The store's active prices and clients as in the dumps last given."""
    db = sqlite3.connect(os.path.join(work, "puente.sqlite"))
    stored = {(l, p): v for l, p, v in db.execute("SELECT price_list, product, price FROM prices WHERE active = 1")}
    clients = {c: (n, l) for c, n, l in db.execute("SELECT code, name, price_list FROM clients WHERE active = 1")}
    db.close()
    dumped = {}
    with open(os.path.join(erp, "prices.csv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            price_list, product, price = line.rstrip("\n").split(",")
            units, _, cents = price.partition(".")
            dumped[(price_list, product)] = int(units) * 10000 + int((cents + "0000")[:4])
    check(stored == dumped, f"prices differ from the dump: {len(set(stored.items()) ^ set(dumped.items()))} rows", problems)
    with open(os.path.join(erp, "clients.csv"), encoding="utf-8") as f:
        next(f)
        dumped_clients = {row[0]: (row[1], row[4]) for row in (line.rstrip("\n").split(",") for line in f)}
    check(clients == dumped_clients, "clients differ from the dump", problems)


def finish(work, keep, problems, success):
    """Removes (or keeps) the work folder; prints the verdict and exits 1 on a problem."""
    if keep:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work)
    if problems:
        print("FAIL:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("PASS: " + success)
