import t from 'tap';
import { lstatSync, existsSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { runKubegate, startKubegate } from '../fixtures/processes.js';

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

t.test('usage errors print one "error: ..." line and exit 1, never a stack trace', async (t) => {
  const dir = t.testdir({});
  const cases: [string[], RegExp][] = [
    [['--reject-hosts=x'], /^error: unknown flag: --reject-hosts/],
    [['--port=abc'], /^error: invalid argument "abc" for "-p, --port" flag/],
    [['--port=99999', ...SERVER], /^error: invalid --port 99999/],
    [['-u', '/tmp/x.sock', '--port=9000', ...SERVER], /^error: cannot set --unix-socket and --port at the same time/],
    [['--keepalive=abc'], /^error: invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"/],
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

t.test('a kubeconfig proxy-url and HTTPS_PROXY are not supported, and kubegate says so at start without printing the proxy password', async (t) => {
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
  const proxy = await startKubegate(t, ['--kubeconfig', `${dir}/config`, '--port=0'], {
    env: { ...isolated(dir), HTTPS_PROXY: 'http://10.0.0.2:3128' },
  });
  const deadline = Date.now() + 3000;
  while (!/HTTPS_PROXY/.test(proxy.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.match(proxy.stderr(), /cluster \\?"c\\?" sets proxy-url .* which kubegate does not support: it connects to https:\/\/127\.0\.0\.1:1 directly/);
  t.match(proxy.stderr(), /HTTPS_PROXY is set, but kubegate connects to https:\/\/127\.0\.0\.1:1 directly/);
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
