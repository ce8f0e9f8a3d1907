// stockyard-instantsearch: an InstantSearch.js `searchClient` over Stockyard's API.
//
// InstantSearch sends, for one screen, a batch of requests: the hits with every
// refinement, and one more per refined disjunctive facet (and per level of a refined
// category) with that facet's own refinement left out, so that its counts show what
// ticking another value would give. Stockyard already answers every facet that way
// (each group counted as if it were not selected), so one Stockyard search answers the
// whole batch; a request only gets a search of its own when its words or other
// selections differ. Counts and totals are Stockyard's: exact, never sampled.
//
//     import { stockyardSearchClient } from "stockyard-instantsearch";
//     const search = instantsearch({
//       indexName: "machines",
//       searchClient: stockyardSearchClient({ url: "https://search.example.com", lang: "ja" }),
//     });
//
// Attributes: `maker`, `model` (refinementList, values are names in `lang`),
// `category.lvl0`, `category.lvl1`, … (hierarchicalMenu, paths of names joined by
// " > "), `year`, `hours`, `price` (in `currency`), `spec.<id>` (rangeInput,
// rangeSlider). `sortBy` items: `machines` (best match), `machines/newest`,
// `machines/price:asc`, `machines/price:desc`, `machines/year:desc`, `machines/hours:asc`.

import { answersFor, facetValueParams, groupOf, planOf, searchParams, UnsupportedRequest } from "./plan.js";
import { facetHitsOf, resultOf } from "./results.js";
import { Vocabulary } from "./vocabulary.js";

export { UnsupportedRequest };

/** An error Stockyard answered with: its HTTP status, code and message. */
export class StockyardError extends Error {
  constructor(status, body) {
    const error = body && body.error ? body.error : {};
    super(`Stockyard answered ${status}: ${error.message || "no reason given"}`);
    this.status = status;
    this.code = error.code;
    this.field = error.field;
  }
}

/**
 * A `searchClient` for InstantSearch.js.
 *
 * @param {object} options
 * @param {string} options.url Stockyard's base URL (its CORS settings must allow the page's origin).
 * @param {string} [options.lang] The buyer's language (ISO 639-1): names, titles and the ranking boost.
 * @param {string} [options.currency] ISO 4217 code prices are filtered in and converted to.
 * @param {Record<string,string>} [options.headers] Sent with every request (an API key: `Authorization`).
 * @param {typeof fetch} [options.fetch] A fetch to use instead of the global one.
 */
export function stockyardSearchClient({ url, lang = "en", currency = null, headers = {}, fetch: fetchFn } = {}) {
  if (!url) throw new TypeError("stockyardSearchClient needs the `url` of a Stockyard server");
  const base = url.replace(/\/+$/, "");
  const send = fetchFn || globalThis.fetch.bind(globalThis);
  const settings = { lang, currency };

  async function get(path, params) {
    const res = await send(`${base}${path}${params ? `?${params}` : ""}`, { headers: { Accept: "application/json", ...headers } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new StockyardError(res.status, body);
    return body;
  }

  const vocabulary = new Vocabulary(get, lang);

  async function facetValues(request, facet, text, max, tags) {
    const group = groupOf(facet);
    if (group !== "maker" && group !== "model") {
      throw new UnsupportedRequest(`searching within ${facet} is not supported: only maker and model values`);
    }
    const plan = await planOf(request, vocabulary);
    const answer = await get(`/facets/${group}/values`, facetValueParams(plan, group, text || "", settings));
    return facetHitsOf(group, answer, vocabulary, tags, max);
  }

  async function facetSearch(request) {
    const p = request.params || {};
    const tags = { pre: p.highlightPreTag ?? "<em>", post: p.highlightPostTag ?? "</em>" };
    return facetValues(request, request.facet ?? p.facetName, p.facetQuery, p.maxFacetHits ?? 10, tags);
  }

  return {
    /** Answers a batch of InstantSearch requests with as few Stockyard searches as it can. */
    async search(requests) {
      const plans = await Promise.all(requests.map((r) => (r.type === "facet" ? null : planOf(r, vocabulary))));
      // The requests that show hits are searched; each facet-only request rides on
      // one whose answer is also its answer, or is searched on its own.
      const searches = [];
      const answeredBy = plans.map((plan) => {
        if (!plan || plan.hitsPerPage === 0) return -1;
        searches.push({ plan, groups: new Set(plan.groups), hits: true });
        return searches.length - 1;
      });
      plans.forEach((plan, i) => {
        if (!plan || answeredBy[i] >= 0) return;
        let s = searches.findIndex((s) => answersFor(s.plan, plan));
        if (s < 0) s = searches.push({ plan, groups: new Set(), hits: false }) - 1;
        for (const g of plan.groups) searches[s].groups.add(g);
        answeredBy[i] = s;
      });
      const tree = plans.some((p) => p && p.groups.has("category")) ? await vocabulary.categories() : null;
      const answers = await Promise.all(searches.map(async (s) => {
        if (s.plan.impossible) return null;
        const page = s.hits ? { offset: s.plan.page * s.plan.hitsPerPage, limit: s.plan.hitsPerPage } : null;
        return get("/search", searchParams(s.plan, s.groups, settings, page));
      }));
      const results = await Promise.all(requests.map(async (r, i) => {
        if (!plans[i]) return facetSearch(r);
        const s = searches[answeredBy[i]];
        return resultOf(plans[i], answers[answeredBy[i]], vocabulary, tree, s.hits && s.plan === plans[i]);
      }));
      return { results };
    },

    /** refinementList's `searchable`: values of a facet whose names match what was typed. */
    async searchForFacetValues(requests) {
      return Promise.all(requests.map(facetSearch));
    },

    /** Forgets names and the category tree (read again on the next search). */
    clearCache() {
      vocabulary.clear();
      return Promise.resolve();
    },
  };
}
