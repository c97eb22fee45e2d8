// One request as the page shows it, built from what the CLIENT sent and what came back (never the
// credentials kubegate adds upstream), redacted as -v=8/-v=9 tracing redacts, when the page asks.

import type { RecordDetail, RecordSummary, StreamKind } from './wire.js';
import type { IncomingHttpHeaders } from 'node:http';
import { gunzipSync, constants as zlib } from 'node:zlib';
import { redactHeaders, redactUrl } from '../log.js';
import type { Decision } from '../server/decide.js';
import { readRequestInfo, type RequestInfo } from '../server/request-info.js';
import { describeBody } from '../upstream/trace.js';
import { BodyHead } from './body-sample.js';
import { curlCommand, kubectlCommand } from './commands.js';


export interface UiRecord {
  readonly id: number;
  /** Wall-clock start (ms since the epoch) and the monotonic one the duration is measured from. */
  readonly startedAt: number;
  readonly startedMs: number;
  readonly method: string;
  /** The request target as the client sent it. */
  readonly target: string;
  /** The decoded path the filter checked (API requests), else the target's path. */
  readonly path: string;
  readonly query: string;
  /** The client's own headers (the object Node parsed, not a copy). */
  readonly requestHeaders: IncomingHttpHeaders;
  readonly stream: StreamKind | undefined;
  /** The flag or policy rule that refused the request. */
  readonly refusedBy: string | undefined;
  /** Known at once when a policy computed it; otherwise read the first time the page needs it. */
  info: RequestInfo | undefined;
  status: number;
  durationMs: number | undefined;
  bytesIn: number;
  bytesOut: number;
  /** Watch events (lines) or tunnel writes relayed to the client. */
  events: number;
  /** The exchange ended before its answer was complete. */
  cutShort: boolean;
  responseHeaders: Record<string, string | string[]> | undefined;
  readonly requestBody: BodyHead;
  readonly responseBody: BodyHead;
}

/** The target's path, decoded when it can be, for requests the filter never read. */
function pathOf(target: string): string {
  const question = target.indexOf('?');
  const raw = question === -1 ? target : target.slice(0, question);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function createRecord(id: number, method: string, target: string, headers: IncomingHttpHeaders, decision: Decision, stream: StreamKind | undefined): UiRecord {
  const question = target.indexOf('?');
  const api = decision.kind === 'api' ? decision : undefined;
  return {
    id,
    startedAt: Date.now(),
    startedMs: performance.now(),
    method,
    target,
    path: api ? api.filterPath : pathOf(target),
    query: api ? (api.query ?? '') : question === -1 ? '' : target.slice(question + 1),
    requestHeaders: headers,
    stream,
    refusedBy: decision.kind === 'reply' ? (decision.rejectedBy ?? decision.refusedByPolicy?.rule) : undefined,
    info: api?.info,
    // A reply kubegate wrote itself may go out on the raw socket (a refused upload): its status is known now.
    status: decision.kind === 'reply' ? decision.status : 0,
    durationMs: undefined,
    bytesIn: 0,
    bytesOut: 0,
    events: 0,
    cutShort: false,
    responseHeaders: undefined,
    requestBody: new BodyHead(),
    responseBody: new BodyHead(),
  };
}

export function requestInfoOf(record: UiRecord): RequestInfo {
  record.info ??= readRequestInfo(record.method, record.path, new URLSearchParams(record.query));
  return record.info;
}


export function summarize(record: UiRecord): RecordSummary {
  const info = requestInfoOf(record);
  // The id kubegate answered with (the client's own, or the one it made up for the API server's audit log).
  const auditId = record.responseHeaders?.['audit-id'] ?? record.requestHeaders['audit-id'];
  return {
    id: record.id,
    time: record.startedAt,
    method: record.method,
    url: redactUrl(record.target),
    verb: info.verb,
    apiGroup: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
    status: record.status,
    durationMs: record.durationMs === undefined ? null : Math.round(record.durationMs * 10) / 10,
    bytesIn: record.bytesIn,
    bytesOut: record.bytesOut,
    refusedBy: record.refusedBy ?? null,
    stream: record.stream ?? null,
    open: record.durationMs === undefined,
    events: record.events,
    cutShort: record.cutShort,
    auditId: typeof auditId === 'string' ? auditId : null,
  };
}

/** Opening one request: its headers and first bytes, redacted as -v=8/-v=9, and how to send it again. */

export function detailOf(record: UiRecord, base: string): RecordDetail {
  const summary = summarize(record);
  const requestHeaders = redactHeaders(record.requestHeaders);
  const responseHeaders = redactHeaders(record.responseHeaders ?? {});
  return {
    ...summary,
    requestHeaders,
    responseHeaders,
    requestBody: bodyText(record.requestBody, requestHeaders),
    responseBody: bodyText(record.responseBody, responseHeaders),
    curl: curlCommand(base, record.method, summary.url, requestHeaders),
    kubectl: kubectlCommand(base, record.method, summary.url, requestInfoOf(record)),
  };
}

function headerValue(headers: Readonly<Record<string, string | string[]>>, name: string): string | undefined {
  for (const key in headers) {
    if (key.toLowerCase() !== name) continue;
    const value = headers[key];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** The body as -v=9 shows it; a gzip head (kubectl asks for gzip) is inflated as far as it goes first. */
function bodyText(head: BodyHead, headers: Readonly<Record<string, string | string[]>>): string {
  if (head.total === 0) return '';
  const type = headerValue(headers, 'content-type');
  const encoding = headerValue(headers, 'content-encoding');
  let bytes = head.bytes();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { finishFlush: zlib.Z_SYNC_FLUSH });
    } catch {
      return describeBody([bytes], head.total, type, encoding);
    }
    const kept = head.bytes().length;
    const cut = head.total > kept ? ` [gzip: the first ${kept} of ${head.total} bytes on the wire, inflated]` : '';
    return `${describeBody([bytes], bytes.length, type, undefined)}${cut}`;
  }
  return describeBody([bytes], head.total, type, encoding);
}
