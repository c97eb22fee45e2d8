import t from 'tap';
import { BodyHead, SAMPLE_LIMIT, chunkBytes, countLines } from '../../src/ui/body-sample.js';

t.test('keeps a copy of the first SAMPLE_LIMIT bytes and counts them all', async (t) => {
  const head = new BodyHead();
  const big = Buffer.alloc(SAMPLE_LIMIT * 3, 'a');
  head.add(Buffer.from('xy'));
  head.add(big);
  head.add(Buffer.from('z'));
  t.equal(head.total, 2 + big.length + 1);
  t.equal(head.bytes().length, SAMPLE_LIMIT);
  t.equal(head.bytes().subarray(0, 3).toString(), 'xya');
  big.fill('b');
  t.equal(head.bytes()[5], 'a'.charCodeAt(0), 'a copy: later changes to the chunk do not show');
  t.not(head.bytes().buffer, big.buffer, 'the kept bytes do not hold on to the large chunk');
});

t.test('an empty body keeps nothing', async (t) => {
  const head = new BodyHead();
  t.equal(head.total, 0);
  t.equal(head.bytes().length, 0);
});

t.test('chunks as ServerResponse.write takes them', async (t) => {
  t.same(chunkBytes('héllo', undefined), Buffer.from('héllo'));
  t.same(chunkBytes('68656c6c6f', 'hex'), Buffer.from('hello'));
  t.same(chunkBytes(new Uint8Array([104, 105]), undefined), Buffer.from('hi'));
  t.equal(chunkBytes(undefined, undefined), undefined);
  t.equal(chunkBytes(() => {}, undefined), undefined, 'a callback is not a chunk');
});

t.test('watch events are lines', async (t) => {
  t.equal(countLines(Buffer.from('{"type":"ADDED"}\n{"type":"MODIFIED"}\n')), 2);
  t.equal(countLines(Buffer.from('{"type":"ADD')), 0);
  t.equal(countLines(Buffer.from('\n\n\n')), 3);
});
