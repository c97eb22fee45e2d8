import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfigFiles } from '../../src/kubeconfig/load.js';
import { environmentIn } from '../fixtures/kubeconfig/env.js';
import type { Teardown } from '../fixtures/teardown.js';

function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-load-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['home/.kube', 'cwd']) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

t.test('--kubeconfig reads only that file, relative to the working directory', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'cwd', 'mine.yaml'), 'current-context: mine\n');
  writeFileSync(join(dir, 'home/.kube/config'), 'current-context: home\n');
  const env = environmentIn(dir, { KUBECONFIG: join(dir, 'home/.kube/config') });
  const { files } = loadKubeconfigFiles('mine.yaml', env);
  t.same(files.map((f) => f.path), [join(dir, 'cwd', 'mine.yaml')]);
});

t.test('a missing --kubeconfig is an error naming the file', async (t) => {
  const dir = tempDir(t);
  t.throws(() => loadKubeconfigFiles('nope.yaml', environmentIn(dir)), {
    code: 'KG_ERR_FILE',
    message: /stat nope.yaml: no such file or directory \(the file given with --kubeconfig does not exist\)/,
  });
});

t.test('KUBECONFIG: split on ":", duplicates and missing files skipped, order kept', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a'), 'current-context: a\n');
  writeFileSync(join(dir, 'b'), 'current-context: b\n');
  const env = environmentIn(dir, { KUBECONFIG: `${join(dir, 'b')}::${join(dir, 'missing')}:${join(dir, 'a')}:${join(dir, 'b')}` });
  const { files, searched } = loadKubeconfigFiles(undefined, env);
  t.same(files.map((f) => f.path), [join(dir, 'b'), join(dir, 'a')]);
  t.equal(searched.length, 3, 'every distinct entry is listed for the "no kubeconfig" message');
});

t.test('without flag or variable: ~/.kube/config, or nothing', async (t) => {
  const dir = tempDir(t);
  t.same(loadKubeconfigFiles(undefined, environmentIn(dir)).files, []);
  writeFileSync(join(dir, 'home/.kube/config'), 'current-context: home\n');
  t.same(loadKubeconfigFiles(undefined, environmentIn(dir)).files, [{ path: join(dir, 'home/.kube/config'), text: 'current-context: home\n' }]);
});

t.test('a kubeconfig that is a directory is a clear error', async (t) => {
  const dir = tempDir(t);
  t.throws(() => loadKubeconfigFiles(join(dir, 'cwd'), environmentIn(dir)), /error loading config file ".*cwd": it is a directory/);
});
