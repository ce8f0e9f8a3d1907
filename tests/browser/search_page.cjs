// Drives the search page like a buyer: types a query, ticks a maker and picks a
// currency, opens the link of that search in a new tab, goes Back, and types the start
// of a maker's name to see the suggestions. Prints what the page shows after each step
// as JSON; tests/browser.rs compares it with what the API answers for the same requests.
"use strict";
const { run, settled, LONG } = require("./chromium.cjs");

const base = process.argv[2];
const query = process.argv[3];
const typed = process.argv[4];

async function shown(page) {
  return page.evaluate(() => ({
    url: location.search,
    q: document.getElementById("q").value,
    lang: document.getElementById("lang").value,
    currency: document.getElementById("currency").value,
    total: Number(document.getElementById("total").textContent.replace(/[^0-9]/g, "")),
    hits: [...document.querySelectorAll("#hits .hit")].map((h) => h.dataset.id),
    titles: [...document.querySelectorAll("#hits .hit .title")].map((t) => t.innerHTML),
    images: [...document.querySelectorAll("#hits .hit img.thumb")].map((i) => i.getAttribute("src")),
    converted: [...document.querySelectorAll("#hits .hit")].map((h) => h.querySelector(".converted") !== null),
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
  await settled(page, () => page.selectOption("#currency", "EUR"));
  const filtered = await shown(page);

  // The link of this search, opened in another tab, shows the same answer.
  const shared = await page.context().newPage();
  await settled(shared, () => shared.goto(`${base}/${filtered.url}`));
  const opened = await shown(shared);
  await shared.close();

  // Back twice: the currency, then the maker, are undone.
  await settled(page, () => page.goBack());
  await settled(page, () => page.goBack());
  const back = await shown(page);

  // Typing the start of a name opens the suggestions.
  await page.fill("#q", "");
  await page.type("#q", typed, { delay: 20 });
  await page.waitForFunction((t) => {
    const ul = document.getElementById("suggestions");
    return ul.classList.contains("open") && ul.dataset.for === t;
  }, typed, LONG);
  const suggestions = await page.evaluate(() => [...document.querySelectorAll("#suggestions li")].map((li) => ({
    kind: li.dataset.kind,
    id: li.dataset.id || null,
    highlight: li.querySelector(".text").innerHTML,
    count: Number(li.querySelector(".count").textContent.replace(/[^0-9]/g, "")),
  })));
  // Picking the first (an entity) ticks it in its facet in place of the words.
  await settled(page, () => page.press("#q", "ArrowDown").then(() => page.press("#q", "Enter")));
  const picked = await shown(page);
  return { start, searched, maker: maker.id, filtered, opened, back, suggestions, picked };
});
