// How kubegate answers when it, not the API server, refuses or fails a request: `Status` bodies, on a response or a raw socket.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The `reason` values kubegate uses, from apimachinery's metav1.StatusReason. */
export type StatusReason = 'Forbidden' | 'ServiceUnavailable' | 'InternalError' | 'BadGateway' | 'Unauthorized';

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

/** Writes a Status response on a raw Node response (also used before the fastify reply exists, e.g. tunnels). */
export function writeStatus(response: ServerResponse, code: number, message: string, extraHeaders?: Record<string, string>): void {
  const body = JSON.stringify(statusBody(code, reasonForCode(code), message));
  response.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
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
export function writeRawStatus(socket: Socket, code: number, message: string): void {
  writeRawResponse(socket, code, { 'content-type': 'application/json' }, JSON.stringify(statusBody(code, reasonForCode(code), message)));
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
