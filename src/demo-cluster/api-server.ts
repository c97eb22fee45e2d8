// A fake kube-apiserver over HTTPS (HTTP/2 and HTTP/1.1): the tests' upstream and the built-in demo cluster.

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { createGzip } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { authenticate, impersonate, peerCertificate, type AuthenticationOptions, type PeerCertificateSummary, type UserInfo } from './authn.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { createPki, type Pki } from './pki.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { RequestLog, type RecordedRequest } from './request-log.js';
import {
  KUBERNETES_VERSION,
  apiGroupDocument,
  apiGroupListDocument,
  apiResourceListDocument,
  apiVersionsDocument,
  findResourceType,
  openApiV3Document,
  openApiV3Root,
  type ResourceType,
} from './resources.js';
import { ObjectStore, type KubeObject, type WatchEvent } from './store.js';
import { rbacAuthorizer } from './rbac.js';
import { createStreamServer, type TunnelRegistry } from './streams.js';
import { toTable, wantsTable } from './table.js';

export type DemoRequest = IncomingMessage | Http2ServerRequest;

/** The response methods both HTTP/1.1 and HTTP/2 compatibility responses share. */
export interface DemoResponse {
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  write(chunk: string | Buffer): boolean;
  end(chunk?: string | Buffer): unknown;
  readonly headersSent: boolean;
  once(event: 'close' | 'drain', listener: () => void): unknown;
}

export interface TestRoute {
  readonly method?: string;
  /** Matched against the raw path (no query). */
  readonly path: string | RegExp;
  handler(request: DemoRequest, response: DemoResponse, body: Buffer): void;
}

export type Authorizer = (user: UserInfo, info: RequestInfo) => boolean;

interface Admission {
  readonly info: RequestInfo;
  /** Undefined when the request did not authenticate. */
  readonly user: UserInfo | undefined;
  readonly impersonationError: string | undefined;
}

export interface ApiServerOptions extends AuthenticationOptions {
  readonly pki?: Pki;
  readonly host?: string;
  readonly port?: number;
  readonly authorize?: Authorizer;
  /** How many recent requests `requests` keeps (default 100,000). */
  readonly requestLogLimit?: number;
  /** Authorize with RBAC over the store's Roles and RoleBindings (the demo cluster), instead of allowing every authenticated user. */
  readonly rbac?: boolean;
  /** `namespace/name` of a service or pod → `http://127.0.0.1:PORT` answering its /proxy/ requests. */
  readonly proxyBackends?: Readonly<Record<string, string>>;
  /** A namespace whose configmap LIST is generated as a stream (never held in memory). */
  readonly largeList?: { readonly namespace: string; readonly items: number; readonly itemBytes: number };
  readonly routes?: readonly TestRoute[];
  /** Interval between lines of `logs -f`. */
  readonly logLineIntervalMs?: number;
  /** Namespaces to create at start (default: default, kube-system). */
  readonly namespaces?: readonly string[];
}

export interface RunningApiServer {
  /** `https://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly pki: Pki;
  readonly store: ObjectStore;
  readonly requests: RequestLog;
  /** Open exec/attach/port-forward tunnels, and a way to cut them from the server side. */
  readonly tunnels: TunnelRegistry;
  close(): Promise<void>;
}

const GZIP_THRESHOLD = 128 * 1024;
const MAX_BODY = 64 * 1024 * 1024;

