import t from 'tap';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GzipInflater, INFLATED_CHUNK_BYTES, type InflateSink } from '../../src/upstream/inflate.js';

interface Recording {
  readonly chunks: Buffer[];
  ended: boolean;
  error: Error | undefined;
  /** Resume callbacks the inflater left for the client's drain. */
  readonly drainWaiters: Array<() => void>;
  readonly sink: InflateSink;
}

/** A sink that records what it got; `accept` says whether each write is taken without backpressure. */
function recordingSink(accept: () => boolean = () => true): { record: Recording; settled: Promise<void> } {
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const record: Recording = {
    chunks: [],
    ended: false,
    error: undefined,
    drainWaiters: [],
    sink: {
      write: (chunk) => {
        record.chunks.push(chunk);
        return accept();
      },
      onceDrained: (resume) => record.drainWaiters.push(resume),
      end: () => {
        record.ended = true;
        settle();
      },
      fail: (error) => {
        record.error = error;
        settle();
      },
    },
  };
  return { record, settled };
}

const source = { pause: () => {}, resume: () => {} };

function* pieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

t.test('a gzip body fed in pieces comes out whole and ends', async (t) => {
  const plain = Buffer.from(JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ name: `cm-${i}` })) }));
  const { record, settled } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  for (const piece of pieces(gzipSync(plain), 1000)) inflater.write(piece, source);
  inflater.end();
  await settled;
  t.equal(record.error, undefined);
  t.ok(record.ended);
  t.ok(Buffer.concat(record.chunks).equals(plain));
});

t.test('a large body comes out in few large writes, not zlib\'s 16 KiB default (each write is a thread-pool round trip)', async (t) => {
  // 2.3 MB of JSON-like text that compresses well, as a LIST does: fed in one piece, every write but the last is a
  // full chunk. Written in terms of the constant (it would pass at any size), so the size itself is checked apart.
  const plain = Buffer.from(JSON.stringify(Array.from({ length: 40_000 }, (_, i) => ({ name: `pod-${i}`, namespace: `ns-${i % 20}`, phase: 'Running' }))));
  const { record, settled } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  inflater.write(gzipSync(plain), source);
  inflater.end();
  await settled;
  t.ok(Buffer.concat(record.chunks).equals(plain));
  t.ok(INFLATED_CHUNK_BYTES >= 256 * 1024, `chunk is ${INFLATED_CHUNK_BYTES} bytes`);
  t.same(record.chunks.slice(0, -1).map((chunk) => chunk.length).filter((length) => length !== INFLATED_CHUNK_BYTES), [], 'every write but the last is a full chunk');
  t.equal(record.chunks.length, Math.ceil(plain.length / INFLATED_CHUNK_BYTES));
});

t.test('two gzip members one after the other are one body (Go reads multistream gzip too)', async (t) => {
  const { record, settled } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  inflater.write(Buffer.concat([gzipSync('first '), gzipSync('second')]), source);
  inflater.end();
  await settled;
  t.equal(Buffer.concat(record.chunks).toString(), 'first second');
});

t.test('an empty body ends cleanly with nothing written (Go: EOF before a gzip header is a clean end)', async (t) => {
  const { record, settled } = recordingSink();
  new GzipInflater(record.sink).end();
  await settled;
  t.equal(record.error, undefined);
  t.ok(record.ended);
  t.equal(Buffer.concat(record.chunks).length, 0);
});

t.test('a corrupt body fails the answer and never ends it', async (t) => {
  const { record, settled } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  inflater.write(Buffer.from('this is not gzip at all'), source);
  inflater.end();
  await settled;
  t.ok(record.error, 'fail was called');
  t.notOk(record.ended);
});

t.test('a body cut short fails the answer', async (t) => {
  const whole = gzipSync(randomBytes(50_000));
  const { record, settled } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  inflater.write(whole.subarray(0, whole.length - 100), source);
  inflater.end();
  await settled;
  t.ok(record.error);
  t.notOk(record.ended);
});

t.test('a client that takes no more pauses the inflater, and through it the upstream', async (t) => {
  // Incompressible bytes: the compressed input is as large as the output, so the input side fills.
  const plain = randomBytes(4 * 1024 * 1024);
  let taking = false;
  const { record, settled } = recordingSink(() => taking);
  let waitedForDrain: () => void = () => {};
  const drainAwaited = new Promise<void>((resolve) => (waitedForDrain = resolve));
  const onceDrained = record.sink.onceDrained;
  record.sink.onceDrained = (resume) => {
    onceDrained(resume);
    waitedForDrain();
  };
  const inflater = new GzipInflater(record.sink);
  let paused = 0;
  let resumed = 0;
  let wasResumed: () => void = () => {};
  const resumedOnce = new Promise<void>((resolve) => (wasResumed = resolve));
  const upstream = {
    pause: () => paused++,
    resume: () => {
      resumed++;
      wasResumed();
    },
  };
  for (const piece of pieces(gzipSync(plain), 64 * 1024)) inflater.write(piece, upstream);
  t.ok(paused > 0, 'the upstream was paused as soon as the inflater input was full');
  await drainAwaited;
  // Give zlib a few more turns: nothing more may reach the client before it drains.
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  t.equal(record.chunks.length, 1, 'nothing more is written before the client drains');
  t.equal(resumed, 0, 'the upstream stays paused');
  taking = true;
  for (const resume of record.drainWaiters.splice(0)) resume();
  // A paused upstream sends no end: it ends only after it was resumed.
  await resumedOnce;
  t.ok(resumed > 0, 'the upstream was resumed once the inflater drained');
  inflater.end();
  await settled;
  t.ok(Buffer.concat(record.chunks).equals(plain), 'every byte arrived, in order');
});

t.test('after destroy the sink hears nothing more', async (t) => {
  const { record } = recordingSink();
  const inflater = new GzipInflater(record.sink);
  inflater.destroy();
  inflater.write(gzipSync('late'), source);
  inflater.end();
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.same(record.chunks, []);
  t.notOk(record.ended);
  t.equal(record.error, undefined);
});
