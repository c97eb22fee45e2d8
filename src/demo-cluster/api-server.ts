// A fake kube-apiserver over HTTPS (HTTP/2 and HTTP/1.1): the tests' upstream and the built-in demo cluster.
//
// This file creates the TLS server, dispatches each request (admission and recording first, then one
// handler from handlers/) and closes everything. The handlers receive a HandlerContext instead of
// closing over this function's locals.
//
// Test hooks (ApiServerOptions fields that exist only for the test suites; see api-server-options.ts):
//   routes             handlers answering matching requests before authentication is enforced
//   largeList          a configmap LIST generated as a stream (handlers/large-list.ts)
//   logLineIntervalMs  the pace of `logs -f` (handlers/log.ts)
// The demo cluster (demo-cluster.ts) sets none of them.

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { admit, defaultAuthorizer, forbiddenMessage, splitTarget } from './admission.js';
import type { ApiServerOptions } from './api-server-options.js';
import type { DemoCall, HandlerContext } from './handlers/context.js';
import { handleNonResource } from './handlers/discovery.js';
import { handleResource } from './handlers/resource.js';
import { handleUpgrade } from './handlers/upgrade.js';
import { createPki, type Pki } from './pki.js';
import { rbacAuthorizer } from './rbac.js';
import { RequestLog } from './request-log.js';
import { findResourceType, type ResourceType } from './resources.js';
import { sendStatus, type DemoRequest, type DemoResponse } from './responses.js';
import { ObjectStore } from './store.js';
import { createStreamServer, type TunnelRegistry } from './streams.js';

export type { ApiServerOptions, Authorizer, LargeList, TestRoute } from './api-server-options.js';
export type { DemoRequest, DemoResponse } from './responses.js';
export { defaultAuthorizer, forbiddenMessage } from './admission.js';

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

/** Bodies beyond this are counted but not kept. */
const MAX_BODY = 64 * 1024 * 1024;

function createContext(options: ApiServerOptions): HandlerContext {
  const store = new ObjectStore();
  const namespaceType = findResourceType('', 'v1', 'namespaces') as ResourceType;
  for (const name of options.namespaces ?? ['default', 'kube-system', ...(options.largeList ? [options.largeList.namespace] : [])]) {
    store.create(namespaceType, { metadata: { name }, status: { phase: 'Active' } });
  }
  return {
    options,
    store,
    requests: new RequestLog(options.requestLogLimit),
    authorize: options.authorize ?? (options.rbac ? rbacAuthorizer(store) : defaultAuthorizer),
    streams: new Set<() => void>(),
    serverAddress: '127.0.0.1:0',
  };
}

/** The open TLS sockets and HTTP/2 sessions, so close() can cut them. */
interface Connections {
  readonly sockets: Set<Socket>;
  readonly sessions: Set<Http2Session>;
}

function createTlsServer(pki: Pki): { server: Http2SecureServer; connections: Connections } {
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
  const connections: Connections = { sockets: new Set(), sessions: new Set() };
  server.on('secureConnection', (socket: TLSSocket) => {
    connections.sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => connections.sockets.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    connections.sessions.add(session);
    session.on('error', () => {});
    session.on('close', () => connections.sessions.delete(session));
  });
  return { server, connections };
}

/** Reads the whole body (keeping at most MAX_BODY bytes), then answers. */
function onRequest(ctx: HandlerContext, request: DemoRequest, response: DemoResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  request.on('error', () => {});
  request.on('end', () => answerRequest(ctx, request, response, Buffer.concat(chunks), size));
}

/** Admission (recorded), then a test route, the 401/403 answers, or the resource or non-resource handler. */
function answerRequest(ctx: HandlerContext, request: DemoRequest, response: DemoResponse, body: Buffer, size: number): void {
  const target = splitTarget(request.url ?? '/');
  const { rawPath, rawQuery } = target;
  const query = new URLSearchParams(rawQuery);
  const method = request.method ?? 'GET';
  const { info, user, impersonationError } = admit(ctx, request, target, size, body);
  response.setHeader('audit-id', typeof request.headers['audit-id'] === 'string' ? request.headers['audit-id'] : randomUUID());

  const route = ctx.options.routes?.find((candidate) => (!candidate.method || candidate.method === method) && (typeof candidate.path === 'string' ? candidate.path === rawPath : candidate.path.test(rawPath)));
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
  if (!ctx.authorize(user, info)) {
    sendStatus(request, response, 403, 'Forbidden', forbiddenMessage(user, info), info.isResourceRequest ? { ...(info.name ? { name: info.name } : {}), ...(info.apiGroup ? { group: info.apiGroup } : {}), kind: info.resource } : {});
    return;
  }
  const call: DemoCall = { request, response, info, query, rawPath, rawQuery, body };
  if (info.isResourceRequest) handleResource(ctx, call);
  else handleNonResource(ctx, call);
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<RunningApiServer> {
  const pki = options.pki ?? (await createPki());
  const ctx = createContext(options);
  const { server, connections } = createTlsServer(pki);
  server.on('request', (request: DemoRequest, response: ServerResponse | Http2ServerResponse) => onRequest(ctx, request, response as unknown as DemoResponse));
  const streamServer = createStreamServer();
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(ctx, { server, streamServer }, request, socket, head));

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  ctx.serverAddress = `${address.address}:${address.port}`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `https://${host}:${address.port}`,
    port: address.port,
    caPem: pki.ca.certPem,
    pki,
    store: ctx.store,
    requests: ctx.requests,
    tunnels: streamServer.registry,
    async close() {
      for (const end of [...ctx.streams]) end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of connections.sessions) session.destroy();
      for (const socket of connections.sockets) socket.destroy();
      await closed;
    },
  };
}
