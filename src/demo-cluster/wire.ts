// Objects in the shape kube-apiserver sends them: Go structs are written in declaration order and Go
// maps with sorted keys, so an object starts kind, apiVersion, metadata and ends with status, and a
// List's items carry no kind or apiVersion of their own (the List names them once).

import { apiVersionOf, type ResourceType } from './resources.js';
import type { KubeObject, ObjectMeta } from './store.js';

/** ObjectMeta's fields in the order of the Go struct (k8s.io/apimachinery/pkg/apis/meta/v1). */
const METADATA_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/** Fields that are Go maps (map[string]string), written with sorted keys: in metadata, and at the top of ConfigMap and Secret. */
const METADATA_MAPS = new Set(['labels', 'annotations']);
const OBJECT_MAPS = new Set(['data', 'binaryData', 'stringData']);

function sortedMap(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Metadata in ObjectMeta's order; a field the struct does not name (none should exist) keeps its place after them. */
export function wireMetadata(metadata: ObjectMeta): ObjectMeta {
  const ordered: Record<string, unknown> = {};
  for (const key of METADATA_ORDER) {
    if (key in metadata) ordered[key] = METADATA_MAPS.has(key) ? sortedMap(metadata[key]) : metadata[key];
  }
  for (const [key, value] of Object.entries(metadata)) if (!(key in ordered)) ordered[key] = value;
  return ordered as ObjectMeta;
}

/** One object as a GET, a write or a watch event returns it: kind and apiVersion from its type, status last. */
export function wireObject(type: ResourceType, object: KubeObject): KubeObject {
  const { kind: _kind, apiVersion: _apiVersion, metadata, status, ...body } = object;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) fields[key] = OBJECT_MAPS.has(key) ? sortedMap(value) : value;
  return { kind: type.kind, apiVersion: apiVersionOf(type), metadata: wireMetadata(metadata), ...fields, ...(status === undefined ? {} : { status }) };
}

/** An item of a List: the object without kind and apiVersion, as kube-apiserver writes built-in types' lists. */
export function wireListItem(type: ResourceType, object: KubeObject): Omit<KubeObject, 'kind' | 'apiVersion'> {
  const { kind: _kind, apiVersion: _apiVersion, ...item } = wireObject(type, object);
  return item;
}

/** A List in the field order of the Go struct: kind, apiVersion, metadata, items. */
export function wireList(type: ResourceType, objects: readonly KubeObject[], resourceVersion: string): unknown {
  return {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    metadata: { resourceVersion },
    items: objects.map((object) => wireListItem(type, object)),
  };
}

/** The current time as metav1.Time writes it: RFC 3339 to the second, in UTC. */
export function timestampNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
