// Stockyard's answers in the shape InstantSearch widgets read (Algolia's results).

import { HIERARCHY, MAX_OFFSET } from "./plan.js";
import { SEPARATOR } from "./vocabulary.js";

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#x27;": "'" };

/**
 * Stockyard's highlight HTML (escaped text, `<mark>` around matches) as InstantSearch
 * wants it: plain text with the request's tags around matches (InstantSearch escapes
 * the text and turns its own tags into `<mark>`).
 */
export function highlighted(html, { pre, post }) {
  const matchedWords = [];
  const marked = html.replace(/<mark>(.*?)<\/mark>/g, (_, inner) => {
    matchedWords.push(unescape(inner));
    return `\u0000${inner}\u0001`;
  });
  const value = unescape(marked)
    .replace(/\u0000/g, pre)
    .replace(/\u0001/g, post);
  return { value, matchLevel: matchedWords.length ? "full" : "none", matchedWords };
}

function unescape(html) {
  return html.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (e) => ENTITIES[e]);
}

/** A Stockyard hit card as an InstantSearch hit: flat attributes, `objectID`. */
function hitOf(h, tags) {
  const title = h.highlight ? highlighted(h.highlight.title, tags) : { value: h.title, matchLevel: "none", matchedWords: [] };
  const hit = {
    objectID: h.machine_id,
    title: h.title,
    lang: h.lang,
    maker: h.maker?.name,
    maker_id: h.maker?.id,
    model: h.model?.name,
    model_id: h.model?.id,
    category: h.category?.name,
    category_id: h.category?.id,
    year: h.year ?? undefined,
    hours: h.hours ?? undefined,
    price: h.price?.amount,
    currency: h.price?.currency,
    price_usd: h.price?.usd,
    price_converted: h.price?.converted,
    country: h.location?.country,
    region: h.location?.region,
    image: h.image,
    _score: h.score,
    _highlightResult: { title },
  };
  if (h.highlight?.description) {
    hit._snippetResult = { description: highlighted(h.highlight.description, tags) };
  }
  return hit;
}

/** `{value: count}` of a maker or model facet, at most `max` values, largest first. */
function valueCounts(list, group, vocabulary, max) {
  const out = {};
  for (const v of (list || []).slice(0, max)) out[vocabulary.valueOf(group, v.id, v.name)] = v.count;
  return out;
}

/**
 * The result InstantSearch reads for `plan` from Stockyard's `answer` (which may be the
 * answer to a larger request, see `answersFor`). `withHits` is false for the extra
 * requests InstantSearch sends for facet counts only.
 */
export function resultOf(plan, answer, vocabulary, tree, withHits) {
  const facets = {};
  const stats = {};
  for (const attribute of plan.attributes) {
    const level = HIERARCHY.exec(attribute);
    if (attribute === "maker" || attribute === "model") {
      facets[attribute] = valueCounts(answer?.facets?.[attribute], attribute, vocabulary, plan.maxValuesPerFacet);
    } else if (level) {
      const depth = Number(level[1]) + 1;
      facets[attribute] = {};
      for (const v of answer?.facets?.category || []) {
        const path = tree.paths.get(v.id);
        if (path && path.length === depth) facets[attribute][path.join(SEPARATOR)] = v.count;
      }
    } else {
      // A range: widgets read only the bounds, and only where the facet is present.
      facets[attribute] = {};
      const h = answer?.facets?.[attribute];
      if (h && h.min !== null && h.min !== undefined) stats[attribute] = { min: h.min, max: h.max };
    }
  }
  const total = answer?.total ?? 0;
  const hitsPerPage = plan.hitsPerPage || 1;
  return {
    hits: withHits && answer ? answer.hits.map((h) => hitOf(h, plan.tags)) : [],
    nbHits: total,
    page: plan.page,
    hitsPerPage: plan.hitsPerPage,
    nbPages: Math.min(Math.ceil(total / hitsPerPage), Math.floor(MAX_OFFSET / hitsPerPage) + 1),
    processingTimeMS: Math.round(answer?.took_ms ?? 0),
    query: plan.query,
    params: "",
    index: plan.indexName,
    exhaustiveNbHits: true,
    exhaustiveFacetsCount: true,
    facets,
    facets_stats: stats,
  };
}

/** A facet value search's answer: the values InstantSearch lists, marked. */
export function facetHitsOf(group, answer, vocabulary, tags, max) {
  return {
    facetHits: answer.values.slice(0, max).map((v) => ({
      value: vocabulary.valueOf(group, v.id, v.name),
      highlighted: highlighted(v.highlight, tags).value,
      count: v.count,
    })),
    exhaustiveFacetsCount: true,
    processingTimeMS: 0,
  };
}
