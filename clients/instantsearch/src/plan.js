// One InstantSearch request read as a Stockyard search: the words, the selections
// per facet group, the page, and which facets it wants.
//
// InstantSearch speaks Algolia's parameters: `facetFilters` (an AND of OR-lists of
// "attribute:value"), `numericFilters` ("year>=2010"), `page`/`hitsPerPage`, and the
// index name, which `sortBy` switches. Stockyard's selections are per group, OR within
// a group, AND across groups, which is what disjunctive refinement lists send.

/** Attributes InstantSearch widgets may name, and the Stockyard group of each. */
export const HIERARCHY = /^category\.lvl(\d)$/;
const NUMERIC = /^(year|hours|price|spec\.[^\s:<>=!]+)$/;

/** Stockyard answers at most this many hits a page and pages up to this offset. */
export const MAX_LIMIT = 100;
export const MAX_OFFSET = 10000;

/** An InstantSearch request Stockyard cannot answer, with the reason. */
export class UnsupportedRequest extends Error {}

/** The Stockyard group of an InstantSearch attribute. */
export function groupOf(attribute) {
  if (attribute === "maker" || attribute === "model") return attribute;
  if (HIERARCHY.test(attribute)) return "category";
  if (NUMERIC.test(attribute)) return attribute;
  throw new UnsupportedRequest(
    `Stockyard has no facet ${JSON.stringify(attribute)}: use maker, model, category.lvl0…, year, hours, price or spec.<id>`,
  );
}

/** `sortBy` items name indices `<any name>` (best match) or `<any name>/<sort>[:<order>]`. */
function sortOf(indexName) {
  const slash = indexName.lastIndexOf("/");
  if (slash < 0) return null;
  const [sort, order] = indexName.slice(slash + 1).split(":");
  return { sort, order };
}

/** `attribute:value` as the helper writes it: a leading `-` is escaped as `\-`. */
function splitFilter(filter) {
  const colon = filter.indexOf(":");
  if (colon < 0) throw new UnsupportedRequest(`a facet filter must be attribute:value, got ${JSON.stringify(filter)}`);
  const attribute = filter.slice(0, colon);
  let value = filter.slice(colon + 1);
  if (value.startsWith("-")) throw new UnsupportedRequest(`Stockyard does not exclude facet values (${filter})`);
  if (value.startsWith("\\-")) value = value.slice(1);
  return { attribute, value };
}

function orLists(filters) {
  if (filters === undefined) return [];
  if (typeof filters === "string") filters = [filters];
  return filters.map((f) => (Array.isArray(f) ? f : [f]));
}

function intersect(a, b) {
  return a === null ? b : new Set([...a].filter((x) => b.has(x)));
}

/**
 * The categories in both `a` and `b` (sets of ids, each an OR): where one category
 * lies under the other, the lower one.
 */
function narrow(a, b, paths) {
  if (a === null) return b;
  const under = (x, y) => {
    const px = paths.get(x), py = paths.get(y);
    return px && py && px.length >= py.length && py.every((n, i) => n === px[i]);
  };
  const out = new Set();
  for (const x of a) for (const y of b) {
    if (under(x, y)) out.add(x);
    else if (under(y, x)) out.add(y);
  }
  return out;
}

/**
 * Reads `request` against the vocabulary (names to ids). The plan's `selections`
 * hold, per group, a set of ids or a `{min, max}` range; `impossible` is set when the
 * filters AND two values no listing can have both of (two makers).
 */