function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function acceptsGzip(request: DemoRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

function sendJson(request: DemoRequest, response: DemoResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  if (body.length > GZIP_THRESHOLD && acceptsGzip(request)) {
    response.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const gzip = createGzip();
    gzip.on('data', (chunk: Buffer) => response.write(chunk));
    gzip.on('end', () => response.end());
    gzip.end(body);
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function sendStatus(request: DemoRequest, response: DemoResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  sendJson(request, response, code, statusObject(code, reason, message, details));
}

function sendText(response: DemoResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** kube-apiserver's RBAC denial wording. */
export function forbiddenMessage(user: UserInfo, info: RequestInfo): string {
  if (!info.isResourceRequest) return `forbidden: User "${user.name}" cannot ${info.verb} path "${info.path}"`;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const subject = info.name ? `${info.resource} "${info.name}" is forbidden` : `${info.resource} is forbidden`;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  return `${subject}: User "${user.name}" cannot ${info.verb} resource "${resource}" in API group "${info.apiGroup}" ${scope}`;
}

const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);

/** Members of system:masters and other authenticated users may do anything; anonymous users only read public info. */
export const defaultAuthorizer: Authorizer = (user, info) => {
  if (user.groups.includes('system:masters')) return true;
  if (user.name === 'system:anonymous') return !info.isResourceRequest && info.verb === 'get' && PUBLIC_PATHS.has(info.path);
  return true;
};

function labelsMatch(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  const labels = object.metadata.labels ?? {};
  return selector.split(',').every((term) => {
    const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
    if (notEqual) return labels[(notEqual[1] as string).trim()] !== (notEqual[2] as string).trim();
    const equal = /^([^=]+)==?(.*)$/.exec(term);
    if (equal) return labels[(equal[1] as string).trim()] === (equal[2] as string).trim();
    return (term.trim() in labels);
  });
}

function fieldsMatch(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) return true;
    const value = match[1] === 'metadata.name' ? object.metadata.name : match[1] === 'metadata.namespace' ? object.metadata.namespace : undefined;
    return match[2] === '!=' ? value !== match[3] : value === match[3];
  });
}

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (contentType && /yaml/.test(contentType)) return parseYaml(text);
  return JSON.parse(text);
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { metadata?: unknown }).metadata === 'object';
}

