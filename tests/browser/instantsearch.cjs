// Drives the InstantSearch.js example (clients/instantsearch/example) in headless
// Chromium: the real widgets, the adapter, a real Stockyard server. Types a query,
// ticks a maker, narrows the year, opens a category, searches within the models, goes
// to page 2 and sorts by price; prints what the widgets show after each step, and how
// many searches each step cost Stockyard, as JSON for tests/browser.rs to compare with
// the API.
"use strict";
const path = require("path");
const { run, LONG } = require("./chromium.cjs");

const [base, port, clientDir] = process.argv.slice(2);

// What the widgets show.
function shown(page) {
  return page.evaluate(() => {
    const number = (el) => (el ? Number(el.textContent.replace(/[^0-9]/g, "")) : null);
    const list = (id) => [...document.querySelectorAll(`#${id} .ais-RefinementList-item`)].map((li) => ({
      label: li.querySelector(".ais-RefinementList-labelText").textContent,
      count: number(li.querySelector(".ais-RefinementList-count")),
      checked: li.querySelector("input").checked,
    }));
    const stats = document.querySelector("#stats").textContent;
    return {
      total: /^No results/.test(stats.trim()) ? 0 : Number((/([\d,.\s]+)\s+results?/.exec(stats) || [, ""])[1].replace(/[^0-9]/g, "")),
      hits: [...document.querySelectorAll("#hits article[data-id]")].map((a) => ({
        id: a.dataset.id,
        title: a.querySelector(".title").textContent,
        marked: [...a.querySelectorAll(".title mark")].map((m) => m.textContent),
      })),
      makers: list("makers"),
      models: list("models"),
      categories: [...document.querySelectorAll("#categories .ais-HierarchicalMenu-item")].map((li) => {
        let depth = 0;
        for (let p = li.parentElement; p; p = p.parentElement) if (p.matches("li.ais-HierarchicalMenu-item")) depth++;
        return {
          label: li.querySelector(":scope > div > a .ais-HierarchicalMenu-label").textContent,
          count: number(li.querySelector(":scope > div > a .ais-HierarchicalMenu-count")),
          depth,
          selected: li.classList.contains("ais-HierarchicalMenu-item--selected"),
        };
      }),
      yearBounds: [...document.querySelectorAll("#year input")].map((i) => i.placeholder),
    };
  });
}

run(async (page) => {
  const { serve } = await import(path.join(clientDir, "example/serve.mjs"));
  const example = await serve({ port: Number(port), api: base, lang: "en" });
  const searches = { n: 0 };
  page.on("request", (r) => { if (r.url().startsWith(`${base}/search?`)) searches.n++; });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  // Does `action`, waits until InstantSearch has rendered the answer to it, and returns
  // what the widgets show and how many Stockyard searches it took.
  async function step(action) {
    await page.evaluate(() => { window.renders = 0; });
    searches.n = 0;
    await action();
    await page.waitForFunction(() => window.renders > 0 && window.search.status === "idle", null, LONG);
    return { ...(await shown(page)), searches: searches.n };
  }

  try {
    await page.goto(`${example.origin}/`);
    await page.waitForFunction(() => window.search && window.search.status === "idle"
      && document.querySelectorAll("#hits article").length > 0, null, LONG);
    await page.evaluate(() => window.search.on("render", () => { window.renders++; }));

    const typed = await step(() => page.fill("#searchbox input", "excavator"));
    const maker = typed.makers[1].label;
    const ticked = await step(() => page.click(`#makers .ais-RefinementList-item:nth-child(2) input`));
    const ranged = await step(async () => {
      await page.fill("#year .ais-RangeInput-input--min", "2015");
      await page.click("#year .ais-RangeInput-submit");
    });
    const category = ranged.categories[0].label;
    const opened = await step(() => page.click("#categories .ais-HierarchicalMenu-link"));

    // Searching within the models: the list shows the values found, names marked.
    await page.fill("#models .ais-SearchBox-input", "pc");
    await page.waitForFunction(() => {
      const items = [...document.querySelectorAll("#models .ais-RefinementList-item")];
      return items.length > 0 && items.every((li) => li.querySelector("mark"));
    }, null, LONG);
    const modelsFound = (await shown(page)).models;
    await page.fill("#models .ais-SearchBox-input", "");

    const paged = await step(() => page.click(".ais-Pagination-item--nextPage a"));
    const sorted = await step(() => page.selectOption("#sort select", "machines/price:asc"));
    return { typed, maker, ticked, ranged, category, opened, modelsFound, paged, sorted, errors };
  } finally {
    example.close();
  }
});