export async function planOf(request, vocabulary) {
  const p = request.params || {};
  const selections = new Map();
  let impossible = false;
  for (const list of orLists(p.facetFilters)) {
    const parsed = list.map(splitFilter);
    const group = groupOf(parsed[0].attribute);
    if (parsed.some((f) => groupOf(f.attribute) !== group)) {
      throw new UnsupportedRequest(`an OR of facet filters must stay within one facet: ${JSON.stringify(list)}`);
    }
    if (group === "maker" || group === "model") {
      const ids = new Set(await Promise.all(parsed.map((f) => vocabulary.idOf(group, f.value))));
      selections.set(group, intersect(selections.get(group) ?? null, ids));
    } else if (group === "category") {
      const ids = new Set(await Promise.all(parsed.map((f) => vocabulary.categoryAt(f.value))));
      const { paths } = await vocabulary.categories();
      selections.set(group, narrow(selections.get(group) ?? null, ids, paths));
    } else {
      throw new UnsupportedRequest(`${group} is a range: refine it with numericFilters, not facetFilters`);
    }
    if (selections.get(group).size === 0) impossible = true;
  }
  for (const filter of p.numericFilters || []) {
    if (Array.isArray(filter)) throw new UnsupportedRequest(`Stockyard does not OR numeric filters: ${JSON.stringify(filter)}`);
    const m = /^\s*([^\s<>=!]+)\s*(>=|<=|=|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i.exec(filter);
    if (!m || !NUMERIC.test(m[1])) throw new UnsupportedRequest(`not a numeric filter Stockyard takes: ${JSON.stringify(filter)}`);
    const [, attribute, op, text] = m;
    const value = Number(text);
    const range = selections.get(attribute) || { min: null, max: null };
    if (op === ">=" || op === "=") range.min = range.min === null ? value : Math.max(range.min, value);
    if (op === "<=" || op === "=") range.max = range.max === null ? value : Math.min(range.max, value);
    if (op === ">" || op === "<" || op === "!=") {
      throw new UnsupportedRequest(`Stockyard ranges include their bounds: use >= or <= (${filter})`);
    }
    if (range.min !== null && range.max !== null && range.min > range.max) impossible = true;
    selections.set(attribute, range);
  }
  const facets = p.facets === undefined ? [] : typeof p.facets === "string" ? [p.facets] : p.facets;
  const attributes = facets.includes("*") ? ["maker", "model", "category.lvl0"] : facets;
  for (const a of attributes) groupOf(a);
  const hitsPerPage = p.hitsPerPage ?? 20;
  if (hitsPerPage > MAX_LIMIT) {
    throw new UnsupportedRequest(`Stockyard returns at most ${MAX_LIMIT} hits a page, asked ${hitsPerPage}`);
  }
  return {
    indexName: request.indexName,
    query: (p.query || "").trim(),
    sort: sortOf(request.indexName || ""),
    selections,
    impossible,
    attributes,
    groups: new Set(attributes.map(groupOf)),
    page: p.page ?? 0,
    hitsPerPage,
    maxValuesPerFacet: p.maxValuesPerFacet ?? 100,
    tags: { pre: p.highlightPreTag ?? "<em>", post: p.highlightPostTag ?? "</em>" },
  };
}

/** A group's selection as text, to compare plans. */
function selectionKey(selection) {
  if (selection === undefined) return "";
  if (selection instanceof Set) return [...selection].sort().join("\u0000");
  return `${selection.min}..${selection.max}`;
}

/**
 * Whether Stockyard's answer to `main` answers `extra` too: same words, and the same
 * selections in every group `extra` does not ask the facet of. Stockyard counts each
 * group's facet as if that group were not selected, which is what InstantSearch's
 * extra requests for disjunctive and hierarchical facets ask.
 */
export function answersFor(main, extra) {
  if (main.query !== extra.query || main.impossible || extra.impossible) return false;
  const groups = new Set([...main.selections.keys(), ...extra.selections.keys()]);
  for (const g of groups) {
    if (extra.groups.has(g)) continue;
    if (selectionKey(main.selections.get(g)) !== selectionKey(extra.selections.get(g))) return false;
  }
  return true;
}

/** Stockyard's search parameters for `plan` with the facets of `groups`. */
export function searchParams(plan, groups, { lang, currency }, page = null) {
  const q = new URLSearchParams();
  if (plan.query) q.set("q", plan.query);
  q.set("lang", lang);
  if (currency) q.set("currency", currency);
  for (const [group, selection] of plan.selections) {
    if (selection instanceof Set) for (const id of [...selection].sort()) q.append(group, id);
    else q.set(group, `${selection.min ?? ""}..${selection.max ?? ""}`);
  }
  q.set("facets", [...groups].sort().join(",") || "category");
  if (page) {
    if (plan.sort) {
      q.set("sort", plan.sort.sort);
      if (plan.sort.order) q.set("order", plan.sort.order);
    }
    q.set("offset", String(page.offset));
    q.set("limit", String(page.limit));
  } else {
    q.set("limit", "1");
  }
  return q;
}

/** Stockyard's facet value search parameters: the search's words and selections. */
export function facetValueParams(plan, group, text, { lang, currency }) {
  const q = new URLSearchParams({ q: text, lang });
  if (plan.query) q.set("words", plan.query);
  if (currency) q.set("currency", currency);
  for (const [g, selection] of plan.selections) {
    if (g === group) continue;
    if (selection instanceof Set) for (const id of [...selection].sort()) q.append(g, id);
    else q.set(g, `${selection.min ?? ""}..${selection.max ?? ""}`);
  }
  return q;
}

