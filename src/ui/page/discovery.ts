// The cluster's discovery, read through kubegate as kubectl reads it: /api, /apis, then each group version.

export interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames?: readonly string[];
  readonly singularName?: string;
}

export interface GroupVersion {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** `/api/v1` or `/apis/apps/v1` (the API prefix is added when requests are sent). */
  readonly path: string;
  readonly resources: readonly ApiResource[];
}

async function getJson<T>(url: string): Promise<T> {
  const answer = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!answer.ok) throw new Error(`${url}: ${answer.status} ${answer.statusText}`);
  return (await answer.json()) as T;
}

async function resourcesOf(prefix: string, group: string, version: string): Promise<GroupVersion> {
  const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  const list = await getJson<{ resources?: ApiResource[] }>(`${prefix}${path.slice(1)}`);
  return { group, version, path, resources: list.resources ?? [] };
}

/** Every served group version with its resources (subresources included, as `pods/log`). */
export async function readDiscovery(prefix: string): Promise<GroupVersion[]> {
  const core = await getJson<{ versions?: string[] }>(`${prefix}api`);
  const groups = await getJson<{ groups?: { name: string; preferredVersion?: { version: string }; versions: { version: string }[] }[] }>(`${prefix}apis`);
  const wanted: [string, string][] = (core.versions ?? []).map((version) => ['', version]);
  for (const group of groups.groups ?? []) {
    const version = group.preferredVersion?.version ?? group.versions[0]?.version;
    if (version !== undefined) wanted.push([group.name, version]);
  }
  const read = await Promise.allSettled(wanted.map(([group, version]) => resourcesOf(prefix, group, version)));
  return read.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}

export interface OpenApiDocument {
  readonly components?: { readonly schemas?: Readonly<Record<string, Schema>> };
}

export interface Schema {
  readonly type?: string;
  readonly description?: string;
  readonly format?: string;
  readonly $ref?: string;
  readonly allOf?: readonly Schema[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly 'x-kubernetes-group-version-kind'?: readonly { group: string; version: string; kind: string }[];
}

/** OpenAPI v3: the root names one document per group version; each is read once, when first needed. */
export class OpenApi {
  #root: Promise<Record<string, string>> | undefined;
  readonly #documents = new Map<string, Promise<OpenApiDocument>>();

  constructor(private readonly prefix: string) {}

  #paths(): Promise<Record<string, string>> {
    this.#root ??= getJson<{ paths?: Record<string, { serverRelativeURL: string }> }>(`${this.prefix}openapi/v3`).then((root) =>
      Object.fromEntries(Object.entries(root.paths ?? {}).map(([key, value]) => [key, value.serverRelativeURL])),
    );
    return this.#root;
  }

  async document(gv: GroupVersion): Promise<OpenApiDocument | undefined> {
    const url = (await this.#paths())[gv.path.slice(1)];
    if (url === undefined) return undefined;
    let document = this.#documents.get(url);
    if (document === undefined) {
      document = getJson<OpenApiDocument>(`${this.prefix}${url.slice(1)}`);
      this.#documents.set(url, document);
    }
    return document;
  }
}

/** The schema of a kind: the one whose x-kubernetes-group-version-kind names it. */
export function schemaOfKind(document: OpenApiDocument, gv: GroupVersion, kind: string): [string, Schema] | undefined {
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    const gvks = schema['x-kubernetes-group-version-kind'] ?? [];
    if (gvks.some((gvk) => gvk.group === gv.group && gvk.version === gv.version && gvk.kind === kind)) return [name, schema];
  }
  return undefined;
}
