// A schema as a tree a learner can open field by field: references resolved on demand, within the same document.

import { el } from './dom.js';
import type { OpenApiDocument, Schema } from './discovery.js';

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0]?.$ref : undefined);
  if (ref === undefined) return schema;
  const name = ref.replace(/^#\/components\/schemas\//, '');
  const target = document.components?.schemas?.[name];
  return target === undefined ? schema : { ...target, description: schema.description ?? target.description };
}

function typeOf(document: OpenApiDocument, schema: Schema): string {
  const resolved = resolve(document, schema);
  if (resolved.type === 'array' && resolved.items) return `[]${typeOf(document, resolved.items)}`;
  if (resolved.type === 'object' && resolved.additionalProperties && typeof resolved.additionalProperties === 'object') return `map[string]${typeOf(document, resolved.additionalProperties)}`;
  if (resolved.properties) return 'object';
  return resolved.format ? `${resolved.type ?? 'any'} (${resolved.format})` : (resolved.type ?? 'object');
}

function fieldsOf(document: OpenApiDocument, schema: Schema): Readonly<Record<string, Schema>> | undefined {
  const resolved = resolve(document, schema);
  const inner = resolved.type === 'array' && resolved.items ? resolve(document, resolved.items) : resolved;
  return inner.properties;
}

/** One field: its name and type; opened, its description and its own fields (built only when opened). */
function field(document: OpenApiDocument, name: string, schema: Schema, required: boolean, depth: number): HTMLElement {
  const summary = el('summary', {}, el('span', { class: 'mono' }, `${name}${required ? ' *' : ''}`), el('span', { class: 'type' }, typeOf(document, schema)));
  const details = el('details', { 'data-field': name }, summary);
  details.addEventListener(
    'toggle',
    () => {
      const description = resolve(document, schema).description;
      if (description) details.append(el('p', { class: 'desc' }, description));
      const fields = fieldsOf(document, schema);
      if (fields && depth < 12) details.append(...fieldList(document, fields, resolve(document, schema).required ?? [], depth + 1));
    },
    { once: true },
  );
  return details;
}

function fieldList(document: OpenApiDocument, fields: Readonly<Record<string, Schema>>, required: readonly string[], depth: number): HTMLElement[] {
  return Object.keys(fields)
    .sort()
    .map((name) => field(document, name, fields[name] as Schema, required.includes(name), depth));
}

export function renderSchema(document: OpenApiDocument, name: string, schema: Schema): HTMLElement {
  return el(
    'div',
    { class: 'schema' },
    el('p', { class: 'mono' }, name),
    schema.description ? el('p', { class: 'desc' }, schema.description) : null,
    ...fieldList(document, schema.properties ?? {}, schema.required ?? [], 0),
  );
}
