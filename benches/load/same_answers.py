#!/usr/bin/env python3
"""Whether two running Stockyard servers give the same answers, for A/B runs of a change
that must not alter results (the load benchmark compares speed, this compares JSON).

    python3 benches/load/same_answers.py URL_A URL_B [--seed N] [--random N]

Sends every Stockyard path of mix.json, then N random searches (1-3 words drawn from
makers, model numbers, categories and equipment words in several languages, with
languages, facets, sorts, page sizes and offsets, some with makers, years or prices
selected) to both, and compares the JSON less `took_ms` (or the status of an error). Prints each differing path and the count; exits 1 if any differ. Standard
library only.
"""
import argparse
import json
import pathlib
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

WORDS = [
    "komatsu", "hitachi", "caterpillar", "cat", "volvo", "liebherr", "kubota", "yanmar",
    "pc200", "pc200-8", "zx135", "zx200", "d6t", "320d", "excavator", "wheel", "loader",
    "crane", "bulldozer", "mini", "air", "conditioning", "cab", "hydraulic", "bucket",
    "hammer", "pc", "zx", "8", "200", "油圧ショベル", "ミニショベル", "ホイールローダー",
    "挖掘机", "装载机", "Radlader", "Bagger", "pelle", "excavadora", "экскаватор", "굴삭기",
]
LANGS = ["", "ja", "en", "zh", "de", "fr", "es", "ru", "ko"]
FACETS = ["", "category,maker", "maker,model", "year,price", "category,maker,model,year,hours,price"]
SORTS = ["relevance", "price", "year", "hours", "newest"]
MAKERS = ["komatsu", "hitachi", "kubota", "yanmar", "caterpillar"]


def answer(base, path):
    try:
        with urllib.request.urlopen(base + path) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        return ("status", e.code)
    body.pop("took_ms", None)
    return body


def random_paths(rng, n):
    for _ in range(n):
        p = {"q": " ".join(rng.sample(WORDS, rng.randint(1, 3)))}
        if lang := rng.choice(LANGS):
            p["lang"] = lang
        if facets := rng.choice(FACETS):
            p["facets"] = facets
        if rng.random() < 0.3:
            p["sort"] = rng.choice(SORTS)
            p["order"] = rng.choice(["asc", "desc"])
        p["limit"] = rng.choice([5, 20, 50])
        if rng.random() < 0.3:
            p["offset"] = rng.choice([20, 40])
        pairs = list(p.items())
        if rng.random() < 0.2:
            pairs += [("maker", m) for m in rng.sample(MAKERS, rng.randint(1, 2))]
        if rng.random() < 0.2:
            pairs.append(("year", "2015.."))
        if rng.random() < 0.1:
            pairs.append(("price", "..30000"))
        yield "/search?" + urllib.parse.urlencode(pairs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--random", type=int, default=150)
    args = ap.parse_args()
    mix = json.loads((pathlib.Path(__file__).parent / "mix.json").read_text())
    queries = mix["queries"] if isinstance(mix, dict) else mix
    paths = [q["stockyard"] for q in queries]
    paths += random_paths(random.Random(args.seed), args.random)
    differ = 0
    for path in paths:
        if answer(args.a.rstrip("/"), path) != answer(args.b.rstrip("/"), path):
            differ += 1
            print("differs:", path)
    print(f"{len(paths)} requests, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
