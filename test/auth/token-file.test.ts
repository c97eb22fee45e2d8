import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, renameSync, rmSync, writeFileSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenFileSource } from '../../src/auth/token-file.js';

function tokenPath(t: { teardown(fn: () => void): void }, initial?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'token');
  if (initial !== undefined) writeFileSync(path, initial);
  return path;
}

// Stat on every read: these tests are about what a rotation does; material.test.ts covers the interval.
const EVERY_READ = { recheckMs: 0 };

function replace(path: string, text: string): void {
  writeFileSync(`${path}.new`, text);
  renameSync(`${path}.new`, path);
}

t.test('the token is trimmed and a rotated file is used by the next call', async (t) => {
  const path = tokenPath(t, '  first-token\n');
  const source = createTokenFileSource(path, EVERY_READ);
  t.equal(await source.authorization(), 'Bearer first-token');
  replace(path, 'second-token\n');
  t.equal(await source.authorization(), 'Bearer second-token');
});

t.test('a file that later disappears or empties keeps the last good token and records the problem', async (t) => {
  const path = tokenPath(t, 'good');
  const source = createTokenFileSource(path, EVERY_READ);
  t.equal(await source.authorization(), 'Bearer good');
  replace(path, '   \n');
  t.equal(await source.authorization(), 'Bearer good');
  t.match(source.problem, /read empty token from file/);
  rmSync(path);
  t.equal(await source.authorization(), 'Bearer good');
  t.match(source.problem, /Unable to rotate token/);
  writeFileSync(path, 'fresh');
  t.equal(await source.authorization(), 'Bearer fresh');
  t.equal(source.problem, undefined);
});

t.test('the first read must succeed, with a credential error naming the file', async (t) => {
  const path = tokenPath(t);
  await t.rejects(async () => createTokenFileSource(path).authorization(), { code: 'KG_ERR_CREDENTIAL', message: new RegExp(`cannot read the token file ${path}: ENOENT`) });
  writeFileSync(path, '\n');
  await t.rejects(async () => createTokenFileSource(path).authorization(), { code: 'KG_ERR_CREDENTIAL', message: /read empty token from file/ });
});

t.test('rotations and unusable files are reported once each (the credential refresh metric)', async (t) => {
  const path = tokenPath(t, 'first');
  const outcomes: string[] = [];
  const source = createTokenFileSource(path, { ...EVERY_READ, onRefresh: (outcome) => outcomes.push(outcome) });
  await source.authorization();
  await source.authorization();
  t.same(outcomes, [], 'the first read and an unchanged file are not refreshes');
  replace(path, 'second');
  await source.authorization();
  t.same(outcomes, ['success']);
  replace(path, '');
  await source.authorization();
  await source.authorization();
  t.same(outcomes, ['success', 'failure'], 'an empty file is one failure, however often it is read');
  replace(path, 'third');
  await source.authorization();
  t.same(outcomes, ['success', 'failure', 'success']);
});

