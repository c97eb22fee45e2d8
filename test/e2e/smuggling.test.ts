import t from 'tap';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import type { RecordedRequest } from '../../src/demo-cluster/request-log.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { startKubectlProxy, startKubegate, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Several requests on one connection, as an attacker sends them: a carrier request (ordinary,
// rejected, upgrade accepted, upgrade refused), and behind it, in the same write or split across
// writes, a request the flags forbid. The witness is the test API server, which reads a refused
// upgrade as an ordinary request and whatever follows it as the next one, as a Go server does:
// a smuggled request that kubegate lets through is recorded there. Expected arrivals: zero.

const SMUGGLED_HEADER = 'x-smuggled-id';

interface Policy {
  readonly name: string;
  readonly flags: readonly string[];
  /** Requests this flag set forbids. */
  readonly forbidden: readonly ((pod: string, id: string) => string)[];
}

const close = (id: string): string => `Host: localhost\r\n${SMUGGLED_HEADER}: ${id}\r\nConnection: close\r\n\r\n`;

const POLICIES: readonly Policy[] = [
  {
    name: 'default flags',
    flags: [],
    forbidden: [
      (pod, id) => `POST /api/v1/namespaces/default/pods/${pod}/exec?command=id&stdout=true HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nHost: localhost\r\n${SMUGGLED_HEADER}: ${id}\r\n\r\n`,
      (pod, id) => `GET /api/v1/namespaces/default/pods/${pod}/exec?command=id HTTP/1.1\r\n${close(id)}`,
    ],
  },
  { name: '--reject-paths=secrets', flags: ['--reject-paths=secrets'], forbidden: [(_pod, id) => `GET /api/v1/namespaces/default/secrets HTTP/1.1\r\n${close(id)}`] },
  { name: '--reject-methods=^DELETE$', flags: ['--reject-methods=^DELETE$'], forbidden: [(_pod, id) => `DELETE /api/v1/namespaces/default/configmaps/victim HTTP/1.1\r\n${close(id)}`] },
  {
    name: '--accept-paths=^/api/v1/namespaces/default/',
    flags: ['--accept-paths=^/api/v1/namespaces/default/'],
    forbidden: [(_pod, id) => `GET /api/v1/namespaces/kube-system/pods HTTP/1.1\r\n${close(id)}`],
  },
];

interface Carrier {
  readonly name: string;
  readonly head: (pod: string) => string;
}

const WEBSOCKET = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const SPDY = 'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n';

/** The first request on the connection: every kind the brief names. */
const CARRIERS: readonly Carrier[] = [
  { name: 'an ordinary keep-alive GET', head: () => 'GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: localhost\r\n\r\n' },
  { name: 'a request the filter rejects (no body)', head: (pod) => `GET /api/v1/namespaces/default/pods/${pod}/exec HTTP/1.1\r\nHost: localhost\r\n\r\n` },
  { name: 'a request the filter rejects (with a body)', head: (pod) => `POST /api/v1/namespaces/default/pods/${pod}/exec HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}` },
  { name: 'an upgrade the filter rejects', head: (pod) => `POST /api/v1/namespaces/default/pods/${pod}/exec HTTP/1.1\r\nHost: localhost\r\n${SPDY}\r\n` },
  { name: 'GET /version carrying Upgrade: websocket', head: () => `GET /version HTTP/1.1\r\nHost: localhost\r\n${WEBSOCKET}\r\n` },
  { name: 'HEAD /version carrying Upgrade: websocket', head: () => `HEAD /version HTTP/1.1\r\nHost: localhost\r\n${WEBSOCKET}\r\n` },
  { name: 'an upgrade with a Content-Length body', head: () => `POST /version HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n${WEBSOCKET}\r\nhello` },
  { name: 'an upgrade the API server refuses (no such pod)', head: () => `POST /api/v1/namespaces/default/pods/no-such-pod/portforward HTTP/1.1\r\nHost: localhost\r\n${SPDY}\r\n` },
  { name: 'an upgrade the API server accepts (port-forward)', head: (pod) => `POST /api/v1/namespaces/default/pods/${pod}/portforward HTTP/1.1\r\nHost: localhost\r\n${SPDY}\r\n` },
];

type Delivery = 'one write' | 'split after the carrier' | 'split inside the smuggled head';

