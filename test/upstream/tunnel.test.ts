import t from 'tap';
import { restConfig as restConfigFixture } from '../fixtures/kubeconfig/env.js';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { noCredentials } from '../fixtures/credentials.js';
import type { RestConfig } from '../../src/kubeconfig/rest-config.js';
import { createLogger } from '../../src/log.js';
import { NO_METRICS, type ProxyMetrics } from '../../src/observe/observer.js';
import { completeOptions, type ProxyFlags } from '../../src/options/complete.js';
import { buildServer } from '../../src/server/build-server.js';
import type { Teardown } from '../fixtures/teardown.js';

/** A raw TCP upstream: records each request head, then answers as `behaviour` says. */
async function startRawUpstream(
  t: Teardown,
  behaviour: 'echo-101' | 'forbidden' | 'ok-200',
): Promise<{ url: string; heads: string[]; sockets: Set<Socket>; server: Server }> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      heads.push(buffered.subarray(0, end).toString('latin1'));
      const rest = buffered.subarray(end + 4);
      if (behaviour === 'forbidden') {
        const body = '{"kind":"Status","code":403,"message":"forbidden by the API server"}';
        socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      if (behaviour === 'ok-200') {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        return;
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
      if (rest.length > 0) socket.write(rest);
      socket.pipe(socket);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, heads, sockets, server };
}


const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** A metrics sink that records the calls the tunnel makes. */
function recordingMetrics(): ProxyMetrics & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    ...NO_METRICS,
    calls,
    upstreamError: (kind) => calls.push(`upstreamError:${kind}`),
    tunnelOpened: () => calls.push('tunnelOpened'),
    tunnelClosed: () => calls.push('tunnelClosed'),
  };
}

async function startProxy(t: Teardown, upstream: string, flags: ProxyFlags = {}, restConfig: Partial<RestConfig> = {}, metrics: ProxyMetrics = NO_METRICS) {
  const options = completeOptions({ port: 0, ...flags }, {}, process.cwd());
  const kubegate = buildServer(options.server, {
    restConfig: { ...restConfigFixture(upstream, { kind: 'none' }), ...restConfig },
    credentials: noCredentials,
    logger: createLogger({ verbosity: 0, destination: quiet }),
    userAgent: 'kubegate/test',
    metrics,
  });
  await kubegate.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => kubegate.shutdown(100));
  return { port: (kubegate.app.server.address() as AddressInfo).port, kubegate };
}

