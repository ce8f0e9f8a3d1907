// A signed-in buyer on the search page: opens it with a subscriber token, searches,
// ticks a maker, presses "Save this search", and watches the page's live alerts
// (the browser's own EventSource) while the catalog changes. Then reloads the page
// and sees only what is told after it. Prints what the page showed as JSON;
// tests/browser.rs checks it against the API.
//
// Arguments: base URL, subscriber token, ingest key, query, maker id, and a JSON
// array of three NDJSON batches to post: the first must tell `new_match`, the second
// `price_changed`, the third (after the reload) `sold`.
"use strict";
const { run, settled, LONG } = require("./chromium.cjs");

const [base, token, ingestKey, query, maker, batchesJson] = process.argv.slice(2);
const batches = JSON.parse(batchesJson);

async function post(lines) {
  const res = await fetch(`${base}/events?wait=true`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${ingestKey}`, "Content-Type": "application/x-ndjson" },
    body: lines,
  });
  if (res.status !== 202) throw new Error(`POST /events: ${res.status} ${await res.text()}`);
}

const live = (page) =>
  page.waitForFunction(() => document.getElementById("alerts").dataset.stream === "open", null, LONG);

const toldOf = (page, kind) => page.waitForSelector(`#notifications li[data-kind="${kind}"]`, LONG);

const shown = (page) =>
  page.evaluate(() => [...document.querySelectorAll("#notifications li")].map((li) => ({
    id: Number(li.dataset.id), kind: li.dataset.kind, machine: li.dataset.machine,
  })));

run(async (page) => {
  await settled(page, () => page.goto(`${base}/#token=${token}`));
  await live(page);
  const urlKeptToken = page.url().includes("token=");
  await settled(page, async () => {
    await page.fill("#q", query);
    await page.press("#q", "Enter");
  });
  await settled(page, () => page.click(`#facet-maker input[data-id="${maker}"]`));
  await page.click("#save");
  await page.waitForFunction(() => document.getElementById("save-status").dataset.savedSearchId, null, LONG);
  const savedSearchId = await page.evaluate(() => document.getElementById("save-status").dataset.savedSearchId);

  await post(batches[0]);
  await toldOf(page, "new_match");
  await post(batches[1]);
  await toldOf(page, "price_changed");
  const beforeReload = await shown(page);

  await settled(page, () => page.reload());
  await live(page);
  await post(batches[2]);
  await toldOf(page, "sold");
  const afterReload = await shown(page);
  return { savedSearchId, urlKeptToken, beforeReload, afterReload };
});
