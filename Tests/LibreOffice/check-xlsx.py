#!/usr/bin/env python3
"""Opens Puente's xlsx reports as their readers would: LibreOffice headless converts each
workbook to CSV (UTF-8), and the values are compared with the same report's `--format csv`.

    python3 Tests/LibreOffice/check-xlsx.py [PUENTE_BINARY]

Needs LibreOffice (Debian `libreoffice-calc-nogui`); not part of `swift test` (too heavy for
CI). Runs the demo in a scratch copy of the repository, then the orders, prices and rejects
reports in both formats. Exits 1 on any difference.
"""
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUENTE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "puente")


def run(*args, cwd):
    subprocess.run([PUENTE, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def normalized(cell):
    """A value as both files show it: `1234,50` and `1234.5` are one number, `28/11/2026` a day."""
    text = cell.strip()
    if text.count("/") == 2:
        day, month, year = text.split("/")
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    # The CSV report writes `40549,52`; LibreOffice (en-US) shows the cell as `40,549.52`.
    number = text.replace(",", "") if "," in text and "." in text else text.replace(",", ".")
    try:
        return f"{float(number):.4f}"
    except ValueError:
        return text.lstrip("'")


def main():
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("Samples", "Inbox", "Outbox", "puente.toml"):
            source = os.path.join(ROOT, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(scratch, name), ignore=shutil.ignore_patterns("processed", "rejected"))
            elif os.path.exists(source):
                shutil.copy(source, scratch)
        run("demo", cwd=scratch)
        failures = 0
        for report in ("orders", "prices", "rejects"):
            run("report", report, "--format", "csv", "--output", f"{report}.csv", cwd=scratch)
            run("report", report, "--format", "xlsx", "--output", f"{report}.xlsx", cwd=scratch)
            out = os.path.join(scratch, "lo")
            subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true",
                            "--outdir", out, os.path.join(scratch, f"{report}.xlsx")], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(os.path.join(scratch, f"{report}.csv"), encoding="utf-8-sig", newline="") as f:
                expected = [[normalized(c) for c in row] for row in csv.reader(f, delimiter=";")]
            with open(os.path.join(out, f"{report}.csv"), encoding="utf-8", newline="") as f:
                got = [[normalized(c) for c in row] for row in csv.reader(f)]
            if expected != got:
                failures += 1
                print(f"FAIL {report}: the workbook LibreOffice opened differs from the CSV report")
                for a, b in zip(expected, got):
                    if a != b:
                        print("  csv :", a)
                        print("  xlsx:", b)
                        break
            else:
                print(f"PASS {report}: {len(got) - 1} rows, every value as in the CSV report")
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