const DELIVERIES: readonly Delivery[] = ['one write', 'split after the carrier', 'split inside the smuggled head'];

type Endpoint = { readonly port: number } | { readonly path: string };

/** How long an exchange may stay open after the last byte came back (keep-alive, open tunnels). */
const IDLE_MS = 400;

/** Writes `parts` on one connection (pausing between them) and collects what comes back until close or idle. */
async function converse(endpoint: Endpoint, parts: readonly string[]): Promise<string> {
  const socket: Socket = 'port' in endpoint ? netConnect(endpoint.port, '127.0.0.1') : netConnect(endpoint.path);
  socket.on('error', () => {});
  await once(socket, 'connect');
  let received = '';
  let idle: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        socket.destroy();
        resolve();
      }, IDLE_MS);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      arm();
    });
    socket.once('close', () => {
      clearTimeout(idle);
      resolve();
    });
    arm();
  });
  for (const [index, part] of parts.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, 60));
    if (!socket.destroyed) socket.write(part);
  }
  await closed;
  return received;
}

function deliver(carrier: string, smuggled: string, delivery: Delivery): string[] {
  switch (delivery) {
    case 'one write':
      return [carrier + smuggled];
    case 'split after the carrier':
      return [carrier, smuggled];
    case 'split inside the smuggled head': {
      const cut = Math.floor(smuggled.length / 2);
      return [carrier + smuggled.slice(0, cut), smuggled.slice(cut)];
    }
    default: {
      const unreachable: never = delivery;
      throw new Error(`unknown delivery ${String(unreachable)}`);
    }
  }
}

function smuggledArrivals(cluster: TestCluster, prefix: string): RecordedRequest[] {
  return cluster.api.requests.all.filter((request) => String(request.headers[SMUGGLED_HEADER] ?? '').startsWith(prefix));
}

interface Target {
  readonly label: string;
  readonly endpoint: Endpoint;
}

/** Every carrier x forbidden request x delivery on one running proxy; returns the cases sent. */
async function attack(target: Target, policy: Policy, podName: string, prefix: string): Promise<string[]> {
  const sent: string[] = [];
  const exchanges: Promise<string>[] = [];
  for (const [c, carrier] of CARRIERS.entries()) {
    for (const [f, forbidden] of policy.forbidden.entries()) {
      for (const [d, delivery] of DELIVERIES.entries()) {
        const id = `${prefix}${c}-${f}-${d}`;
        sent.push(`${id}: ${carrier.name}, then ${delivery}`);
        exchanges.push(converse(target.endpoint, deliver(carrier.head(podName), forbidden(podName, id), delivery)));
      }
    }
  }
  await Promise.all(exchanges);
  return sent;
}

