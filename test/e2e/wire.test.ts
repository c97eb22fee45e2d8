import t from 'tap';
import { once } from 'node:events';
import { Agent, get as httpGet, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { RecordedRequest } from '../../src/demo-cluster/request-log.js';
import { RECLAIM_STEP_BYTES } from '../../src/upstream/buffer-reclaimer.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { rawRequest, requireKubectl, startKubectlProxy, startKubegate, type RawResponse, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// What goes over the wire, side by side with the real kubectl proxy: compression asked for on the
// client's behalf (Go's Transport), repeated header lines, response header names as Go writes them,
// and a response head sent when the API server sends it.

requireKubectl();

const LIST = '/api/v1/namespaces/big/configmaps';
/** Over the test API server's 128 KiB gzip threshold (it gzips this LIST whenever asked). */
const LARGE_LIST = { namespace: 'big', items: 400, itemBytes: 2048 };

interface Pair {
  readonly cluster: TestCluster;
  readonly proxies: ReadonlyArray<readonly [name: 'kubectl' | 'kubegate', proxy: RunningProxy]>;
}

async function startPair(t: Teardown, cluster: TestCluster, extraArgs: readonly string[] = []): Promise<Pair> {
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const args = ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', ...extraArgs];
  const kubectl = await startKubectlProxy(t, args, { env });
  const kubegate = await startKubegate(t, args, { env });
  return { cluster, proxies: [['kubectl', kubectl], ['kubegate', kubegate]] };
}

/** Sends one raw request and returns the answer with what the API server received for `path`. */
async function exchange(pair: Pair, proxy: RunningProxy, path: string, request: string): Promise<{ response: RawResponse; upstream: RecordedRequest }> {
  pair.cluster.api.requests.clear();
  const response = await rawRequest(proxy.port, request);
  const upstream = pair.cluster.api.requests.all.filter((entry) => entry.path === path);
  if (upstream.length !== 1) throw new Error(`expected one upstream request for ${path}, got ${upstream.length} (status ${response.status})`);
  return { response, upstream: upstream[0] as RecordedRequest };
}

function get(path: string, lines: readonly string[] = [], method = 'GET'): string {
  return [`${method} ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...lines].join('\r\n') + '\r\n\r\n';
}

/** Header names exactly as written on the wire (case kept), sorted, once each. */
function wireNames(response: RawResponse): string[] {
  const names = response.raw
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.indexOf(':')))
    .filter((name) => name.length > 0);
  return [...new Set(names)].sort();
}

function itemCount(body: Buffer): number {
  return (JSON.parse(body.toString('utf8')) as { items: unknown[] }).items.length;
}

t.test('no Accept-Encoding: gzip is asked for upstream and the client gets the same plain JSON as from kubectl proxy', async (t) => {
  const pair = await startPair(t, await startTestCluster(t, { largeList: LARGE_LIST }));
  const bodies: Buffer[] = [];
  const names: string[][] = [];
  for (const [name, proxy] of pair.proxies) {
    const { response, upstream } = await exchange(pair, proxy, LIST, get(LIST));
    t.equal(response.status, 200, `${name}: 200`);
    t.equal(upstream.headers['accept-encoding'], 'gzip', `${name}: the API server was asked for gzip`);
    t.equal(response.headers.get('content-encoding'), undefined, `${name}: no Content-Encoding for the client`);
    t.equal(response.headers.get('content-length'), undefined, `${name}: no Content-Length (the inflated length is unknown)`);
    t.same(response.headers.get('transfer-encoding'), ['chunked'], `${name}: chunked`);
    t.equal(itemCount(response.body), LARGE_LIST.items, `${name}: every item, as plain JSON`);
    bodies.push(response.body);
    names.push(wireNames(response));
  }
  t.ok((bodies[0] as Buffer).equals(bodies[1] as Buffer), 'the same bytes from both');
  t.same(names[1], names[0], 'the same header names, case and all');
});

/** GETs `path` on `agent`'s connection: the body, and whether the connection was an earlier one's. */
function getOn(agent: Agent, port: number, path: string): Promise<{ status: number; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const request = httpGet({ host: '127.0.0.1', port, path, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), reused: request.reusedSocket }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

t.test('several-MiB plain LISTs one after another on one connection: the same bytes as kubectl proxy, every time', async (t) => {
  // 3,000 items of 2 KiB: some 5.8 MB inflated per LIST, so kubegate's buffer reclaimer runs minor
  // collections in the middle of each body (buffer-reclaimer.ts, every 2 MiB).
  const big = { namespace: 'big', items: 3000, itemBytes: 2048 };
  const pair = await startPair(t, await startTestCluster(t, { largeList: big }));
  const bodies = new Map<string, Buffer[]>();
  for (const [name, proxy] of pair.proxies) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const got: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      const answer = await getOn(agent, proxy.port, LIST);
      t.equal(answer.status, 200, `${name}, LIST ${round + 1}: 200`);
      if (round > 0) t.ok(answer.reused, `${name}, LIST ${round + 1}: on the first LIST's connection`);
      got.push(answer.body);
    }
    bodies.set(name, got);
  }
  const reference = bodies.get('kubectl')?.[0] as Buffer;
  t.ok(reference.length > 2 * RECLAIM_STEP_BYTES, `kubectl proxy's LIST is ${reference.length} bytes`);
  t.equal(itemCount(reference), big.items);
  for (const [index, body] of (bodies.get('kubegate') ?? []).entries()) t.ok(body.equals(reference), `kubegate's LIST ${index + 1}: byte for byte kubectl proxy's`);
});

