import t from 'tap';
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { directoryListing, serveStatic } from '../../src/server/static.js';

/** Serves `root` the way server.ts does: the path after the prefix is handed to serveStatic. */
async function start(t: Tap, root: string): Promise<number> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const path = decodeURIComponent(url.split('?')[0] as string);
    void serveStatic(req, res, path, { root });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  return (server.address() as AddressInfo).port;
}
type Tap = { teardown(fn: () => unknown): void };

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('Go FileServer behaviour', async (t) => {
  const dir = t.testdir({ www: { 'index.html': '<h1>hi</h1>\n', 'a.txt': '0123456789', '.hidden': 'dot', sub: { 'b.txt': 'b', 'x&y.txt': 'x' } }, 'outside.txt': 'SECRET' });
  const root = join(dir, 'www');
  symlinkSync(join(dir, 'outside.txt'), join(root, 'escape.txt'));
  symlinkSync(dir, join(root, 'escape-dir'));
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'sub', 'inner.txt'), 'inner');
  symlinkSync(join(root, 'sub', 'inner.txt'), join(root, 'link-inside.txt'));
  const port = await start(t, root);

  const index = await get(port, '/');
  t.equal(index.status, 200);
  t.equal(index.body, '<h1>hi</h1>\n', 'index.html for the directory');
  t.match(index.headers['content-type'], /text\/html/);

  const redirect = await get(port, '/index.html?x=1');
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, './?x=1');

  const dirRedirect = await get(port, '/sub');
  t.equal(dirRedirect.status, 301);
  t.equal(dirRedirect.headers.location, 'sub/');

  const listing = await get(port, '/sub/');
  t.equal(listing.body, '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="b.txt">b.txt</a>\n<a href="inner.txt">inner.txt</a>\n<a href="x&y.txt">x&amp;y.txt</a>\n</pre>\n');

  const range = await get(port, '/a.txt', { range: 'bytes=2-4' });
  t.equal(range.status, 206);
  t.equal(range.body, '234');
  t.equal(range.headers['accept-ranges'], 'bytes');

  t.equal((await get(port, '/.hidden')).body, 'dot', 'dotfiles are served, as Go does');
  t.equal((await get(port, '/a.txt', {}, 'POST')).body, '0123456789', 'any method');
  t.equal((await get(port, '/link-inside.txt')).body, 'inner', 'a symlink that stays inside is followed');

  const missing = await get(port, '/nope.txt');
  t.equal(missing.status, 404);
  t.equal(missing.body, '404 page not found\n');
});

t.test('never a byte from outside the directory', async (t) => {
  const dir = t.testdir({ www: { 'a.txt': 'a' }, 'outside.txt': 'SECRET' });
  const root = join(dir, 'www');
  symlinkSync(join(dir, 'outside.txt'), join(root, 'escape.txt'));
  symlinkSync(dir, join(root, 'escape-dir'));
  const port = await start(t, root);
  for (const path of ['/escape.txt', '/escape-dir/outside.txt', '/escape-dir/', '/../outside.txt', '/%2e%2e/outside.txt', '/a.txt%00']) {
    const answer = await get(port, path);
    t.notMatch(answer.body, 'SECRET', path);
    t.equal(answer.status, 404, path);
  }
});

t.test('directoryListing escapes names for HTML and URLs', async (t) => {
  t.equal(
    directoryListing([{ name: 'a b', isDirectory: false }, { name: 'd:x', isDirectory: true }, { name: '<s>', isDirectory: false }]),
    '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="%3Cs%3E">&lt;s&gt;</a>\n<a href="a%20b">a b</a>\n<a href="./d:x/">d:x/</a>\n</pre>\n',
  );
});