async function waitForQuiet(cluster: TestCluster): Promise<void> {
  // Anything kubegate forwarded has had time to be parsed and recorded.
  let last = -1;
  while (last !== cluster.api.requests.received) {
    last = cluster.api.requests.received;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function startProxyFor(t: Teardown, cluster: TestCluster, kind: 'cert' | 'token', transport: 'tcp' | 'unix', flags: readonly string[], which: 'kubegate' | 'kubectl'): Promise<Target> {
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const listen = transport === 'tcp' ? ['--port=0'] : [`--unix-socket=${join(cluster.dir, `${which}-${kind}-${Math.random().toString(36).slice(2, 8)}.sock`)}`];
  const args = ['--kubeconfig', cluster.kubeconfig(kind), ...listen, ...flags];
  const proxy: RunningProxy = which === 'kubegate' ? await startKubegate(t, args, { env }) : await startKubectlProxy(t, args, { env });
  const endpoint: Endpoint = transport === 'tcp' ? { port: proxy.port } : { path: (listen[0] as string).slice('--unix-socket='.length) };
  return { label: `${which} over ${transport} with ${kind} credentials`, endpoint };
}

t.test('the witness is sound: bytes behind a refused upgrade, sent to the API server directly, arrive as a second request', async (t) => {
  const cluster = await startTestCluster(t);
  const socket = tlsConnect({ host: '127.0.0.1', port: cluster.api.port, ca: cluster.api.caPem, cert: cluster.admin.certPem, key: cluster.admin.keyPem, ALPNProtocols: ['http/1.1'] });
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  socket.write(`GET /version HTTP/1.1\r\nHost: x\r\n${WEBSOCKET}\r\nGET /api/v1/namespaces/default/secrets HTTP/1.1\r\nHost: x\r\n${SMUGGLED_HEADER}: control\r\n\r\n`);
  const arrived = await cluster.api.requests.waitFor((request) => request.headers[SMUGGLED_HEADER] === 'control');
  t.equal(arrived.path, '/api/v1/namespaces/default/secrets', 'a Go-like server reads what follows a non-upgraded upgrade request as the next request');
  t.equal(arrived.user?.name, 'alice-admin', 'and runs it with the connection\'s client certificate: what kubegate must never let happen');
  socket.destroy();
});

for (const kind of ['cert', 'token'] as const) {
  for (const transport of ['tcp', 'unix'] as const) {
    t.test(`no smuggled or pipelined request reaches the API server: kubegate over ${transport}, ${kind} credentials`, async (t) => {
      const cluster = await startTestCluster(t);
      const { podName } = seedDemoCluster(cluster.api.store);
      for (const policy of POLICIES) {
        const target = await startProxyFor(t, cluster, kind, transport, policy.flags, 'kubegate');
        const prefix = `${policy.name}|`;
        const sent = await attack(target, policy, podName, prefix);
        await waitForQuiet(cluster);
        const arrivals = smuggledArrivals(cluster, prefix);
        t.same(
          arrivals.map((request) => `${request.method} ${request.path} (${String(request.headers[SMUGGLED_HEADER])})`),
          [],
          `${policy.name}: 0 of ${sent.length} forbidden requests arrived (${CARRIERS.length} carriers x ${policy.forbidden.length} x ${DELIVERIES.length} deliveries)`,
        );
      }
    });
  }
}

t.test('kubectl proxy side by side: the same conversations reach nothing through it either', async (t) => {
  const cluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(cluster.api.store);
  const policy = POLICIES[0] as Policy;
  const target = await startProxyFor(t, cluster, 'cert', 'tcp', policy.flags, 'kubectl');
  const sent = await attack(target, policy, podName, 'kubectl|');
  await waitForQuiet(cluster);
  t.same(smuggledArrivals(cluster, 'kubectl|').map((r) => r.path), [], `kubectl proxy: 0 of ${sent.length} arrived`);
});

t.test('what the client is told: a non-101 answer is a 500 naming the status; a refusal is relayed and the connection closed', async (t) => {
  const cluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(cluster.api.store);
  const target = await startProxyFor(t, cluster, 'cert', 'tcp', [], 'kubegate');
  const version = await converse(target.endpoint, [`GET /version HTTP/1.1\r\nHost: localhost\r\n${WEBSOCKET}\r\n`]);
  t.match(version, /^HTTP\/1\.1 500 /, 'GET /version answered 200 upstream: 500 to the client, as kubectl');
  t.match(version, /invalid upgrade response: status code 200/);
  t.notMatch(version, /gitVersion/, "the API server's 200 body never reaches the client");
  const head = await converse(target.endpoint, [`HEAD /version HTTP/1.1\r\nHost: localhost\r\n${WEBSOCKET}\r\n`]);
  t.match(head, /^HTTP\/1\.1 500 /, 'a HEAD carrier too');
  const missing = await converse(target.endpoint, [`POST /api/v1/namespaces/default/pods/no-such-pod/portforward HTTP/1.1\r\nHost: localhost\r\n${SPDY}\r\n`]);
  t.match(missing, /^HTTP\/1\.1 4\d\d /, "the API server's refusal is relayed");
  t.match(missing, /"kind":"Status"/, 'with its own Status body');
  const upgradeRequest = cluster.api.requests.all.find((r) => r.path.endsWith('/no-such-pod/portforward'));
  t.equal(upgradeRequest?.headers['content-length'], undefined, 'no framing header went upstream with the upgrade');
  t.equal(upgradeRequest?.headers['transfer-encoding'], undefined);
  t.ok(podName);
});

/** Reads one HTTP/1.1 response off the front of `data`; returns where it ends. */
function endOfFirstResponse(data: Buffer): number {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) return -1;
  const head = data.subarray(0, headEnd).toString('latin1');
  let offset = headEnd + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) return offset + Number(length[1]);
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return -1;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) return -1;
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    offset = lineEnd + 2 + size + 2;
    if (size === 0) return offset;
  }
}

