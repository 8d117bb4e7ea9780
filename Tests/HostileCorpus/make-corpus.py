#!/usr/bin/env python3
"""Writes the hostile-input corpus: order files a hostile or careless web site could drop into
the Inbox, and expected.tsv with the contract's outcome for each (against Samples/masters).

The files are committed (they are also the fuzzers' seed corpus); run this again after changing
it. Very large cases (10,000-deep nesting, 20 MB values, a 1 MB CSV field) are made by the tests
themselves, not stored. Expected outcomes:
  file CODE                 the whole file is rejected with that file-level reason
  ID OUTCOME[ CODE,CODE…]; …  each order, in file order, with its reason codes in order
  none                      the file is read and holds no order
"""
import os

here = os.path.dirname(os.path.abspath(__file__))
files = os.path.join(here, "files")
os.makedirs(files, exist_ok=True)
expected = []

OK_LINE = '<line product="P00001" quantity="1" price="6732.49"/>'
DATE = "2026-11-28T10:15:00-03:00"


def order(id, inner=OK_LINE, client="C0001", date=DATE, extra=""):
    return f'  <order id="{id}" pos="9900" date="{date}" client="{client}"{extra}>\n    {inner}\n  </order>\n'


def xml(body, declaration='<?xml version="1.0" encoding="UTF-8"?>\n'):
    return declaration + '<orders version="1">\n' + body + "</orders>\n"


def write(name, data, outcome):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(files, name), "wb") as f:
        f.write(data)
    expected.append((name, outcome))


# --- Entities, DTDs and the network: never read.
write("xxe-file.xml", '<?xml version="1.0"?>\n<!DOCTYPE orders [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
      '<orders version="1"><order id="&x;" pos="9900" date="' + DATE + '" client="C0001"/></orders>\n',
      "file doctype-not-allowed")
write("xxe-network.xml", '<?xml version="1.0"?>\n<!DOCTYPE orders SYSTEM "http://127.0.0.1:9/evil.dtd">\n<orders version="1"/>\n',
      "file doctype-not-allowed")
write("billion-laughs.xml", '<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n<orders version="1"><!-- &c; --></orders>\n', "file doctype-not-allowed")
write("doctype-after-comment.xml", '<?xml version="1.0"?>\n<!-- hello -->\n<?pi x?>\n<!DOCTYPE orders>\n<orders version="1"/>\n',
      "file doctype-not-allowed")
write("xinclude.xml", xml('  <xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>\n'),
      "file schema-violation")
write("schema-location.xml", '<?xml version="1.0"?>\n<orders version="1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
      ' xsi:noNamespaceSchemaLocation="http://127.0.0.1:9/evil.xsd">\n' + order("SL1") + "</orders>\n", "SL1 accepted")

