import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { startTestCluster, SECRETS, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin, type PluginBehaviour, type TestPlugin } from '../fixtures/exec-plugins.js';
import { e2eVerbosity, failOnCredentials, KUBEGATE_BIN, startKubegate } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Interactive exec plugins (a device-code login, an MFA prompt): kubegate run under a real pseudo-terminal,
// as a person runs it, and without one, as scripts and sidecars do. Judged by what the plugin saw and the
// test API server received.

const DEVICE_PROMPT = 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD-1234 to authenticate.';

interface Setup {
  readonly cluster: TestCluster;
  readonly plugin: TestPlugin;
  readonly kubeconfig: string;
  readonly env: Record<string, string | undefined>;
}

async function setup(t: Teardown, behaviour: PluginBehaviour, interactiveMode: string): Promise<Setup> {
  const cluster = await startTestCluster(t);
  const plugin = writeTestPlugin(t, behaviour);
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'interactive',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode } },
  });
  return { cluster, plugin, kubeconfig, env: { HOME: cluster.dir, KUBECONFIG: undefined } };
}

interface Terminal {
  /** Everything kubegate wrote to the terminal (stdout and stderr are both the terminal). */
  output(): string;
  /** Keys typed at the terminal. */
  type(text: string): void;
  /** kubegate's exit code, once the terminal's session has ended. */
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;
}

/** kubegate with a pseudo-terminal as stdin, stdout and stderr: python3's pty module, as `script` would. */
function runUnderTerminal(t: Teardown, s: Setup, args: readonly string[]): Terminal {
  const wrapper = 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';
  const child = spawn('python3', ['-c', wrapper, process.execPath, KUBEGATE_BIN, '--kubeconfig', s.kubeconfig, '--port=0', ...args, ...e2eVerbosity(args)], {
    env: { ...process.env, ...s.env, TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  t.teardown(() => {
    // Ctrl-C first (SIGINT to kubegate through the terminal), then the wrapper, whose exit hangs the terminal up.
    if (child.exitCode === null) child.stdin?.write('\u0003');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    return exited.then(() => failOnCredentials(t, 'the kubegate this test ran under a terminal', output));
  });
  return { output: () => output, type: (text) => child.stdin?.write(text), exited, child };
}

const until = async (condition: () => boolean, what: string, read: () => string): Promise<void> => {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  if (!condition()) throw new Error(`gave up waiting for ${what}; so far:\n${read()}`);
};

const SERVING = /Starting to serve on 127\.0\.0\.1:(\d+)/;

t.test('a device-code plugin prompts on the terminal before "Starting to serve on"; its token serves the first request', async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken], expiresInSeconds: 3600, stderr: `${DEVICE_PROMPT}\nPress Enter once you have signed in: `, readStdinLine: true }, 'IfAvailable');
  const terminal = runUnderTerminal(t, s, []);
  await until(() => terminal.output().includes('Press Enter once you have signed in: '), 'the prompt', terminal.output);
  t.match(terminal.output(), DEVICE_PROMPT, 'the device code and URL are shown as the plugin wrote them');
  t.notMatch(terminal.output(), /Starting to serve on/, 'kubegate waits for the login before it announces itself');
  t.equal(s.plugin.answer(), undefined, 'the plugin is waiting for its answer');
  terminal.type('signed-in\r');
  await until(() => SERVING.test(terminal.output()), '"Starting to serve on"', terminal.output);
  const output = terminal.output();
  t.ok(output.indexOf('enter the code ABCD-1234') < output.indexOf('Starting to serve on'), 'the prompt came first');
  t.same(s.plugin.answer(), { line: 'signed-in', stdinIsTTY: true }, "the plugin read the answer from kubegate's terminal");
  t.match(s.plugin.lastSeen().execInfo, { spec: { interactive: true } });
  t.equal(s.cluster.api.requests.received, 0, 'nothing was sent upstream during the login');

  const port = Number((SERVING.exec(output) as RegExpExecArray)[1]);
  const answer = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/pods`);
  t.equal(answer.status, 200, await answer.text());
  const last = s.cluster.api.requests.last();
  t.equal(last && RequestLog.header(last, 'authorization'), `Bearer ${SECRETS.userToken}`);
  t.equal(last?.user?.name, 'alice');
  t.equal(s.plugin.runs(), 1, 'the start-up login served the request: no second run');
  t.notMatch(terminal.output(), SECRETS.userToken, 'the token never reaches the terminal');

  terminal.type('\u0003');
  t.equal(await terminal.exited, 0, 'Ctrl-C shuts kubegate down cleanly');
});

t.test('a failed interactive login is a start-up error: `error: …`, exit 1, nothing served', async (t) => {
  const s = await setup(t, { exitCode: 3, stderr: `${DEVICE_PROMPT}\nerror: the login was declined; refresh_token=rt-NOT-SHOWN was revoked\n` }, 'Always');
  const terminal = runUnderTerminal(t, s, []);
  t.equal(await terminal.exited, 1);
  const output = terminal.output();
  t.match(output, DEVICE_PROMPT);
  t.match(output, 'error: the login was declined; refresh_token=[REDACTED] was revoked', 'shown live, redacted');
  t.match(output, /error: exec plugin \S+plugin\.mjs \(users\[name=test-user\]\.user\.exec\) exited with code 3; what it printed on stderr is in kubegate's log/);
  t.notMatch(output, /Starting to serve on|rt-NOT-SHOWN/);
});

t.test('interactiveMode Never under a terminal: no start-up login, no stdin, the plugin runs on the first request', async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken], readStdinLine: true }, 'Never');
  const terminal = runUnderTerminal(t, s, []);
  await until(() => SERVING.test(terminal.output()), '"Starting to serve on"', terminal.output);
  t.equal(s.plugin.runs(), 0, 'not run at start-up');
  const port = Number((SERVING.exec(terminal.output()) as RegExpExecArray)[1]);
  t.equal((await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/pods`)).status, 200);
  t.same(s.plugin.answer(), { line: null, stdinIsTTY: false }, 'its stdin was empty, not the terminal');
  t.match(s.plugin.lastSeen().execInfo, { spec: { interactive: false } });
});

