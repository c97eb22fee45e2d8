import t, { type Test } from 'tap';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { isKubegateError } from '../../src/errors.js';
import { resolveProxy, type ProxiedRoute } from '../../src/kubeconfig/proxy.js';
import { dialUpstream } from '../../src/upstream/dial.js';
import { openProxyTunnel } from '../../src/upstream/proxy-dial.js';
import { listenAndTrack, startConnectProxy, startSocksProxy } from '../fixtures/proxies.js';

const options = { trust: undefined, timeoutMs: 5_000 };

function route(proxyUrl: string): ProxiedRoute {
  const resolved = resolveProxy(new URL('https://10.0.0.1:6443'), proxyUrl, {});
  if (resolved.kind === 'direct') throw new Error(`${proxyUrl} is not a proxy`);
  return resolved;
}

/** A TCP server that answers each connection with `greeting` and echoes the rest. */
async function echoServer(t: Test, greeting: string): Promise<number> {
  const server = createServer((socket) => {
    socket.write(greeting);
    socket.pipe(socket);
  });
  return listenAndTrack(t, server);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the dial to fail');
}

t.test('CONNECT through an http:// proxy sends the target and Basic credentials, then carries bytes', async (t) => {
  const target = await echoServer(t, 'hello:');
  const proxy = await startConnectProxy(t);
  const socket = await openProxyTunnel(route(`http://al%20ice:s3cr%40t@127.0.0.1:${proxy.port}`), '127.0.0.1', target, options);
  t.teardown(() => socket.destroy());
  socket.write('ping');
  let received = '';
  while (received.length < 'hello:ping'.length) received += String((await once(socket, 'data'))[0]);
  t.equal(received, 'hello:ping');
  t.same(proxy.records, [{ target: `127.0.0.1:${target}`, credentials: `Basic ${Buffer.from('al ice:s3cr@t').toString('base64')}` }]);
});

t.test('a proxy URL without a user sends no Proxy-Authorization; IPv6 targets are bracketed', async (t) => {
  const proxy = await startConnectProxy(t, { redirectTo: { host: '127.0.0.1', port: await echoServer(t, '') } });
  const socket = await openProxyTunnel(route(`http://127.0.0.1:${proxy.port}`), '2001:db8::1', 6443, options);
  socket.destroy();
  t.same(proxy.records, [{ target: '[2001:db8::1]:6443', credentials: undefined }]);
});

t.test('refusals are KubegateErrors that name the proxy and never its password', async (t) => {
  const proxy = await startConnectProxy(t, { require: 'Basic nope' });
  const refused = await failure(openProxyTunnel(route(`http://user:pw-secret@127.0.0.1:${proxy.port}`), 'api.example', 443, options));
  t.ok(isKubegateError(refused));
  t.match(refused, { code: 'KG_ERR_UPSTREAM_UNREACHABLE' });
  t.equal(
    refused.message,
    `cannot reach the API server at api.example:443 through the proxy http://127.0.0.1:${proxy.port} (from proxy-url): the proxy answered 407 Proxy Authentication Required; check the user and password in proxy-url`,
  );

  const nobody = await failure(openProxyTunnel(route(`http://user:pw-secret@127.0.0.1:1`), 'api.example', 443, options));
  t.match(nobody.message, /through the proxy http:\/\/127\.0\.0\.1:1 \(from proxy-url\): .*ECONNREFUSED/);
  t.notMatch(nobody.message + refused.message, 'pw-secret');
});

t.test('SOCKS5 with username and password; a wrong password is a clear error', async (t) => {
  const target = await echoServer(t, 'socks:');
  const proxy = await startSocksProxy(t, { require: 'u:right' });
  const socket = await openProxyTunnel(route(`socks5://u:right@127.0.0.1:${proxy.port}`), 'localhost', target, options);
  t.equal(String((await once(socket, 'data'))[0]), 'socks:');
  socket.destroy();
  t.same(proxy.records, [{ target: `localhost:${target}`, credentials: 'u:right' }], 'the host name went to the proxy to resolve');
  const wrong = await failure(openProxyTunnel(route(`socks5://u:wrong-pw@127.0.0.1:${proxy.port}`), 'localhost', target, options));
  t.match(wrong, { code: 'KG_ERR_UPSTREAM_UNREACHABLE', message: new RegExp(`through the proxy socks5://127\\.0\\.0\\.1:${proxy.port} \\(from proxy-url\\): .*[Aa]uthentication`) });
  t.notMatch(wrong.message, 'wrong-pw');
});

t.test('dialUpstream: a plain proxied socket is handed over connected; a refusal is the callback\'s error', async (t) => {
  const target = await echoServer(t, 'plain:');
  const proxy = await startConnectProxy(t);
  const proxied = resolveProxy(new URL('http://10.0.0.1'), `http://127.0.0.1:${proxy.port}`, {});
  const socket = await new Promise<Socket>((resolve, reject) =>
    dialUpstream(proxied, { host: '127.0.0.1', port: target, secure: undefined, trust: undefined, allowHalfOpen: true }, (error, dialled) => (dialled ? resolve(dialled) : reject(error))),
  );
  t.equal(socket.allowHalfOpen, true, 'half-open as tunnels need');
  t.equal(String((await once(socket, 'data'))[0]), 'plain:');
  socket.destroy();
  const refusing = resolveProxy(new URL('http://10.0.0.1'), 'http://127.0.0.1:1', {});
  const error = await new Promise<Error | undefined>((resolve) => dialUpstream(refusing, { host: 'x', port: 1, secure: undefined, trust: undefined, allowHalfOpen: false }, (failed) => resolve(failed)));
  t.ok(isKubegateError(error));
});
