#!/usr/bin/env python3
"""Agreement between the first and the second niche labelling (docs/niche-labelling.md)."""
import collections
import csv
import os

D = os.path.join(os.path.dirname(__file__), "..", "tests", "data")
first = {}
for name in ("corpus_advertisers_a.csv", "corpus_advertisers_b.csv", "corpus_advertisers_c.csv"):
    for r in csv.DictReader(open(os.path.join(D, name), encoding="utf-8")):
        first[(r["source"], r["advertiser"])] = r["niche"]
second = {
    (r["source"], r["advertiser"]): r["niche"]
    for r in csv.DictReader(open(os.path.join(D, "corpus_advertisers_second.csv"), encoding="utf-8"))
}
both = [k for k in second if k in first]
n = len(both)
po = sum(first[k] == second[k] for k in both) / n
ca = collections.Counter(first[k] for k in both)
cs = collections.Counter(second[k] for k in both)
pe = sum(ca[c] * cs[c] for c in set(ca) | set(cs)) / n / n
print(f"pairs labelled twice: {n}; agreement {po:.3f}; Cohen's kappa {(po - pe) / (1 - pe):.3f}")
for (a, b), c in collections.Counter((first[k], second[k]) for k in both if first[k] != second[k]).most_common():
    print(f"  first {a:>13} / second {b:<13} {c}")
