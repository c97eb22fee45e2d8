import t from 'tap';
import { createExecCredentialSource, parseExecCredential, REFRESH_BEFORE_EXPIRY_MS, type ExecPluginOptions, type PluginLog } from '../../src/auth/exec-plugin.js';
import type { ExecConfig } from '../../src/kubeconfig/rest-config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTestPlugin } from '../fixtures/exec-plugins.js';

const options = (overrides: Partial<ExecPluginOptions> = {}): ExecPluginOptions => ({
  cluster: { server: 'https://127.0.0.1:6443', insecureSkipTlsVerify: false, disableCompression: false, certificateAuthorityData: Buffer.from('CA PEM'), tlsServerName: 'api.example', config: { audience: 'k8s' } },
  timeoutMs: 10_000,
  stdinIsTerminal: false,
  env: process.env,
  ...overrides,
});

interface LoggedLine {
  readonly level: 'warn' | 'info';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A PluginLog that keeps what it was told. */
function recordingLog(): PluginLog & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  return {
    lines,
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
  };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected the plugin run to fail');
}

t.test('runs the plugin with its args, env and KUBERNETES_EXEC_INFO, and returns its token', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['plugin-token-1'] });
  const source = createExecCredentialSource(
    plugin.config({ args: ['--cluster', 'dev'], env: [{ name: 'REGION', value: 'eu' }], provideClusterInfo: true }),
    options(),
  );
  const credential = await source.get();
  t.equal(credential.token, 'plugin-token-1');
  const seen = plugin.lastSeen();
  t.same(seen.argv, ['--cluster', 'dev']);
  t.equal(seen.env.REGION, 'eu');
  t.equal(seen.env.PATH_SET, 'yes', 'the plugin inherits the environment');
  t.same(seen.execInfo, {
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1',
    spec: {
      interactive: false,
      cluster: { server: 'https://127.0.0.1:6443', 'tls-server-name': 'api.example', 'certificate-authority-data': Buffer.from('CA PEM').toString('base64'), config: { audience: 'k8s' } },
    },
  });
});

t.test('cluster info is sent only with provideClusterInfo', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  await createExecCredentialSource(plugin.config(), options()).get();
  t.same(plugin.lastSeen().execInfo, { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', spec: { interactive: false } });
});

t.test('the credential is cached until its expiry; concurrent callers share one run', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['a', 'b', 'c'], expiresInSeconds: 3600, delayMs: 200 });
  const outcomes: string[] = [];
  const source = createExecCredentialSource(plugin.config(), options({ onRun: (outcome) => outcomes.push(outcome) }));
  const all = await Promise.all(Array.from({ length: 20 }, () => source.get()));
  t.same(new Set(all.map((c) => c.token)), new Set(['a']));
  t.equal(plugin.runs(), 1, 'twenty concurrent requests, one plugin run');
  t.same(outcomes, ['success'], 'and one run reported (the metric)');
  t.equal(source.cached()?.token, 'a', 'served from the cache without a new run');
  t.equal(plugin.runs(), 1);
});

t.test('an expired credential is fetched again before use', async (t) => {
  let clock = Date.now();
  const plugin = writeTestPlugin(t, { tokens: ['first', 'second'], expiresInSeconds: 600 });
  const source = createExecCredentialSource(plugin.config(), options({ now: () => clock }));
  t.equal((await source.get()).token, 'first');
  clock += 601_000;
  t.equal(source.cached(), undefined, 'an expired credential is never served');
  t.equal((await source.get()).token, 'second');
  t.equal(plugin.runs(), 2);
});

t.test('shortly before expiry the old credential is served while one refresh runs', async (t) => {
  let clock = Date.now();
  const plugin = writeTestPlugin(t, { tokens: ['old', 'new'], expiresInSeconds: 600 });
  const source = createExecCredentialSource(plugin.config(), options({ now: () => clock }));
  await source.get();
  clock += 600_000 - REFRESH_BEFORE_EXPIRY_MS / 2;
  t.equal(source.cached()?.token, 'old');
  t.equal(source.cached()?.token, 'old', 'a second caller does not start a second refresh');
  const fresh = await source.get();
  // get() may still see "old" if the refresh has not finished; wait for the background run.
  for (let i = 0; i < 100 && source.cached()?.token !== 'new'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(source.cached()?.token, 'new');
  t.equal(plugin.runs(), 2);
  t.ok(fresh.token === 'old' || fresh.token === 'new');
});

t.test('invalidate (after a 401) makes the next get run the plugin again', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['revoked', 'valid'] });
  const source = createExecCredentialSource(plugin.config(), options());
  t.equal((await source.get()).token, 'revoked');
  source.invalidate();
  t.equal(source.cached(), undefined);
  t.equal((await source.get()).token, 'valid');
});

