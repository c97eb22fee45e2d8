// What a request is, read the way kube-apiserver reads it (its RequestInfoFactory): verb, group, version,
// namespace, resource, subresource, name. Computed from the same canonical path the filter checks.

/** kube-apiserver's reading of one request; `isResourceRequest` false means a non-resource URL. */
export interface RequestInfo {
  readonly isResourceRequest: boolean;
  /** The canonical path, for non-resource rules (`/healthz`, `/version`, `/api`). */
  readonly path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, proxy; for non-resource URLs the method, lower-cased. */
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  /** '' for cluster-scoped requests and requests across all namespaces. */
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

/** `/api/v1/proxy/...` and `/api/v1/watch/...`: the legacy verb-in-path forms. */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** After a proxy verb the rest of the path belongs to the backend, not a subresource. */
const VERBS_WITHOUT_SUBRESOURCES = new Set(['proxy']);
/** A namespace's own subresources: /api/v1/namespaces/NAME/status is not a resource inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const VERB_BY_METHOD: Readonly<Record<string, string>> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function nonResource(method: string, path: string): RequestInfo {
  return { isResourceRequest: false, path, verb: method.toLowerCase(), apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
}

/**
 * `path` is the canonical (decoded, cleaned) path the filter saw; `query` the raw query. A path with
 * too few segments, or not under /api or /apis, is a non-resource request, as in kube-apiserver.
 */
export function readRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  let parts = path.replace(/^\/+|\/+$/g, '').split('/').filter((part, i, all) => part !== '' || all.length > 1);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource(method, path);
  let apiGroup = '';
  if (parts[0] === 'apis') {
    // /apis/GROUP/VERSION/RESOURCE: one more segment than the groupless /api/VERSION/RESOURCE.
    if (parts.length < 4) return nonResource(method, path);
    apiGroup = parts[1] as string;
    parts = parts.slice(2);
  } else {
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] as string;
  parts = parts.slice(1);
  let verb: string;
  if (SPECIAL_VERBS.has(parts[0] as string)) {
    // kube-apiserver cannot read `/api/v1/watch` with nothing after it (an error, never served): read as that
    // verb on no resource, so every policy judges it as a resource request and only a `*` rule grants it.
    verb = parts[0] as string;
    parts = parts.slice(1);
  } else {
    verb = VERB_BY_METHOD[method] ?? '';
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1] as string;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  const name = parts[1] ?? '';
  const subresource = parts.length >= 3 && !VERBS_WITHOUT_SUBRESOURCES.has(verb) ? (parts[2] as string) : '';
  return { isResourceRequest: true, path, verb: refineVerb(verb, name, query), apiGroup, apiVersion, namespace, resource, subresource, name: name || nameFromFieldSelector(verb, name, query) };
}

/** A get without a name is a list, or a watch when `watch` is set to anything but false or 0; a delete without one, deletecollection. */
function refineVerb(verb: string, name: string, query: URLSearchParams): string {
  if (name !== '') return verb;
  if (verb === 'get') {
    const watch = query.getAll('watch')[0];
    return watch !== undefined && watch.toLowerCase() !== 'false' && watch !== '0' ? 'watch' : 'list';
  }
  return verb === 'delete' ? 'deletecollection' : verb;
}

/** A list or watch with `fieldSelector=metadata.name=NAME` names that one object (RBAC resourceNames apply). */
function nameFromFieldSelector(verb: string, name: string, query: URLSearchParams): string {
  if (name !== '' || verb !== 'get') return '';
  const selector = query.get('fieldSelector');
  if (selector === null || selector.includes(',')) return '';
  const match = /^metadata\.name(?:==?)([^=!,]+)$/.exec(selector.trim());
  return match ? (match[1] as string) : '';
}
