// Categories as a tree: children by parent id, depth-first order.

/** Answers {roots, children: Map(parentId -> [category]), byId}. Unknown parents make roots. */
export function categoryTree(categories) {
  const byId = new Map(categories.map((c) => [c.id, c]));
  const children = new Map();
  const roots = [];
  for (const c of categories) {
    if (c.parentId && byId.has(c.parentId) && c.parentId !== c.id) {
      if (!children.has(c.parentId)) children.set(c.parentId, []);
      children.get(c.parentId).push(c);
    } else {
      roots.push(c);
    }
  }
  const byName = (a, b) => String(a.name).localeCompare(String(b.name));
  roots.sort(byName);
  for (const list of children.values()) list.sort(byName);
  return {roots, children, byId};
}

/** Categories depth-first with their depth: [{category, depth}]. A cycle in the data stops at a repeat. */
export function flatten(tree) {
  const out = [];
  const seen = new Set();
  const walk = (c, depth) => {
    if (seen.has(c.id)) return;
    seen.add(c.id);
    out.push({category: c, depth});
    for (const child of tree.children.get(c.id) || []) walk(child, depth + 1);
  };
  for (const r of tree.roots) walk(r, 0);
  return out;
}

/** The category's path of names from the root, "Root / Vehicles". */
export function categoryPath(tree, id) {
  const names = [];
  const seen = new Set();
  let c = tree.byId.get(id);
  while (c && !seen.has(c.id)) {
    seen.add(c.id);
    names.unshift(c.name);
    c = c.parentId ? tree.byId.get(c.parentId) : null;
  }
  return names.length ? names.join(' / ') : String(id);
}

/** Resources by their category id, each list sorted by name: Map(categoryId -> [resource]). */
export function resourcesByCategory(resources) {
  const byCategory = new Map();
  for (const r of resources) {
    if (!byCategory.has(r.categoryId)) byCategory.set(r.categoryId, []);
    byCategory.get(r.categoryId).push(r);
  }
  for (const list of byCategory.values()) list.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return byCategory;
}