t.test('a client certificate pair is returned as buffers', async (t) => {
  const plugin = writeTestPlugin(t, { clientCertificate: { cert: 'CERT PEM', key: 'KEY PEM' } });
  const credential = await createExecCredentialSource(plugin.config(), options()).get();
  t.equal(credential.token, undefined);
  t.equal(credential.clientCertificate?.cert.toString(), 'CERT PEM');
  t.equal(credential.clientCertificate?.key.toString(), 'KEY PEM');
});

t.test('a failing plugin: the error names it and its exit code; its stderr goes only to the log, redacted', async (t) => {
  const stderr = 'error: refresh failed, refresh_token=rt-sekrit-123 rejected; Authorization: Bearer bt-sekrit-456\n\x1b[31mred\x1b[0m\r\nforged line\n';
  const plugin = writeTestPlugin(t, { exitCode: 3, stderr });
  const outcomes: string[] = [];
  const log = recordingLog();
  const error = await failure(createExecCredentialSource(plugin.config(), options({ onRun: (outcome) => outcomes.push(outcome), log })).get());
  t.same(outcomes, ['failure']);
  t.equal(error.code, 'KG_ERR_CREDENTIAL');
  t.match(error.message, /^exec plugin .*plugin\.mjs \(users\[name=test-user\]\.user\.exec\) exited with code 3; what it printed on stderr is in kubegate's log$/);
  t.notMatch(error.message, /refresh|sekrit|red/);
  t.equal(log.lines.length, 1);
  const line = log.lines[0];
  t.equal(line?.level, 'warn');
  t.match(line?.message, /exited with code 3; its stderr \(redacted\) follows/);
  const logged = String(line?.fields.stderr);
  t.match(logged, /refresh_token=\[REDACTED\]/);
  t.match(logged, /Bearer \[REDACTED\]/);
  t.notMatch(logged, /sekrit/);
  t.match(logged, /U\+001B\[31mred/, 'ESC is shown, not sent to a terminal');
  t.match(logged, /U\+000D\nforged line/, 'CR is shown');
  t.notMatch(logged, /[\x1b\r]/);
});

t.test('a plugin that succeeds but writes to stderr: logged at info, redacted', async (t) => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  const plugin = writeTestPlugin(t, { tokens: ['tok'], stderr: `using cached id token ${jwt}\n` });
  const log = recordingLog();
  t.equal((await createExecCredentialSource(plugin.config(), options({ log })).get()).token, 'tok');
  t.equal(log.lines[0]?.level, 'info');
  t.equal(log.lines[0]?.fields.stderr, 'using cached id token [REDACTED]');
});

t.test('a hanging plugin is stopped after the timeout with a clear error', async (t) => {
  const plugin = writeTestPlugin(t, { hang: true, stderr: '' });
  const error = await failure(createExecCredentialSource(plugin.config(), options({ timeoutMs: 300 })).get());
  t.match(error.message, /did not finish within 0\.3s and was stopped/);
  t.notMatch(error.message, /stderr/, 'nothing printed, nothing to point at');
});

t.test('a missing command shows the installHint', async (t) => {
  const config: ExecConfig = { ...writeTestPlugin(t, {}).config(), command: 'kubegate-no-such-plugin', installHint: 'Install it with: brew install no-such-plugin' };
  const error = await failure(createExecCredentialSource(config, options()).get());
  t.match(error.message, /exec: executable kubegate-no-such-plugin not found/);
  t.match(error.message, /It looks like you are trying to use a client-go credential plugin that is not installed\.\n\nInstall it with: brew install no-such-plugin/);
});

t.test('installHint and the command are shown with their control characters made visible', async (t) => {
  const config: ExecConfig = {
    ...writeTestPlugin(t, {}).config(),
    command: 'kubegate-no-such\x1b]0;pwned\x07plugin',
    installHint: 'Install it:\n\x1b[2J\x1b[1;1Hbrew install x\r\x00\u009b\u202e',
  };
  const error = await failure(createExecCredentialSource(config, options()).get());
  t.match(error.message, /executable kubegate-no-suchU\+001B\]0;pwnedU\+0007plugin not found/);
  t.match(error.message, /\n\nInstall it:\nU\+001B\[2JU\+001B\[1;1Hbrew install xU\+000DU\+0000U\+009BU\+202E$/);
  t.notMatch(error.message, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
});

t.test('interactiveMode Always without a terminal fails in client-go\'s words, before the plugin runs', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  const error = await failure(createExecCredentialSource(plugin.config({ interactiveMode: 'Always' }), options()).get());
  t.equal(error.code, 'KG_ERR_CREDENTIAL');
  t.match(error.message, /^exec plugin cannot support interactive mode: standard input is not a terminal \(exec plugin .*plugin\.mjs \(users\[name=test-user\]\.user\.exec\) has interactiveMode Always; /);
  t.equal(plugin.runs(), 0, 'the plugin never ran');
});

t.test('interactiveMode Always with a terminal runs the plugin as interactive', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  await createExecCredentialSource(plugin.config({ interactiveMode: 'Always' }), options({ stdinIsTerminal: true })).get();
  t.match(plugin.lastSeen().execInfo, { spec: { interactive: true } });
});

t.test('Never is never interactive, even with a terminal', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  await createExecCredentialSource(plugin.config({ interactiveMode: 'Never' }), options({ stdinIsTerminal: true })).get();
  t.match(plugin.lastSeen().execInfo, { spec: { interactive: false } });
});

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
};