# --- Encodings: only UTF-8, ISO-8859-1 and windows-1252, decided before libxml2 converts anything.
utf16_text = xml(order("U1"), '<?xml version="1.0" encoding="UTF-16"?>\n')
write("utf16le-no-bom.xml", utf16_text.encode("utf-16-le"), "file unsupported-encoding")
write("utf16be-no-bom.xml", utf16_text.encode("utf-16-be"), "file unsupported-encoding")
write("utf16-bom.xml", utf16_text.encode("utf-16"), "file unsupported-encoding")
write("utf32.xml", xml(order("U1"), '<?xml version="1.0" encoding="UTF-32"?>\n').encode("utf-32"), "file unsupported-encoding")
write("ebcdic.xml", xml(order("U1"), '<?xml version="1.0" encoding="IBM037"?>\n').encode("cp037"), "file unsupported-encoding")
write("declared-utf16-ascii-bytes.xml", utf16_text, "file unsupported-encoding")
write("declared-shift-jis.xml", xml(order("U1"), '<?xml version="1.0" encoding="Shift_JIS"?>\n'), "file unsupported-encoding")
write("bom-contradicts-latin1.xml", b"\xef\xbb\xbf" + xml(order("U1"), '<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode(),
      "file unsupported-encoding")
write("latin1.xml", xml('  <order id="L1" pos="9900" date="' + DATE + '" client="C0001">\n    <note>Peña, entregar después</note>\n    '
                        + OK_LINE + "\n  </order>\n", '<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode("latin-1"),
      "L1 accepted")
write("windows-1252.xml", xml('  <order id="W1" pos="9900" date="' + DATE + '" client="C0001">\n    <note>5 € de envío “urgente”</note>\n    '
                              + OK_LINE + "\n  </order>\n", "<?xml version='1.0' encoding='windows-1252'?>\n").encode("cp1252"),
      "W1 accepted")
write("windows-1252-undefined-byte.xml", xml(order("WU1"), '<?xml version="1.0" encoding="windows-1252"?>\n').encode()
      .replace(b'id="WU1"', b'id="WU\x811"'), "file malformed-xml")
write("latin1-control-byte.xml", xml(order("LC1"), '<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode()
      .replace(b'id="LC1"', b'id="LC\x011"'), "file malformed-xml")
write("utf8-bom.xml", b"\xef\xbb\xbf" + xml(order("B1")).encode(), "B1 accepted")
write("no-declaration-latin1-bytes.xml", ('<orders version="1">\n' + order("N1", client="C\xf1") + "</orders>\n").encode("latin-1"),
      "file malformed-xml")

# --- Not well-formed.
write("empty.xml", b"", "file malformed-xml")
write("truncated.xml", xml(order("T1") + order("T2"))[:-40], "file malformed-xml")
write("nul-byte.xml", xml(order("Z1")).replace('id="Z1"', 'id="Z\x001"'), "file malformed-xml")
write("control-char-reference.xml", xml(order("C1")).replace('id="C1"', 'id="C&#1;1"'), "file malformed-xml")
write("esc-raw.xml", xml(order("E1")).replace('id="E1"', 'id="E\x1b[31m1"'), "file malformed-xml")
write("two-roots.xml", xml(order("R1")) + '<orders version="1"/>\n', "file malformed-xml")
write("unclosed-attribute.xml", '<orders version="1"><order id="X', "file malformed-xml")

# --- Structure is the schema's business.
write("unknown-element.xml", xml(order("S1", inner=OK_LINE + "<discount>10</discount>")), "file schema-violation")
write("missing-attribute.xml", xml('  <order id="S2" pos="9900" client="C0001">' + OK_LINE + "</order>\n"), "file schema-violation")
write("empty-id.xml", xml(order("")), "file schema-violation")
write("wrong-version.xml", xml(order("S3")).replace('version="1"', 'version="2"'), "file schema-violation")
write("namespaced-element.xml", '<?xml version="1.0"?>\n<p:orders xmlns:p="urn:x" version="1"/>\n', "file schema-violation")
write("namespaced-attribute.xml", xml(order("S4", extra=' xmlns:x="urn:x" x:seller="V02"')), "file schema-violation")
write("default-namespace.xml", '<?xml version="1.0"?>\n<orders xmlns="urn:x" version="1"/>\n', "file schema-violation")

# --- A namespace declaration is never an attribute: no seller here.
write("namespace-declaration-as-seller.xml", xml(order("NS1", client="C0004", extra=' xmlns:seller="V02"')),
      "NS1 rejected client-not-web-enabled,price-mismatch")

# --- Numbers: exactly digits, `.` and at most 3 (quantity) or 4 (price) decimals.
numbers = [("1e3", "6732.49"), ("0x10", "6732.49"), ("١٢٣", "6732.49"), ("1.000,50", "6732.49"), (" 12 ", "6732.49"),
           ("NaN", "6732.49"), ("-0", "6732.49"), ("+5", "6732.49"), (".5", "6732.49"), ("5.", "6732.49"), ("1.0001", "6732.49"),
           ("0", "6732.49"), ("", "6732.49"), ("Infinity", "6732.49")]
body = ""
outcomes = []
for index, (quantity, price) in enumerate(numbers):
    body += order(f"Q{index + 1}", inner=f'<line product="P00001" quantity="{quantity}" price="{price}"/>')
    outcomes.append(f"Q{index + 1} rejected invalid-quantity")
prices = ["1e3", "-0", "-1", "6732,49", "6732.49000", "NaN", " 6732.49", ".49", "0x1A"]
for index, price in enumerate(prices):
    body += order(f"P{index + 1}", inner=f'<line product="P00001" quantity="1" price="{price}"/>')
    outcomes.append(f"P{index + 1} rejected invalid-price")
body += order("OK1", inner='<line product="P00001" quantity="2.500" price="6732.4900"/>')
outcomes.append("OK1 accepted")
write("numbers.xml", xml(body), "; ".join(outcomes))

# --- Amounts that cannot be represented: rejected, never a trap, never a wrong total.
body = order("OV1", inner='<line product="P00001" quantity="100000000000" price="6732.49"/>'
             '<line product="P00001" quantity="100000000000" price="6732.49"/>')
body += order("OV2", inner='<line product="P00001" quantity="9223372036854775.807" price="6732.49"/>')
body += order("OV3", inner='<line product="P00001" quantity="99999999999999999999999" price="6732.49"/>')
body += order("OV4", inner='<line product="P00001" quantity="1" price="922337203685477.5808"/>')
write("overflow.xml", xml(body), "OV1 rejected invalid-quantity; OV2 rejected invalid-quantity; OV3 rejected invalid-quantity; "
      "OV4 rejected invalid-price")

# --- Dates: ISO 8601, fractions of a second allowed, offsets within ±14:00, real days only.
dates = [("2026-11-28T10:15:00.123-03:00", "accepted"), ("2026-11-28T13:15:00.123Z", "accepted"),
         ("2026-11-28T13:15:00Z", "accepted"), ("2026-11-28T10:15", "accepted"), ("2024-02-29T10:00:00-03:00", "accepted"),
         ("2026-11-28T10:15:00+14:00", "accepted"),
         ("2026-02-30T10:00:00-03:00", "invalid"), ("2025-02-29T10:00:00-03:00", "invalid"), ("2026-13-01T10:00:00-03:00", "invalid"),
         ("2026-11-28T24:00:00-03:00", "invalid"), ("2026-11-28T10:60:00-03:00", "invalid"), ("2026-11-28T10:15:00+14:01", "invalid"),
         ("2026-11-28T10:15:00-15:00", "invalid"), ("2026-11-28 10:15:00", "invalid"), ("28/11/2026", "invalid"), ("", "invalid"),
         ("2026-11-28T10:15:00.-03:00", "invalid"), ("2026-11-28T10:15:00.1234567890Z", "invalid"), ("1969-12-31T23:59:59Z", "invalid"),
         ("2026-11-28T10:15:00Z ", "invalid"), ("٢٠٢٦-11-28T10:15:00Z", "invalid")]
body = ""
outcomes = []
for index, (date, result) in enumerate(dates):
    body += order(f"D{index + 1}", date=date)
    outcomes.append(f"D{index + 1} " + ("accepted" if result == "accepted" else "rejected invalid-date"))
write("dates.xml", xml(body), "; ".join(outcomes))

# --- A site that writes its XML on one physical line: `item` tells the lines apart.
write("one-line.xml", xml(order("OL1", inner='<line product="P00001" quantity="1" price="6732.49"/><line product="P99999" '
                                'quantity="1" price="1"/><line product="P00001" quantity="abc" price="6732.49"/>')).replace("\n", ""),
      "OL1 rejected unknown-product,invalid-quantity")

# --- CSV.
HEADER = "order,pos,date,client,seller,product,quantity,price,note\n"
ROW = "{id},9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\n"
write("cr-only.csv", (HEADER + ROW.format(id="CR1") + ROW.format(id="CR2")).replace("\n", "\r"), "CR1 accepted; CR2 accepted")
write("crlf.csv", (HEADER + ROW.format(id="CRLF1")).replace("\n", "\r\n"), "CRLF1 accepted")
write("mixed-line-ends.csv", HEADER + ROW.format(id="M1").replace("\n", "\r") + ROW.format(id="M2").replace("\n", "\r\n")
      + ROW.format(id="M3"), "M1 accepted; M2 accepted; M3 accepted")
write("ragged.csv", HEADER + "RG1,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1\n", "file malformed-csv")
write("unclosed-quote.csv", HEADER + '"UQ1,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\n', "file malformed-csv")
write("text-after-quote.csv", HEADER + '"TQ1"x,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\n', "file malformed-csv")
write("control-in-id.csv", HEADER + ROW.format(id="W\x1b-1"), "file malformed-csv")
write("nul-in-id.csv", HEADER + ROW.format(id="W\x00-1"), "file malformed-csv")
write("control-in-note.csv", HEADER + ROW.format(id="CN1").replace(",\n", ",a\x01b\n"), "file malformed-csv")
write("empty-id.csv", HEADER + ROW.format(id=""), "file malformed-csv")
write("control-in-quantity.csv", HEADER + ROW.format(id="CQ1").replace(",1,", ",1\x01,"), "CQ1 rejected invalid-quantity")
write("nul-in-client.csv", HEADER + ROW.format(id="NC1").replace("C0001", "C\x000001"), "NC1 rejected unknown-client")
write("quoted-newlines.csv", HEADER + 'QN1,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,"línea 1\r\nlínea 2\rlínea 3"\n',
      "QN1 accepted")
write("header-only.csv", HEADER, "none")
write("empty.csv", b"", "file malformed-csv")
write("missing-column.csv", "order,pos,date,client,product,quantity,price\n", "file malformed-csv")
write("bom-then-invalid-utf8.csv", b"\xef\xbb\xbf" + (HEADER + ROW.format(id="BI1").replace("C0001", "C\xf1")).encode("latin-1"),
      "file unsupported-encoding")
write("utf16-bom.csv", (HEADER + ROW.format(id="U16")).encode("utf-16"), "file unsupported-encoding")
write("windows-1252.csv", (HEADER + ROW.format(id="WC1").replace(",\n", ",Peña “ya”\n")).encode("cp1252"), "WC1 accepted")
write("undefined-windows-1252-byte.csv", (HEADER + ROW.format(id="UB1")).encode() + b"UB2,9900,x,\x81,,P00001,1,1,\n",
      "file unsupported-encoding")
write("semicolons.csv", (HEADER + ROW.format(id="SC1")).replace(",", ";"), "SC1 accepted")
write("overflow.csv", HEADER + ROW.format(id="OC1").replace(",1,", ",9223372036854775.807,"), "OC1 rejected invalid-quantity")
write("duplicate-and-conflict.csv", HEADER + ROW.format(id="DC1") + ROW.format(id="DC2") + ROW.format(id="DC1")
      + ROW.format(id="DC2").replace(",1,", ",2,"), "DC1 accepted; DC2 accepted; DC1 duplicate; DC2 rejected conflicting-duplicate")

with open(os.path.join(here, "expected.tsv"), "w", encoding="utf-8") as f:
    f.write("# file\texpected outcome (see make-corpus.py)\n")
    for name, outcome in expected:
        f.write(f"{name}\t{outcome}\n")
print(f"{len(expected)} files")
