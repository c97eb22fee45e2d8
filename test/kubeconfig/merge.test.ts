import t from 'tap';
import { readFileSync } from 'node:fs';
import { mergeKubeconfigs } from '../../src/kubeconfig/merge.js';
import { parseKubeconfig } from '../../src/kubeconfig/parse.js';
import { fixturePath } from '../fixtures/paths.js';

const load = (name: string) => parseKubeconfig(readFileSync(fixturePath('kubeconfig', name), 'utf8'), `/cfg/${name}`);

t.test('the first file to define a name wins the whole entry, never field by field', async (t) => {
  const merged = mergeKubeconfigs([load('merge-first.yaml'), load('merge-second.yaml')]);
  const shared = merged.clusters.get('shared');
  t.equal(shared?.server, 'https://first.example:6443');
  t.equal(shared?.tlsServerName, undefined, 'the second file\'s tls-server-name is not merged in');
  t.equal(shared?.file, '/cfg/merge-first.yaml');
  t.equal(merged.users.get('shared')?.token, 'first-token');
  t.equal(merged.users.get('shared')?.as, undefined);
  t.equal(merged.contexts.get('shared')?.cluster, 'shared');
  t.ok(merged.contexts.has('second-ctx'), 'names only the second file defines are kept');
  t.ok(merged.clusters.has('first-only'));
});

t.test('the first non-empty current-context wins', async (t) => {
  t.equal(mergeKubeconfigs([load('merge-first.yaml'), load('merge-second.yaml')]).currentContext, 'second-ctx');
  t.equal(mergeKubeconfigs([load('cert-files.yaml'), load('merge-second.yaml')]).currentContext, 'dev');
});

t.test('no files merge to an empty config', async (t) => {
  const merged = mergeKubeconfigs([]);
  t.equal(merged.clusters.size, 0);
  t.equal(merged.currentContext, '');
});