t.test("the client's own Accept-Encoding goes upstream untouched and a gzip answer reaches it as gzip", async (t) => {
  const pair = await startPair(t, await startTestCluster(t, { largeList: LARGE_LIST }));
  const inflated: Buffer[] = [];
  for (const [name, proxy] of pair.proxies) {
    const { response, upstream } = await exchange(pair, proxy, LIST, get(LIST, ['Accept-Encoding: gzip']));
    t.equal(upstream.headers['accept-encoding'], 'gzip', `${name}: the client's line`);
    t.same(response.headers.get('content-encoding'), ['gzip'], `${name}: gzip passed through`);
    const plain = gunzipSync(response.body);
    t.equal(itemCount(plain), LARGE_LIST.items, `${name}: the gzip bytes inflate to the LIST`);
    inflated.push(plain);

    const identity = await exchange(pair, proxy, LIST, get(LIST, ['Accept-Encoding: identity']));
    t.equal(identity.upstream.headers['accept-encoding'], 'identity', `${name}: identity sent as the client wrote it`);
    t.equal(identity.response.headers.get('content-encoding'), undefined, `${name}: a plain answer`);
    t.equal(itemCount(identity.response.body), LARGE_LIST.items);
  }
  t.ok((inflated[0] as Buffer).equals(inflated[1] as Buffer), 'the same LIST from both');
});

t.test('HEAD and Range requests ask for no gzip, as in kubectl proxy', async (t) => {
  const pair = await startPair(t, await startTestCluster(t, { largeList: LARGE_LIST }));
  for (const [name, proxy] of pair.proxies) {
    const head = await exchange(pair, proxy, LIST, get(LIST, [], 'HEAD'));
    t.equal(head.upstream.method, 'HEAD');
    t.equal(head.upstream.headers['accept-encoding'], undefined, `${name}: HEAD asks for no gzip`);
    const range = await exchange(pair, proxy, LIST, get(LIST, ['Range: bytes=0-99']));
    t.equal(range.upstream.headers.range, 'bytes=0-99', `${name}: Range forwarded`);
    t.equal(range.upstream.headers['accept-encoding'], undefined, `${name}: a Range request asks for no gzip`);
    t.equal(range.response.headers.get('content-encoding'), undefined);
    t.equal(itemCount(range.response.body), LARGE_LIST.items, `${name}: the test server ignores Range and sends it all, plain`);
  }
});

t.test('--disable-compression asks for no gzip, as in kubectl proxy', async (t) => {
  const pair = await startPair(t, await startTestCluster(t, { largeList: LARGE_LIST }), ['--disable-compression']);
  for (const [name, proxy] of pair.proxies) {
    const { response, upstream } = await exchange(pair, proxy, LIST, get(LIST));
    t.equal(upstream.headers['accept-encoding'], undefined, `${name}: no Accept-Encoding upstream`);
    t.equal(response.headers.get('content-encoding'), undefined);
    t.equal(itemCount(response.body), LARGE_LIST.items, `${name}: plain JSON`);
  }
});

t.test('-v=9 shows the inflated body, not the gzip bytes', async (t) => {
  const cluster = await startTestCluster(t, { largeList: LARGE_LIST });
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '-v=9'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const response = await rawRequest(proxy.port, get(LIST));
  t.equal(itemCount(response.body), LARGE_LIST.items);
  const line = proxy
    .stderr()
    .split('\n')
    .find((text) => text.includes('Response body') && text.includes('ConfigMapList'));
  t.ok(line, 'the body sample is the JSON the client got');
  t.notMatch(proxy.stderr(), /gzip-encoded/);
});

