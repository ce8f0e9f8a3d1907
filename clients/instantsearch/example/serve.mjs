// Serves the example page: `node example/serve.mjs [--port 8080] [--api http://127.0.0.1:7700] [--lang en]`.
// Static files only; the page calls Stockyard directly, so Stockyard's
// `cors.allowed_origins` must name this server's origin (http://127.0.0.1:<port>).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

// URL path → file: the page, the adapter's sources, and InstantSearch from npm.
const MOUNTS = [
  ["/src/", join(root, "src")],
  ["/vendor/instantsearch/", join(root, "node_modules/instantsearch.js/dist")],
  ["/vendor/instantsearch.css/", join(root, "node_modules/instantsearch.css/themes")],
  ["/", join(root, "example")],
];

/** Starts the server; resolves to its origin once it listens. */
export function serve({ port = 8080, api = "http://127.0.0.1:7700", lang = "en", currency = "" } = {}) {
  const config = `window.STOCKYARD = ${JSON.stringify({ url: api, lang, currency: currency || null })};\n`;
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/config.js") return send(res, 200, ".js", config);
    const file = path === "/" ? "/index.html" : path;
    const [prefix, dir] = MOUNTS.find(([p]) => file.startsWith(p));
    const full = normalize(join(dir, file.slice(prefix.length)));
    if (!full.startsWith(dir)) return send(res, 403, ".html", "forbidden");
    try {
      send(res, 200, extname(full), await readFile(full));
    } catch {
      send(res, 404, ".html", "not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => {
    resolve({ origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() });
  }));
}

function send(res, status, ext, body) {
  res.writeHead(status, { "Content-Type": TYPES[ext] || "application/octet-stream", "Cache-Control": "no-store" });
  res.end(body);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const { origin } = await serve({ port: Number(arg("port", 8080)), api: arg("api", "http://127.0.0.1:7700"), lang: arg("lang", "en"), currency: arg("currency", "") });
  console.log(`example on ${origin} (Stockyard at ${arg("api", "http://127.0.0.1:7700")} must allow this origin)`);
}