function withRunningStatus(type: ResourceType, object: KubeObject): KubeObject {
  if (type.resource !== 'pods' || object.status !== undefined) return object;
  const spec = (object.spec ?? {}) as { containers?: { name?: string; image?: string }[] };
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return {
    ...object,
    status: {
      phase: 'Running',
      podIP: '10.244.0.10',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((container) => ({ name: container.name, image: container.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: new Date().toISOString() } } })),
    },
  };
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<RunningApiServer> {
  const pki = options.pki ?? (await createPki());
  const store = new ObjectStore();
  const requests = new RequestLog(options.requestLogLimit);
  const authorize = options.authorize ?? (options.rbac ? rbacAuthorizer(store) : defaultAuthorizer);
  const namespaceType = findResourceType('', 'v1', 'namespaces') as ResourceType;
  for (const name of options.namespaces ?? ['default', 'kube-system', ...(options.largeList ? [options.largeList.namespace] : [])]) {
    store.create(namespaceType, { metadata: { name }, status: { phase: 'Active' } });
  }
  const streams = new Set<() => void>();
  let serverAddress = '127.0.0.1:0';

  const server = createSecureServer({
    allowHTTP1: true,
    key: pki.server.keyPem,
    cert: pki.server.certPem,
    ca: pki.ca.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  // Go's server limits: 1 MB of request head and no limit on the header count (Node: 16 KB, 2,000).
  Object.assign(server, { maxHeaderSize: 1 << 20, maxHeadersCount: 0 });
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  server.on('secureConnection', (socket: TLSSocket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.on('error', () => {});
    session.on('close', () => sessions.delete(session));
  });

  const handleWatch = (request: DemoRequest, response: DemoResponse, type: ResourceType, info: RequestInfo, query: URLSearchParams): void => {
    const table = wantsTable(request.headers.accept);
    response.writeHead(200, { 'content-type': 'application/json' });
    const write = (event: { type: string; object: KubeObject }): void => {
      const object = table ? toTable(type.resource, [event.object], event.object.metadata.resourceVersion ?? '') : event.object;
      response.write(`${JSON.stringify({ type: event.type, object })}\n`);
    };
    const matches = (object: KubeObject): boolean =>
      (!info.namespace || object.metadata.namespace === info.namespace) &&
      (!info.name || object.metadata.name === info.name) &&
      labelsMatch(object, query.get('labelSelector')) &&
      fieldsMatch(object, query.get('fieldSelector'));
    const rv = query.get('resourceVersion');
    const fromVersion = rv && rv !== '0' ? Number(rv) : undefined;
    if (fromVersion === undefined) {
      for (const object of store.list(type, info.namespace)) if (matches(object)) write({ type: 'ADDED', object });
    }
    const key = `${type.group}/${type.resource}`;
    const stop = store.watch(fromVersion, (event: WatchEvent) => {
      if (event.resource === key && matches(event.object)) write(event);
    });
    let timer: NodeJS.Timeout | undefined;
    const end = (): void => {
      stop();
      if (timer) clearTimeout(timer);
      streams.delete(end);
      response.end();
    };
    streams.add(end);
    const timeout = Number(query.get('timeoutSeconds') ?? 0);
    if (timeout > 0) timer = setTimeout(end, timeout * 1000);
    response.once('close', () => {
      stop();
      if (timer) clearTimeout(timer);
      streams.delete(end);
    });
  };

  const handleLog = (request: DemoRequest, response: DemoResponse, info: RequestInfo, query: URLSearchParams): void => {
    const follow = query.get('follow') === 'true' || query.get('follow') === '1';
    const container = query.get('container') ?? 'main';
    const line = (n: number): string => `${new Date().toISOString()} ${info.name}/${container}: log line ${n}\n`;
    response.writeHead(200, { 'content-type': 'text/plain' });
    for (let n = 1; n <= 3; n++) response.write(line(n));
    if (!follow) {
      response.end();
      return;
    }
    let n = 3;
    const interval = setInterval(() => response.write(line(++n)), options.logLineIntervalMs ?? 500);
    const end = (): void => {
      clearInterval(interval);
      streams.delete(end);
      response.end();
    };
    streams.add(end);
    response.once('close', () => {
      clearInterval(interval);
      streams.delete(end);
    });
    void request;
  };

  /**
   * What answers on a pod's port: nothing unless a container declares that containerPort; then the
   * backend given for the pod, or for a Service in its namespace whose selector matches the pod.
   */
  const podPortBackend = (pod: KubeObject, port: number): { host: string; port: number } | undefined => {
    const spec = (pod.spec ?? {}) as { containers?: { ports?: { containerPort?: number }[] }[] };
    if (!(spec.containers ?? []).some((container) => (container.ports ?? []).some((declared) => declared.containerPort === port))) return undefined;
    const namespace = pod.metadata.namespace ?? '';
    const labels = pod.metadata.labels ?? {};
    const serviceType = findResourceType('', 'v1', 'services') as ResourceType;
    const service = store.list(serviceType, namespace).find((candidate) => {
      const selector = ((candidate.spec ?? {}) as { selector?: Record<string, string> }).selector ?? {};
      return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
    });
    const backend = options.proxyBackends?.[`${namespace}/${pod.metadata.name}`] ?? (service ? options.proxyBackends?.[`${namespace}/${service.metadata.name}`] : undefined);
    if (!backend) return undefined;
    const url = new URL(backend);
    return { host: url.hostname, port: Number(url.port) };
  };

  const handleProxy = (request: DemoRequest, response: DemoResponse, info: RequestInfo, rawPath: string, rawQuery: string, body: Buffer): void => {
    const name = info.name.split(':')[0] ?? '';
    const backend = options.proxyBackends?.[`${info.namespace}/${name}`];
    if (!backend) {
      sendStatus(request, response, 503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
      return;
    }
    // The rest of the path after .../NAME/proxy, escaping kept.
    const marker = `/${info.resource}/${info.name}/proxy`;
    const at = rawPath.indexOf(marker.replace(info.name, encodeURIComponent(info.name)));
    const restStart = at === -1 ? rawPath.indexOf('/proxy') + '/proxy'.length : at + marker.length;
    const rest = rawPath.slice(restStart) || '/';
    const url = new URL(backend);
    const headers: OutgoingHttpHeaders = {};
    for (const [header, value] of Object.entries(request.headers)) {
      if (!header.startsWith(':') && value !== undefined && !['host', 'connection', 'authorization', 'transfer-encoding', 'keep-alive'].includes(header)) headers[header] = value;
    }
    const upstream = httpRequest(
      { host: url.hostname, port: url.port, method: request.method, path: `${rest}${rawQuery ? `?${rawQuery}` : ''}`, headers: { ...headers, host: url.host } },
      (answer) => {
        const copied: OutgoingHttpHeaders = {};
        for (const [header, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !['connection', 'transfer-encoding', 'keep-alive'].includes(header)) copied[header] = value;
        }
        response.writeHead(answer.statusCode ?? 502, copied);
        answer.on('data', (chunk: Buffer) => response.write(chunk));
        answer.on('end', () => response.end());
      },
    );
    upstream.on('error', (error) => sendStatus(request, response, 503, 'ServiceUnavailable', `error trying to reach service: ${error.message}`));
    upstream.end(body.length > 0 ? body : undefined);
  };

  const handleLargeList = (request: DemoRequest, response: DemoResponse, large: NonNullable<ApiServerOptions['largeList']>): void => {
    const gzip = acceptsGzip(request);
    response.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
    const sink = gzip ? createGzip() : undefined;
    if (sink) {
      sink.on('data', (chunk: Buffer) => {
        if (!response.write(chunk)) sink.pause();
      });
      response.once('drain', function resume() {
        sink.resume();
        response.once('drain', resume);
      });
      sink.on('end', () => response.end());
    }
    const out = (text: string): boolean => (sink ? sink.write(text) : response.write(text));
    const padding = 'x'.repeat(Math.max(0, large.itemBytes - 200));
    let i = 0;
    out(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${store.resourceVersion}"},"items":[`);
    const pump = (): void => {
      while (i < large.items) {
        const item = `${i === 0 ? '' : ','}{"metadata":{"name":"cm-${i}","namespace":"${large.namespace}","resourceVersion":"1"},"data":{"payload":"${padding}"}}`;
        i++;
        if (!out(item)) {
          (sink ?? response).once('drain', pump);
          return;
        }
      }
      out(']}');
      if (sink) sink.end();
      else response.end();
    };
    pump();
  };

  const handleResource = (request: DemoRequest, response: DemoResponse, info: RequestInfo, query: URLSearchParams, rawPath: string, rawQuery: string, body: Buffer): void => {
    const type = findResourceType(info.apiGroup, info.apiVersion, info.resource);
    if (!type) {
      sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
      return;
    }
    const notFound = (name: string, resource = type.resource, group = type.group): void =>
      sendStatus(request, response, 404, 'NotFound', `${group ? `${resource}.${group}` : resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
    const namespace = type.namespaced ? info.namespace : '';
    if (type.namespaced && namespace && !store.get(namespaceType, '', namespace) && request.method !== 'GET') {
      notFound(namespace, 'namespaces', '');
      return;
    }

    switch (info.subresource) {
      case '':
      case 'status':
      case 'scale':
        break;
      case 'log':
        if (!store.get(type, namespace, info.name)) return notFound(info.name);
        handleLog(request, response, info, query);
        return;
      case 'proxy':
        handleProxy(request, response, info, rawPath, rawQuery, body);
        return;
      case 'exec':
      case 'attach':
      case 'portforward':
        sendStatus(request, response, 400, 'BadRequest', 'Upgrade request required');
        return;
      default:
        sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
        return;
    }

    const listOf = (items: KubeObject[]): unknown =>
      wantsTable(request.headers.accept)
        ? toTable(type.resource, items, String(store.resourceVersion))
        : { kind: `${type.kind}List`, apiVersion: type.group ? `${type.group}/${type.version}` : type.version, metadata: { resourceVersion: String(store.resourceVersion) }, items };
    const one = (object: KubeObject): unknown => (wantsTable(request.headers.accept) ? toTable(type.resource, [object], object.metadata.resourceVersion ?? '') : object);
    const decode = (): KubeObject | undefined => {
      try {
        const parsed = parseBody(body, request.headers['content-type']);
        if (isObject(parsed)) return parsed;
        sendStatus(request, response, 400, 'BadRequest', 'the body of the request is not a Kubernetes object (it needs metadata)');
      } catch (error) {
        sendStatus(request, response, 400, 'BadRequest', `the body of the request was in an unknown format: ${(error as Error).message}`);
      }
      return undefined;
    };
    const dryRun = query.get('dryRun') === 'All';

    switch (info.verb) {
      case 'get': {
        const object = store.get(type, namespace, info.name);
        if (!object) return notFound(info.name);
        sendJson(request, response, 200, one(object));
        return;
      }
      case 'list': {
        if (options.largeList && type.resource === 'configmaps' && namespace === options.largeList.namespace) {
          handleLargeList(request, response, options.largeList);
          return;
        }
        const items = store.list(type, namespace).filter((o) => labelsMatch(o, query.get('labelSelector')) && fieldsMatch(o, query.get('fieldSelector')));
        sendJson(request, response, 200, listOf(items));
        return;
      }
      case 'watch':
        handleWatch(request, response, type, info, query);
        return;
      case 'create': {
        const object = decode();
        if (!object) return;
        if (type.namespaced && object.metadata.namespace && object.metadata.namespace !== namespace) {
          sendStatus(request, response, 400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
          return;
        }
        if (!object.metadata.name && typeof object.metadata.generateName === 'string') {
          object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
        }
        if (!object.metadata.name) {
          sendStatus(request, response, 422, 'Invalid', `${type.kind} "" is invalid: metadata.name: Required value: name or generateName is required`);
          return;
        }
        const prepared = withRunningStatus(type, { ...object, metadata: { ...object.metadata, namespace } });
        if (dryRun) {
          if (store.get(type, namespace, object.metadata.name)) {
            sendStatus(request, response, 409, 'AlreadyExists', `${type.resource} "${object.metadata.name}" already exists`, { name: object.metadata.name, kind: type.resource });
            return;
          }
          sendJson(request, response, 201, prepared);
          return;
        }
        const created = store.create(type, prepared);
        if (!created) {
          sendStatus(request, response, 409, 'AlreadyExists', `${type.resource} "${object.metadata.name}" already exists`, { name: object.metadata.name, ...(type.group ? { group: type.group } : {}), kind: type.resource });
          return;
        }
        sendJson(request, response, 201, created);
        return;
      }
      case 'update': {
        const object = decode();
        if (!object) return;
        const existing = store.get(type, namespace, info.name);
        if (!existing) return notFound(info.name);
        const rv = object.metadata.resourceVersion;
        if (rv && rv !== existing.metadata.resourceVersion) {
          sendStatus(request, response, 409, 'Conflict', `Operation cannot be fulfilled on ${type.resource} "${info.name}": the object has been modified; please apply your changes to the latest version and try again`, { name: info.name, kind: type.resource });
          return;
        }
        const updated = dryRun ? object : store.update(type, namespace, info.name, object);
        sendJson(request, response, 200, updated);
        return;
      }
      case 'patch': {
        const existing = store.get(type, namespace, info.name);
        if (!existing) return notFound(info.name);
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim();
        let patched: unknown;
        try {
          const patch = parseBody(body, contentType === 'application/apply-patch+yaml' ? 'application/yaml' : 'application/json');
          switch (contentType) {
            case 'application/merge-patch+json':
            case 'application/apply-patch+yaml':
              patched = mergePatch(existing, patch);
              break;
            case 'application/strategic-merge-patch+json':
              patched = strategicMergePatch(existing, patch);
              break;
            case 'application/json-patch+json':
              patched = jsonPatch(existing, patch);
              break;
            default:
              sendStatus(request, response, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
              return;
          }
        } catch (error) {
          sendStatus(request, response, 400, 'BadRequest', `invalid patch: ${(error as Error).message}`);
          return;
        }
        if (!isObject(patched)) {
          sendStatus(request, response, 422, 'Invalid', 'the patch produced something that is not an object');
          return;
        }
        sendJson(request, response, 200, dryRun ? patched : store.update(type, namespace, info.name, patched));
        return;
      }
      case 'delete': {
        const deleted = dryRun ? store.get(type, namespace, info.name) : store.delete(type, namespace, info.name);
        if (!deleted) return notFound(info.name);
        sendJson(request, response, 200, deleted);
        return;
      }
      case 'deletecollection': {
        const items = store.list(type, namespace).filter((o) => labelsMatch(o, query.get('labelSelector')));
        if (!dryRun) for (const item of items) store.delete(type, item.metadata.namespace ?? '', item.metadata.name);
        sendJson(request, response, 200, listOf(items));
        return;
      }
      default:
        sendStatus(request, response, 405, 'MethodNotAllowed', `${info.verb} is not supported on ${type.resource}`);
    }
  };

  const handleNonResource = (request: DemoRequest, response: DemoResponse, info: RequestInfo): void => {
    const path = info.path;
    if (path === '/version' || path === '/version/') return sendJson(request, response, 200, KUBERNETES_VERSION);
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendText(response, 200, 'ok');
    if (path === '/api' || path === '/api/') return sendJson(request, response, 200, apiVersionsDocument(serverAddress));
    if (path === '/apis' || path === '/apis/') return sendJson(request, response, 200, apiGroupListDocument());
    if (path === '/openapi/v3' || path === '/openapi/v3/') return sendJson(request, response, 200, openApiV3Root());
    if (path.startsWith('/openapi/v3/')) {
      const document = openApiV3Document(path.slice('/openapi/v3/'.length));
      if (document) return sendJson(request, response, 200, document);
    }
    const group = /^\/apis\/([^/]+)\/?$/.exec(path);
    if (group) {
      const document = apiGroupDocument(group[1] as string);
      if (document) return sendJson(request, response, 200, document);
    }
    const version = /^\/api\/(v1)\/?$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)\/?$/.exec(path);
    if (version) {
      const [g, v] = (version[1] as string).includes('/') ? ((version[1] as string).split('/') as [string, string]) : ['', version[1] as string];
      const document = apiResourceListDocument(g, v);
      if (document) return sendJson(request, response, 200, document);
    }
    sendStatus(request, response, 404, 'NotFound', 'the server could not find the requested resource', {});
  };

  /** Authenticates, impersonates and records one request (ordinary or upgrade), as kube-apiserver's filter chain. */
  const admit = (request: DemoRequest, rawPath: string, rawQuery: string, decodedPath: string, size: number, body: Buffer, record = true): Admission => {
    const method = request.method ?? 'GET';
    const query = new URLSearchParams(rawQuery);
    const info = parseRequestInfo(method, decodedPath, query);
    const socket = request.socket as TLSSocket;
    const certificate = peerCertificate(socket);
    const authentication = authenticate(request.headers, certificate, options);
    let user: UserInfo | undefined = authentication.kind === 'authenticated' ? authentication.user : undefined;
    let impersonatedBy: UserInfo | undefined;
    let impersonationError: string | undefined;
    if (user) {
      const impersonation = impersonate(request.headers, user);
      if (impersonation.kind === 'impersonating') {
        impersonatedBy = user;
        user = impersonation.user;
      } else if (impersonation.kind === 'forbidden') {
        impersonationError = impersonation.message;
      }
    }
    if (record) requests.push({
      method,
      path: rawPath,
      query: rawQuery,
      url: request.url ?? '/',
      headers: rawHeaderMap(request.rawHeaders),
      httpVersion: request.httpVersion,
      alpnProtocol: socket.alpnProtocol || undefined,
      clientCertificate: certificate?.summary as PeerCertificateSummary | undefined,
      user,
      impersonatedBy,
      requestInfo: info,
      bodyBytes: size,
      body: body.subarray(0, 64 * 1024),
      receivedAt: Date.now(),
    });
    return { info, user, impersonationError };
  };

  server.on('request', (request: DemoRequest, rawResponse: ServerResponse | Http2ServerResponse) => {
    const response = rawResponse as unknown as DemoResponse;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    request.on('error', () => {});
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = request.url ?? '/';
      const question = url.indexOf('?');
      const rawPath = question === -1 ? url : url.slice(0, question);
      const rawQuery = question === -1 ? '' : url.slice(question + 1);
      let decodedPath: string;
      try {
        decodedPath = decodeURIComponent(rawPath);
      } catch {
        decodedPath = rawPath;
      }
      const query = new URLSearchParams(rawQuery);
      const method = request.method ?? 'GET';
      const { info, user, impersonationError } = admit(request, rawPath, rawQuery, decodedPath, size, body);
      response.setHeader('audit-id', typeof request.headers['audit-id'] === 'string' ? request.headers['audit-id'] : randomUUID());

      const route = options.routes?.find((candidate) => (!candidate.method || candidate.method === method) && (typeof candidate.path === 'string' ? candidate.path === rawPath : candidate.path.test(rawPath)));
      if (route) {
        route.handler(request, response, body);
        return;
      }
      if (!user) {
        sendStatus(request, response, 401, 'Unauthorized', 'Unauthorized');
        return;
      }
      if (impersonationError) {
        sendStatus(request, response, 403, 'Forbidden', impersonationError, { name: String(request.headers['impersonate-user'] ?? ''), kind: 'users' });
        return;
      }
      if (!authorize(user, info)) {
        sendStatus(request, response, 403, 'Forbidden', forbiddenMessage(user, info), info.isResourceRequest ? { ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), kind: info.resource } : {});
        return;
      }
      if (info.isResourceRequest) handleResource(request, response, info, query, rawPath, rawQuery, body);
      else handleNonResource(request, response, info);
    });
  });

  const streamServer = createStreamServer();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = request.url ?? '/';
    const question = url.indexOf('?');
    const rawPath = question === -1 ? url : url.slice(0, question);
    const rawQuery = question === -1 ? '' : url.slice(question + 1);
    let decodedPath = rawPath;
    try {
      decodedPath = decodeURIComponent(rawPath);
    } catch {
      // keep the raw path
    }
    const info = parseRequestInfo(request.method ?? 'GET', decodedPath, new URLSearchParams(rawQuery));
    const podType = findResourceType('', 'v1', 'pods') as ResourceType;
    const upgradable = info.isResourceRequest && info.resource === 'pods' && ['exec', 'attach', 'portforward'].includes(info.subresource);
    const pod = upgradable ? store.get(podType, info.namespace, info.name) : undefined;
    const admission = admit(request, rawPath, rawQuery, decodedPath, 0, Buffer.alloc(0), false);
    if (!pod || !admission.user || admission.impersonationError || !authorize(admission.user, info)) {
      // kube-apiserver is a Go server: an upgrade request for something that does not upgrade is an
      // ordinary request, answered on a connection that stays open, and whatever the client sent
      // after it is read as the next request. Do exactly that, so smuggling through kubegate shows.
      readAsOrdinaryRequests(server, request, socket as TLSSocket, head);
      return;
    }
    admit(request, rawPath, rawQuery, decodedPath, 0, Buffer.alloc(0));
    streamServer.handle(request, socket, head, {
      subresource: info.subresource,
      query: new URLSearchParams(rawQuery),
      portForward: { pod: { namespace: info.namespace, name: info.name, uid: pod.metadata.uid ?? '' }, backend: (port) => podPortBackend(pod, port) },
    });
  });

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  serverAddress = `${address.address}:${address.port}`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    caPem: pki.ca.certPem,
    pki,
    store,
    requests,
    tunnels: streamServer.registry,
    async close() {
      for (const end of [...streams]) end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Hands an upgrade request back to the HTTP/1.1 parser as an ordinary request (its Upgrade header
 * removed), followed by the bytes that came after it, as a Go server reads them.
 */
function readAsOrdinaryRequests(server: Http2SecureServer, request: IncomingMessage, socket: TLSSocket, head: Buffer): void {
  const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/${request.httpVersion}`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    if (/^(upgrade|connection)$/i.test(name)) continue;
    lines.push(`${name}: ${request.rawHeaders[i + 1] as string}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), head]));
  server.emit('secureConnection', socket);
}

/** Lower-cased header names, repeated headers kept as lists (HTTP/2 pseudo-headers included). */
function rawHeaderMap(raw: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}
