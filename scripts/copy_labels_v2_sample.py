#!/usr/bin/env python3
"""Draw the texts of tests/data/copy_labels_v2.csv (rules in tests/data/copy_labels.md, "v2").

Prints id,source,advertiser,part,headline,body for labelling; the committed label file keeps only
id,source,advertiser,part and the labels (the text stays in ../shared/data).
Usage: python3 scripts/copy_labels_v2_sample.py [DATA_DIR]
"""
import csv, sys

DATA = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
QUOTA = {"tw_promoted": 160, "yt_kids_preroll": 70, "conpro_native": 50,
         "yt_kids_infeed": 20, "fb_adlib_eu": 15}
EXPORT_QUOTA = {"facebook": 12, "tiktok": 8}
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
    # Held out: 2 in 5 advertisers, by a hash of (source, advertiser). Fixed before any tuning.
    return "holdout" if fnv("copy-v2:" + source + "\x1f" + advertiser) % 5 < 2 else "tune"

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
        pool.append((r["id"], source, r["advertiser"], head, body))
        if len(pool) == n:
            break
    rows += pool

old = set()
for r in csv.DictReader(open("tests/data/copy_labels.csv", encoding="utf-8")):
    old.add((r["platform"], r["headline"].strip(), r["body"].strip()))
fb = csv.reader(open(f"{DATA}/src_ads_creative_facebook_all_data.csv", encoding="utf-8"))
h = next(fb)
ti, bi = h.index("creative_title"), h.index("creative_body")
ex = {("facebook", r[ti].strip(), r[bi].strip()) for r in fb if (r[ti].strip() or r[bi].strip())}
tt = csv.reader(open(f"{DATA}/src_ads_tiktok_ads_all_data.csv", encoding="utf-8"))
h = next(tt)
ai = h.index("ad_text")
ex |= {("tiktok", "", r[ai].strip()) for r in tt if r[ai].strip()}
for plat, n in EXPORT_QUOTA.items():
    pool = sorted((k for k in ex - old if k[0] == plat), key=lambda k: fnv("\x1f".join(k)))[:n]
    for k in pool:
        rows.append((f"{fnv(chr(31).join(k)):016x}", "export_" + plat, "export_" + plat, k[1], k[2]))

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["id", "source", "advertiser", "part", "headline", "body"])
for r in rows:
    w.writerow([r[0], r[1], r[2], part(r[1], r[2]), r[3], r[4]])
