import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { persistAuthProviderConfig, updateAuthProviderConfig } from '../../src/kubeconfig/persist-auth-provider.js';
import { parseKubeconfig } from '../../src/kubeconfig/parse.js';

const KUBECONFIG = [
  '# my kubeconfig, hand-edited',
  'apiVersion: v1',
  'kind: Config',
  'users:',
  '- name: bob',
  '  user: {token: keep-me}',
  '- name: alice # the OIDC user',
  '  user:',
  '    auth-provider:',
  '      name: oidc',
  '      config:',
  '        client-id: kubegate   # registered in the IdP',
  '        id-token: "old.id.token"',
  "        refresh-token: 'old-refresh'",
  '        idp-issuer-url: https://issuer.example',
  '',
].join('\n');

t.test('only the two values change: comments, quoting style elsewhere and other users stay byte for byte', async (t) => {
  const updated = updateAuthProviderConfig(KUBECONFIG, 'alice', { 'id-token': 'new.id.token', 'refresh-token': 'new-refresh' });
  t.equal(updated, KUBECONFIG.replace('"old.id.token"', 'new.id.token').replace("'old-refresh'", 'new-refresh'));
  const config = parseKubeconfig(updated ?? '', '/f');
  t.same(config.users.get('alice')?.authProvider?.config, { 'client-id': 'kubegate', 'id-token': 'new.id.token', 'refresh-token': 'new-refresh', 'idp-issuer-url': 'https://issuer.example' });
  t.equal(config.users.get('bob')?.token, 'keep-me');
});

t.test('values YAML would misread are quoted; a missing key is added by re-rendering, keeping comments', async (t) => {
  const quoted = updateAuthProviderConfig(KUBECONFIG, 'alice', { 'id-token': 'yes' });
  t.equal(parseKubeconfig(quoted ?? '', '/f').users.get('alice')?.authProvider?.config['id-token'], 'yes');
  const added = updateAuthProviderConfig(KUBECONFIG.replace('        id-token: "old.id.token"\n', ''), 'alice', { 'id-token': 'added.id.token' }) ?? '';
  t.match(added, /# my kubeconfig, hand-edited/);
  t.match(added, /# the OIDC user/);
  t.equal(parseKubeconfig(added, '/f').users.get('alice')?.authProvider?.config['id-token'], 'added.id.token');
  t.equal(updateAuthProviderConfig(KUBECONFIG, 'carol', { 'id-token': 'x' }), undefined, 'an unknown user is not invented');
});

t.test('CRLF files keep their CRLF', async (t) => {
  const crlf = KUBECONFIG.replaceAll('\n', '\r\n');
  t.equal(updateAuthProviderConfig(crlf, 'alice', { 'id-token': 'new.id.token' }), crlf.replace('"old.id.token"', 'new.id.token'));
});

t.test('the file is replaced atomically with its mode kept; a failure names the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-persist-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config');
  writeFileSync(file, KUBECONFIG);
  chmodSync(file, 0o600);
  await persistAuthProviderConfig(file, 'alice', { 'id-token': 'new.id.token' });
  t.match(readFileSync(file, 'utf8'), /id-token: new\.id\.token\n/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  await t.rejects(persistAuthProviderConfig(join(dir, 'missing'), 'alice', { 'id-token': 'x' }), { code: 'KG_ERR_FILE', message: /^could not persist new tokens to .*missing: ENOENT$/ });
});
