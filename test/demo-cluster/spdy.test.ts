import t from 'tap';
import { once } from 'node:events';
import { inflateSync } from 'node:zlib';
import {
  FLAG_FIN,
  FRAME,
  HeaderCodec,
  RST,
  SPDY_DICTIONARY,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  uint32s,
  type SpdyStream,
} from '../../src/demo-cluster/spdy.js';
import { spdyPair } from '../fixtures/spdy-client.js';

// The demo's SPDY/3.1 server side, driven over a real loopback socket by the small client in test/fixtures.
// (Interoperability with kubectl's Go implementation is proven by test/e2e/tunnels.test.ts.)

t.test('the dictionary is the 1,423 bytes of SPDY/3, and a header block compressed with it starts a zlib stream that names it', async (t) => {
  t.equal(SPDY_DICTIONARY.length, 1423);
  t.equal(SPDY_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  t.ok(SPDY_DICTIONARY.toString('latin1').endsWith(',*,enq=0.'));
  const codec = new HeaderCodec('compress');
  const block = await codec.run(encodeHeaderBlock({ streamtype: 'data', port: '80' }));
  codec.close();
  t.equal((block[1] ?? 0) & 0x20, 0x20, 'the zlib header has FDICT set');
  t.throws(() => inflateSync(block), 'it cannot be read without the dictionary');
  t.same(decodeHeaderBlock(inflateSync(block, { dictionary: SPDY_DICTIONARY, finishFlush: 2 /* Z_SYNC_FLUSH */ })), { streamtype: 'data', port: '80' });
});

t.test('SYN_STREAM frames sent a byte at a time open streams with their headers; replies and data go back on the right stream', async (t) => {
  const pair = await spdyPair(t);
  const frame = await pair.synStreamFrame(1, { streamtype: 'error', port: '80', requestid: '0' });
  for (const byte of frame) pair.client.write(Buffer.from([byte]));
  await new Promise<void>((resolve) => pair.session.once('stream', () => resolve()));
  const [stream] = pair.streams;
  t.same(stream?.headers, { streamtype: 'error', port: '80', requestid: '0' });
  t.equal(stream?.id, 1);

  await stream?.reply({ 'x-demo': 'yes' });
  const reply = await pair.nextFrame((f) => f.control && f.type === FRAME.synReply);
  t.equal(reply.streamId, 1);
  // This client's decompression context is separate from the one that compressed our SYN_STREAM.
  t.same(await pair.replyHeaders(reply), { 'x-demo': 'yes' }, 'the SYN_REPLY header block decompresses with the dictionary');

  stream?.write(Buffer.from('to the client'));
  stream?.end();
  const data = await pair.nextFrame((f) => !f.control && f.payload.length > 0);
  t.same([data.streamId, data.payload.toString()], [1, 'to the client']);
  const fin = await pair.nextFrame((f) => !f.control && (f.flags & FLAG_FIN) !== 0);
  t.equal(fin.streamId, 1, 'end() sends FIN on the stream');
});

t.test('DATA frames reach their stream, FIN ends it, and frames for unknown streams are dropped', async (t) => {
  const pair = await spdyPair(t);
  await pair.synStream(1, { streamtype: 'data' });
  await pair.synStream(3, { streamtype: 'data' });
  while (pair.streams.length < 2) await once(pair.session, 'stream');
  const [first, second] = pair.streams as [SpdyStream, SpdyStream];
  const received: string[] = [];
  first.on('data', (chunk: Buffer) => received.push(`1:${chunk.toString()}`));
  second.on('data', (chunk: Buffer) => received.push(`3:${chunk.toString()}`));
  pair.send(dataFrame(3, 0, Buffer.from('b')));
  pair.send(dataFrame(1, 0, Buffer.from('a')));
  pair.send(dataFrame(99, 0, Buffer.from('nobody')));
  pair.send(dataFrame(1, FLAG_FIN, Buffer.from('c')));
  await once(first, 'end');
  t.same(received.sort(), ['1:a', '1:c', '3:b']);
  t.equal(pair.session.openStreams, 2, 'a half-closed stream stays open until this side ends too');
});

t.test('streams may arrive out of order (kubectl does that); an even or reused id is reset', async (t) => {
  const pair = await spdyPair(t);
  await pair.synStream(3, { streamtype: 'data' });
  await pair.synStream(1, { streamtype: 'error' });
  await pair.synStream(2, { streamtype: 'data' });
  await pair.synStream(3, { streamtype: 'data' });
  const resets = [await pair.nextFrame((f) => f.type === FRAME.rstStream), await pair.nextFrame((f) => f.type === FRAME.rstStream)];
  t.same(resets.map((frame) => [frame.payload.readUInt32BE(0), frame.payload.readUInt32BE(4)]), [[2, RST.protocolError], [3, RST.protocolError]]);
  t.same(pair.streams.map((stream) => stream.id), [3, 1]);
});

t.test('PING is echoed; RST_STREAM closes that stream; GOAWAY closes the session', async (t) => {
  const pair = await spdyPair(t);
  pair.send(controlFrame(FRAME.ping, 0, uint32s(7)));
  const pong = await pair.nextFrame((f) => f.type === FRAME.ping);
  t.equal(pong.payload.readUInt32BE(0), 7);

  await pair.synStream(1, { streamtype: 'data' });
  if (pair.streams.length === 0) await once(pair.session, 'stream');
  const stream = pair.streams[0] as SpdyStream;
  pair.send(controlFrame(FRAME.rstStream, 0, uint32s(1, RST.cancel)));
  await once(stream, 'close');
  t.equal(pair.session.openStreams, 0);

  pair.send(controlFrame(FRAME.windowUpdate, 0, Buffer.alloc(8)));
  pair.send(controlFrame(FRAME.goAway, 0, Buffer.alloc(8)));
  await once(pair.session, 'close');
  await once(pair.client, 'close');
  t.pass('the connection was closed');
});

t.test('a frame length beyond 1 MiB, or a header block that does not decompress, is a GOAWAY and the end of the session', async (t) => {
  for (const bad of [
    controlFrame(FRAME.synStream, 0, Buffer.alloc(0)).fill(0xff, 5, 8),
    controlFrame(FRAME.synStream, 0, Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('not zlib at all')])),
  ]) {
    const pair = await spdyPair(t);
    pair.send(bad);
    const goAway = await pair.nextFrame((f) => f.type === FRAME.goAway);
    t.equal(goAway.payload.readUInt32BE(4), RST.protocolError);
    await once(pair.client, 'close');
    t.equal(pair.streams.length, 0);
  }
});
