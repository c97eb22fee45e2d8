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
  t.same(oidc?.authProvider, { name: 'oidc', config: { 'id-token': 'e30.eyJleHAiOjQxMDI0NDQ4MDB9.sig', 'idp-issuer-url': 'https://issuer.example', 'client-id': 'kubegate' } });
});

t.test('*-data fields are base64-decoded', async (t) => {
  const text = 'clusters:\n- name: c\n  cluster: {server: "https://x", certificate-authority-data: "aGVs\\nbG8="}\n';
  t.equal(parseKubeconfig(text, '/f').clusters.get('c')?.certificateAuthorityData?.toString(), 'hello');
});

t.test('a name defined twice in one file refuses the file, naming the list and both positions, never the secrets', async (t) => {
  t.equal(
    parseError(fixture('dupe-cluster.yaml'), '/cfg/dupe-cluster.yaml'),
    'KG_ERR_KUBECONFIG: error loading config file "/cfg/dupe-cluster.yaml": duplicate name "c" in clusters (clusters[0] and clusters[2]); kubectl refuses a kubeconfig file that defines a name twice',
  );
  const users = parseError(fixture('dupe-user.yaml'), '/cfg/dupe-user.yaml');
  t.match(users, /"\/cfg\/dupe-user\.yaml": duplicate name "u" in users \(users\[0\] and users\[1\]\)/, 'users are named before contexts, as kubectl does');
  t.notMatch(users, /secret-token/);
  t.match(parseError(fixture('dupe-context.yaml')), /duplicate name "ctx" in contexts \(contexts\[0\] and contexts\[1\]\)/);
  t.match(parseError('users:\n- {user: {token: a}}\n- {name: "", user: {token: b}}\n'), /duplicate name "" in users/, 'a missing name is the empty name');
});

t.test('YAML 1.1 booleans where the field is boolean, as kubectl reads them', async (t) => {
  const config = parseKubeconfig(fixture('yaml11-booleans.yaml'), '/cfg/x');
  t.match(config.clusters.get('yes-cluster'), { insecureSkipTlsVerify: true, disableCompression: true });
  t.match(config.clusters.get('off-cluster'), { insecureSkipTlsVerify: false, disableCompression: false });
  t.equal(config.contexts.get('ctx')?.namespace, '1:20', 'no sexagesimal numbers (go-yaml has none)');
  t.equal(config.users.get('u')?.token, '2001-12-14', 'timestamps stay text');
  t.equal(config.users.get('u')?.exec?.provideClusterInfo, true);
  for (const [word, value] of [['y', true], ['Y', true], ['yes', true], ['Yes', true], ['on', true], ['ON', true], ['n', false], ['NO', false], ['off', false], ['False', false]] as const) {
    t.equal(parseKubeconfig(`clusters:\n- {name: c, cluster: {insecure-skip-tls-verify: ${word}}}\n`, '/f').clusters.get('c')?.insecureSkipTlsVerify, value, word);
  }
});

t.test('a YAML 1.1 boolean or number in a string field refuses the file, as kubectl does', async (t) => {
  t.equal(
    parseError(fixture('yaml11-string-bool.yaml'), '/cfg/n.yaml'),
    'KG_ERR_KUBECONFIG: error loading config file "/cfg/n.yaml": users[0].name: expected a string, got a boolean (YAML 1.1, as kubectl reads it, takes unquoted yes/no/on/off/y/n as booleans: quote the value)',
  );
  t.match(parseError('contexts:\n- {name: c, context: {namespace: on}}\n'), /contexts\[0\]\.context\.namespace: expected a string, got a boolean/);
  for (const number of ['0644', '0x1F', '1_000', '0b101', '+12', '1e3']) {
    t.match(parseError(`users:\n- {name: u, user: {token: ${number}}}\n`), /users\[0\]\.user\.token: expected a string, got a number/, number);
  }
  t.match(parseError('clusters:\n- {name: c, cluster: {insecure-skip-tls-verify: yES}}\n'), /expected true or false, got a string/, 'only the YAML 1.1 spellings are booleans');
  t.equal(parseKubeconfig("users:\n- {name: 'n', user: {token: 'yes'}}\n", '/f').users.get('n')?.token, 'yes', 'quoted, they are strings');
});

t.test('the YAML 1.1 collection tags are ignored, as go-yaml ignores them: !!omap is a list, !!set a map', async (t) => {
  // kubectl: 'json: cannot unmarshal array into Go struct field NamedCluster.clusters.cluster of type v1.Cluster'.
  // The yaml package built a Map here, which read as an empty cluster: "no server found".
  t.match(parseError('clusters:\n- name: c\n  cluster: !!omap [{server: "https://k:6443"}]\n'), /clusters\[0\]\.cluster: expected a map, got a list/);
  t.match(parseError('users:\n- name: u\n  user: !!pairs [{token: secret-token}]\n'), /users\[0\]\.user: expected a map, got a list/);
  t.same(parseKubeconfig('users:\n- name: u\n  user: !!set {token}\n', '/f').users.get('u')?.token, undefined, '!!set {token} is a map whose token is null, as go-yaml reads it');
  t.equal(parseKubeconfig('clusters:\n- name: c\n  cluster: !!map {server: "https://k:6443"}\n', '/f').clusters.get('c')?.server, 'https://k:6443', '!!map is still a map');
});

t.test('CRLF and lone CR line breaks never leave a CR in a value', async (t) => {
  const crlf = fixture('crlf.yaml').replaceAll('${CA_DATA}', Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'));
  t.ok(crlf.endsWith('\r') && crlf.includes('\r\n'), 'the fixture is CRLF with a final CR and no LF');
  const config = parseKubeconfig(crlf, '/cfg/crlf.yaml');
  t.equal(config.currentContext, 'crlf-ctx');
  t.match(config.users.get('crlf-user'), { token: 'crlf-token', as: 'crlf-as', asGroups: ['crlf-group'] });
  t.equal(config.clusters.get('crlf-cluster')?.certificateAuthorityData?.toString(), '-----BEGIN CERTIFICATE-----\n');
  const cr = parseKubeconfig(fixture('cr-only.yaml'), '/cfg/cr-only.yaml');
  t.equal(cr.currentContext, 'cr-ctx');
  t.equal(cr.users.get('cr-user')?.token, 'cr-token');
  t.equal(parseKubeconfig('users:\r\n- name: u\r\n  user:\r\n    token: |\r\n      block\r\n', '/f').users.get('u')?.token, 'block\n', 'block scalars keep LF only');
  t.match(parseError('a: [\r\nb: c\r\n', '/cfg/bad'), /yaml: line \d+/, 'line numbers still count CRLF lines');
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
