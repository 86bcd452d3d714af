// Resources: this server's categories as a tree with their resources, badges
// for read-only resources and for synchronized or imported copies.

import * as api from './api.js';
import {h, fill, badge, statusArea} from './dom.js';
import {categoryTree, resourcesByCategory} from './tree.js';

/** The badge naming where a copy comes from, or null for a local resource. */
export function originBadge(origin) {
  if (!origin || typeof origin !== 'object') return null;
  if (origin.import && typeof origin.import === 'object') return badge(`imported from ${origin.import.from ?? 'another server'}`, 'origin');
  const from = origin.server ?? origin.serverId ?? 'another server';
  return badge(`from ${from}`, 'origin');
}

export async function render(ctx) {
  const {section} = ctx;
  ctx.heading('Resources');
  const status = statusArea();
  const holder = h('div', null, h('p', {class: 'muted'}, 'Loading…'));
  section.append(h('p', null, 'Categories and the resources (SysML v2 projects) in them. ' +
    'Choose a resource to see its history, differences between commits and its elements.'), status.el, holder);
  const [categories, resources] = await Promise.all([
    api.get('/api/v1/categories'),
    api.getAll(api.withQuery('/api/v1/resources', {'page[size]': 500}), 20000),
  ]);
  if (!ctx.alive()) return;
  const tree = categoryTree(categories);
  const byCategory = resourcesByCategory(resources);

  const resourceItem = (r) => h('li', {class: 'resource', dataset: {resourceId: r.id}},
    h('a', {href: `#/resources/${encodeURIComponent(r.id)}`}, r.name),
    r.readOnly ? [' ', badge('read-only')] : null,
    r.origin ? [' ', originBadge(r.origin)] : null);

  const seen = new Set();
  const categoryItem = (c) => {
    if (seen.has(c.id)) return null;
    seen.add(c.id);
    const own = (byCategory.get(c.id) || []).map(resourceItem);
    const sub = (tree.children.get(c.id) || []).map(categoryItem);
    return h('li', {class: 'category', dataset: {categoryId: c.id}},
      h('span', {class: 'category-name'}, c.name), ' ',
      h('span', {class: 'small muted'}, `${own.length} resource${own.length === 1 ? '' : 's'}`),
      c.readOnly ? [' ', badge('read-only')] : null,
      c.description ? h('p', {class: 'hint'}, c.description) : null,
      own.length || sub.length ? h('ul', null, own, sub) : null);
  };
  const items = tree.roots.map(categoryItem);
  const orphans = resources.filter((r) => !tree.byId.has(r.categoryId)).map(resourceItem);
  fill(holder, h('ul', {class: 'tree-root browse'}, items, orphans));
  if (resources.length === 0) status.show('info', 'There is no resource on this server yet.');
}