t.test("interactiveMode Always without a terminal: the request fails in client-go's words, in the Status and the log", async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken] }, 'Always');
  const proxy = await startKubegate(t, ['--kubeconfig', s.kubeconfig, '--port=0'], { env: s.env });
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  t.equal(answer.status, 500);
  const status = (await answer.json()) as { kind: string; message: string };
  t.equal(status.kind, 'Status');
  t.match(status.message, /exec plugin cannot support interactive mode: standard input is not a terminal/);
  await until(() => proxy.stderr().includes('standard input is not a terminal'), 'the log line', proxy.stderr);
  t.equal(s.plugin.runs(), 0, 'the plugin never ran');
  t.equal(s.cluster.api.requests.received, 0, 'nothing was sent upstream');
});

t.test("IfAvailable without a terminal: the plugin runs with no stdin; kubegate's own stdin is not handed over", async (t) => {
  const s = await setup(t, { tokens: [SECRETS.userToken], readStdinLine: true, stderr: 'Press Enter to continue: ' }, 'IfAvailable');
  // kubegate's stdin is a pipe holding a line: a plugin given that stdin would read it.
  const child = spawn(process.execPath, [KUBEGATE_BIN, '--kubeconfig', s.kubeconfig, '--port=0', ...e2eVerbosity([])], { env: { ...process.env, ...s.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  t.teardown(async () => {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    failOnCredentials(t, 'the kubegate this test started with a stdin of its own', `${out}\n${err}`);
  });
  child.stdin.write('typed-into-kubegate\n');
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  await until(() => SERVING.test(out), '"Starting to serve on"', () => `${out}${err}`);
  t.equal(s.plugin.runs(), 0, 'no start-up login without a terminal');
  const port = Number((SERVING.exec(out) as RegExpExecArray)[1]);
  t.equal((await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/pods`)).status, 200);
  t.same(s.plugin.answer(), { line: null, stdinIsTTY: false }, 'the plugin read nothing: its stdin was empty');
  t.match(s.plugin.lastSeen().execInfo, { spec: { interactive: false } });
  // A live copy would be the plugin's own line; the log's copy (at -v=3 and above, so in the -v=9 re-run) is inside a JSON line.
  t.notMatch(err, /^Press Enter/m, 'nobody watches: no live copy, the log keeps it (at -v=3)');
});

t.test('a shell-script plugin reads its answer from the terminal with a plain blocking read', async (t) => {
  // sh's `read` does a plain blocking read(2) on fd 0, the terminal itself (not a copy kubegate reads and forwards).
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-sh-plugin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const command = join(dir, 'plugin.sh');
  writeFileSync(
    command,
    `#!/bin/sh
echo "Enter the one-time code sent to your phone:" >&2
if read answer; then
  printf '%s' "$answer" > '${join(dir, 'answer')}'
  printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"${SECRETS.userToken}"}}'
else
  echo "read failed" >&2
  exit 4
fi
`,
  );
  chmodSync(command, 0o755);
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('none', { name: 'sh', extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'IfAvailable' } } });
  const terminal = runUnderTerminal(t, { cluster, plugin: writeTestPlugin(t, {}), kubeconfig, env: { HOME: cluster.dir, KUBECONFIG: undefined } }, []);
  await until(() => terminal.output().includes('Enter the one-time code'), 'the prompt', terminal.output);
  terminal.type('424242\r');
  await until(() => SERVING.test(terminal.output()), '"Starting to serve on"', terminal.output);
  t.equal(readFileSync(join(dir, 'answer'), 'utf8'), '424242');
  const port = Number((SERVING.exec(terminal.output()) as RegExpExecArray)[1]);
  t.equal((await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/pods`)).status, 200);
  t.equal(cluster.api.requests.last()?.user?.name, 'alice');
});
