// Kubernetes `Status` bodies: how kubegate answers when it, not the API server, refuses or fails a request.

import type { ServerResponse } from 'node:http';

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