t.test('stderr is shown live while the plugin still runs: a line at a time, redacted, a device code and URL readable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-live-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const go = join(dir, 'go');
  const plugin = writeTestPlugin(t, {
    tokens: ['live-token'],
    waitForFile: go,
    stderr:
      'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-1234 to authenticate.\r\n' +
      'debug: refresh_token=rt-SECRET-1 sent as Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\u001b]0;pwned\u0007\n' +
      'Enter MFA code: ',
  });
  const shown: string[] = [];
  const log = recordingLog();
  let done = false;
  const credential = createExecCredentialSource(plugin.config(), options({ liveStderr: (text) => shown.push(text), log }))
    .get()
    .finally(() => (done = true));
  await until(() => shown.join('').includes('Enter MFA code: '), 'the prompt without a newline');
  t.notOk(done, 'the prompt was shown while the plugin waited for its answer');
  writeFileSync(go, '');
  t.equal((await credential).token, 'live-token');
  const text = shown.join('');
  t.equal(
    text,
    'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-1234 to authenticate.\n' +
      'debug: refresh_token=[REDACTED] sent as Bearer [REDACTED]U+001B]0;pwnedU+0007\n' +
      'Enter MFA code: ',
  );
  t.notMatch(text, /rt-SECRET-1|eyJ|[\u0000-\u0009\u000b-\u001f]/);
  t.match(log.lines[0]?.fields.stderr, /enter the code ABCD-1234/, 'the log still has it (at info, for the record)');
});

t.test('a failing plugin\'s stderr is shown live and logged; the error still only points at the log', async (t) => {
  const plugin = writeTestPlugin(t, { exitCode: 2, stderr: 'login refused: password=hunter2\n' });
  const shown: string[] = [];
  const log = recordingLog();
  const error = await failure(createExecCredentialSource(plugin.config(), options({ liveStderr: (text) => shown.push(text), log })).get());
  t.equal(shown.join(''), 'login refused: password=[REDACTED]\n');
  t.match(log.lines[0], { level: 'warn', fields: { stderr: 'login refused: password=[REDACTED]' } });
  t.match(error.message, /exited with code 2; what it printed on stderr is in kubegate's log$/);
  t.notMatch(error.message, /refused|hunter2/);
});

t.test('login() has no time limit (the user is at the terminal); get() keeps the timeout', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['slow-token'], delayMs: 500 });
  const timed = await failure(createExecCredentialSource(plugin.config(), options({ timeoutMs: 100 })).get());
  t.match(timed.message, /did not finish within 0\.1s and was stopped/);
  const source = createExecCredentialSource(plugin.config(), options({ timeoutMs: 100 }));
  t.equal((await source.login()).token, 'slow-token');
  t.equal(source.cached()?.token, 'slow-token', 'the login credential serves the requests that follow');
});

t.test('IfAvailable tells the plugin whether it may prompt', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  await createExecCredentialSource(plugin.config({ interactiveMode: 'IfAvailable' }), options({ stdinIsTerminal: false })).get();
  t.match(plugin.lastSeen().execInfo, { spec: { interactive: false } });
});

t.test('unusable output is rejected with the reason', async (t) => {
  const config = writeTestPlugin(t, {}).config();
  const parse = (text: string): string => {
    try {
      parseExecCredential(config, text);
      return 'ok';
    } catch (error) {
      return (error as Error).message;
    }
  };
  t.match(parse('not json'), /standard output is not JSON/);
  t.match(parse('{"kind":"Other-sekrit","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x"}}'), /kind is not "ExecCredential"/);
  t.notMatch(parse('{"kind":"Other-sekrit","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x"}}'), /sekrit/, 'the plugin\'s value is not echoed');
  t.match(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"x"}}'), /apiVersion is not "client.authentication.k8s.io\/v1", the one the kubeconfig asked for/);
  t.match(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"a\\r\\nX-Injected: 1"}}'), /status\.token holds characters an HTTP header cannot carry/);
  t.match(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}}'), /neither a token nor a client certificate/);
  t.match(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"c"}}'), /must both be present/);
  t.match(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x","expirationTimestamp":"soon"}}'), /not an RFC 3339 time/);
  t.equal(parse('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x","expirationTimestamp":"2030-01-01T00:00:00Z"}}'), 'ok');
});

t.test('the credential never appears in an error message', async (t) => {
  const plugin = writeTestPlugin(t, { stdout: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"sekrit-plugin-token"}}' });
  const error = await failure(createExecCredentialSource(plugin.config(), options()).get());
  t.notMatch(error.message, /sekrit-plugin-token/);
});
