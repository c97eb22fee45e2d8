import t from 'tap';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  t.equal(source.authorization(), 'Bearer first-token');
  replace(path, 'second-token\n');
  t.equal(source.authorization(), 'Bearer second-token');
});

t.test('a file that later disappears or empties keeps the last good token and records the problem', async (t) => {
  const path = tokenPath(t, 'good');
  const source = createTokenFileSource(path, EVERY_READ);
  t.equal(source.authorization(), 'Bearer good');
  replace(path, '   \n');
  t.equal(source.authorization(), 'Bearer good');
  t.match(source.problem, /read empty token from file/);
  rmSync(path);
  t.equal(source.authorization(), 'Bearer good');
  t.match(source.problem, /Unable to rotate token/);
  writeFileSync(path, 'fresh');
  t.equal(source.authorization(), 'Bearer fresh');
  t.equal(source.problem, undefined);
});

t.test('the first read must succeed, with a credential error naming the file', async (t) => {
  const path = tokenPath(t);
  t.throws(() => createTokenFileSource(path).authorization(), { code: 'KG_ERR_CREDENTIAL', message: new RegExp(`cannot read the token file ${path}: ENOENT`) });
  writeFileSync(path, '\n');
  t.throws(() => createTokenFileSource(path).authorization(), { code: 'KG_ERR_CREDENTIAL', message: /is empty/ });
});

t.test('rotations and unusable files are reported once each (the credential refresh metric)', async (t) => {
  const path = tokenPath(t, 'first');
  const outcomes: string[] = [];
  const source = createTokenFileSource(path, { ...EVERY_READ, onRefresh: (outcome) => outcomes.push(outcome) });
  source.authorization();
  source.authorization();
  t.same(outcomes, [], 'the first read and an unchanged file are not refreshes');
  replace(path, 'second');
  source.authorization();
  t.same(outcomes, ['success']);
  replace(path, '');
  source.authorization();
  source.authorization();
  t.same(outcomes, ['success', 'failure'], 'an empty file is one failure, however often it is read');
  replace(path, 'third');
  source.authorization();
  t.same(outcomes, ['success', 'failure', 'success']);
});
