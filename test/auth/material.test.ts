import t from 'tap';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECHECK_INTERVAL_MS, createFileReader, createMaterialReader } from '../../src/auth/material.js';

/** A clock the test moves by hand, so "the next read after the recheck interval" is exact. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let time = 1_000;
  return { now: () => time, advance: (ms) => (time += ms) };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-material-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a file is read once while it is unchanged, and again after it changes', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'cert.pem');
  writeFileSync(path, 'one');
  const clock = manualClock();
  const reader = createFileReader(path, { now: clock.now });
  const first = reader.read();
  t.equal(first.toString(), 'one');
  clock.advance(RECHECK_INTERVAL_MS);
  t.equal(reader.read(), first, 'the same buffer while the file is unchanged');
  writeFileSync(join(dir, 'next'), 'two');
  renameSync(join(dir, 'next'), path);
  t.equal(reader.read(), first, 'within the recheck interval the cached contents are used without a stat');
  clock.advance(RECHECK_INTERVAL_MS - 1);
  t.equal(reader.read(), first, 'still within the interval');
  clock.advance(1);
  t.equal(reader.read().toString(), 'two', 'an atomically replaced file is seen by the first read after the interval');
});

t.test('a kubelet-style ..data symlink swap is seen by the next read', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, '..2026_01'));
  writeFileSync(join(dir, '..2026_01', 'token'), 'old');
  symlinkSync('..2026_01', join(dir, '..data'));
  symlinkSync('..data/token', join(dir, 'token'));
  const clock = manualClock();
  const reader = createFileReader(join(dir, 'token'), { now: clock.now });
  t.equal(reader.read().toString(), 'old');
  mkdirSync(join(dir, '..2026_02'));
  writeFileSync(join(dir, '..2026_02', 'token'), 'new');
  symlinkSync('..2026_02', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  clock.advance(RECHECK_INTERVAL_MS);
  t.equal(reader.read().toString(), 'new');
});

t.test('invalidate forces a read from disk', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'f');
  writeFileSync(path, 'a');
  const reader = createFileReader(path, { now: manualClock().now });
  const first = reader.read();
  writeFileSync(path, 'b');
  reader.invalidate();
  t.equal(reader.read().toString(), 'b', 'invalidate skips the recheck interval (after a 401)');
});

t.test('inline data never changes; a missing file throws', async (t) => {
  const data = Buffer.from('inline');
  t.equal(createMaterialReader({ kind: 'data', data, origin: 'x' }).read(), data);
  t.throws(() => createMaterialReader({ kind: 'file', path: '/nonexistent/kubegate' }).read(), { code: 'ENOENT' });
});