/** A FIFO put where the token file was (mkfifo), as in issue 13. */
function replaceWithFifo(path: string): void {
  rmSync(path, { force: true });
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr.toString()}`);
}

t.test('a token file replaced by a FIFO blocks nothing: the last good token is kept and the problem named', async (t) => {
  const path = tokenPath(t, 'good');
  const source = createTokenFileSource(path, EVERY_READ);
  t.equal(await source.authorization(), 'Bearer good');
  replaceWithFifo(path);
  t.equal(await source.authorization(), 'Bearer good', 'answered without a writer ever opening the FIFO');
  t.match(source.problem, `cannot read the token file ${path}: not a regular file (a FIFO)`);
  rmSync(path);
  writeFileSync(path, 'fresh');
  t.equal(await source.authorization(), 'Bearer fresh', 'the next look after the file is back uses it');
  t.equal(source.problem, undefined);
});

t.test('with no good token yet, a FIFO fails the request with an error naming the file, never the token, and the next call retries', async (t) => {
  const path = tokenPath(t);
  replaceWithFifo(path);
  const source = createTokenFileSource(path, EVERY_READ);
  await t.rejects(async () => source.authorization(), { code: 'KG_ERR_CREDENTIAL', message: `cannot use the token file ${path}: cannot read the token file ${path}: not a regular file (a FIFO)` });
  // A writer that shows up does not make a FIFO acceptable, and nothing waits for one.
  const writer = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  t.teardown(() => closeSync(writer));
  await t.rejects(async () => source.authorization(), { code: 'KG_ERR_CREDENTIAL' });
  rmSync(path);
  writeFileSync(path, 'now-a-file');
  t.equal(await source.authorization(), 'Bearer now-a-file');
});

t.test('a look that takes longer than the read timeout fails the waiting request, not the process', async (t) => {
  const path = tokenPath(t, 'good');
  // A look that never finishes (a hung mount): only the timeout can end the wait. kubegate's timer is
  // unref'd (it must not hold a stopping process open), so this test keeps the event loop alive itself.
  const alive = setTimeout(() => {}, 5_000);
  t.teardown(() => clearTimeout(alive));
  const source = createTokenFileSource(path, { ...EVERY_READ, readTimeoutMs: 20, readFileForTest: () => new Promise(() => {}) });
  await t.rejects(async () => source.authorization(), { code: 'KG_ERR_CREDENTIAL', message: /took longer than 20 ms/ });
});

t.test('within the recheck interval the cached token is returned synchronously (no await per request)', async (t) => {
  const path = tokenPath(t, 'cached');
  let clock = 0;
  const source = createTokenFileSource(path, { recheckMs: 100, now: () => clock });
  t.type(source.authorization(), Promise, 'the first call looks at the file');
  t.equal(await source.authorization(), 'Bearer cached');
  clock = 50;
  t.equal(source.authorization(), 'Bearer cached', 'a string, not a Promise');
  clock = 120;
  t.equal(source.authorization(), 'Bearer cached', 'past the interval, an unchanged file (one stat) is still answered synchronously');
  replace(path, 'rotated');
  clock = 250;
  t.type(source.authorization(), Promise, 'a changed file is read asynchronously');
  t.equal(await source.authorization(), 'Bearer rotated', 'the first call after the interval sees the rotation');
});

t.test('recheck() makes only a due check of a token in use, never the first read', async (t) => {
  const path = tokenPath(t, 'first');
  let clock = 0;
  let looks = 0;
  const source = createTokenFileSource(path, {
    recheckMs: 100,
    now: () => clock,
    readFileForTest: async (file, known) => {
      looks++;
      const { readFile, stat } = await import('node:fs/promises');
      const stats = await stat(file);
      const print = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
      return { print, data: print === known ? undefined : await readFile(file) };
    },
  });
  source.recheck();
  t.equal(looks, 0, 'no token read yet: recheck() leaves the first read to a request');
  t.equal(await source.authorization(), 'Bearer first');
  t.equal(looks, 1);
  replace(path, 'second');
  clock = 99;
  source.recheck();
  t.equal(looks, 0 + 1, 'not due yet: nothing');
  clock = 100;
  source.recheck();
  t.equal(looks, 2, 'due, and the file changed: the look a request would have started');
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (let i = 0; i < 100 && source.authorization() !== 'Bearer second'; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(source.authorization(), 'Bearer second', 'in hand, synchronously, for the next request');
  t.equal(looks, 2, 'and that request made no look of its own');
});

t.test('concurrent calls share one look at the file', async (t) => {
  const path = tokenPath(t, 'shared');
  const source = createTokenFileSource(path, EVERY_READ);
  const first = source.authorization();
  const second = source.authorization();
  t.equal(first, second, 'the same Promise');
  t.equal(await first, 'Bearer shared');
});
