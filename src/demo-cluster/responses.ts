// Response helpers every handler of the fake API server shares: JSON (formatted as kube-apiserver
// formats it, gzipped when large), Status objects, text.

import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { createGzip } from 'node:zlib';
import { encodeJson, prettyRequested, type JsonFormat } from './encoding.js';

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

/** kube-apiserver gzips a response body over this size when the client accepts gzip. */
const GZIP_THRESHOLD = 128 * 1024;

export function statusObject(code: number, reason: string, message: string, details?: Record<string, unknown>): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function acceptsGzip(request: DemoRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

/** Writes `value` as JSON, formatted as the apiserver path `format` names would format it for this request. */
export function sendJson(request: DemoRequest, response: DemoResponse, status: number, value: unknown, format: JsonFormat = 'negotiated'): void {
  const userAgent = request.headers['user-agent'];
  const pretty = prettyRequested(request.url ?? '/', typeof userAgent === 'string' ? userAgent : undefined);
  const body = Buffer.from(encodeJson(value, format, pretty));
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

export function sendStatus(request: DemoRequest, response: DemoResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  sendJson(request, response, code, statusObject(code, reason, message, details));
}

export function sendText(response: DemoResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
