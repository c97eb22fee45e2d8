// kube-apiserver's filter chain as the fake server plays it: split the target, authenticate,
// impersonate, record the request, and the default authorizer with its denial wording.

import type { TLSSocket } from 'node:tls';
import type { Authorizer } from './api-server-options.js';
import { authenticate, impersonate, peerCertificate, type PeerCertificateSummary, type UserInfo } from './authn.js';
import type { HandlerContext } from './handlers/context.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import type { DemoRequest } from './responses.js';

export interface Admission {
  readonly info: RequestInfo;
  /** Undefined when the request did not authenticate. */
  readonly user: UserInfo | undefined;
  readonly impersonationError: string | undefined;
}

/** A request target split as Go's server does: the raw path and query, and the path %-decoded (raw when it cannot be). */
export interface RequestTarget {
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly decodedPath: string;
}

/** How much of a request body the log keeps. */
const RECORDED_BODY_BYTES = 64 * 1024;

export function splitTarget(url: string): RequestTarget {
  const question = url.indexOf('?');
  const rawPath = question === -1 ? url : url.slice(0, question);
  const rawQuery = question === -1 ? '' : url.slice(question + 1);
  let decodedPath = rawPath;
  try {
    decodedPath = decodeURIComponent(rawPath);
  } catch {
    // keep the raw path
  }
  return { rawPath, rawQuery, decodedPath };
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

/**
 * Authenticates, impersonates and (when `record`) records one request, ordinary or upgrade, as
 * kube-apiserver's filter chain. The request log is what the end-to-end tests judge kubegate by.
 */
export function admit(ctx: HandlerContext, request: DemoRequest, target: RequestTarget, size: number, body: Buffer, record = true): Admission {
  const method = request.method ?? 'GET';
  const info = parseRequestInfo(method, target.decodedPath, new URLSearchParams(target.rawQuery));
  const socket = request.socket as TLSSocket;
  const certificate = peerCertificate(socket);
  const authentication = authenticate(request.headers, certificate, ctx.options);
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
  if (record) ctx.requests.push({
    method,
    path: target.rawPath,
    query: target.rawQuery,
    url: request.url ?? '/',
    headers: rawHeaderMap(request.rawHeaders),
    httpVersion: request.httpVersion,
    alpnProtocol: socket.alpnProtocol || undefined,
    clientCertificate: certificate?.summary as PeerCertificateSummary | undefined,
    user,
    impersonatedBy,
    requestInfo: info,
    bodyBytes: size,
    body: body.subarray(0, RECORDED_BODY_BYTES),
    receivedAt: Date.now(),
  });
  return { info, user, impersonationError };
}
