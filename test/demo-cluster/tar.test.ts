import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar, writeTar } from '../../src/demo-cluster/tar.js';
import { startCommand } from '../../src/demo-cluster/exec-emulator.js';

t.test('writeTar output is read back by readTar and by the system tar', async (t) => {
  const data = Buffer.from('hello from the demo container\n');
  const archive = writeTar([{ name: 'tmp/hello.txt', data }]);
  t.same(readTar(archive), [{ name: 'tmp/hello.txt', data }]);
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-tar-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.tar'), archive);
  const extracted = spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
  t.equal(extracted.status, 0, extracted.stderr);
  t.equal(readFileSync(join(dir, 'tmp', 'hello.txt'), 'utf8'), data.toString());
});

t.test('readTar reads what the system tar writes, long names (PAX or GNU) included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-tar-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'short.txt'), 'short');
  const long = `${'n'.repeat(120)}.txt`;
  writeFileSync(join(dir, long), 'long');
  const created = spawnSync('tar', ['--format=pax', '-cf', '-', 'short.txt', long], { cwd: dir });
  t.equal(created.status, 0);
  t.same(readTar(created.stdout).map((entry) => [entry.name, entry.data.toString()]), [['short.txt', 'short'], [long, 'long']]);
});

t.test('the emulated tar and test: what kubectl cp runs in the container', async (t) => {
  const files = new Map<string, Buffer>();
  const run = (argv: string[], stdin?: Buffer) =>
    new Promise<{ stdout: Buffer; stderr: string; code: number }>((resolve) => {
      const out: Buffer[] = [];
      let err = '';
      const command = startCommand(argv, { stdout: (d) => out.push(d), stderr: (d) => (err += d.toString()), exit: (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code }) }, files);
      if (stdin) command.stdin(stdin);
      command.stdinEnd();
    });
  const upload = writeTar([{ name: 'data.bin', data: Buffer.from('payload') }]);
  t.equal((await run(['tar', '-xmf', '-', '-C', '/tmp'], upload)).code, 0);
  t.same(files.get('/tmp/data.bin'), Buffer.from('payload'));
  t.equal((await run(['test', '-d', '/tmp'])).code, 0);
  t.equal((await run(['test', '-d', '/tmp/data.bin'])).code, 1);
  const download = await run(['tar', 'cf', '-', '/tmp/data.bin']);
  t.equal(download.code, 0);
  t.same(readTar(download.stdout), [{ name: 'tmp/data.bin', data: Buffer.from('payload') }], 'the leading slash dropped, as GNU tar does');
  const missing = await run(['tar', 'cf', '-', '/nope']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, 'tar: /nope: Cannot stat: No such file or directory');
});
