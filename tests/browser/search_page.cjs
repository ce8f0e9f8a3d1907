// Drives the search page like a buyer: types a query, then ticks a maker facet.
// Prints what the page shows after each step as JSON; tests/browser.rs compares it
// with what the API answers for the same requests.
"use strict";
const { chromium } = require("playwright-core");

const base = process.argv[2];
const query = process.argv[3];

async function settled(page, action) {
  await page.evaluate(() => { document.body.dataset.ready = "false"; });
  await action();
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 30000 });
}

async function shown(page) {
  return page.evaluate(() => ({
    lang: document.getElementById("lang").value,
    total: Number(document.getElementById("total").textContent.replace(/[^0-9]/g, "")),
    hits: [...document.querySelectorAll("#hits .hit")].map((h) => h.dataset.id),
    makers: [...document.querySelectorAll("#facet-maker input")].map((i) => ({
      id: i.dataset.id,
      checked: i.checked,
      count: Number(i.closest("label").querySelector(".count").textContent.replace(/[^0-9]/g, "")),
    })),
  }));
}

(async () => {
  const userDataDir = require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    locale: "en-US",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
  });
  try {
    const page = await context.newPage();
    await settled(page, () => page.goto(`${base}/`));
    const start = await shown(page);
    await settled(page, async () => {
      await page.fill("#q", query);
      await page.press("#q", "Enter");
    });
    const searched = await shown(page);
    const maker = searched.makers[1] || searched.makers[0];
    await settled(page, () => page.click(`#facet-maker input[data-id="${maker.id}"]`));
    const filtered = await shown(page);
    console.log(JSON.stringify({ start, searched, maker: maker.id, filtered }));
  } finally {
    await context.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
