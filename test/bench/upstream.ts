// The benchmark's API server. It speaks what kube-apiserver speaks to the proxies: TLS with
// client-certificate verification, HTTP/2 and HTTP/1.1 (ALPN), gzip (level 1, as kube-apiserver)
// for large responses when asked, chunked watches. Two modes:
// - `precomputed` (the default): answers from buffers built once, so that it is never what limits
//   a proxy's numbers; one watch event is encoded once and written to every watcher.
// - `apiserver`: works as kube-apiserver does per request: it encodes JSON for every answer from
//   real-sized objects (pods of about 2.5 KB, see pods.ts), gzips per request, and feeds watches
//   with real changes (a pod modified on a timer, the event encoded for each watcher).
// Run by bench.ts as a child process (IPC). It also listens on a second port that does not ask for
// a client certificate: wrk cannot present one, and the bench measures the upstream alone with it.

import { readFileSync } from 'node:fs';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createGzip, gzipSync } from 'node:zlib';
import { buildPod, modifyPod, podList, type BenchPod } from './pods.js';

export const BENCH_NAMESPACE = 'bench';
export const POD_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/pods/bench-pod`;
export const LIST_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/configmaps`;
export const WATCH_PATH = `${LIST_PATH}?watch=true`;
/** 2,000 realistic pods: the WAN scenario's LIST; their watch is the `apiserver` mode's watch. */
export const PODS_PATH = `/api/v1/namespaces/${BENCH_NAMESPACE}/pods`;
export const POD_WATCH_PATH = `${PODS_PATH}?watch=true`;
export const POD_COUNT = 2_000;

export type UpstreamMode = 'precomputed' | 'apiserver';
export const UPSTREAM_MODES: readonly UpstreamMode[] = ['precomputed', 'apiserver'];

/** `update`: modify an object `times` times, every `everyMs`, each change sent to every open watch. */
export type UpstreamMessage = { readonly type: 'update'; readonly times: number; readonly everyMs: number } | { readonly type: 'count' };
export type UpstreamReply =
  | { readonly type: 'listening'; readonly port: number; readonly openPort: number }
  | { readonly type: 'updated'; readonly watchers: number; readonly events: number; readonly busiestTickMs: number }
  | { readonly type: 'count'; readonly watchers: number };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** kube-apiserver gzips responses of at least 128 KiB, at level 1, when the client accepts gzip. */
const GZIP_THRESHOLD = 128 * 1024;
const GZIP_LEVEL = 1;

const smallPod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'bench-pod', namespace: BENCH_NAMESPACE, uid: '8a1f5c1e-5b4f-4c52-9f0e-2f4f7d3c9a10', resourceVersion: '1000', labels: { app: 'bench' } },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }], nodeName: 'node-1' },
  status: { phase: 'Running', podIP: '10.244.0.7', conditions: [{ type: 'Ready', status: 'True' }] },
};

/**
 * About 5 MB of ConfigMaps, as one LIST. The data is config-file text drawn from a vocabulary plus
 * random tokens: it compresses about three times, as real object lists do a few times; a padding
 * of one repeated letter would compress a thousandfold and turn the LIST into a test of who asks
 * for gzip.
 */
export function buildConfigMapList(): unknown {
  const random = seededRandom(20261128);
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
  return { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9999' }, items };
}

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** What the upstream answers with: bytes built once (precomputed) or encoded on each call (apiserver). */
interface Answers {
  pod(): Buffer;
  /** The path's LIST, plain; `gzipped` is set when it may be served from a buffer gzipped once. */
  list(path: string): { plain: Buffer; gzipped?: Buffer } | undefined;
  /** One change to a watched object; returns the encoder of its event (called once per watcher in apiserver mode). */
  change(resourceVersion: number): () => Buffer;
}

function eventLine(object: unknown): Buffer {
  return Buffer.from(`${JSON.stringify({ type: 'MODIFIED', object })}\n`);
}

function precomputedAnswers(): Answers {
  const pod = Buffer.from(JSON.stringify(smallPod));
  const lists = new Map<string, { plain: Buffer; gzipped: Buffer }>();
  for (const [path, object] of [[LIST_PATH, buildConfigMapList()], [PODS_PATH, podList(realisticPods(), '9999')]] as const) {
    const plain = Buffer.from(JSON.stringify(object));
    lists.set(path, { plain, gzipped: gzipSync(plain, { level: GZIP_LEVEL }) });
  }
  return {
    pod: () => pod,
    list: (path) => lists.get(path),
    change: (resourceVersion) => {
      const metadata = { name: 'watched', namespace: BENCH_NAMESPACE, resourceVersion: String(resourceVersion), annotations: { sentAt: String(preciseNow()) } };
      const event = eventLine({ kind: 'ConfigMap', apiVersion: 'v1', metadata, data: { k: 'v' } });
      return () => event;
    },
  };
}

function realisticPods(): BenchPod[] {
  return Array.from({ length: POD_COUNT }, (_, index) => buildPod(index, BENCH_NAMESPACE));
}

function apiserverAnswers(): Answers {
  const pod = buildPod(POD_COUNT, BENCH_NAMESPACE, 'bench-pod');
  const pods = realisticPods();
  const configMaps = buildConfigMapList();
  let next = 0;
  return {
    pod: () => Buffer.from(JSON.stringify(pod)),
    list: (path) => {
      if (path === PODS_PATH) return { plain: Buffer.from(JSON.stringify(podList(pods, String(100_000 + next)))) };
      if (path === LIST_PATH) return { plain: Buffer.from(JSON.stringify(configMaps)) };
      return undefined;
    },
    change: (resourceVersion) => {
      const changed = pods[next++ % pods.length] as BenchPod;
      modifyPod(changed, resourceVersion, String(preciseNow()));
      return () => eventLine(changed);
    },
  };
}

function answerList(request: Http2ServerRequest, response: Http2ServerResponse, list: { plain: Buffer; gzipped?: Buffer }): void {
  const wantsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')) && list.plain.length >= GZIP_THRESHOLD;
  if (!wantsGzip) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': list.plain.length });
    response.end(list.plain);
    return;
  }
  if (list.gzipped) {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': list.gzipped.length, 'content-encoding': 'gzip' });
    response.end(list.gzipped);
    return;
  }
  // As kube-apiserver: compressed while it is written, no content-length; the head goes out with the
  // first compressed bytes. Go's servers, HTTP/1.1 and HTTP/2 alike, only record WriteHeader and send
  // the head with the first body write (x/net/http2's writeChunk); Node's HTTP/2 writeHead sends its
  // HEADERS frame at once, which gave HTTP/2 clients (kubectl) the head about a millisecond before the
  // body and before HTTP/1.1 clients (kubegate). statusCode and setHeader wait for the first write on both.
  response.statusCode = 200;
  response.setHeader('content-type', 'application/json');
  response.setHeader('content-encoding', 'gzip');
  const gzip = createGzip({ level: GZIP_LEVEL });
  gzip.pipe(response as unknown as NodeJS.WritableStream);
  gzip.end(list.plain);
}

