// Names the widgets show, and the ids Stockyard selects by.
//
// InstantSearch widgets display a facet value as it is refined by, so the values the
// adapter hands them are names in the buyer's language ("Komatsu", or for the
// category tree the path "Excavators > Mini excavators"); Stockyard selects by id.
// This module keeps the two directions: every value the adapter has shown maps back
// to its id, and a value it has not shown yet (a refinement restored from a shared
// URL before the first answer) is looked up on the server.

/** The separator InstantSearch's hierarchicalMenu splits category paths on. */
export const SEPARATOR = " > ";

export class Vocabulary {
  /** @param {(path: string, params?: URLSearchParams) => Promise<any>} get */
  constructor(get, lang) {
    this.get = get;
    this.lang = lang;
    this.clear();
  }

  clear() {
    /** Per group (`maker`, `model`): the value shown → the entity's id. */
    this.ids = { maker: new Map(), model: new Map() };
    /** Per group: the entity's id → the value shown. */
    this.values = { maker: new Map(), model: new Map() };
    this.tree = null;
  }

  /**
   * The value a facet list shows for entity `id` named `name`: the name itself, or,
   * when another entity of the group already shows that name, the name with its id.
   */
  valueOf(group, id, name) {
    const known = this.values[group].get(id);
    if (known !== undefined) return known;
    const taken = this.ids[group].get(name);
    const value = taken === undefined || taken === id ? name : `${name} (${id})`;
    this.ids[group].set(value, id);
    this.values[group].set(id, value);
    return value;
  }

  /** The id of a maker or model the widgets refined by `value`. */
  async idOf(group, value) {
    const known = this.ids[group].get(value);
    if (known !== undefined) return known;
    const params = new URLSearchParams({ q: value, lang: this.lang });
    const found = await this.get(`/facets/${group}/values`, params);
    for (const v of found.values) this.valueOf(group, v.id, v.name);
    const id = this.ids[group].get(value);
    if (id === undefined) throw new Error(`Stockyard knows no ${group} named ${JSON.stringify(value)}`);
    return id;
  }

  /** The category tree: each id's path of names from the root, and each path's id. */
  async categories() {
    if (!this.tree) {
      const roots = await this.get("/categories", new URLSearchParams({ lang: this.lang }));
      const tree = { paths: new Map(), ids: new Map() };
      const walk = (nodes, above) => {
        for (const node of nodes) {
          const path = [...above, node.name];
          tree.paths.set(node.id, path);
          tree.ids.set(path.join(SEPARATOR), node.id);
          walk(node.children || [], path);
        }
      };
      walk(roots, []);
      this.tree = tree;
    }
    return this.tree;
  }

  /** The id of the category at `path` ("Excavators > Mini excavators"). */
  async categoryAt(path) {
    let id = (await this.categories()).ids.get(path);
    if (id === undefined) {
      this.tree = null; // renamed or added since the tree was read
      id = (await this.categories()).ids.get(path);
    }
    if (id === undefined) throw new Error(`Stockyard knows no category at ${JSON.stringify(path)}`);
    return id;
  }
}
