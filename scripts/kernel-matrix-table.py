"""The kernel matrix's table: every test of the JUnit XML reports under DIR/host and DIR/guest (scripts/kernel-matrix)
with its result on each kernel. Exits 1 when a test failed on either side or a side has no reports."""
import pathlib
import sys
import xml.etree.ElementTree as ET


def results(side_dir):
    """{(class, test): result} of one side: PASS, FAIL: first line, SKIP: the reason the test gave."""
    out = {}
    for report in sorted(side_dir.glob("*/TEST-*.xml")):
        for case in ET.parse(report).getroot().iter("testcase"):
            key = (case.get("classname", "").rsplit(".", 1)[-1], case.get("name", "").split("(")[0])
            result = "PASS"
            for child in case:
                text = (child.get("message") or child.text or "").strip().splitlines()
                first = text[0] if text else ""
                first = first.replace("org.opentest4j.TestAbortedException: ", "").replace("Assumption failed: ", "")
                if child.tag == "skipped":
                    result = "SKIP: " + first
                elif child.tag in ("failure", "error"):
                    result = "FAIL: " + first[:160]
            out[key] = result
    return out


def main():
    root = pathlib.Path(sys.argv[1])
    sides = [s for s in ("host", "guest") if (root / s).is_dir()]
    table = {s: results(root / s) for s in sides}
    kernels = {s: (root / s / "kernel").read_text().strip() if (root / s / "kernel").exists() else "?" for s in sides}
    keys = sorted({k for t in table.values() for k in t})
    width = max([len(c + "." + t) for c, t in keys] + [10])
    print("kernel matrix: " + ", ".join(f"{s} = Linux {kernels[s]}" for s in sides))
    cols = {s: max([len(r) for r in table[s].values()] + [len(s)]) for s in sides}
    print(f"{'test':<{width}}  " + "  ".join(f"{s:<{cols[s]}}" for s in sides).rstrip())
    failed = False
    for c, t in keys:
        cells = [table[s].get((c, t), "(not run)") for s in sides]
        failed |= any(x.startswith("FAIL") or x == "(not run)" for x in cells)
        print((f"{c + '.' + t:<{width}}  " + "  ".join(f"{x:<{cols[s]}}" for s, x in zip(sides, cells))).rstrip())
    for s in sides:
        counts = {}
        for r in table[s].values():
            counts[r.split(":")[0]] = counts.get(r.split(":")[0], 0) + 1
        print(f"{s} (Linux {kernels[s]}): " + ", ".join(f"{n} {k.lower()}" for k, n in sorted(counts.items())))
        if not table[s]:
            print(f"{s}: no test reports", file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


main()
