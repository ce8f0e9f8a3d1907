#!/usr/bin/env python3
"""Single-request latency of two running Stockyard servers side by side, for A/B runs of
a change to one search path: on a noisy machine the load benchmark's rows move more
from round to round than one query's cost does, while two servers asked in turn share
whatever the machine is doing.

    python3 benches/load/took_ab.py URL_A URL_B [--rounds R] [--n N] [--path PATH ...]

Sends every Stockyard path of mix.json (and each extra `--path`) N times to each server
per round, alternating which goes first, and prints per path the median of the
`took_ms` each server reports (the search, not HTTP), and B / A. Serve both with the
cache of answers off (`STOCKYARD_SEARCH_CACHE_MB=0`), or every repeat is a cache hit.
Standard library only.
"""
import argparse
import json
import pathlib
import statistics
import urllib.request


def took(url):
    with urllib.request.urlopen(url) as response:
        return json.load(response)["took_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--path", action="append", default=[])
    args = parser.parse_args()
    mix = json.loads((pathlib.Path(__file__).parent / "mix.json").read_text())
    paths = [(q["name"], q["stockyard"]) for q in mix["queries"]]
    paths += [(p, p) for p in args.path]
    servers = [args.a.rstrip("/"), args.b.rstrip("/")]
    times = {(s, p): [] for s in servers for _, p in paths}
    for r in range(args.rounds):
        for _, path in paths:
            for server in servers if r % 2 == 0 else servers[::-1]:
                times[(server, path)] += [took(server + path) for _ in range(args.n)]
    print(f"{'A ms':>8} {'B ms':>8} {'B/A':>6}  path")
    for name, path in paths:
        a, b = (statistics.median(times[(s, path)]) for s in servers)
        print(f"{a:8.2f} {b:8.2f} {b / a:6.2f}  {name}")


if __name__ == "__main__":
    main()