/** Opens a raw client connection, sends an upgrade request, and collects everything that comes back. */
async function upgradeClient(port: number, path: string, extraHeaders = ''): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n${extraHeaders}\r\n`,
  );
  return { socket, received: () => data };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

t.test('port-forward is tunnelled: 101 relayed, then bytes flow both ways', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await until(() => client.received().includes('101 Switching Protocols'), '101');
  client.socket.write('hello through the tunnel');
  await until(() => client.received().endsWith('hello through the tunnel'), 'echo');
  const head = upstream.heads[0] ?? '';
  t.match(head, /^POST \/api\/v1\/namespaces\/d\/pods\/p\/portforward HTTP\/1\.1\r\n/);
  t.match(head, /\r\nConnection: Upgrade\r\n/i, 'Connection is forwarded verbatim on upgrades');
  t.match(head, /\r\nUpgrade: SPDY\/3\.1/i);
  t.match(head, /\r\nx-stream-protocol-version: v4\.channel\.k8s\.io/i);
  t.match(head, new RegExp(`\\r\\nHost: ${new URL(upstream.url).host}\\r\\n`), 'Host is the server host');
  t.match(head, /\r\nx-forwarded-for: 127\.0\.0\.1/i);
  client.socket.destroy();
});

t.test('exec upgrades are rejected by the default filter, with the rule named, and never dialled', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/exec?command=ls');
  await once(client.socket, 'close');
  t.match(client.received(), /^HTTP\/1\.1 403 Forbidden/);
  t.match(client.received(), /--reject-paths/);
  t.equal(upstream.heads.length, 0);
});

t.test("--reject-paths='^$' lets exec through", async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url, { rejectPaths: '^$' });
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/exec?command=ls');
  await until(() => client.received().includes('101 Switching Protocols'), '101');
  t.equal(upstream.heads.length, 1);
  client.socket.destroy();
});

t.test('an upgrade with a foreign Host is rejected before dialling', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let data = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
  socket.write('GET /api/v1/namespaces/d/pods/p/portforward HTTP/1.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await once(socket, 'close');
  t.match(data, /^HTTP\/1\.1 403/);
  t.equal(upstream.heads.length, 0);
});

t.test('an API server refusal (>= 400) is relayed as is and the connection closed', async (t) => {
  const upstream = await startRawUpstream(t, 'forbidden');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await once(client.socket, 'close');
  t.match(client.received(), /^HTTP\/1\.1 403 Forbidden\r\n/);
  t.match(client.received(), /"message":"forbidden by the API server"}$/);
});

t.test('a non-101 success answer to an upgrade is an error, not a tunnel', async (t) => {
  const upstream = await startRawUpstream(t, 'ok-200');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await once(client.socket, 'close');
  t.match(client.received(), /^HTTP\/1\.1 500/, "kubectl answers 500 to a non-101 success");
  t.match(client.received(), /invalid upgrade response: status code 200/);
});

t.test('an unreachable API server gives a Status error on the upgrade', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const url = upstream.url;
  upstream.server.close();
  await once(upstream.server, 'close');
  const metrics = recordingMetrics();
  const { port } = await startProxy(t, url, {}, {}, metrics);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await once(client.socket, 'close');
  t.match(client.received(), /^HTTP\/1\.1 502/);
  t.match(client.received(), /connection refused/);
  t.same(metrics.calls, ['upstreamError:unreachable'], 'a tunnel that cannot dial is counted as an upstream error (issue 14 item 6)');
});

t.test('a non-101 answer counts as a protocol error, a tunnel as opened and closed', async (t) => {
  const refusing = await startRawUpstream(t, 'ok-200');
  const refusedMetrics = recordingMetrics();
  const refused = await startProxy(t, refusing.url, {}, {}, refusedMetrics);
  const first = await upgradeClient(refused.port, '/api/v1/namespaces/d/pods/p/portforward');
  await once(first.socket, 'close');
  t.same(refusedMetrics.calls, ['upstreamError:protocol']);
  const echo = await startRawUpstream(t, 'echo-101');
  const openMetrics = recordingMetrics();
  const open = await startProxy(t, echo.url, {}, {}, openMetrics);
  const second = await upgradeClient(open.port, '/api/v1/namespaces/d/pods/p/portforward');
  await until(() => second.received().includes('101'), '101');
  second.socket.destroy();
  await until(() => openMetrics.calls.length === 2, 'the tunnel to close');
  t.same(openMetrics.calls, ['tunnelOpened', 'tunnelClosed']);
});

t.test('closing the client closes the upstream side of the tunnel', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await until(() => client.received().includes('101'), '101');
  t.equal(upstream.sockets.size, 1);
  client.socket.destroy();
  await until(() => upstream.sockets.size === 0, 'upstream socket closed');
  t.equal(upstream.sockets.size, 0);
});

t.test('half-close: the client ending its side still receives the rest of the output', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await until(() => client.received().includes('101'), '101');
  client.socket.end('last words');
  await until(() => client.received().endsWith('last words'), 'echo after half-close');
  t.pass('output still flowed after the client closed its sending side');
});

t.test('shutdown closes live tunnels', async (t) => {
  const upstream = await startRawUpstream(t, 'echo-101');
  const { port, kubegate } = await startProxy(t, upstream.url);
  const client = await upgradeClient(port, '/api/v1/namespaces/d/pods/p/portforward');
  await until(() => client.received().includes('101'), '101');
  const closed = once(client.socket, 'close');
  await kubegate.shutdown(1000);
  await closed;
  t.pass('the tunnel was closed by shutdown');
});
