#!/usr/bin/env python3
"""Steady ingest beside the load benchmark: one price change every 1/RATE seconds.

    python3 benches/load/steady_ingest.py URL KEY RATE SECONDS

Posts single `MachineUpdated` events (a new USD price for a listing of the generated
catalog, `M-0000000`…) to URL/events with the ingest key KEY, without waiting for them
to be visible, so that the indexer commits as it would under a live marketplace's
writes. Prints how many were posted. Python 3 standard library only.
"""
import http.client
import json
import sys
import time
import urllib.parse


def main():
    url, key, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    target = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(target.hostname, target.port or 80)
    headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {key}"}
    end = time.monotonic() + seconds
    posted = 0
    while time.monotonic() < end:
        posted += 1
        event = {
            "id": f"steady-{time.time_ns()}-{posted}",
            "type": "MachineUpdated",
            "at": "2030-01-01T00:00:00Z",
            "data": {
                "machine_id": f"M-{(posted * 7919) % 1_000_000:07d}",
                "price": {"amount": 10_000.0 + posted, "currency": "USD"},
            },
        }
        conn.request("POST", "/events", body=json.dumps(event) + "\n", headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 202:
            sys.exit(f"POST /events answered {answer.status}")
        time.sleep(1.0 / rate)
    print(f"posted {posted} events")


if __name__ == "__main__":
    main()
