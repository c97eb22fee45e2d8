import t from 'tap';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RECHECK_INTERVAL_MS, createFileReader, createMaterialReader, createTlsMaterial } from '../../src/auth/material.js';
import { createCertificateAuthority } from '../../src/demo-cluster/pki.js';

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

t.test('a re-read after invalidate that finds the same bytes hands back the same Buffer', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ca.crt');
  writeFileSync(path, 'same');
  const reader = createFileReader(path, { now: manualClock().now });
  const first = reader.read();
  reader.invalidate();
  t.equal(reader.read(), first, 'the same object: the pool built on it is kept (no new TLS handshakes after a 401)');
  writeFileSync(join(dir, 'next'), 'same');
  renameSync(join(dir, 'next'), path);
  reader.invalidate();
  reader.invalidate();
  t.equal(reader.read(), first, 'a new file with the same bytes, invalidated twice: still the same object');
  writeFileSync(path, 'other');
  reader.invalidate();
  const changed = reader.read();
  t.equal(changed.toString(), 'other', 'new bytes are new material');
  t.not(changed, first);
});

t.test('inline data never changes; a missing file throws', async (t) => {
  const data = Buffer.from('inline');
  t.equal(createMaterialReader({ kind: 'data', data, origin: 'x' }).read(), data);
  t.throws(() => createMaterialReader({ kind: 'file', path: '/nonexistent/kubegate' }).read(), { code: 'ENOENT' });
});

/** A client certificate, its key, a second key that does not match it, and the CA, as files in `dir`. */
async function writeClientMaterial(dir: string): Promise<{ cert: string; key: string; ca: string; goodCert: string; goodKey: string; otherKey: string; caPem: string }> {
  const ca = await createCertificateAuthority();
  const client = await ca.issueClientCertificate('alice', ['devs']);
  const other = await ca.issueClientCertificate('mallory');
  const paths = { cert: join(dir, 'client.crt'), key: join(dir, 'client.key'), ca: join(dir, 'ca.crt') };
  writeFileSync(paths.cert, client.certPem);
  writeFileSync(paths.key, client.keyPem);
  writeFileSync(paths.ca, ca.certPem);
  return { ...paths, goodCert: client.certPem, goodKey: client.keyPem, otherKey: other.keyPem, caPem: ca.certPem };
}

const LOADED_AT = new Date('2026-01-02T03:04:05.000Z');

t.test('a client certificate file overwritten with garbage keeps the last good pair, said once, and reported as a problem', async (t) => {
  const dir = tempDir(t);
  const files = await writeClientMaterial(dir);
  const said: string[] = [];
  const material = createTlsMaterial(
    { cert: { kind: 'file', path: files.cert }, key: { kind: 'file', path: files.key } },
    { recheckMs: 0, onProblem: (message) => said.push(message), wallClock: () => LOADED_AT },
  );
  t.equal(material.clientCertificate()?.cert.toString(), files.goodCert);
  t.same(material.problems(), []);
  writeFileSync(files.cert, 'garbage, not a PEM certificate');
  for (let i = 0; i < 3; i++) t.equal(material.clientCertificate()?.cert.toString(), files.goodCert, `request ${i} still uses the loaded pair`);
  t.equal(said.length, 1, 'logged once for the change, not per request');
  t.match(material.problems(), [new RegExp(`^client certificate file ${files.cert} is not usable \\(.+\\); still using the one loaded at 2026-01-02T03:04:05\\.000Z$`)]);
  t.notMatch(said.join(''), /PRIVATE KEY|BEGIN/, 'no material in the message');
  writeFileSync(files.cert, 'other garbage');
  material.clientCertificate();
  t.equal(said.length, 2, 'a new change is said again');
  writeFileSync(files.cert, files.goodCert);
  t.equal(material.clientCertificate()?.cert.toString(), files.goodCert);
  t.same(material.problems(), [], 'good again: no problem');
});

t.test('a key that does not match the certificate keeps the last good pair and names both files', async (t) => {
  const dir = tempDir(t);
  const files = await writeClientMaterial(dir);
  const material = createTlsMaterial({ cert: { kind: 'file', path: files.cert }, key: { kind: 'file', path: files.key } }, { recheckMs: 0 });
  const first = material.clientCertificate();
  writeFileSync(files.key, files.otherKey);
  const during = material.clientCertificate();
  t.equal(during?.key.toString(), files.goodKey, 'the matching key is still used');
  t.equal(during, first, 'the same object: the connection pool is not rebuilt');
  t.match(material.problems(), [new RegExp(`^client certificate file ${files.cert} is not usable \\(it does not match the key in ${files.key}: .+\\); still using`)]);
  writeFileSync(files.key, 'not a key');
  t.match(material.problems().length, 1);
  material.clientCertificate();
  t.match(material.problems(), [new RegExp(`^client key file ${files.key} is not usable`)]);
});

t.test('a CA file replaced by garbage or removed keeps the last good bundle', async (t) => {
  const dir = tempDir(t);
  const files = await writeClientMaterial(dir);
  const material = createTlsMaterial({ ca: { kind: 'file', path: files.ca } }, { recheckMs: 0 });
  t.equal(material.certificateAuthority()?.toString(), files.caPem);
  writeFileSync(files.ca, 'garbage');
  t.equal(material.certificateAuthority()?.toString(), files.caPem);
  t.match(material.problems(), [/^certificate authority file .*ca\.crt is not usable \(no PEM certificate in it\); still using/]);
  rmSync(files.ca);
  t.equal(material.certificateAuthority()?.toString(), files.caPem);
  t.match(material.problems(), [/ENOENT/]);
  writeFileSync(files.ca, files.caPem);
  t.equal(material.certificateAuthority()?.toString(), files.caPem);
  t.same(material.problems(), []);
});

t.test('a certificate file replaced by a FIFO is refused at once instead of blocking the event loop', async (t) => {
  const dir = tempDir(t);
  const files = await writeClientMaterial(dir);
  const material = createTlsMaterial({ cert: { kind: 'file', path: files.cert }, key: { kind: 'file', path: files.key } }, { recheckMs: 0 });
  material.clientCertificate();
  rmSync(files.cert);
  t.equal(spawnSync('mkfifo', [files.cert]).status, 0, 'mkfifo');
  t.equal(material.clientCertificate()?.cert.toString(), files.goodCert);
  t.match(material.problems(), [/not a regular file \(a FIFO\)/]);
});

t.test('with nothing good loaded yet, what is on disk is handed out (the TLS error names it, as before)', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'c.crt'), 'CERT');
  writeFileSync(join(dir, 'c.key'), 'KEY');
  const material = createTlsMaterial({ cert: { kind: 'file', path: join(dir, 'c.crt') }, key: { kind: 'file', path: join(dir, 'c.key') } }, { recheckMs: 0 });
  t.equal(material.clientCertificate()?.cert.toString(), 'CERT');
  t.match(material.problems(), [/c\.crt is not usable/]);
});
