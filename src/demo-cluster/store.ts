// In-memory object storage for the demo API server: resource versions, uids, and watch events.

import { randomUUID } from 'node:crypto';
import type { ResourceType } from './resources.js';

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
};

export type ObjectMeta = Record<string, unknown> & {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
};

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: KubeObject;
  readonly resourceVersion: number;
  readonly resource: string;
  readonly namespace: string;
}

type Listener = (event: WatchEvent) => void;

/** How many past events a watch with an old resourceVersion can replay. */
const HISTORY = 10_000;

export class ObjectStore {
  #resourceVersion = 1000;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #listeners = new Set<Listener>();
  readonly #history: WatchEvent[] = [];

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  #bucket(type: ResourceType): Map<string, KubeObject> {
    const key = `${type.group}/${type.resource}`;
    let bucket = this.#objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.#objects.set(key, bucket);
    }
    return bucket;
  }

  static #key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  list(type: ResourceType, namespace: string): KubeObject[] {
    const items = [...this.#bucket(type).values()].filter((object) => !namespace || object.metadata.namespace === namespace);
    return items.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`),
    );
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    return this.#bucket(type).get(ObjectStore.#key(type.namespaced ? namespace : '', name));
  }

  /** Stores a new object (fills uid, resourceVersion, creationTimestamp); undefined when the name is taken. */
  create(type: ResourceType, object: KubeObject): KubeObject | undefined {
    const bucket = this.#bucket(type);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : '';
    const key = ObjectStore.#key(namespace, object.metadata.name);
    if (bucket.has(key)) return undefined;
    const stored: KubeObject = {
      ...object,
      apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
      kind: type.kind,
      metadata: {
        ...object.metadata,
        ...(type.namespaced ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: String(++this.#resourceVersion),
        creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        generation: 1,
      },
    };
    if (!type.namespaced) delete stored.metadata.namespace;
    bucket.set(key, stored);
    this.#emit('ADDED', type, stored);
    return stored;
  }

  /** Replaces an existing object, keeping its identity fields; undefined when it does not exist. */
  update(type: ResourceType, namespace: string, name: string, object: KubeObject): KubeObject | undefined {
    const bucket = this.#bucket(type);
    const key = ObjectStore.#key(type.namespaced ? namespace : '', name);
    const existing = bucket.get(key);
    if (!existing) return undefined;
    const stored: KubeObject = {
      ...object,
      apiVersion: existing.apiVersion,
      kind: existing.kind,
      metadata: {
        ...object.metadata,
        name,
        ...(type.namespaced ? { namespace } : {}),
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        resourceVersion: String(++this.#resourceVersion),
        generation: (existing.metadata.generation ?? 1) + (JSON.stringify(object.spec) === JSON.stringify(existing.spec) ? 0 : 1),
      },
    };
    bucket.set(key, stored);
    this.#emit('MODIFIED', type, stored);
    return stored;
  }

  delete(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const bucket = this.#bucket(type);
    const key = ObjectStore.#key(type.namespaced ? namespace : '', name);
    const existing = bucket.get(key);
    if (!existing) return undefined;
    bucket.delete(key);
    const deleted: KubeObject = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.#resourceVersion) } };
    this.#emit('DELETED', type, deleted);
    return deleted;
  }

  #emit(type: WatchEventType, resource: ResourceType, object: KubeObject): void {
    const event: WatchEvent = {
      type,
      object,
      resourceVersion: this.#resourceVersion,
      resource: `${resource.group}/${resource.resource}`,
      namespace: object.metadata.namespace ?? '',
    };
    this.#history.push(event);
    if (this.#history.length > HISTORY) this.#history.splice(0, this.#history.length - HISTORY);
    for (const listener of this.#listeners) listener(event);
  }

  /** Open watches (tests check that a client's disconnect reaches the server). */
  get watchers(): number {
    return this.#listeners.size;
  }

  /** Events after `resourceVersion` still in history, then live ones; returns the unsubscribe function. */
  watch(fromResourceVersion: number | undefined, listener: Listener): () => void {
    if (fromResourceVersion !== undefined) {
      for (const event of this.#history) if (event.resourceVersion > fromResourceVersion) listener(event);
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