t.test('an upgrade pipelined behind a large response waits until that response is written in full', async (t) => {
  const cluster = await startTestCluster(t, { largeList: { namespace: 'big', items: 3000, itemBytes: 2048 } });
  const { podName } = seedDemoCluster(cluster.api.store);
  const target = await startProxyFor(t, cluster, 'cert', 'tcp', [], 'kubegate');
  const socket = netConnect((target.endpoint as { port: number }).port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(`GET /api/v1/namespaces/big/configmaps HTTP/1.1\r\nHost: localhost\r\n\r\nPOST /api/v1/namespaces/default/pods/${podName}/portforward HTTP/1.1\r\nHost: localhost\r\n${SPDY}\r\n`);
  const deadline = Date.now() + 20_000;
  let data = Buffer.alloc(0);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    data = Buffer.concat(chunks);
    if (data.indexOf('HTTP/1.1 101') !== -1) break;
  }
  socket.destroy();
  const end = endOfFirstResponse(data);
  t.ok(end > 5_000_000, `the LIST came back whole first (${end} bytes)`);
  t.equal(data.indexOf('HTTP/1.1 101'), end, 'the 101 starts exactly where the LIST ends');
});

t.test('a rejected upload is answered without reading its body: no 100 Continue, the connection closes', async (t) => {
  const cluster = await startTestCluster(t);
  const target = await startProxyFor(t, cluster, 'cert', 'tcp', [], 'kubegate');
  const port = (target.endpoint as { port: number }).port;
  const expect = await converse({ port }, ['POST /api/v1/namespaces/default/pods/p/exec HTTP/1.1\r\nHost: localhost\r\nContent-Length: 536870912\r\nExpect: 100-continue\r\n\r\n']);
  t.match(expect, /^HTTP\/1\.1 403 /, 'the 403 comes first');
  t.notMatch(expect, /100 Continue/, 'the client is never invited to send 512 MB');

  // Without Expect: stream a large body as fast as the connection takes it; kubegate stops reading.
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const total = 256 * 1024 * 1024;
  socket.write(`POST /api/v1/namespaces/default/pods/p/exec HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${total}\r\n\r\n`);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  // Not events.once: it rejects on the EPIPE that writing to a closed connection raises.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const block = Buffer.alloc(256 * 1024, 0x61);
  let written = 0;
  let open = true;
  void closed.then(() => (open = false));
  while (open && written < total) {
    const more = socket.write(block);
    written += block.length;
    if (!more) await new Promise<void>((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }
  await closed;
  t.match(answer, /^HTTP\/1\.1 403 /, 'the 403 reached the client');
  t.ok(written < total / 4, `the connection was closed long before the body was sent (${Math.round(written / 1048576)} of 256 MiB written)`);
  t.equal(cluster.api.requests.received, 0, 'nothing reached the API server');
});

t.test('headers past the 2,000th are never dropped: a late second Host is a 400, a late Impersonate-User applies', async (t) => {
  const cluster = await startTestCluster(t);
  const target = await startProxyFor(t, cluster, 'cert', 'tcp', [], 'kubegate');
  const port = (target.endpoint as { port: number }).port;
  // Short lines, so 2,100 of them stay far below every size limit on the way.
  const padding = 'a: 1\r\n'.repeat(2100);
  const lateHost = await converse({ port }, [`GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: localhost\r\n${padding}Host: evil.example\r\n\r\n`]);
  t.match(lateHost, /^HTTP\/1\.1 400 /, 'two Host headers, the second after 2,100 others: 400');
  const lateImpersonation = await converse({ port }, [`GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\n${padding}Impersonate-User: late-user\r\nConnection: close\r\n\r\n`]);
  t.match(lateImpersonation, /^HTTP\/1\.1 200 /);
  const arrived = cluster.api.requests.all.find((r) => r.path === '/api/v1/namespaces/default/configmaps');
  t.equal(arrived?.user?.name, 'late-user', 'the Impersonate-User header after 2,100 others reached the API server');
  const huge = await converse({ port }, [`GET /api HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(1100 * 1024)}\r\n\r\n`]);
  t.match(huge, /^HTTP\/1\.1 431 /, 'a head over 1 MiB is refused whole with 431, as Go does');
  t.equal(cluster.api.requests.all.filter((r) => r.path === '/api').length, 0, 'and not forwarded');
});
