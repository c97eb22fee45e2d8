// How kubegate answers when it, not the API server, refuses or fails a request: `Status` bodies, on a response or a raw socket.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The `reason` values kubegate uses, from apimachinery's metav1.StatusReason. */
export type StatusReason = 'Forbidden' | 'ServiceUnavailable' | 'InternalError' | 'BadGateway' | 'Unauthorized' | 'NotFound' | 'MethodNotAllowed';

export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: StatusReason;
  readonly code: number;
}

export function statusBody(code: number, reason: StatusReason, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 502:
      return 'BadGateway';
    case 503:
      return 'ServiceUnavailable';
    default:
      return 'InternalError';
  }
}

/**
 * The documents client-go reads without decoding an error answer (discovery's `/api` and `/apis`,
 * `/version`, `/openapi/v2`, `/openapi/v3...`: `Do().Raw()`). For those it keeps an error body only
 * when its type is `text/*`, and prints `unknown` for JSON; every other request decodes a JSON
 * `Status` and prints its message. Matched on the path's end, so an --api-prefix in front is fine.
 */
const RAW_READ_DOCUMENT = /(?:^|\/)(?:api|apis|version|openapi\/v2|openapi\/v3(?:\/.*)?)$/;

/** Whether kubegate's error for this request is better sent as plain text (see RAW_READ_DOCUMENT). */
export function wantsPlainTextError(method: string | undefined, target: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = (target ?? '').split('?', 1)[0] as string;
  return RAW_READ_DOCUMENT.test(path);
}

export interface ErrorAnswer {
  readonly code: number;
  readonly reason: StatusReason;
  readonly message: string;
}

/**
 * kubegate's error, as headers and body: a `Status` JSON (deliberate difference 2 and 3), or for
 * a document client-go reads raw the message as Go's http.Error writes it, so kubectl prints it.
 */
export function errorAnswer(answer: ErrorAnswer, plainText: boolean): { readonly headers: Record<string, string>; readonly body: string } {
  if (plainText) {
    return { headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: `${answer.message}\n` };
  }
  return { headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' }, body: JSON.stringify(statusBody(answer.code, answer.reason, answer.message)) };
}

/**
 * Writes kubegate's error on a raw Node response (also used before the fastify reply exists),
 * in the form the request's client shows best (see errorAnswer).
 */
export function writeStatus(response: ServerResponse, code: number, message: string, extraHeaders?: Record<string, string>, reason: StatusReason = reasonForCode(code)): void {
  const request = response.req as ServerResponse['req'] | undefined;
  const { headers, body } = errorAnswer({ code, reason, message }, wantsPlainTextError(request?.method, request?.url));
  response.writeHead(code, {
    ...headers,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache, private',
    ...extraHeaders,
  });
  response.end(body);
}

/** Go's server waits this long after a FIN before closing, so the client reads the answer before any RST. */
export const LINGER_MS = 500;

/**
 * Writes a complete HTTP/1.1 answer on a raw socket (an upgrade before its 101, a connection
 * kubegate is closing) and closes it the way Go does: FIN, a short linger, close.
 */
export function writeRawResponse(socket: Socket, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`];
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })) {
    lines.push(`${name}: ${value}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  closeAfterAnswer(socket);
}

/** A Status body written on a raw socket, then closed. */
export function writeRawStatus(socket: Socket, code: number, message: string, reason: StatusReason = reasonForCode(code)): void {
  // Only upgrades are answered here, and client-go decodes a Status from an upgrade's answer whatever its type.
  writeRawResponse(socket, code, { 'content-type': 'application/json' }, JSON.stringify(statusBody(code, reason, message)));
}

/**
 * Ends our side and closes a little later without reading anything more: whatever the client sent
 * after its head is never relayed anywhere. Closing at once with unread bytes would send an RST that
 * can destroy the answer before the client reads it.
 */
export function closeAfterAnswer(socket: Socket): void {
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