t.test('repeated request headers reach the API server as separate lines, as from kubectl proxy', async (t) => {
  const pair = await startPair(t, await startTestCluster(t));
  const path = '/api/v1/namespaces/default/configmaps';
  for (const [name, proxy] of pair.proxies) {
    const { response, upstream } = await exchange(pair, proxy, path, get(path, ['X-Test: a', 'Accept: application/json', 'X-Test: b', 'Accept: */*', 'Cookie: a=1', 'Cookie: b=2']));
    t.equal(response.status, 200, `${name}: 200`);
    t.same(upstream.headers['x-test'], ['a', 'b'], `${name}: two X-Test lines, in order`);
    t.same(upstream.headers.accept, ['application/json', '*/*'], `${name}: two Accept lines, in order`);
    t.same(upstream.headers.cookie, ['a=1', 'b=2'], `${name}: two Cookie lines`);
  }
});

t.test('response header names are written as Go writes them (Content-Type, Audit-Id), and repeated ones stay separate lines', async (t) => {
  const cluster = await startTestCluster(t, {
    routes: [
      {
        path: '/api/v1/header-names',
        handler: (_request, response) => {
          const body = '{"kind":"Status","apiVersion":"v1","status":"Success"}';
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-kubernetes-pf-flowschema-uid': 'f1',
            'set-cookie': ['a=1', 'b=2'],
            'WWW-authenticate': 'Basic realm="x"',
          });
          response.end(body);
        },
      },
    ],
  });
  const pair = await startPair(t, cluster);
  const heads: string[][] = [];
  for (const [name, proxy] of pair.proxies) {
    const { response } = await exchange(pair, proxy, '/api/v1/header-names', get('/api/v1/header-names'));
    const names = wireNames(response);
    for (const expected of ['Audit-Id', 'Content-Type', 'Content-Length', 'X-Kubernetes-Pf-Flowschema-Uid', 'Set-Cookie', 'Www-Authenticate']) {
      t.ok(names.includes(expected), `${name}: ${expected} on the wire`);
    }
    t.same(response.headers.get('set-cookie'), ['a=1', 'b=2'], `${name}: two Set-Cookie lines`);
    heads.push(names);
  }
  t.same(heads[1], heads[0], 'kubegate writes the same header names as kubectl proxy, case-sensitively');
});

/** The head's arrival, seen from a raw client socket: whether the body had been written by then. */
async function headBeforeBody(port: number, bodyWritten: () => boolean): Promise<{ headFirst: boolean; whole: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(get('/api/v1/slow-body'));
  let text = '';
  let headFirst: boolean | undefined;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    if (headFirst === undefined && text.includes('\r\n\r\n')) headFirst = !bodyWritten();
  });
  await once(socket, 'close');
  return { headFirst: headFirst ?? false, whole: text };
}

t.test('the response head reaches the client when the API server sends it, before a late body', async (t) => {
  let bodyWritten = false;
  const cluster = await startTestCluster(t, {
    routes: [
      {
        path: '/api/v1/slow-body',
        handler: (_request, response) => {
          const body = '{"kind":"Status","apiVersion":"v1","status":"Success"}';
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          // Send the head now (HTTP/1.1 would hold it for the first body byte); HTTP/2 sends it at writeHead.
          (response as Partial<ServerResponse>).flushHeaders?.();
          setTimeout(() => {
            bodyWritten = true;
            response.end(body);
          }, 2000);
        },
      },
    ],
  });
  const pair = await startPair(t, cluster);
  for (const [name, proxy] of pair.proxies) {
    bodyWritten = false;
    const { headFirst, whole } = await headBeforeBody(proxy.port, () => bodyWritten);
    t.ok(headFirst, `${name}: the head arrived while the API server had not yet written the body`);
    t.match(whole, /^HTTP\/1\.1 200 /, `${name}: 200`);
    t.match(whole, /"status":"Success"/, `${name}: the body followed`);
  }
});

/** Every byte a proxy sent back, up to its close: a broken-off answer shows as a missing last chunk. */
async function readAll(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(request);
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  await once(socket, 'close');
  return text;
}

t.test('a corrupt gzip answer to a request kubegate asked gzip for breaks the answer off, as kubectl proxy does', async (t) => {
  const cluster = await startTestCluster(t, {
    routes: [
      {
        path: '/api/v1/corrupt-gzip',
        handler: (request, response) => {
          const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
          response.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
          response.end(Buffer.from('{"these bytes":"are not gzip"}'));
        },
      },
    ],
  });
  const pair = await startPair(t, cluster);
  for (const [name, proxy] of pair.proxies) {
    const whole = await readAll(proxy.port, get('/api/v1/corrupt-gzip'));
    t.comment(`${name} sent ${whole.length} bytes: ${JSON.stringify(whole.split('\r\n')[0])}`);
    t.notMatch(whole, /\r\n0\r\n\r\n$/, `${name}: no clean end of body`);
    t.notMatch(whole, /these bytes/, `${name}: the undecodable bytes are not handed on as if plain`);
    t.notMatch(whole, /^HTTP\/1\.1 [45]\d\d /, `${name}: no error answer either: the connection is cut`);
  }
});
