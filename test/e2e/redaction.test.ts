import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { credentialLeaks } from '../fixtures/leaks.js';
import { repoRoot } from '../fixtures/paths.js';
import { runCommand, startKubegate } from '../fixtures/processes.js';

// Every kubegate an e2e test starts is searched for the tests' credentials when that test ends (fixtures/leaks.ts,
// wired in fixtures/processes.ts), at the -v the test chose. This suite adds -v=9, where kubegate logs every
// request's and response's headers and bodies: it re-runs, at -v=9, the suites that carry a credential along each
// path there is, keeps every log line each kubegate wrote, and searches them. Zero hits, or this fails naming the line.
//
// Not every suite: the others (filters, smuggling, policies, robustness, the installs, the UI) send the same
// credentials along the same paths many more times, and re-running all of them doubled the e2e load of `npm test`
// until the re-run ran out of time in CI.

const here = dirname(fileURLToPath(import.meta.url));

/** The suites re-run at -v=9, each for the credential paths it has that no other suite has. */
const CREDENTIAL_SUITES: Readonly<Record<string, string>> = {
  'credentials.test.js': 'every credential kind a kubeconfig or a flag gives: client certificate, token, token file, basic auth',
  'exec-plugin.test.js': 'exec plugin credentials, and the retry after a 401 with a fresh one',
  'interactive-plugin.test.js': 'exec plugins that ask on the terminal',
  'plugin-safety.test.js': 'what a failing exec plugin prints, relayed to the log redacted',
  'sidecar.test.js': 'the in-cluster service-account token, rotated on disk',
  'kubeconfig-semantics.test.js': 'the oidc auth-provider: client secret, refresh tokens, the id-token written back; inline key material',
  'proxy.test.js': 'proxy-url passwords, sent as Proxy-Authorization to CONNECT and SOCKS5 proxies',
  'tunnels.test.js': 'upgraded connections: exec, attach, port-forward, a WebSocket bearer subprotocol',
  'kubectl-errors.test.js': 'every failure kubectl prints: 401, 403, an unreachable server, a failing plugin',
  'contexts.test.js': 'several clusters\' credentials through one port',
};

/**
 * The inner run's failures, each with the lines around it (its diagnostics and the subtest names above it),
 * so a failure seen only in CI can be read from CI's output.
 */
function failureReport(tapOutput: string): string {
  const lines = tapOutput.split('\n');
  const report: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\s*not ok /.test(line)) return;
    report.push(...lines.slice(Math.max(0, index - 6), index + 25), '----');
  });
  return report.slice(0, 400).join('\n');
}

/** The test files an interrupted tap run had started and not finished (tap prints `# Subtest: <file>` first and `ok N - <file>` last). */
function unfinishedFiles(tapOutput: string): string[] {
  const started = [...tapOutput.matchAll(/^# Subtest: (\S+\.test\.js)$/gm)].map((match) => match[1] ?? '');
  const finished = new Set([...tapOutput.matchAll(/^(?:not )?ok \d+ - (\S+\.test\.js)/gm)].map((match) => match[1] ?? ''));
  return started.filter((file) => !finished.has(file));
}

// The re-run takes about 180 s (176 s alone on a quiet 2-core machine, 160–181 s inside `npm test`), one file
// at a time (--jobs=1: the outer run already keeps both cores busy, and two more test processes beside it
// made timing-bound tests miss their deadlines). This file gets more than the project-wide 120 s, and the
// inner run its own limit below that.
const INNER_LIMIT_MS = 420_000;
t.setTimeout(600_000);

t.test('the search for credentials finds one when a kubegate prints it', async (t) => {
  const cluster = await startTestCluster(t);
  const teardowns: (() => unknown)[] = [];
  const failures: string[] = [];
  const proxy = await startKubegate({ teardown: (fn) => teardowns.push(fn), fail: (message) => failures.push(message) }, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '-v=9'], { env: { HOME: cluster.dir, KUBECONFIG: undefined } });
  t.teardown(() => proxy.stop('SIGKILL'));
  // A client that puts a token in the path: kubegate logs the path at -v=9, so the token is in its log.
  await (await fetch(`${proxy.url}/api/v1/namespaces/${SECRETS.flagToken}/pods`)).arrayBuffer();
  const outcomes = await Promise.allSettled(teardowns.map(async (teardown) => teardown()));
  t.same(outcomes.filter((outcome) => outcome.status === 'rejected'), [], 'the teardown fails the test without throwing (a throw would skip the teardowns registered before it)');
  t.match(failures, [new RegExp(`the kubegate this test started \\(pid \\d+\\) printed a credential \\(\\d+ hits\\):\\n${SECRETS.flagToken} in: `)], 'the end-of-test search fails the test, naming the credential and the line');
});

const MINTED_JWT = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"sub":"dana"}').toString('base64url')}.c2ln`;

