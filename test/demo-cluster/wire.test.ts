import t from 'tap';
import { findResourceType, type ResourceType } from '../../src/demo-cluster/resources.js';
import type { KubeObject } from '../../src/demo-cluster/store.js';
import { timestampNow, wireList, wireListItem, wireMetadata, wireObject } from '../../src/demo-cluster/wire.js';

const PODS = findResourceType('', 'v1', 'pods') as ResourceType;
const CONFIGMAPS = findResourceType('', 'v1', 'configmaps') as ResourceType;
const DEPLOYMENTS = findResourceType('apps', 'v1', 'deployments') as ResourceType;

/** Stored the way the store keeps a created object: the body's own order, kind and apiVersion last. */
const storedPod: KubeObject = {
  status: { phase: 'Running' },
  spec: { containers: [{ name: 'c' }] },
  metadata: { labels: { b: '2', a: '1' }, creationTimestamp: '2026-01-01T00:00:00Z', uid: 'u-1', resourceVersion: '7', namespace: 'default', name: 'p' },
  apiVersion: 'v1',
  kind: 'Pod',
};

t.test('an object reads kind, apiVersion, metadata, its other fields, then status', async (t) => {
  const wire = wireObject(PODS, storedPod);
  t.same(Object.keys(wire), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  t.same(Object.keys(wire.metadata), ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'labels'], "ObjectMeta's struct order");
  t.same(Object.keys(wire.metadata.labels ?? {}), ['a', 'b'], 'a Go map: sorted keys');
  t.same(wire.spec, storedPod.spec);
  t.equal(JSON.stringify(wireObject(DEPLOYMENTS, { metadata: { name: 'd' } })), '{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"}}', 'kind and apiVersion from the type, no status when there is none');
});

t.test("ConfigMap data is a map (sorted); other fields keep the body's order", async (t) => {
  const wire = wireObject(CONFIGMAPS, { data: { z: '1', a: '2' }, metadata: { name: 'cm' }, immutable: true });
  t.same(Object.keys(wire), ['kind', 'apiVersion', 'metadata', 'data', 'immutable']);
  t.same(Object.keys(wire.data as object), ['a', 'z']);
});

t.test('wireMetadata keeps a field ObjectMeta does not name, after the ones it does', async (t) => {
  t.same(Object.keys(wireMetadata({ extra: 1, name: 'x', annotations: { y: '1', x: '2' } })), ['name', 'annotations', 'extra']);
});

t.test('a List: kind, apiVersion, metadata, items; its items carry no kind or apiVersion', async (t) => {
  const list = wireList(PODS, [storedPod], '99') as { items: Record<string, unknown>[] };
  t.same(Object.keys(list), ['kind', 'apiVersion', 'metadata', 'items']);
  t.same(list, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '99' }, items: [wireListItem(PODS, storedPod)] });
  t.same(Object.keys(list.items[0] ?? {}), ['metadata', 'spec', 'status']);
  t.same((wireList(DEPLOYMENTS, [], '1') as { apiVersion: string }).apiVersion, 'apps/v1');
});

t.test('timestampNow is RFC 3339 to the second, as metav1.Time writes it', async (t) => {
  t.match(timestampNow(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});
