import t from 'tap';
import { once } from 'node:events';
import { Agent, get, type IncomingMessage } from 'node:http';
import { createSecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { isH2Eligible } from '../../src/upstream/h2-watches.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import type { Teardown } from '../fixtures/teardown.js';
import { openDescriptors } from '../fixtures/proc.js';
import { startKubegate, waitUntil } from '../fixtures/processes.js';

const WATCH = '/api/v1/namespaces/default/configmaps?watch=true';

/**
 * An HTTP/2 API server (the test cluster's certificate) that answers every stream with HEADERS, one
 * event and END_STREAM at once, after `look` has seen the stream; returns a kubeconfig pointing at it.
 */
async function answerEachStreamAtOnce(t: Teardown, cluster: TestCluster, name: string, look: (stream: ServerHttp2Stream) => void = () => {}): Promise<string> {
  const server = createSecureServer({ cert: cluster.api.pki.server.certPem, key: cluster.api.pki.server.keyPem });
  server.on('stream', (stream) => {
    look(stream);
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end('{"type":"ADDED"}\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return cluster.kubeconfig('token', { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, name });
}

t.test('a stream the caller sends may ride HTTP/2 only as a plain GET without a body', async (t) => {
  const options = (extra: Partial<Dispatcher.DispatchOptions>): Dispatcher.DispatchOptions => ({ origin: 'https://x', path: WATCH, method: 'GET', ...extra });
  t.ok(isH2Eligible(options({})));
  t.ok(isH2Eligible(options({ path: '/api/v1/namespaces/d/pods/p/log?follow=true' })));
  t.notOk(isH2Eligible(options({ method: 'POST' })));
  t.notOk(isH2Eligible(options({ body: 'x' })));
  t.notOk(isH2Eligible(options({ upgrade: 'websocket' })));
});

t.test('300 watches share a few HTTP/2 connections; GETs stay on HTTP/1.1; a client leaving cancels its stream', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/configmaps`)).status, 200);
  t.equal(cluster.api.requests.last()?.httpVersion, '1.1', 'a LIST goes over HTTP/1.1');
  const before = openDescriptors(proxy.child.pid ?? 0);

  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const watches: IncomingMessage[] = await Promise.all(
    Array.from({ length: 300 }, () => new Promise<IncomingMessage>((resolve, reject) => get(`${proxy.url}${WATCH}`, { agent }, resolve).on('error', reject))),
  );
  t.teardown(() => watches.forEach((watch) => watch.destroy()));
  t.same(new Set(watches.map((watch) => watch.statusCode)), new Set([200]));
  await waitUntil(() => cluster.api.store.watchers === 300, 'all 300 watches to reach the API server');
  const watchRequests = cluster.api.requests.all.filter((request) => request.query === 'watch=true');
  t.same(new Set(watchRequests.map((request) => request.httpVersion)), new Set(['2.0']), 'every watch arrived over HTTP/2');
  t.same(new Set(watchRequests.map((request) => request.user?.name)), new Set(['alice-admin']), 'with the client certificate');
  const added = openDescriptors(proxy.child.pid ?? 0) - before;
  t.ok(added < 300 + 10, `300 client sockets and a handful upstream (${added} descriptors added; HTTP/1.1 would need 600)`);

  // An event reaches every watch.
  const received = watches.map((watch) => {
    let text = '';
    watch.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    return () => text;
  });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"h2-event"}}' })).status, 201);
  await waitUntil(() => received.every((text) => text().includes('h2-event')), 'the event to reach all 300 watches');

  for (const watch of watches.slice(0, 100)) watch.destroy();
  await waitUntil(() => cluster.api.store.watchers === 200, 'the 100 closed watches to be cancelled upstream');
  t.pass('a client that leaves cancels its HTTP/2 stream');
});

t.test('watches answered at once (headers, body and end in one go) are relayed whole, headers first', async (t) => {
  const cluster = await startTestCluster(t);
  // An HTTP/2 server that answers each watch with HEADERS, DATA and END_STREAM in one write.
  const kubeconfig = await answerEachStreamAtOnce(t, cluster, 'eager');
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const answers = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const answer = await fetch(`${proxy.url}${WATCH}`);
      return `${answer.status} ${answer.headers.get('content-type') ?? ''} ${await answer.text()}`;
    }),
  );
  t.same(new Set(answers), new Set(['200 application/json {"type":"ADDED"}\n']), '200 watches, each with its headers and its event');
  t.equal(proxy.child.exitCode, null, 'kubegate is still running');
});

t.test("watches open HTTP/2's flow-control windows as Go's transport does: the API server need not wait for WINDOW_UPDATEs", async (t) => {
  const cluster = await startTestCluster(t);
  const seen: { streamWindow: number | undefined; connectionWindow: number | undefined }[] = [];
  const kubeconfig = await answerEachStreamAtOnce(t, cluster, 'windows', (stream) => {
    // What the client granted this server to send: its SETTINGS and its connection-level window.
    seen.push({ streamWindow: stream.session?.remoteSettings.initialWindowSize, connectionWindow: stream.session?.state.remoteWindowSize });
  });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  t.equal(await (await fetch(`${proxy.url}${WATCH}`)).text(), '{"type":"ADDED"}\n');
  t.equal(seen.length, 1, 'the watch rode HTTP/2');
  // HTTP/2's defaults are 65,535 bytes for both: 1,000 watches sharing one connection would wait on
  // a WINDOW_UPDATE round trip every 64 KiB of events.
  t.equal(seen[0]?.streamWindow, 1 << 20, 'a 1 MiB window per stream');
  t.ok((seen[0]?.connectionWindow ?? 0) >= 1 << 30, `a 1 GiB window for the connection (${seen[0]?.connectionWindow})`);
});

t.test('a burst of watches against a server that allows 50 streams per connection opens more connections instead of queueing', async (t) => {
  const cluster = await startTestCluster(t);
  const server = createSecureServer({ cert: cluster.api.pki.server.certPem, key: cluster.api.pki.server.keyPem, settings: { maxConcurrentStreams: 50 } });
  let streams = 0;
  const sessions = new Set<unknown>();
  server.on('stream', (stream) => {
    streams++;
    sessions.add(stream.session);
    stream.respond({ ':status': 200, 'content-type': 'application/json' }); // and stays open, as a watch does
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const kubeconfig = cluster.kubeconfig('token', { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, name: 'limited' });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const watches = await Promise.all(
    Array.from({ length: 300 }, () => new Promise<IncomingMessage>((resolve, reject) => get(`${proxy.url}${WATCH}`, { agent }, resolve).on('error', reject))),
  );
  t.teardown(() => {
    watches.forEach((watch) => watch.destroy());
    for (const session of sessions) (session as { destroy(): void }).destroy();
  });
  t.same(new Set(watches.map((watch) => watch.statusCode)), new Set([200]), 'all 300 watches answered');
  t.equal(streams, 300, 'all 300 reached the server');
  t.ok(sessions.size >= 6 && sessions.size <= 8, `over ${sessions.size} connections (50 streams each)`);
});