t.test('the search finds a credential in base64 wherever it starts, and nothing in ordinary output', async (t) => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  const found: readonly (readonly [string, string])[] = [
    ['a basic credential', `Authorization: Basic ${b64(`bob:${SECRETS.basicPassword}`)}`],
    ['a token after "Bearer " (another place in base64\'s groups of 3)', b64(`Bearer ${SECRETS.userToken}`)],
    ['a token after one byte', b64(`x${SECRETS.userToken}`)],
    ['a token followed by a quote', b64(`${SECRETS.browserToken}"`)],
    ['a token in base64url (a WebSocket subprotocol)', Buffer.from(`k8s:${SECRETS.userToken}?`).toString('base64url')],
    ['a PEM key in client-key-data', b64('-----BEGIN PRIVATE KEY-----\nMIIE\n')],
    ['an RSA key in client-key-data', b64('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n')],
    ['a JWT no test named (an id-token an issuer minted while the test ran)', `id-token: ${MINTED_JWT}`],
    ['a JWT in a WebSocket bearer subprotocol (base64url)', `Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.${Buffer.from(MINTED_JWT).toString('base64url')}`],
    ['a JWT after "Bearer " in base64', b64(`Bearer ${MINTED_JWT}`)],
  ];
  for (const [what, line] of found) t.not(credentialLeaks(`ok\n${line}\n`).length, 0, what);
  t.same(credentialLeaks('{"kind":"PodList","apiVersion":"v1","items":[]}\nStarting to serve on 127.0.0.1:8001\n'), [], 'ordinary output has none');
  // Not a JWT: base64'd JSON alone (a header or a payload, no dot), a JWT as kubegate redacts it, certificate data.
  const notLeaks = [`{"data":"${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}"}`, 'exec plugin printed: id token [REDACTED]', `certificate-authority-data: ${b64('-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHHIG\n-----END CERTIFICATE-----\n')}`];
  t.same(credentialLeaks(notLeaks.join('\n')), [], 'a lone base64 JSON, a redacted JWT and a CA bundle are no leak');
});

t.test(`${Object.keys(CREDENTIAL_SUITES).length} credential-carrying e2e suites at -v=9 write no credential to any log line`, async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'kubegate-v9-logs-'));
  t.teardown(() => rmSync(logDir, { recursive: true, force: true }));
  const present = new Set(readdirSync(here));
  const missing = Object.keys(CREDENTIAL_SUITES).filter((name) => !present.has(name));
  t.same(missing, [], 'every suite named for the -v=9 re-run exists (a renamed suite must be renamed here)');
  const suites = Object.keys(CREDENTIAL_SUITES).filter((name) => present.has(name)).map((name) => join(here, name));

  // --test-arg gives every re-run test file an extra argument, and so t.testdir() fixture directories of
  // their own: without it the re-run and the outer run of the same file (often at the same moment) share
  // .tap/fixtures/<file>-<test>, and one run's clean-up deletes the other's files.
  // The suites also go in a --save list: a tap run starts by deleting .tap/processinfo (unless it runs
  // a save list or --changed), which the outer run is writing into at that moment (CI has failed on
  // "ENOTEMPTY: rmdir .tap/processinfo"); a run of a save list is a subset and leaves it alone.
  const saveDir = mkdtempSync(join(tmpdir(), 'kubegate-v9-suites-'));
  t.teardown(() => rmSync(saveDir, { recursive: true, force: true }));
  const saveList = join(saveDir, 'suites.txt');
  writeFileSync(saveList, suites.map((suite) => relative(repoRoot, suite).split(sep).join('/')).join('\n') + '\n');
  const tap = join(repoRoot, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
  const began = Date.now();
  const run = await runCommand(process.execPath, [tap, '--reporter=tap', '--jobs=1', '--test-arg=kubegate-v9-rerun', `--save=${saveList}`, ...suites], {
    cwd: repoRoot,
    // A clean tap run: none of this (outer) tap process's TAP_* settings leak into the inner one.
    env: { ...Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('TAP')).map((name) => [name, undefined])), KUBEGATE_E2E_VERBOSITY: '9', KUBEGATE_E2E_LOG_DIR: logDir },
    timeoutMs: INNER_LIMIT_MS,
    killGroup: true,
  });
  const seconds = Math.round((Date.now() - began) / 1000);
  if (run.timedOut) {
    t.fail(`the -v=9 re-run was stopped at its limit, after ${seconds} s; still running: ${unfinishedFiles(run.stdout).join(', ') || 'none'}\n${run.stdout.slice(-3000)}`);
  } else if (run.status !== 0) {
    t.fail(`the -v=9 re-run failed (exit ${run.status}, ${seconds} s):\n${failureReport(run.stdout)}\n${run.stderr.slice(-2000)}`);
  } else {
    t.pass(`the suites pass at -v=9 too (${seconds} s)`);
  }

  const files = readdirSync(logDir);
  const lines = files.flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n').filter((line) => line.trim() !== ''));
  const traced = lines.filter((line) => line.includes('"msg":"Request headers')).length;
  const bodies = lines.filter((line) => line.includes('"msg":"Response body')).length;
  t.ok(files.length >= 30, `${files.length} kubegate processes left their logs`);
  t.ok(traced >= 100 && bodies >= 50, `the logs are really at -v=9: ${lines.length} lines, ${traced} request-header lines, ${bodies} response-body lines`);

  const leaks = credentialLeaks(lines.join('\n'));
  t.same(leaks.slice(0, 5), [], `zero credentials in ${lines.length} log lines (${leaks.length} hits)`);
  // One line per problem: a stack trace only for kubegate's own bugs (issue 16), never for a user's mistake or a network failure.
  const stacks = lines.filter((line) => /\\n\s+at /.test(line) && !line.includes('internal error'));
  t.same(stacks.slice(0, 3).map((line) => line.slice(0, 300)), [], `no stack trace in ${lines.length} log lines (${stacks.length} with one)`);
  t.comment(`redaction: ${suites.length} suites, ${files.length} kubegate processes, ${lines.length} log lines at -v=9, ${leaks.length} credential hits, ${seconds} s`);
});
