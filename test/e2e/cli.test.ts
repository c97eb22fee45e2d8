import t from 'tap';
import { lstatSync, existsSync, writeFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { KUBEGATE_BIN, freePort, requireKubectl, runCommand, runKubegate, startKubegate } from '../fixtures/processes.js';

// A server given with -s and no kubeconfig is a complete configuration (nothing listens on port 1).
const SERVER = ['-s', 'http://127.0.0.1:1'];
const isolated = (dir: string): Record<string, string | undefined> => ({ HOME: dir, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined });

t.test('prints exactly "Starting to serve on ADDR" with the real port for --port 0', async (t) => {
  const dir = t.testdir({});
  const proxy = await startKubegate(t, [...SERVER, '--port=0'], { env: isolated(dir) });
  t.match(proxy.stdout(), /^Starting to serve on 127\.0\.0\.1:\d+\n$/);
  t.not(proxy.port, 0);
  t.not(proxy.port, 8001);
});

t.test('--address ::1 works without brackets and prints kubectl\'s bracketed form', async (t) => {
  const dir = t.testdir({});
  const proxy = await startKubegate(t, [...SERVER, '--port=0', '--address', '::1'], { env: isolated(dir) });
  t.match(proxy.address, /^\[::1\]:\d+$/);
});

t.test('SIGTERM exits 0 after a clean shutdown', async (t) => {
  const dir = t.testdir({});
  const proxy = await startKubegate(t, [...SERVER, '--port=0'], { env: isolated(dir) });
  t.equal(await proxy.stop('SIGTERM'), 0);
});

t.test('SIGTERM during a slow download (curl, --www): the download completes, new connections are refused, exit 0', async (t) => {
  const dir = t.testdir({ www: {} });
  const size = 24 * 1024 * 1024;
  writeFileSync(join(dir, 'www', 'big.bin'), Buffer.alloc(size, 7));
  const proxy = await startKubegate(t, [...SERVER, '--port=0', '--www', join(dir, 'www')], { env: isolated(dir) });
  // About 1.5 s at 16 MB/s: the signal arrives in the middle of it.
  const download = runCommand('curl', ['-s', '-o', join(dir, 'got.bin'), '-w', '%{size_download}', '--limit-rate', '16M', `${proxy.url}/static/big.bin`]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const exited = proxy.stop('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const late = await runCommand('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${proxy.url}/static/big.bin`]);
  t.equal(late.status, 7, `a new connection after the signal is refused (curl exit 7: could not connect; got ${late.status}, ${late.stdout})`);
  const got = await download;
  t.equal(got.status, 0, 'curl finished the download');
  t.equal(Number(got.stdout), size, 'every byte arrived');
  t.equal(await exited, 0, 'then kubegate exited 0');
});

t.test('SIGINT exits 0 too', async (t) => {
  const dir = t.testdir({});
  const proxy = await startKubegate(t, [...SERVER, '--port=0'], { env: isolated(dir) });
  t.equal(await proxy.stop('SIGINT'), 0);
});

t.test('unix socket: owner-only, serves requests, stale socket replaced, removed on exit', async (t) => {
  const dir = t.testdir({});
  // Socket paths are limited to 107 bytes; t.testdir paths can be longer.
  const socketDir = mkdtempSync(join(tmpdir(), 'kg-'));
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  const socketPath = join(socketDir, 'kubegate.sock');
  const first = await startKubegate(t, [...SERVER, '-u', socketPath], { env: isolated(dir) });
  t.equal(first.stdout(), `Starting to serve on ${socketPath}\n`);
  const mode = lstatSync(socketPath).mode & 0o777;
  t.equal(mode, 0o600, 'socket is owner-only');
  // A request through the socket reaches the filter and the proxy (port 1 refuses: 502 Status).
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath, path: '/api', headers: { host: 'localhost' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 502);
  // Simulate a crash: SIGKILL leaves the socket behind; the next start replaces it.
  await first.stop('SIGKILL');
  t.ok(lstatSync(socketPath).isSocket(), 'a killed process leaves a stale socket');
  const second = await startKubegate(t, [...SERVER, '-u', socketPath], { env: isolated(dir) });
  t.equal(await second.stop('SIGTERM'), 0);
  t.notOk(existsSync(socketPath), 'the socket file is removed on exit');
});

t.test('a socket path longer than the OS allows is a clear error, not a truncated socket', async (t) => {
  const dir = t.testdir({});
  const result = runKubegate([...SERVER, '-u', `/tmp/${'x'.repeat(120)}.sock`], { env: isolated(dir) });
  t.equal(result.status, 1);
  t.match(result.stderr, /^error: listen unix .*path too long \(\d+ bytes; the limit is 107\)/);
});

t.test('a regular file in the socket path is not deleted: error, exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'not-a-socket'), 'keep me');
  const result = runKubegate([...SERVER, '-u', join(dir, 'not-a-socket')], { env: isolated(dir) });
  t.equal(result.status, 1);
  t.match(result.stderr, /^error: listen unix .*not-a-socket: bind: address already in use/);
  t.ok(existsSync(join(dir, 'not-a-socket')));
});

t.test('usage errors print one "error: ..." line (flag errors: kubectl\'s "Error: ..." and "See ...") and exit 1, never a stack trace', async (t) => {
  const dir = t.testdir({});
  const cases: [string[], RegExp][] = [
    [['--reject-hosts=x'], /^Error: unknown flag: --reject-hosts\nSee 'kubegate --help' for usage\.\n$/],
    [['--port=abc'], /^Error: invalid argument "abc" for "-p, --port" flag/],
    [['--port=99999', ...SERVER], /^error: invalid --port 99999/],
    [['-u', '/tmp/x.sock', '--port=9000', ...SERVER], /^error: cannot set --unix-socket and --port at the same time/],
    [['--keepalive=abc'], /^Error: invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"/],
    [['--request-timeout=abc', ...SERVER], /^error: Invalid timeout value/],
    [['--accept-paths=^/api/(', ...SERVER, '--port=0'], /^error: .*--accept-paths/],
  ];
  for (const [argv, expected] of cases) {
    const result = runKubegate(argv, { env: isolated(dir) });
    t.equal(result.status, 1, argv.join(' '));
    t.match(result.stderr, expected, argv.join(' '));
    t.notMatch(result.stderr, /\n\s+at .+:\d+:\d+/, `no stack trace for ${argv.join(' ')}`);
    t.equal(result.stdout, '', 'nothing on stdout');
  }
});

t.test('a port in use is a clear listen error', async (t) => {
  const dir = t.testdir({});
  const first = await startKubegate(t, [...SERVER, '--port=0'], { env: isolated(dir) });
  const result = runKubegate([...SERVER, `--port=${first.port}`], { env: isolated(dir) });
  t.equal(result.status, 1);
  t.match(result.stderr, new RegExp(`^error: listen tcp 127\\.0\\.0\\.1:${first.port}: bind: address already in use`));
});

t.test('no kubeconfig anywhere: says where it looked and what to do', async (t) => {
  const dir = t.testdir({});
  const result = runKubegate(['--port=0'], { env: isolated(dir) });
  t.equal(result.status, 1);
  t.match(result.stderr, /^error: /);
  t.match(result.stderr, join(dir, '.kube', 'config'));
  t.match(result.stderr, /--kubeconfig|KUBECONFIG/);
});

t.test('a malformed kubeconfig names the file; exit 1, no stack trace', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'clusters:\n  - name: [unclosed\n' });
  mkdirSync(join(dir, '.kube'), { recursive: true });
  writeFileSync(join(dir, '.kube', 'config'), 'users: 42\n');
  const explicit = runKubegate(['--kubeconfig', join(dir, 'bad.yaml')], { env: isolated(dir) });
  t.equal(explicit.status, 1);
  t.match(explicit.stderr, /^error: .*bad\.yaml/);
  t.notMatch(explicit.stderr, /\n\s+at .+:\d+:\d+/);
  const wrongType = runKubegate([], { env: isolated(dir) });
  t.equal(wrongType.status, 1);
  t.match(wrongType.stderr, /users/);
});

t.test('--help prints the flags; --version the version', async (t) => {
  const help = runKubegate(['--help']);
  t.equal(help.status, 0);
  for (const flag of ['--port', '--accept-hosts', '--reject-paths', '--www-prefix', '--unix-socket', '--keepalive', '--append-server-path']) {
    t.match(help.stdout, flag);
  }
  const version = runKubegate(['--version']);
  t.equal(version.status, 0);
  t.match(version.stdout, /^kubegate v\d+\.\d+\.\d+\n$/);
});

t.test('--disable-filter warns about XSRF on stderr', async (t) => {
  const dir = t.testdir({});
  const proxy = await startKubegate(t, [...SERVER, '--port=0', '--disable-filter'], { env: isolated(dir) });
  const deadline = Date.now() + 3000;
  while (!/XSRF/.test(proxy.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.match(proxy.stderr(), /Request filter disabled, your proxy is vulnerable to XSRF attacks/);
});

t.test('a kubeconfig proxy-url wins over HTTPS_PROXY, and kubegate says which proxy it uses at start without printing the proxy password', async (t) => {
  const dir = t.testdir({
    config: [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", proxy-url: "http://user:proxy-secret@10.0.0.1:3128"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      '',
    ].join('\n'),
  });
  const proxy = await startKubegate(t, ['--kubeconfig', `${dir}/config`, '--port=0', '-v=3'], {
    env: { ...isolated(dir), HTTPS_PROXY: 'http://10.0.0.2:3128' },
  });
  const deadline = Date.now() + 3000;
  while (!/through the http proxy/.test(proxy.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.match(proxy.stderr(), /connecting to the API server at https:\/\/127\.0\.0\.1:1 through the http proxy http:\/\/user:xxxxx@10\.0\.0\.1:3128 \(from the proxy-url of cluster \\?"c\\?"\)/);
  t.notMatch(proxy.stderr(), /10\.0\.0\.2/, 'HTTPS_PROXY is not used when the cluster has a proxy-url');
  t.notMatch(proxy.stderr(), /proxy-secret/);
});

t.test('--log-format=text prints readable lines (pino-pretty, a lazily loaded chunk of the bundle); json prints JSON', async (t) => {
  const dir = t.testdir({});
  const text = await startKubegate(t, [...SERVER, '--port=0', '--log-format=text', '-v=4'], { env: isolated(dir) });
  await fetch(`${text.url}/api/v1/namespaces`).catch(() => undefined); // nothing listens upstream: an error line
  t.equal(await text.stop('SIGTERM'), 0);
  const lines = text.stderr().split('\n').filter((line) => line.trim() !== '');
  t.ok(lines.length >= 2, `${lines.length} log lines`);
  t.match(lines.join('\n'), /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /m, 'time, level and message, human-readable');
  t.notOk(lines.some((line) => line.startsWith('{')), 'no JSON lines');

  const json = await startKubegate(t, [...SERVER, '--port=0', '--log-format=json', '-v=4'], { env: isolated(dir) });
  t.equal(await json.stop('SIGTERM'), 0);
  const first = json.stderr().split('\n').find((line) => line.trim() !== '') ?? '';
  t.doesNotThrow(() => JSON.parse(first), 'JSON lines');
});

const kubectl = requireKubectl();
/** kubectl's option lines (`    -p, --port=8001:`) in a help text. */
const optionLinesOf = (text: string): string[] => text.split('\n').filter((line) => /^ {4}(-\w, )?--[\w-]+=.*:$/.test(line));

t.test('--help is laid out as kubectl proxy --help: the same description line, option lines and defaults, Usage block', async (t) => {
  const dir = t.testdir({});
  const [real, globals] = await Promise.all([runCommand(kubectl, ['proxy', '--help'], { env: isolated(dir) }), runCommand(kubectl, ['options'], { env: isolated(dir) })]);
  const ours = runKubegate(['--help'], { env: isolated(dir) });
  t.equal(ours.status, 0);
  t.equal(ours.stdout.split('\n')[0], real.stdout.split('\n')[0], 'kubectl\'s description, on one line');
  const ourLines = optionLinesOf(ours.stdout);
  const kubectlLines = optionLinesOf(real.stdout);
  t.equal(kubectlLines.length, 13, 'kubectl proxy has 13 options');
  t.same(ourLines.slice(0, kubectlLines.length), kubectlLines, 'kubectl proxy\'s option lines, same order and default text, first');
  // kubectl's global options kubegate honours: the same line as `kubectl options` prints.
  const shared = optionLinesOf(globals.stdout).filter((line) => ourLines.some((ours) => ours.replace(/=.*/, '') === line.replace(/=.*/, '')));
  t.ok(shared.length >= 15, `${shared.length} global options shared`);
  for (const line of shared) t.ok(ourLines.includes(line), line);
  t.match(ours.stdout, /\nOptions:\n {4}--accept-hosts=/);
  t.match(ours.stdout, /\n\nUsage:\n {2}kubegate \[--port=PORT\] \[--www=static-dir\] \[--www-prefix=prefix\] \[--api-prefix=prefix\] \[options\]\n\n/);
  t.match(ours.stdout, /\tThe port on which to run the proxy\. Set to 0 to pick a random port\.\n/, 'help after a tab on the next line');
});

t.test('flag errors are kubectl\'s, word for word, with kubegate\'s name in the See line', async (t) => {
  const dir = t.testdir({});
  const cases = [['--x'], ['-x'], ['--port'], ['-p'], ['--port=abc'], ['-pabc'], ['--disable-filter=maybe'], ['--keepalive=5'], ['--keepalive=5x'], ['--keepalive=abc'], ['--port=99999999999999999999'], ['-v=x'], ['--as-group']];
  for (const argv of cases) {
    const real = await runCommand(kubectl, ['proxy', ...argv], { env: isolated(dir) });
    const ours = runKubegate(argv, { env: isolated(dir) });
    t.equal(ours.stderr, real.stderr.replaceAll("'kubectl proxy --help'", "'kubegate --help'"), argv.join(' '));
    t.equal(ours.status, real.status, `exit status for ${argv.join(' ')}`);
  }
});

t.test('run as the kubectl plugin kubectl-gate, the name is "kubectl gate" in --help and in errors', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'kg-bin-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  symlinkSync(KUBEGATE_BIN, join(bin, 'kubectl-gate'));
  const env = { ...isolated(bin), PATH: `${bin}:${process.env.PATH ?? ''}` };
  // Through kubectl itself, as users type it (kubectl execs kubectl-gate from PATH).
  const help = await runCommand(kubectl, ['gate', '--help'], { env });
  t.equal(help.status, 0, help.stderr);
  t.match(help.stdout, /\nUsage:\n {2}kubectl gate \[--port=PORT\]/);
  t.notMatch(help.stdout, /^ {2}kubegate\b/m);
  const wrong = await runCommand(kubectl, ['gate', '--nope'], { env });
  t.equal(wrong.status, 1);
  t.equal(wrong.stderr, "Error: unknown flag: --nope\nSee 'kubectl gate --help' for usage.\n");
  const direct = runKubegate(['--nope'], { env });
  t.match(direct.stderr, /See 'kubegate --help' for usage\./, 'the bundle run directly is kubegate');
});

t.test('the API server down: kubectl get pods through kubegate gives one log line per event, each naming the server, no stack frame', async (t) => {
  const dir = t.testdir({});
  const port = await freePort(); // nothing listens there
  writeFileSync(join(dir, 'config'), [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {token: t0ken}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
  ].join('\n'));
  const proxy = await startKubegate(t, ['--kubeconfig', join(dir, 'config'), '--port=0', '--log-format=text', '-v=6'], { env: isolated(dir) });
  const got = await runCommand(kubectl, ['-s', proxy.url, '--request-timeout=10s', 'get', 'pods'], { env: isolated(dir) });
  t.not(got.status, 0, 'kubectl fails');
  t.equal(await proxy.stop('SIGTERM'), 0);
  const lines = proxy.stderr().split('\n').filter((line) => line !== '');
  t.notMatch(proxy.stderr(), /^\s+at /m, 'no stack frame');
  t.ok(lines.every((line) => /^\[\d\d:\d\d:\d\d\.\d{3}\] (DEBUG|INFO|WARN|ERROR): /.test(line)), `every line is an event of its own:\n${lines.join('\n')}`);
  const errors = lines.filter((line) => / ERROR: /.test(line));
  const failed = lines.filter((line) => / DEBUG: GET \/\S* 502 /.test(line));
  t.ok(errors.length > 0, 'the failures are logged');
  // Matched by request id: a request kubectl gave up on under load may log its access line alone.
  const idOf = (line: string): string | undefined => /"reqId":"([^"]+)"/.exec(line)?.[1];
  t.same(errors.map(idOf).sort(), failed.map(idOf).sort(), 'each failed request: one error line and one request line');
  for (const line of errors) t.match(line, new RegExp(`ERROR: Error while proxying request: cannot reach the API server at https://127\\.0\\.0\\.1:${port}: connection refused`));
  t.notMatch(proxy.stderr(), /t0ken/);
});

t.test('a unix socket in a missing directory says the directory does not exist, as kubectl does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'missing', 's.sock');
  const [ours, real] = [runKubegate([...SERVER, '-u', path], { env: isolated(dir) }), await runCommand(kubectl, ['proxy', ...SERVER, '-u', path], { env: isolated(dir) })];
  t.equal(real.stderr, `error: listen unix ${path}: bind: no such file or directory\n`);
  t.equal(ours.status, 1);
  t.match(ours.stderr, new RegExp(`^error: listen unix ${path}: bind: no such file or directory \\(the directory ${join(dir, 'missing')} does not exist`));
  t.notMatch(ours.stderr, /1024|privileges/);
});

t.test('--address that does not resolve fails with the lookup error and no "beyond this machine" warning first', async (t) => {
  const dir = t.testdir({});
  const result = runKubegate([...SERVER, '--address=notanip.invalid', '--port=0'], { env: isolated(dir) });
  t.equal(result.status, 1);
  t.match(result.stderr, /^error: listen tcp notanip\.invalid:0: bind: lookup notanip\.invalid: no such host/);
  t.notMatch(result.stderr, /beyond this machine/);
  t.equal(result.stderr.split('\n').filter((line) => line !== '').length, 1, 'one line');
});

t.test('--admin-address on the API port blames --admin-address; at -v=0 stdout says where the admin listener is', async (t) => {
  const dir = t.testdir({});
  const port = await freePort();
  const clash = runKubegate([...SERVER, `--port=${port}`, `--admin-address=127.0.0.1:${port}`], { env: isolated(dir) });
  t.equal(clash.status, 1);
  t.match(clash.stderr, new RegExp(`^error: admin listener \\(--admin-address\\): listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use \\(.*pick another --admin-address port\\)`));
  t.notMatch(clash.stderr, /--port/);
  const admin = await freePort();
  const proxy = await startKubegate(t, [...SERVER, '--port=0', `--admin-address=127.0.0.1:${admin}`, '--ready-json'], { env: isolated(dir) });
  // One write holds all three lines (announce()), so they are all here once the first is.
  const [first, ready, adminLine] = proxy.stdout().split('\n');
  t.match(first, /^Starting to serve on 127\.0\.0\.1:\d+$/, 'the first line is kubectl\'s, alone');
  t.doesNotThrow(() => JSON.parse(ready ?? ''), 'the --ready-json line stays second');
  t.equal(adminLine, `Serving /healthz, /readyz and /metrics on 127.0.0.1:${admin}`);
});
