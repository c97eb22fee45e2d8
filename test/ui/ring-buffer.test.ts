import t from 'tap';
import { RingBuffer } from '../../src/ui/ring-buffer.js';

const item = (id: number) => ({ id, label: `r${id}` });

t.test('holds the last N, oldest first, and finds them by id', async (t) => {
  const buffer = new RingBuffer<ReturnType<typeof item>>(3);
  for (let id = 1; id <= 5; id++) buffer.push(item(id));
  t.equal(buffer.size, 3);
  t.same(buffer.items().map((held) => held.id), [3, 4, 5], 'the two oldest were dropped');
  t.equal(buffer.get(4)?.label, 'r4');
  t.equal(buffer.get(1), undefined, 'an evicted id is not found (its slot holds another)');
  t.equal(buffer.get(2), undefined);
  t.equal(buffer.get(6), undefined, 'an id not yet pushed is not found');
  t.equal(buffer.get(-1), undefined);
  t.equal(buffer.get(2.5), undefined);
});

t.test('before it is full, only what was pushed', async (t) => {
  const buffer = new RingBuffer<ReturnType<typeof item>>(10);
  buffer.push(item(1));
  buffer.push(item(2));
  t.equal(buffer.size, 2);
  t.same(buffer.items().map((held) => held.id), [1, 2]);
});

t.test('a buffer of one keeps the newest', async (t) => {
  const buffer = new RingBuffer<ReturnType<typeof item>>(1);
  buffer.push(item(7));
  buffer.push(item(8));
  t.same(buffer.items().map((held) => held.id), [8]);
  t.equal(buffer.get(7), undefined);
});

t.test('a capacity below one is refused', async (t) => {
  t.throws(() => new RingBuffer(0), RangeError);
  t.throws(() => new RingBuffer(1.5), RangeError);
});
