// The adapter's reading of InstantSearch requests and writing of results, without a
// server: what each Algolia parameter becomes in Stockyard's terms, and the requests
// it refuses, with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answersFor, planOf, searchParams, UnsupportedRequest } from "../src/plan.js";
import { highlighted } from "../src/results.js";

// Plans that name no maker, model or category need no names resolved.
const noNames = { idOf: () => assert.fail("no name lookup"), categoryAt: () => assert.fail("no name lookup") };
const plan = (params, indexName = "machines") => planOf({ indexName, params }, noNames);
const settings = { lang: "ja", currency: "JPY" };

test("ranges, page and sort become Stockyard's parameters", async () => {
  const p = await plan({ query: " pc200 ", numericFilters: ["year>=2010", "year<=2020", "price<=5000000", "spec.operating_weight>=19.5"], page: 2, hitsPerPage: 12, facets: ["maker", "year"] }, "machines/price:asc");
  const q = searchParams(p, p.groups, settings, { offset: p.page * p.hitsPerPage, limit: p.hitsPerPage });
  assert.equal(q.toString(), new URLSearchParams([
    ["q", "pc200"], ["lang", "ja"], ["currency", "JPY"], ["year", "2010..2020"], ["price", "..5000000"],
    ["spec.operating_weight", "19.5.."], ["facets", "maker,year"], ["sort", "price"], ["order", "asc"],
    ["offset", "24"], ["limit", "12"],
  ]).toString());
});

test("bounds that cannot both hold make a plan no listing matches", async () => {
  assert.equal((await plan({ numericFilters: ["year>=2020", "year<=2010"] })).impossible, true);
  assert.equal((await plan({ numericFilters: ["year=2015"] })).selections.get("year").max, 2015);
});

test("what Stockyard cannot answer is refused with the reason", async () => {
  const refused = async (params, says) => {
    await assert.rejects(plan(params), (e) => e instanceof UnsupportedRequest && e.message.includes(says));
  };
  await refused({ facetFilters: ["maker:-komatsu"] }, "does not exclude");
  await refused({ numericFilters: ["year>2010"] }, "include their bounds");
  await refused({ numericFilters: [["year>=2010", "hours<=100"]] }, "does not OR");
  await refused({ numericFilters: ["colour>=3"] }, "not a numeric filter");
  await refused({ facets: ["colour"] }, "no facet \"colour\"");
  await refused({ facetFilters: ["year:2015"] }, "is a range");
  await refused({ facetFilters: ["nocolon"] }, "attribute:value");
  await refused({ hitsPerPage: 500 }, "at most 100 hits");
});

test("a facet-only request rides on a search with the same words and other selections", async () => {
  const main = await plan({ query: "excavator", numericFilters: ["year>=2015"], facets: ["maker", "year"], hitsPerPage: 12 });
  const ofYear = await plan({ query: "excavator", facets: "year", hitsPerPage: 0 });
  const otherWords = await plan({ query: "loader", facets: "year", hitsPerPage: 0 });
  const ofMaker = await plan({ query: "excavator", facets: "maker", hitsPerPage: 0 });
  assert.equal(answersFor(main, ofYear), true, "the year's own range is left out of its counts");
  assert.equal(answersFor(main, otherWords), false);
  assert.equal(answersFor(main, ofMaker), false, "the maker counts must see the year range");
});

test("Stockyard's marks become the request's highlight tags over plain text", () => {
  const tags = { pre: "__ais-highlight__", post: "__/ais-highlight__" };
  const h = highlighted("<mark>Komatsu</mark> PC200 &lt;b&gt; &amp; <mark>油圧</mark>ショベル", tags);
  assert.equal(h.value, "__ais-highlight__Komatsu__/ais-highlight__ PC200 <b> & __ais-highlight__油圧__/ais-highlight__ショベル");
  assert.deepEqual(h.matchedWords, ["Komatsu", "油圧"]);
  assert.equal(h.matchLevel, "full");
  assert.equal(highlighted("no match", tags).matchLevel, "none");
});
