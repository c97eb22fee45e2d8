import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadRestConfig } from '../../src/kubeconfig/load-rest-config.js';
import { isKubegateError } from '../../src/errors.js';
import type { KubeconfigFlags, RestConfig } from '../../src/kubeconfig/rest-config.js';
import { environmentIn, fixturePki, scenarioFile } from '../fixtures/kubeconfig/env.js';
import type { Teardown } from '../fixtures/teardown.js';

// Selection, overrides and validation, each scenario from one fixture file in test/fixtures/kubeconfig.

async function resolveScenario(t: Teardown, name: string, flags: KubeconfigFlags = {}, appendServerPath = false): Promise<{ config: RestConfig; file: string }> {
  const file = await scenarioFile(t, name);
  const config = await loadRestConfig({ kubeconfig: file, ...flags }, environmentIn(dirname(file)), { appendServerPath });
  return { config, file };
}

async function resolveError(t: Teardown, name: string, flags: KubeconfigFlags = {}): Promise<string> {
  try {
    await resolveScenario(t, name, flags);
  } catch (error) {
    if (!isKubegateError(error)) throw error;
    return `${error.code}: ${error.message}`;
  }
  throw new Error(`expected ${name} to fail`);
}

t.test('client certificate files resolve against the kubeconfig directory', async (t) => {
  const { config, file } = await resolveScenario(t, 'cert-files.yaml');
  const dir = dirname(file);
  t.same(config.tls, {
    ca: { kind: 'file', path: join(dir, 'pki/ca.crt') },
    insecureSkipTlsVerify: false,
    serverName: 'api.dev.example',
    clientCertificate: { cert: { kind: 'file', path: join(dir, 'pki/client.crt') }, key: { kind: 'file', path: join(dir, 'pki/client.key') } },
  });
  t.same(config.auth, { kind: 'none' });
  t.same(config.names, { context: 'dev', cluster: 'dev-cluster', user: 'dev-user' });
  t.same(config.warnings, [], 'a certificate user is not anonymous');
});

