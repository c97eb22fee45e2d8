import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContextConfigs, type ContextConfig } from '../../src/kubeconfig/load-contexts.js';
import { environmentIn } from '../fixtures/kubeconfig/env.js';

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev
    cluster: { server: "https://dev.example:6443" }
  - name: prod
    cluster: { server: "https://prod.example:6443", insecure-skip-tls-verify: true }
users:
  - name: dev-user
    user: { token: tok-dev }
  - name: prod-user
    user: { username: u, password: p }
contexts:
  - name: dev
    context: { cluster: dev, user: dev-user, namespace: team-a }
  - name: prod
    context: { cluster: prod, user: prod-user }
  - name: broken
    context: { cluster: gone, user: dev-user }
`;

function kubeconfigFile(t: { teardown(fn: () => void): void }): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-lc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cwd'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, KUBECONFIG);
  return { path, dir };
}

const summary = (config: ContextConfig): unknown => ('error' in config ? { name: config.name, error: config.error.message } : { name: config.name, server: config.restConfig.server, auth: config.restConfig.auth.kind, context: config.restConfig.names.context, namespace: config.namespace });

t.test('each context resolved as --context NAME resolves it; an invalid entry keeps its error', async (t) => {
  const { path, dir } = kubeconfigFile(t);
  const configs = loadContextConfigs({ kind: 'all' }, { kubeconfig: path }, environmentIn(dir), { appendServerPath: false });
  t.same(configs.map(summary), [
    { name: 'dev', server: 'https://dev.example:6443', auth: 'token', context: 'dev', namespace: 'team-a' },
    { name: 'prod', server: 'https://prod.example:6443', auth: 'basic', context: 'prod', namespace: undefined },
    { name: 'broken', error: `context "broken" refers to cluster "gone", which is not defined (in ${path})` },
  ]);
  const prod = configs[1];
  t.ok(prod && 'restConfig' in prod && prod.restConfig.tls.insecureSkipTlsVerify, 'each context keeps its own TLS settings');
});

t.test('named contexts in the order given; a name the kubeconfig lacks stops start-up, listing what it has', async (t) => {
  const { path, dir } = kubeconfigFile(t);
  const configs = loadContextConfigs({ kind: 'named', names: ['prod', 'dev'] }, { kubeconfig: path }, environmentIn(dir), { appendServerPath: false });
  t.same(configs.map((config) => config.name), ['prod', 'dev']);
  t.throws(() => loadContextConfigs({ kind: 'named', names: ['dev', 'Dev'] }, { kubeconfig: path }, environmentIn(dir), { appendServerPath: false }), {
    code: 'KG_ERR_KUBECONFIG',
    message: /context "Dev" does not exist .*it defines: "dev", "prod", "broken"/,
  });
});

t.test('a kubeconfig without contexts is a start-up error', async (t) => {
  const { dir } = kubeconfigFile(t);
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
  t.throws(() => loadContextConfigs({ kind: 'all' }, { kubeconfig: empty }, environmentIn(dir), { appendServerPath: false }), { code: 'KG_ERR_KUBECONFIG', message: /defines none/ });
});
