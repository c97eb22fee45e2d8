// The benchmark's API server: answers from precomputed buffers so that it is never what limits a
// proxy's numbers. It speaks what kube-apiserver speaks to the proxies: TLS with client-certificate
// verification, HTTP/2 and HTTP/1.1 (ALPN), gzip for large responses when asked, chunked watches.
// Run by bench.ts as a child process (IPC): `update` sends one watch event to every open watch.

import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

export const BENCH_NAMESPACE = 'bench';
export const POD_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/pods/bench-pod`;
export const LIST_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/configmaps`;
export const WATCH_PATH = `${LIST_PATH}?watch=true`;

export type UpstreamMessage = { readonly type: 'update' } | { readonly type: 'count' };
export type UpstreamReply =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'updated'; readonly watchers: number }
  | { readonly type: 'count'; readonly watchers: number };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

const pod = Buffer.from(
  JSON.stringify({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'bench-pod', namespace: BENCH_NAMESPACE, uid: '8a1f5c1e-5b4f-4c52-9f0e-2f4f7d3c9a10', resourceVersion: '1000', labels: { app: 'bench' } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }], nodeName: 'node-1' },
    status: { phase: 'Running', podIP: '10.244.0.7', conditions: [{ type: 'Ready', status: 'True' }] },
  }),
);

/**
 * About 5 MB of ConfigMaps, as one LIST response (and its gzip, as kube-apiserver sends to clients
 * that ask, at gzip level 1 like kube-apiserver). The data is config-file text drawn from a
 * vocabulary plus random tokens: it compresses about three times, as real object lists do a few
 * times; a padding of one repeated letter would compress a thousandfold and turn the LIST into a
 * test of who asks for gzip.
 */
export function buildList(): { readonly plain: Buffer; readonly gzip: Buffer } {
  let seed = 20261128;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const randomWord = (): string => Math.floor(random() * 2 ** 32).toString(36);
  // Values come from a vocabulary, as real settings, names and images repeat across objects.
  const vocabulary = Array.from({ length: 400 }, randomWord);
  const word = (): string => vocabulary[Math.floor(random() * vocabulary.length)] ?? '';
  const config = (): string => {
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) lines.push(`${['server', 'cache', 'log', 'feature', 'limit'][i % 5]}.${word()}=${word()}-${word()}`);
    return lines.join('\n');
  };
  const items = [];
  let size = 0;
  for (let i = 0; size < 5_000_000; i++) {
    const item = {
      metadata: { name: `cm-${i}`, namespace: BENCH_NAMESPACE, uid: `${randomWord()}-${randomWord()}-${randomWord()}`, resourceVersion: String(2000 + i), labels: { app: `app-${i % 40}` } },
      data: { 'app.properties': config(), 'token.b64': Buffer.from(Array.from({ length: 12 }, randomWord).join('')).toString('base64') },
    };
    size += JSON.stringify(item).length;
    items.push(item);
  }
  const plain = Buffer.from(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9999' }, items }));
  return { plain, gzip: gzipSync(plain, { level: 1 }) };
}

function main(): void {
  const [certFile, keyFile, caFile] = process.argv.slice(2);
  if (!certFile || !keyFile || !caFile || !process.send) throw new Error('usage: fork upstream.js CERT KEY CA');
  const send = (reply: UpstreamReply): boolean => (process.send as (message: UpstreamReply) => boolean)(reply);
  const list = buildList();
  const watchers = new Set<Http2ServerResponse>();
  let resourceVersion = 10_000;

  const server = createSecureServer(
    {
      allowHTTP1: true,
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      ca: readFileSync(caFile),
      requestCert: true,
      rejectUnauthorized: true,
      settings: { maxConcurrentStreams: 250 },
    },
    (request: Http2ServerRequest, response: Http2ServerResponse) => {
      const url = request.url;
      if (request.method === 'GET' && url === POD_PATH) {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': pod.length });
        response.end(pod);
        return;
      }
      if (request.method === 'GET' && url.startsWith(LIST_PATH) && /[?&]watch=(true|1)/.test(url)) {
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
        // HTTP/2 sends headers at writeHead; an HTTP/1.1 fallback response needs a flush.
        (response as unknown as { flushHeaders?: () => void }).flushHeaders?.();
        watchers.add(response);
        const forget = (): boolean => watchers.delete(response);
        response.on('close', forget);
        request.on('error', forget);
        return;
      }
      if (request.method === 'GET' && url === LIST_PATH) {
        const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
        const body = gzip ? list.gzip : list.plain;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        response.end(body);
        return;
      }
      if (url === '/readyz' || url === '/version') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
    },
  );

  process.on('message', (message: UpstreamMessage) => {
    if (message.type === 'count') {
      send({ type: 'count', watchers: watchers.size });
      return;
    }
    resourceVersion += 1;
    const event = Buffer.from(
      `${JSON.stringify({
        type: 'MODIFIED',
        object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'watched', namespace: BENCH_NAMESPACE, resourceVersion: String(resourceVersion), annotations: { sentAt: String(preciseNow()) } }, data: { k: 'v' } },
      })}\n`,
    );
    for (const watcher of watchers) watcher.write(event);
    send({ type: 'updated', watchers: watchers.size });
  });
  process.on('disconnect', () => process.exit(0));

  server.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port }));
}

if (process.argv[1]?.endsWith('upstream.js')) main();
