// The meta.k8s.io/v1 Table form that `kubectl get` asks for, so it prints columns like a real cluster.

import type { KubeObject } from './store.js';
import { wireMetadata } from './wire.js';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

const column = (name: string, type = 'string', format = ''): Column => ({ name, type, format, description: name, priority: 0 });

function age(timestamp: unknown): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function podCells(pod: KubeObject): unknown[] {
  const status = record(pod.status);
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses.map(record) : [];
  const containers = Array.isArray(record(pod.spec).containers) ? (record(pod.spec).containers as unknown[]).length : statuses.length;
  const ready = statuses.filter((s) => s.ready === true).length;
  const restarts = statuses.reduce((sum, s) => sum + (typeof s.restartCount === 'number' ? s.restartCount : 0), 0);
  return [pod.metadata.name, `${ready}/${containers}`, typeof status.phase === 'string' ? status.phase : 'Pending', restarts, age(pod.metadata.creationTimestamp)];
}

function rowFor(resource: string, object: KubeObject): { cells: unknown[]; object: unknown } {
  const cells = resource === 'pods' ? podCells(object) : [object.metadata.name, age(object.metadata.creationTimestamp)];
  return {
    cells,
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: wireMetadata(object.metadata) },
  };
}

/** True when the Accept header asks for a Table first (kubectl get's server-side printing). */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /^[^,]*as=Table/.test(accept);
}

export function toTable(resource: string, objects: readonly KubeObject[], resourceVersion: string): unknown {
  const columnDefinitions =
    resource === 'pods'
      ? [column('Name', 'string', 'name'), column('Ready'), column('Status'), column('Restarts', 'string'), column('Age')]
      : [column('Name', 'string', 'name'), column('Age')];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions,
    rows: objects.map((object) => rowFor(resource, object)),
  };
}
