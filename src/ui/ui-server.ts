// --ui: records every request kubegate decides (a ring buffer of the last N) and serves the page,
// its assets, its event stream and each request's redacted detail under /-/ui/.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../server/decide.js';
import type { RequestRecorder } from '../server/request-recorder.js';
import { isUiTarget } from '../server/ui-route.js';
import { captureRequestBody, captureResponse, captureTunnel } from './capture.js';
import { EventHub } from './event-hub.js';
import { APP_CSS, APP_JS, ICON_SVG, INDEX_HTML } from './page-assets.js';
import { createRecord, detailOf, type UiRecord } from './record.js';
import { RingBuffer } from './ring-buffer.js';

export interface UiOptions {
  /** How many requests the page can look back on (--ui-history). */
  readonly history: number;
  /** --api-prefix (normalised), where the explorer sends its requests. */
  readonly apiPrefix: string;
}

/**
 * Everything the page loads comes from this listener: scripts and styles only from files (no inline
 * code), no frames, no third-party origins, no referrer leaving it.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
});

const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  '': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  'index.html': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  'app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  'app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
  'icon.svg': { type: 'image/svg+xml', body: ICON_SVG },
};

export function createUiRecorder(options: UiOptions): RequestRecorder & { readonly buffer: RingBuffer<UiRecord> } {
  const buffer = new RingBuffer<UiRecord>(options.history);
  const hub = new EventHub();
  let nextId = 1;
  const changed = (record: UiRecord): void => hub.changed(record);
  const start = (request: IncomingMessage, decision: Decision, stream: UiRecord['stream']): UiRecord => {
    const record = createRecord(nextId++, request.method ?? 'GET', request.url ?? '/', request.headers, decision, stream);
    buffer.push(record);
    changed(record);
    return record;
  };
  return {
    buffer,
    record(request, response, decision) {
      // The page's own requests (a refused Host, a redirect, a wrong method included) are not the API's.
      if (isUiTarget(request.url ?? '/')) return;
      const record = start(request, decision, decision.kind === 'api' && decision.streaming ? 'watch' : undefined);
      captureRequestBody(request, record);
      captureResponse(response, record, changed);
    },
    recordUpgrade(request, socket, decision) {
      if (isUiTarget(request.url ?? '/')) return;
      captureTunnel(socket, start(request, decision, 'tunnel'), changed);
    },
    serve(request, response, path) {
      if (path === 'config' && !fromAnotherSite(request)) return send(response, 200, 'application/json', JSON.stringify({ apiPrefix: explorerPrefix(options.apiPrefix) }), request.method === 'HEAD');
      servePage(request, response, path, buffer, hub);
    },
    close: () => hub.close(),
  };
}

/** kubectl strips an --api-prefix, except one that starts with /api (then paths go as they are). */
function explorerPrefix(apiPrefix: string): string {
  return apiPrefix.startsWith('/api') ? '/' : apiPrefix;
}

function send(response: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  response.writeHead(status, { ...PAGE_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(head ? '' : body);
}

/**
 * The page's data is for the page: a browser says when another site asks for it (Sec-Fetch-Site), and
 * is refused, on top of the Host rule and CORP. Navigating to the page from a link stays possible.
 */
function fromAnotherSite(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

function servePage(request: IncomingMessage, response: ServerResponse, path: string, buffer: RingBuffer<UiRecord>, hub: EventHub): void {
  const head = request.method === 'HEAD';
  const asset = ASSETS[path];
  if (asset !== undefined) return send(response, 200, asset.type, asset.body, head);
  if (fromAnotherSite(request)) return send(response, 403, 'text/plain; charset=utf-8', 'the page\'s data is served to the page only\n', head);
  if (path === 'events' && head) return send(response, 200, 'text/event-stream; charset=utf-8', '', true);
  if (path === 'events') {
    for (const [name, value] of Object.entries(PAGE_HEADERS)) response.setHeader(name, value);
    return hub.attach(response, buffer.items());
  }
  const detail = /^requests\/(\d{1,15})$/.exec(path);
  if (detail) {
    const record = buffer.get(Number(detail[1]));
    if (record === undefined) return send(response, 404, 'application/json', JSON.stringify({ message: 'no longer held (see --ui-history)' }), head);
    const base = `http://${request.headers.host ?? 'localhost'}`;
    return send(response, 200, 'application/json', JSON.stringify(detailOf(record, base)), head);
  }
  send(response, 404, 'text/plain; charset=utf-8', '404 page not found\n', head);
}