function handler(answers: Answers, watchers: Set<Http2ServerResponse>) {
  return (request: Http2ServerRequest, response: Http2ServerResponse): void => {
    const url = request.url;
    const [path = '', query = ''] = url.split('?', 2);
    if (request.method === 'GET' && url === POD_PATH) {
      const body = answers.pod();
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      response.end(body);
      return;
    }
    const list = request.method === 'GET' ? answers.list(path) : undefined;
    if (list && /(^|&)watch=(true|1)/.test(query)) {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      // HTTP/2 sends headers at writeHead; an HTTP/1.1 fallback response needs a flush.
      (response as unknown as { flushHeaders?: () => void }).flushHeaders?.();
      watchers.add(response);
      const forget = (): boolean => watchers.delete(response);
      response.on('close', forget);
      request.on('error', forget);
      return;
    }
    if (list && query === '') {
      answerList(request, response, list);
      return;
    }
    if (url === '/readyz' || url === '/version') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}');
  };
}

/**
 * Modifies an object every `everyMs`, `times` times; resolves with the number of events written and
 * the longest time one change took to encode and write to every watcher: when that nears `everyMs`,
 * the upstream, not the proxy, is what the watch latencies measure.
 */
function changeOnTimer(answers: Answers, watchers: Set<Http2ServerResponse>, times: number, everyMs: number, firstVersion: number): Promise<{ events: number; busiestTickMs: number }> {
  let events = 0;
  let done = 0;
  let busiestTickMs = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const started = performance.now();
      const encode = answers.change(firstVersion + done);
      for (const watcher of watchers) {
        watcher.write(encode());
        events++;
      }
      busiestTickMs = Math.max(busiestTickMs, performance.now() - started);
      if (++done >= times) resolve({ events, busiestTickMs });
      else setTimeout(tick, everyMs);
    };
    tick();
  });
}

function main(): void {
  const [certFile, keyFile, caFile, modeArgument = 'precomputed'] = process.argv.slice(2);
  const mode = UPSTREAM_MODES.find((entry) => entry === modeArgument);
  if (!certFile || !keyFile || !caFile || !mode || !process.send) throw new Error(`usage: fork upstream.js CERT KEY CA [${UPSTREAM_MODES.join('|')}]`);
  const send = (reply: UpstreamReply): boolean => (process.send as (message: UpstreamReply) => boolean)(reply);
  const answers = mode === 'apiserver' ? apiserverAnswers() : precomputedAnswers();
  const watchers = new Set<Http2ServerResponse>();
  let resourceVersion = 200_000;
  const tls = { allowHTTP1: true, cert: readFileSync(certFile), key: readFileSync(keyFile), settings: { maxConcurrentStreams: 250 } };
  const server = createSecureServer({ ...tls, ca: readFileSync(caFile), requestCert: true, rejectUnauthorized: true }, handler(answers, watchers));
  const open = createSecureServer(tls, handler(answers, watchers));

  process.on('message', (message: UpstreamMessage) => {
    if (message.type === 'count') {
      send({ type: 'count', watchers: watchers.size });
      return;
    }
    void changeOnTimer(answers, watchers, message.times, message.everyMs, resourceVersion).then((result) => send({ type: 'updated', watchers: watchers.size, ...result }));
    resourceVersion += message.times;
  });
  process.on('disconnect', () => process.exit(0));

  server.listen(0, '127.0.0.1', () =>
    open.listen(0, '127.0.0.1', () => send({ type: 'listening', port: (server.address() as AddressInfo).port, openPort: (open.address() as AddressInfo).port })),
  );
}

if (process.argv[1]?.endsWith('upstream.js')) main();
