// Upgrade requests (exec, attach, portforward): admitted ones go to the stream server; every other one
// is read as a Go server reads it, as an ordinary request followed by whatever the client sent next.

import type { IncomingMessage } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { admit, splitTarget } from '../admission.js';
import { parseRequestInfo } from '../request-info.js';
import { findResourceType, type ResourceType } from '../resources.js';
import type { KubeObject } from '../store.js';
import type { StreamServer } from '../streams.js';
import type { HandlerContext } from './context.js';

const POD_TYPE = findResourceType('', 'v1', 'pods') as ResourceType;
const SERVICE_TYPE = findResourceType('', 'v1', 'services') as ResourceType;
const UPGRADABLE_SUBRESOURCES = ['exec', 'attach', 'portforward'];

/** What the upgrade handler needs beyond the shared context: the server to re-read requests, the tunnels. */
export interface UpgradeServers {
  readonly server: Http2SecureServer;
  readonly streamServer: StreamServer;
}

/**
 * What answers on a pod's port: nothing unless a container declares that containerPort; then the
 * backend given for the pod, or for a Service in its namespace whose selector matches the pod.
 */
function podPortBackend(ctx: HandlerContext, pod: KubeObject, port: number): { host: string; port: number } | undefined {
  const spec = (pod.spec ?? {}) as { containers?: { ports?: { containerPort?: number }[] }[] };
  if (!(spec.containers ?? []).some((container) => (container.ports ?? []).some((declared) => declared.containerPort === port))) return undefined;
  const namespace = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  const service = ctx.store.list(SERVICE_TYPE, namespace).find((candidate) => {
    const selector = ((candidate.spec ?? {}) as { selector?: Record<string, string> }).selector ?? {};
    return Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
  });
  const proxyBackends = ctx.options.proxyBackends;
  const backend = proxyBackends?.[`${namespace}/${pod.metadata.name}`] ?? (service ? proxyBackends?.[`${namespace}/${service.metadata.name}`] : undefined);
  if (!backend) return undefined;
  const url = new URL(backend);
  return { host: url.hostname, port: Number(url.port) };
}

export function handleUpgrade(ctx: HandlerContext, servers: UpgradeServers, request: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => {});
  const target = splitTarget(request.url ?? '/');
  const query = new URLSearchParams(target.rawQuery);
  const info = parseRequestInfo(request.method ?? 'GET', target.decodedPath, query);
  const upgradable = info.isResourceRequest && info.resource === 'pods' && UPGRADABLE_SUBRESOURCES.includes(info.subresource);
  const pod = upgradable ? ctx.store.get(POD_TYPE, info.namespace, info.name) : undefined;
  const admission = admit(ctx, request, target, 0, Buffer.alloc(0), false);
  if (!pod || !admission.user || admission.impersonationError || !ctx.authorize(admission.user, info)) {
    // kube-apiserver is a Go server: an upgrade request for something that does not upgrade is an
    // ordinary request, answered on a connection that stays open, and whatever the client sent
    // after it is read as the next request. Do exactly that, so smuggling through kubegate shows.
    readAsOrdinaryRequests(servers.server, request, socket as TLSSocket, head);
    return;
  }
  admit(ctx, request, target, 0, Buffer.alloc(0));
  servers.streamServer.handle(request, socket, head, {
    subresource: info.subresource,
    query: new URLSearchParams(target.rawQuery),
    portForward: { pod: { namespace: info.namespace, name: info.name, uid: pod.metadata.uid ?? '' }, backend: (port) => podPortBackend(ctx, pod, port) },
  });
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