t.test('a file and its *-data twin together are refused, as kubectl does, naming the entry and the file', async (t) => {
  const message = await resolveError(t, 'file-and-data.yaml');
  t.match(message, /^KG_ERR_KUBECONFIG: Error in configuration: \n/);
  t.match(message, /\* certificate-authority-data and certificate-authority are both specified for c\. certificate-authority-data will override\. \(cluster "c" in \/.*file-and-data\.yaml\)/);
  t.match(message, /\* client-cert-data and client-cert are both specified for u\. client-cert-data will override\. \(user "u" in \/.*file-and-data\.yaml\)/);
  t.match(message, /\* client-key-data and client-key are both specified for u; client-key-data will override \(user "u" in /);
});

t.test('flags replace a file and its *-data twin together, so the pair in the file is no conflict', async (t) => {
  const file = await scenarioFile(t, 'file-and-data.yaml');
  const pki = join(dirname(file), 'pki');
  const config = await loadRestConfig(
    { kubeconfig: file, certificateAuthority: join(pki, 'ca.crt'), clientCertificate: join(pki, 'client.crt'), clientKey: join(pki, 'client.key') },
    environmentIn(dirname(file)),
    { appendServerPath: false },
  );
  t.same(config.tls.ca, { kind: 'file', path: join(pki, 'ca.crt') });
  t.same(config.tls.clientCertificate?.key, { kind: 'file', path: join(pki, 'client.key') });
  t.match(await resolveError(t, 'file-and-data.yaml', { certificateAuthority: join(pki, 'ca.crt') }), /client-cert-data and client-cert are both specified for u/);
});

t.test('the same names in two KUBECONFIG files are no error: the first file wins', async (t) => {
  const first = await scenarioFile(t, 'dupe-across-first.yaml');
  const second = await scenarioFile(t, 'dupe-across-second.yaml', dirname(first));
  const config = await loadRestConfig({}, environmentIn(dirname(first), { KUBECONFIG: `${first}:${second}` }), { appendServerPath: false });
  t.equal(config.server, 'https://first.example:6443');
  t.same(config.auth, { kind: 'token', token: 'first-file-token' });
});

t.test('a duplicate name in any KUBECONFIG file refuses the whole configuration, as kubectl does', async (t) => {
  const first = await scenarioFile(t, 'dupe-across-first.yaml');
  const dupe = await scenarioFile(t, 'dupe-context.yaml', dirname(first));
  await t.rejects(
    loadRestConfig({}, environmentIn(dirname(first), { KUBECONFIG: `${first}:${dupe}` }), { appendServerPath: false }),
    { code: 'KG_ERR_KUBECONFIG', message: `error loading config file "${dupe}": duplicate name "ctx" in contexts (contexts[0] and contexts[1]); kubectl refuses a kubeconfig file that defines a name twice` },
  );
});

t.test('a CRLF kubeconfig resolves to the exact token and names', async (t) => {
  const { config } = await resolveScenario(t, 'crlf.yaml');
  t.same(config.auth, { kind: 'token', token: 'crlf-token' });
  t.same(config.names, { context: 'crlf-ctx', cluster: 'crlf-cluster', user: 'crlf-user' });
  t.same(config.impersonate, { user: 'crlf-as', groups: ['crlf-group'], extra: {} });
});

t.test('--context, --cluster and --user select entries', async (t) => {
  const file = await scenarioFile(t, 'merge-first.yaml');
  const env = environmentIn(dirname(file));
  const config = await loadRestConfig({ kubeconfig: file, context: 'shared', cluster: 'first-only' }, env, { appendServerPath: false });
  t.equal(config.server, 'https://first-only.example:6443');
  t.same(config.auth, { kind: 'token', token: 'first-token' });
});

t.test('KUBECONFIG merge: current-context from the second file, entries from the first', async (t) => {
  const first = await scenarioFile(t, 'merge-first.yaml');
  await scenarioFile(t, 'merge-second.yaml', dirname(first));
  const env = environmentIn(dirname(first), { KUBECONFIG: `${first}:${join(dirname(first), 'merge-second.yaml')}` });
  const config = await loadRestConfig({}, env, { appendServerPath: false });
  t.equal(config.names.context, 'second-ctx');
  t.equal(config.server, 'https://first.example:6443');
  t.same(config.auth, { kind: 'token', token: 'first-token' });
  t.equal(config.impersonate, undefined);
  t.same(config.loadedFrom, [first, join(dirname(first), 'merge-second.yaml')]);
});

t.test('flags override the kubeconfig as in kubectl', async (t) => {
  const { config, file } = await resolveScenario(t, 'cert-files.yaml', {
    server: 'https://10.0.0.1:443',
    token: 'flag-token',
    as: 'bob',
    asGroups: ['g'],
    insecureSkipTlsVerify: true,
  });
  t.equal(config.server, 'https://10.0.0.1:443');
  t.same(config.auth, { kind: 'token', token: 'flag-token' });
  t.same(config.impersonate, { user: 'bob', groups: ['g'], extra: {} });
  t.equal(config.tls.insecureSkipTlsVerify, true);
  t.equal(config.tls.ca, undefined, '--insecure-skip-tls-verify replaces the kubeconfig CA');
  t.equal(config.tls.serverName, undefined, '--server drops the kubeconfig tls-server-name');
  t.equal(config.tls.clientCertificate?.cert.kind === 'file' && config.tls.clientCertificate.cert.path, join(dirname(file), 'pki/client.crt'));
});

t.test('tokenFile resolves relative to its file; --token wins over it (deliberate difference 4)', async (t) => {
  const file = await scenarioFile(t, 'token-file.yaml');
  mkdirSync(join(dirname(file), 'secrets'));
  writeFileSync(join(dirname(file), 'secrets/token'), 'file-token\n');
  const env = environmentIn(dirname(file));
  const config = await loadRestConfig({ kubeconfig: file }, env, { appendServerPath: false });
  t.same(config.auth, { kind: 'token-file', path: join(dirname(file), 'secrets/token') });
  t.same(config.impersonate, { user: 'alice', uid: '1234', groups: ['devs', 'ops'], extra: { scopes: ['view', 'edit'] } });
  const flagged = await loadRestConfig({ kubeconfig: file, token: 'flag-token' }, env, { appendServerPath: false });
  t.same(flagged.auth, { kind: 'token', token: 'flag-token' });
});

t.test('an unreadable tokenFile is a start-up error naming the file', async (t) => {
  t.match(await resolveError(t, 'token-file.yaml'), /^KG_ERR_FILE: open .*secrets\/token: cannot read the tokenFile of user "u" \(ENOENT\)/);
});

t.test("kubectl's validation errors", async (t) => {
  t.equal(
    await resolveError(t, 'token-and-basic.yaml'),
    'KG_ERR_KUBECONFIG: more than one authentication method found for u; found [token basicAuth], only one is allowed',
  );
  t.equal(
    await resolveError(t, 'insecure-with-ca.yaml'),
    'KG_ERR_KUBECONFIG: specifying a root certificates file with the insecure flag is not allowed (cluster "c")',
  );
  t.match(await resolveError(t, 'missing-context.yaml'), /^KG_ERR_KUBECONFIG: Error in configuration: context was not found for specified context: nowhere/);
  t.match(await resolveError(t, 'cert-files.yaml', { context: 'other' }), /^KG_ERR_KUBECONFIG: context "other" does not exist/);
  t.match(await resolveError(t, 'cert-files.yaml', { cluster: 'other' }), /^KG_ERR_KUBECONFIG: cluster "other" does not exist/);
  t.match(await resolveError(t, 'cert-files.yaml', { user: 'other' }), /^KG_ERR_KUBECONFIG: auth info "other" does not exist/);
  t.match(await resolveError(t, 'missing-cluster.yaml'), /context "ctx" refers to cluster "ghost", which is not defined/);
  t.match(await resolveError(t, 'bad-pem.yaml'), /unable to load root certificates from certificate-authority-data of cluster "c": unable to parse bytes as PEM block/);
  t.match(await resolveError(t, 'cert-files.yaml', { clientKey: '/nonexistent/key.pem' }), /unable to read client-key \/nonexistent\/key.pem for dev-user due to open \/nonexistent\/key.pem: no such file or directory/);
  t.match(await resolveError(t, 'cert-files.yaml', { server: 'localhost:6443' }), /has no http:\/\/ or https:\/\/ scheme/);
});

t.test('several problems are listed together', async (t) => {
  const message = await resolveError(t, 'insecure-with-ca.yaml', { username: 'a', password: 'b' });
  t.match(message, /Error in configuration: \n\* specifying a root certificates file.*\n\* more than one authentication method/);
});

t.test('warnings: a server path without --append-server-path, a user that is not defined', async (t) => {
  const { config } = await resolveScenario(t, 'server-path.yaml');
  t.match(config.warnings, [
    /refers to user "ghost", which is not defined/,
    /server path \/k8s\/clusters\/c-1, use --append-server-path/,
    /no credentials for https:\/\/127.0.0.1:6443: requests go to the API server anonymously/,
  ]);
  const appended = await resolveScenario(t, 'server-path.yaml', {}, true);
  t.notOk(appended.config.warnings.some((w) => w.includes('append-server-path')));
});

t.test('exec plugins: relative commands against the kubeconfig directory, bare names on PATH', async (t) => {
  const { config, file } = await resolveScenario(t, 'exec.yaml');
  t.match(config.auth, {
    kind: 'exec',
    exec: {
      command: join(dirname(file), 'bin/get-token'),
      args: ['--cluster', 'dev'],
      interactiveMode: 'Never',
      provideClusterInfo: true,
      installHint: 'install get-token from the team wiki',
    },
  });
  const onPath = await resolveScenario(t, 'exec.yaml', { context: 'on-path' });
  t.match(onPath.config.auth, { kind: 'exec', exec: { command: 'aws', interactiveMode: 'IfAvailable', apiVersion: 'client.authentication.k8s.io/v1beta1' } });
  t.match(await resolveError(t, 'exec.yaml', { context: 'no-mode' }), /interactiveMode must be specified for no-mode to use exec authentication plugin/);
});

t.test('auth-provider: gcp and azure are removed; oidc needs an issuer and client id and warns when its id-token cannot work', async (t) => {
  t.match(await resolveError(t, 'auth-providers.yaml', { context: 'gcp' }), /The gcp auth plugin has been removed\.\nPlease use the "gke-gcloud-auth-plugin"/);
  t.match(await resolveError(t, 'auth-providers.yaml', { context: 'azure' }), /The azure auth plugin has been removed\.\nPlease use the "kubelogin"/);
  const { config, file } = await resolveScenario(t, 'auth-providers.yaml');
  t.same(config.auth, {
    kind: 'oidc',
    idToken: 'e30.eyJleHAiOjQxMDI0NDQ4MDB9.sig',
    config: { 'id-token': 'e30.eyJleHAiOjQxMDI0NDQ4MDB9.sig', 'idp-issuer-url': 'https://issuer.example', 'client-id': 'kubegate' },
    file,
    user: 'oidc',
  });
  t.same(config.warnings, []);
  t.match(await resolveError(t, 'auth-providers.yaml', { context: 'oidc-no-client' }), /^KG_ERR_KUBECONFIG: Must provide client-id \(the oidc auth-provider of user "oidc-no-client" in \/.*auth-providers\.yaml\)$/);
  const empty = await resolveScenario(t, 'auth-providers.yaml', { context: 'oidc-empty' });
  t.match(empty.config.warnings, [/the oidc auth-provider of user "oidc-empty" \(.*\): No valid id-token, and cannot refresh without refresh-token/]);
  const opaque = await resolveScenario(t, 'auth-providers.yaml', { context: 'oidc-opaque' });
  t.match(opaque.config.warnings, [/user "oidc-opaque" .*: ID Token is not a valid JWT; every request will fail, as with kubectl/]);
});
