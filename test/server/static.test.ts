import t from 'tap';
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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

/**
 * Requests `path` 300 times (two at a time) while `swap(n)` changes what the name is, as fast as the
 * event loop lets it: the attacker's loop from issue 13. Returns each distinct answer and its count.
 */
async function requestsDuringSwaps(port: number, path: string, swap: (n: number) => void): Promise<{ answers: Map<string, number>; swaps: number }> {
  let swapping = true;
  let swaps = 0;
  const swapper = (async () => {
    while (swapping) {
      swap(swaps++);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const answers = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    for (const answer of await Promise.all([get(port, path), get(port, path)])) {
      const key = `${answer.status} ${answer.body}`;
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  }
  swapping = false;
  await swapper;
  return { answers, swaps };
}

t.test('a file name swapped between a regular file and a symlink to an outside file never serves the outside file', async (t) => {
  const dir = t.testdir({ www: { 'file.txt': 'inside' }, 'outside.txt': 'SECRET' });
  const root = join(dir, 'www');
  const port = await start(t, root);
  // rename(2) over the name: a regular file one time, a symlink leading out the next (both atomic).
  const { answers, swaps } = await requestsDuringSwaps(port, '/file.txt', (n) => {
    const temporary = join(root, `.swap-${n}`);
    if (n % 2 === 0) symlinkSync(join(dir, 'outside.txt'), temporary);
    else writeFileSync(temporary, 'inside');
    renameSync(temporary, join(root, 'file.txt'));
  });
  t.ok(swaps > 50, `${swaps} swaps during 600 requests`);
  t.notOk([...answers.keys()].some((key) => key.includes('SECRET')), `answers: ${JSON.stringify([...answers])}`);
  t.ok(answers.get('200 inside'), 'the inside file is still served while the name is the inside file');
});

t.test('a symlink swapped between an inside and an outside target never serves the outside file', async (t) => {
  const dir = t.testdir({ www: { 'inside.txt': 'inside' }, 'outside.txt': 'SECRET' });
  const root = join(dir, 'www');
  symlinkSync(join(root, 'inside.txt'), join(root, 'link.txt'));
  const port = await start(t, root);
  const { answers, swaps } = await requestsDuringSwaps(port, '/link.txt', (n) => {
    const temporary = join(root, `.swap-${n}`);
    symlinkSync(n % 2 === 0 ? join(dir, 'outside.txt') : join(root, 'inside.txt'), temporary);
    renameSync(temporary, join(root, 'link.txt'));
  });
  t.ok(swaps > 50, `${swaps} swaps during 600 requests`);
  t.notOk([...answers.keys()].some((key) => key.includes('SECRET')), `answers: ${JSON.stringify([...answers])}`);
  t.ok(answers.get('200 inside'), 'a symlink that stays inside still works');
});

t.test('a FIFO in --www is not found, and does not hang the server', async (t) => {
  const dir = t.testdir({ www: { 'a.txt': 'a' } });
  const root = join(dir, 'www');
  const made = spawnSync('mkfifo', [join(root, 'pipe')]);
  t.equal(made.status, 0, 'mkfifo');
  const port = await start(t, root);
  const answers = await Promise.all(Array.from({ length: 8 }, () => get(port, '/pipe')));
  t.same(answers.map((answer) => answer.status), Array(8).fill(404));
  t.equal((await get(port, '/a.txt')).body, 'a', 'files are still served after (no thread of the pool is held)');
});

t.test('files are served with the Content-Type of their own name, not of the descriptor', async (t) => {
  const dir = t.testdir({ www: { 'app.js': 'x', 'data.json': '{}', 'plain': 'p', json: '<html>', 'page.nosuchext': '\x00\x01', '.hidden': 'h' } });
  const port = await start(t, join(dir, 'www'));
  t.equal((await get(port, '/app.js')).headers['content-type'], 'application/javascript; charset=utf-8');
  t.equal((await get(port, '/data.json')).headers['content-type'], 'application/json; charset=utf-8');
  // No extension, or one no type is known for: sniffed from the content, as Go's serveContent does.
  t.equal((await get(port, '/plain')).headers['content-type'], 'text/plain; charset=utf-8', 'text without an extension');
  t.equal((await get(port, '/json')).headers['content-type'], 'text/html; charset=utf-8', 'a name is not an extension');
  t.equal((await get(port, '/page.nosuchext')).headers['content-type'], 'application/octet-stream', 'an unknown extension: binary content');
  t.equal((await get(port, '/.hidden')).headers['content-type'], 'text/plain; charset=utf-8', 'a dot file');
  const ranged = await get(port, '/json', { Range: 'bytes=1-2' });
  t.equal(ranged.status, 206);
  t.equal(ranged.headers['content-type'], 'text/html; charset=utf-8', 'a range is typed by the start of the file');
  t.equal(ranged.body, 'ht');
});
