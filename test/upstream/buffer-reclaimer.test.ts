import t from 'tap';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { createBufferReclaimer, v8MinorCollection, RECLAIM_STEP_BYTES } from '../../src/upstream/buffer-reclaimer.js';
import { GzipInflater } from '../../src/upstream/inflate.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('one collection per step handed out, after the turn that crossed it', async (t) => {
  let collections = 0;
  const reclaimer = createBufferReclaimer(() => collections++, 1000);
  reclaimer.handedOut(999);
  await turn();
  t.equal(collections, 0, 'below the step: none');
  reclaimer.handedOut(1);
  t.equal(collections, 0, 'not inside the write that crossed the step');
  await turn();
  t.equal(collections, 1, 'on the next turn');
  for (let i = 0; i < 10; i++) reclaimer.handedOut(1000);
  await turn();
  t.equal(collections, 2, 'many steps in one turn (answers inflating together) queue one');
  reclaimer.handedOut(500);
  await turn();
  t.equal(collections, 2, 'the count starts again after a queued collection');
});

t.test('without a collector (a V8 that refused the flag) nothing is queued; one that throws is dropped', async (t) => {
  const reclaimer = createBufferReclaimer(undefined, 1);
  reclaimer.handedOut(10);
  await turn();
  let calls = 0;
  const throwing = createBufferReclaimer(() => {
    calls++;
    throw new Error('no collector after all');
  }, 1);
  throwing.handedOut(10);
  await turn();
  throwing.handedOut(10);
  await turn();
  t.equal(calls, 1, 'called once, its error kept inside, never again');
});

t.test("V8's minor collection is reached, is a scavenge, and frees dead buffers", async (t) => {
  const collect = v8MinorCollection();
  if (collect === undefined) throw new Error('this Node refused --expose-gc at run time: kubegate would run without the reclaimer');
  t.equal((globalThis as { gc?: unknown }).gc, undefined, 'no gc() for the program itself');
  const before = process.memoryUsage().arrayBuffers;
  // 16 MiB of dead 256 KiB buffers, what two plain LISTs inflate to (much more and V8 itself would
  // start a full collection on the way: the very thing the reclaimer heads off).
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(256 * 1024).fill(i);
  const grown = process.memoryUsage().arrayBuffers;
  t.ok(grown - before >= 16 * 1024 * 1024, `the dead buffers are still counted (${grown - before} bytes)`);
  const kinds: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) kinds.push((entry as unknown as { detail: { kind: number } }).detail.kind);
  });
  observer.observe({ entryTypes: ['gc'] });
  t.teardown(() => observer.disconnect());
  collect();
  // The buffers' memory goes back once V8's sweeper has run (it may on another thread): wait for it.
  for (let i = 0; i < 200 && process.memoryUsage().arrayBuffers > before + 4 * 1024 * 1024; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(process.memoryUsage().arrayBuffers <= before + 4 * 1024 * 1024, 'a minor collection freed them');
  // Observers are told on a later turn.
  for (let i = 0; i < 200 && kinds.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR), 'the collection was a minor one');
  t.notOk(kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR), 'and no full one');
});

t.test('the inflater tells its reclaimer every chunk it hands to the client', async (t) => {
  const plain = Buffer.from(JSON.stringify({ items: Array.from({ length: 20000 }, (_, i) => ({ name: `pod-${i}`, uid: `${i}`.repeat(8) })) }));
  let told = 0;
  const written: Buffer[] = [];
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => (ended = resolve));
  const inflater = new GzipInflater(
    { write: (chunk) => written.push(chunk) > 0, onceDrained: () => {}, end: () => ended(), fail: (error) => t.fail(error.message) },
    { handedOut: (bytes) => (told += bytes) },
  );
  inflater.write(gzipSync(plain), { pause: () => {}, resume: () => {} });
  inflater.end();
  await done;
  t.equal(told, plain.length, 'every inflated byte was counted');
  t.equal(Buffer.concat(written).length, plain.length);
  t.ok(plain.length > RECLAIM_STEP_BYTES / 4, 'the body is a sizeable one');
});
