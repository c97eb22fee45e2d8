import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createStreamServer } from '../../src/demo-cluster/streams.js';
import type { Teardown } from '../fixtures/teardown.js';

/** The demo's upgraded-connection server behind a plain HTTP listener, every upgrade an exec. */
async function execServer(t: Teardown): Promise<{ url: (query: string) => string; streams: ReturnType<typeof createStreamServer> }> {
  const streams = createStreamServer();
  const server = createServer();
  server.on('upgrade', (request, socket, head) => {
    const query = new URL(request.url ?? '/', 'http://demo').searchParams;
    streams.handle(request, socket, head, { subresource: 'exec', query });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    streams.registry.abortAll();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  return { url: (query) => `ws://127.0.0.1:${port}/exec?${query}`, streams };
}

t.test("an exec's frames wait for the runtime's start, then come in order, then the close", async (t) => {
  const { url } = await execServer(t);
  const ws = new WebSocket(url('command=echo&command=hi&stdout=true'), ['v5.channel.k8s.io']);
  await once(ws, 'open');
  const openedAt = performance.now();
  const messages: Array<{ at: number; data: Buffer }> = [];
  ws.on('message', (data: Buffer) => messages.push({ at: performance.now(), data }));
  const [code] = (await once(ws, 'close')) as [number];
  t.equal(code, 1000, 'a normal close, after the frames');
  t.same(messages[0]?.data, Buffer.concat([Buffer.from([1]), Buffer.from('hi\n')]), 'stdout first, on channel 1');
  t.match(messages[1]?.data.subarray(1).toString(), /"status":"Success"/, 'then the status, on channel 3');
  t.equal(messages.length, 2);
  // kubectl 1.32 drops frames that come before it registered its streams (streams.ts): none may come
  // sooner than a runtime's start. A lower bound on the fake's own hold, not a speed figure.
  t.ok((messages[0]?.at ?? 0) - openedAt >= 40, `the first frame came ${((messages[0]?.at ?? 0) - openedAt).toFixed(1)} ms after the open`);
});

t.test('a client that leaves during the hold: nothing is sent, nothing thrown, nothing left open', async (t) => {
  const { url, streams } = await execServer(t);
  const ws = new WebSocket(url('command=echo&command=late&stdout=true'), ['v5.channel.k8s.io']);
  await once(ws, 'open');
  const messages: Buffer[] = [];
  ws.on('message', (data: Buffer) => messages.push(data));
  ws.terminate();
  await once(ws, 'close');
  // Past the hold: the released frames would have gone to a closed socket.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(messages, []);
  t.equal(streams.registry.open(), 0, 'the upgraded socket is gone');
});
