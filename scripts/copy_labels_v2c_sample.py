#!/usr/bin/env python3
"""Draw the texts of tests/data/copy_labels_v2c.csv: a third draw (tune rows only) by the same scheme as
copy_labels_v2.csv (scripts/copy_labels_v2_sample.py, rules v2 in tests/data/copy_labels.md),
continuing each source's hash order past the (source, advertiser) pairs already in
copy_labels_v2.csv, so no advertiser is in both files. Same split rule (a hash of source and
advertiser), so `tune` and `holdout` advertisers stay disjoint across both files.

Prints id,source,advertiser,part,headline,body for labelling; the committed label file keeps only
id,source,advertiser,part and the labels (the text stays in ../shared/data).
Usage: python3 scripts/copy_labels_v2c_sample.py [DATA_DIR]
"""
import csv, sys

DATA = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
QUOTA = {"tw_promoted": 70, "yt_kids_preroll": 35, "conpro_native": 25,
         "yt_kids_infeed": 10, "fb_adlib_eu": 10}
EN = set("the you your to for and with of on is a our new get how now it this are be can".split())

def fnv(s):
    h = 0xcbf29ce484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def english(t):
    words = [w.strip(".,!?:;\"'()").lower() for w in t.split()]
    return sum(w in EN for w in words) >= 2

def part(source, advertiser):
    # The v2 rule: held out when the hash of (source, advertiser) mod 5 is 0 or 1.
    return "holdout" if fnv("copy-v2:" + source + "\x1f" + advertiser) % 5 < 2 else "tune"

taken = {(r["source"], r["advertiser"])
         for f in ("tests/data/copy_labels_v2.csv", "tests/data/copy_labels_v2b.csv")
         for r in csv.DictReader(open(f, encoding="utf-8"))}
rows = []
corpus = list(csv.DictReader(open(f"{DATA}/ad_copy_corpus.csv", encoding="utf-8")))
for source, n in QUOTA.items():
    pool, seen = [], set()
    for r in sorted((r for r in corpus if r["source"] == source and r["advertiser"].strip()),
                    key=lambda r: fnv(r["id"])):
        text = r["text"]
        head, body = (text.split(" — ")[0], "") if source == "yt_kids_preroll" else ("", text)
        if r["advertiser"] in seen or not english(head + " " + body):
            continue
        seen.add(r["advertiser"])
        if (source, r["advertiser"]) in taken or part(source, r["advertiser"]) != "tune":
            continue
        pool.append((r["id"], source, r["advertiser"], head, body))
        if len(pool) == n:
            break
    rows += pool

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["id", "source", "advertiser", "part", "headline", "body"])
for r in rows:
    w.writerow([r[0], r[1], r[2], part(r[1], r[2]), r[3], r[4]])
