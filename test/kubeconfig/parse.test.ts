import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseKubeconfig } from '../../src/kubeconfig/parse.js';
import { isKubegateError } from '../../src/errors.js';
import { fixturePath } from '../fixtures/paths.js';

const fixture = (name: string): string => readFileSync(fixturePath('kubeconfig', name), 'utf8');

function parseError(text: string, file = '/cfg/config'): string {
  try {
    parseKubeconfig(text, file);
  } catch (error) {
    if (!isKubegateError(error)) throw error;
    return `${error.code}: ${error.message}`;
  }
  throw new Error('expected a parse error');
}

t.test('reads clusters, users and contexts in camelCase, remembering the file', async (t) => {
  const config = parseKubeconfig(fixture('cert-files.yaml'), '/cfg/cert-files.yaml');
  t.equal(config.currentContext, 'dev');
  const cluster = config.clusters.get('dev-cluster');
  t.match(cluster, { server: 'https://127.0.0.1:6443', certificateAuthority: 'pki/ca.crt', tlsServerName: 'api.dev.example', insecureSkipTlsVerify: false, file: '/cfg/cert-files.yaml' });
  t.match(config.users.get('dev-user'), { clientCertificate: 'pki/client.crt', clientKey: 'pki/client.key' });
  t.match(config.contexts.get('dev'), { cluster: 'dev-cluster', user: 'dev-user', namespace: 'team-a' });
});

t.test('impersonation fields and tokenFile', async (t) => {
  const user = parseKubeconfig(fixture('token-file.yaml'), '/cfg/x').users.get('u');
  t.match(user, { tokenFile: 'secrets/token', as: 'alice', asUid: '1234' });
  t.same(user?.asGroups, ['devs', 'ops']);
  t.same(user?.asUserExtra, { scopes: ['view', 'edit'] });
});

t.test('exec and auth-provider stanzas', async (t) => {
  const exec = parseKubeconfig(fixture('exec.yaml'), '/cfg/x').users.get('relative')?.exec;
  t.same(exec, {
    command: './bin/get-token',
    args: ['--cluster', 'dev'],
    env: [{ name: 'REGION', value: 'eu' }],
    apiVersion: 'client.authentication.k8s.io/v1',
    installHint: 'install get-token from the team wiki',
    provideClusterInfo: true,
    interactiveMode: 'Never',
  });
  const oidc = parseKubeconfig(fixture('auth-providers.yaml'), '/cfg/x').users.get('oidc');
  t.same(oidc?.authProvider, { name: 'oidc', config: { 'id-token': 'oidc-id-token', 'idp-issuer-url': 'https://issuer.example' } });
});

t.test('*-data fields are base64-decoded', async (t) => {
  const text = 'clusters:\n- name: c\n  cluster: {server: "https://x", certificate-authority-data: "aGVs\\nbG8="}\n';
  t.equal(parseKubeconfig(text, '/f').clusters.get('c')?.certificateAuthorityData?.toString(), 'hello');
});

t.test('within one file the first entry of a name wins', async (t) => {
  const text = 'users:\n- {name: u, user: {token: first}}\n- {name: u, user: {token: second}}\n';
  t.equal(parseKubeconfig(text, '/f').users.get('u')?.token, 'first');
});

t.test('an empty file is an empty kubeconfig', async (t) => {
  const config = parseKubeconfig('', '/f');
  t.equal(config.clusters.size + config.users.size + config.contexts.size, 0);
  t.equal(config.currentContext, '');
});

t.test('errors name the file, the field and the problem', async (t) => {
  t.match(parseError(fixture('bad-yaml.yaml'), '/cfg/bad.yaml'), /^KG_ERR_KUBECONFIG: error loading config file "\/cfg\/bad.yaml": yaml: line \d+/);
  t.equal(
    parseError(fixture('wrong-type.yaml')),
    'KG_ERR_KUBECONFIG: error loading config file "/cfg/config": clusters[0].cluster.server: expected a string, got a number',
  );
  t.match(parseError(fixture('bad-base64.yaml')), /clusters\[0\]\.cluster\.certificate-authority-data: illegal base64 data at input byte 3/);
  t.match(parseError('clusters: {a: 1}\n'), /clusters: expected a list, got a map/);
  t.match(parseError('users:\n- {name: u, user: {as-groups: [1]}}\n'), /users\[0\]\.user\.as-groups\[0\]: expected a string, got a number/);
  t.match(parseError('- a\n- b\n'), /the document: expected a map, got a list/);
  t.match(parseError('clusters:\n- {name: c, cluster: {insecure-skip-tls-verify: "yes"}}\n'), /insecure-skip-tls-verify: expected true or false, got a string/);
});

t.test('an alias without its anchor is a clear YAML error, not a crash (found by the fuzz test)', async (t) => {
  t.match(parseError('*!', '/cfg/alias.yaml'), /: error loading config file "\/cfg\/alias\.yaml": yaml: Unresolved alias \(the anchor must be set before the alias\): !$/);
});
