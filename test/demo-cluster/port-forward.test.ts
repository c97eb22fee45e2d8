import t from 'tap';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { servePortForward } from '../../src/demo-cluster/port-forward.js';
import { FLAG_FIN, FRAME, dataFrame } from '../../src/demo-cluster/spdy.js';
import { spdyPair, type Frame, type SpdyPair } from '../fixtures/spdy-client.js';

// Port-forward semantics over the demo's SPDY server: error and data streams paired by request id, the
// data stream joined to the pod's port, failures written on the error stream. Driven the way
// client-go drives a kubelet: error stream first (closed at once by the client), then the data stream.

const POD = { namespace: 'default', name: 'web-0', uid: 'uid-1' };

/** The pod's port 80: answers every line it receives upper-cased, and counts connections. */
async function upperCaseServer(t: Parameters<typeof spdyPair>[0]): Promise<{ port: number; connections(): number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    socket.on('end', () => socket.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function openPair(pair: SpdyPair, requestId: string, port: string, ids: [number, number]): Promise<void> {
  await pair.synStream(ids[0], { streamtype: 'error', port, requestid: requestId });
  pair.send(dataFrame(ids[0], FLAG_FIN, Buffer.alloc(0)));
  await pair.synStream(ids[1], { streamtype: 'data', port, requestid: requestId });
}

const dataOn = (id: number) => (frame: Frame) => !frame.control && frame.streamId === id && frame.payload.length > 0;
const finOn = (id: number) => (frame: Frame) => !frame.control && frame.streamId === id && (frame.flags & FLAG_FIN) !== 0;

t.test('two connections at once: each data stream reaches the pod port, both ways, and closing one ends its streams', async (t) => {
  const pod = await upperCaseServer(t);
  const pair = await spdyPair(t, (socket) => servePortForward(socket, undefined, POD, (port) => (port === 80 ? { host: '127.0.0.1', port: pod.port } : undefined)));
  await openPair(pair, '0', '80', [1, 3]);
  await openPair(pair, '1', '80', [5, 7]);
  const replies = await Promise.all([1, 3, 5, 7].map((id) => pair.nextFrame((frame) => frame.type === FRAME.synReply && frame.streamId === id)));
  t.equal(replies.length, 4, 'every stream got its SYN_REPLY');

  pair.send(dataFrame(3, 0, Buffer.from('first\n')));
  pair.send(dataFrame(7, 0, Buffer.from('second\n')));
  t.equal((await pair.nextFrame(dataOn(3))).payload.toString(), 'FIRST\n');
  t.equal((await pair.nextFrame(dataOn(7))).payload.toString(), 'SECOND\n');
  t.equal(pod.connections(), 2, 'one connection to the pod per request id');

  pair.send(dataFrame(3, FLAG_FIN, Buffer.alloc(0)));
  await pair.nextFrame(finOn(3));
  const errorEnd = await pair.nextFrame((frame) => !frame.control && frame.streamId === 1);
  t.same([errorEnd.flags & FLAG_FIN, errorEnd.payload.length], [FLAG_FIN, 0], 'the error stream ends empty: no error');
  pair.send(dataFrame(7, 0, Buffer.from('still open\n')));
  t.equal((await pair.nextFrame(dataOn(7))).payload.toString(), 'STILL OPEN\n', 'the other connection is untouched');
});

t.test('a port nothing listens on: the error stream carries the reason, then both streams end', async (t) => {
  const pair = await spdyPair(t, (socket) => servePortForward(socket, undefined, POD, () => undefined));
  await openPair(pair, '0', '81', [1, 3]);
  const message = await pair.nextFrame(dataOn(1));
  t.match(message.payload.toString(), /^error forwarding port 81 to pod web-0, uid uid-1: failed to connect to localhost:81 inside namespace "default": connection refused/);
  await pair.nextFrame(finOn(1));
  await pair.nextFrame(finOn(3));
  t.pass('both streams were finished');
});

t.test('a backend that refuses the connection, an invalid port and an unknown stream type', async (t) => {
  const closed = createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const pair = await spdyPair(t, (socket) => servePortForward(socket, undefined, POD, () => ({ host: '127.0.0.1', port: deadPort })));
  await openPair(pair, '0', '80', [1, 3]);
  t.match((await pair.nextFrame(dataOn(1))).payload.toString(), /failed to connect to localhost:80: connect ECONNREFUSED/);

  await openPair(pair, '1', 'eighty', [5, 7]);
  t.match((await pair.nextFrame(dataOn(5))).payload.toString(), /invalid port "eighty"/);

  await pair.synStream(9, { streamtype: 'resize' });
  const reset = await pair.nextFrame((frame) => frame.type === FRAME.rstStream);
  t.equal(reset.streamId, 9, 'a stream that is neither error nor data is reset');
});
