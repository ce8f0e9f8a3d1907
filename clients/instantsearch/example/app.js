// The example: stock InstantSearch.js widgets, configured as for any Algolia index,
// with Stockyard's adapter as the search client.
import { stockyardSearchClient } from "/src/index.js";

const { url, lang, currency } = window.STOCKYARD;
const { searchBox, hits, refinementList, hierarchicalMenu, rangeInput, rangeSlider, sortBy,
  pagination, stats, configure, currentRefinements } = instantsearch.widgets;

const search = instantsearch({
  indexName: "machines",
  searchClient: stockyardSearchClient({ url, lang, currency }),
  future: { preserveSharedStateOnUnmount: true },
});

const money = (amount, code) => new Intl.NumberFormat(lang, { style: "currency", currency: code, maximumFractionDigits: 0 }).format(amount);

search.addWidgets([
  configure({ hitsPerPage: 12 }),
  searchBox({ container: "#searchbox", placeholder: "excavator, PC200, 油圧ショベル…" }),
  sortBy({
    container: "#sort",
    items: [
      { label: "Best match", value: "machines" },
      { label: "Newest", value: "machines/newest" },
      { label: "Price ↑", value: "machines/price:asc" },
      { label: "Price ↓", value: "machines/price:desc" },
      { label: "Year ↓", value: "machines/year:desc" },
    ],
  }),
  stats({ container: "#stats" }),
  currentRefinements({ container: "#refinements" }),
  hierarchicalMenu({ container: "#categories", attributes: ["category.lvl0", "category.lvl1", "category.lvl2"] }),
  refinementList({ container: "#makers", attribute: "maker", searchable: true, searchablePlaceholder: "Find a maker" }),
  refinementList({ container: "#models", attribute: "model", searchable: true, searchablePlaceholder: "Find a model" }),
  rangeInput({ container: "#year", attribute: "year" }),
  rangeInput({ container: "#hours", attribute: "hours" }),
  rangeSlider({ container: "#price", attribute: "price", pips: false }),
  hits({
    container: "#hits",
    templates: {
      item: (hit, { html, components }) => html`
        <article class="card" data-id=${hit.objectID}>
          ${hit.image
            ? html`<img src=${hit.image} alt="" loading="lazy" onError=${(e) => { e.target.style.visibility = "hidden"; }} />`
            : html`<div class="nophoto"></div>`}
          <div>
            <div class="title" lang=${hit.lang}>${components.Highlight({ hit, attribute: "title" })}</div>
            ${hit._snippetResult ? html`<div class="snippet" lang=${hit.lang}>${components.Snippet({ hit, attribute: "description" })}</div>` : ""}
            <div class="meta">
              ${[hit.maker, hit.model, hit.year, hit.hours != null ? `${hit.hours} h` : null, hit.country].filter(Boolean).join(" · ")}
              ${hit.price != null ? ` · ${money(hit.price, hit.currency)}` : ""}
            </div>
          </div>
        </article>`,
    },
  }),
  pagination({ container: "#pagination" }),
]);

search.start();
// For tests and the curious: the running instance.
window.search = search;
