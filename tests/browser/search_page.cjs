// Drives the search page like a buyer: types a query, then ticks a maker facet.
// Prints what the page shows after each step as JSON; tests/browser.rs compares it
// with what the API answers for the same requests.
"use strict";
const { run, settled } = require("./chromium.cjs");

const base = process.argv[2];
const query = process.argv[3];

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

run(async (page) => {
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
  return { start, searched, maker: maker.id, filtered };
});
