// The resources the API server serves, read once from its discovery documents (/api, /api/v1, /apis,
// /apis/GROUP/VERSION), for the start-up check of a --policy file. Only the groups asked about are read.

import type { Dispatcher } from 'undici';
import type { Credentials } from '../auth/credentials.js';
import type { UpstreamTarget } from './target.js';

/** One entry of an APIResourceList: `pods`, or a subresource such as `pods/log`. */
export interface ServedResource {
  readonly name: string;
  readonly singularName: string;
  readonly shortNames: readonly string[];
  readonly kind: string;
}

/** What discovery said: every API group the server serves, and the resources of the groups asked about. */
export interface ServedApi {
  readonly groups: ReadonlySet<string>;
  /** By group ('' is the core group), every version's resources together. */
  readonly resources: ReadonlyMap<string, readonly ServedResource[]>;
}

/** GETs one discovery path and returns its JSON; rejects when the server does not answer 200. */
export type DiscoveryGet = (path: string) => Promise<unknown>;

const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * A DiscoveryGet through kubegate's own upstream connection, with its credential (never logged);
 * `userAgent` names kubegate's start-up check, so audit logs tell it from client traffic.
 */
export function createDiscoveryGet(agent: Pick<Dispatcher, 'request'>, target: UpstreamTarget, credentials: Credentials, userAgent: string): DiscoveryGet {
  return async (path) => {
    const authorization = await credentials.authorization();
    const answer = await agent.request({
      origin: target.origin,
      path: `${target.basePath}${path}`,
      method: 'GET',
      headers: { host: target.host, accept: 'application/json', 'user-agent': userAgent, ...(authorization ? { authorization } : {}) },
      headersTimeout: DISCOVERY_TIMEOUT_MS,
      bodyTimeout: DISCOVERY_TIMEOUT_MS,
    });
    if (answer.statusCode !== 200) {
      await answer.body.dump();
      throw new Error(`GET ${path} answered ${answer.statusCode}`);
    }
    return answer.body.json();
  };
}

type Fields = Readonly<Record<string, unknown>>;

const fields = (value: unknown): Fields => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {});
const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function servedResources(document: unknown): ServedResource[] {
  return list(fields(document).resources).map((entry) => {
    const resource = fields(entry);
    return { name: text(resource.name), singularName: text(resource.singularName), shortNames: list(resource.shortNames).map(text), kind: text(resource.kind) };
  });
}

/** Reads /apis for the group names, then the resource lists of `wanted` groups only (every version each). */
export async function readServedApi(get: DiscoveryGet, wanted: ReadonlySet<string>): Promise<ServedApi> {
  const groupList = list(fields(await get('/apis')).groups).map(fields);
  const groups = new Set(['', ...groupList.map((group) => text(group.name))]);
  const versionPaths = new Map<string, string[]>();
  if (wanted.has('')) versionPaths.set('', list(fields(await get('/api')).versions).map((version) => `/api/${text(version)}`));
  for (const group of groupList) {
    const name = text(group.name);
    if (wanted.has(name)) versionPaths.set(name, list(group.versions).map((version) => `/apis/${text(fields(version).groupVersion)}`));
  }
  const resources = new Map<string, ServedResource[]>();
  await Promise.all(
    [...versionPaths].map(async ([group, paths]) => {
      const documents = await Promise.all(paths.map((path) => get(path)));
      resources.set(group, documents.flatMap(servedResources));
    }),
  );
  return { groups, resources };
}
