import t from 'tap';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '../../src/server/listen.js';
import type { Teardown } from '../fixtures/teardown.js';

function server(t: Teardown): Server {
  const created = createServer();
  t.teardown(() => new Promise<void>((resolve) => created.close(() => resolve())));
  return created;
}

t.test('a unix socket in a missing directory says the directory does not exist (libuv reports EACCES)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'missing', 's.sock');
  await t.rejects(listen(server(t), { kind: 'unix', path }), {
    code: 'KG_ERR_LISTEN',
    message: `listen unix ${path}: bind: no such file or directory (the directory ${join(dir, 'missing')} does not exist; create it or pick another --unix-socket)`,
  });
  const error = await listen(server(t), { kind: 'unix', path }).catch((caught: Error) => caught);
  t.notMatch((error as Error).message, /1024|privileges/);
});

t.test('a TCP listener reports the IP it bound', async (t) => {
  const listening = await listen(server(t), { kind: 'tcp', host: '127.0.0.1', port: 0 });
  t.equal(listening.address, '127.0.0.1');
  t.equal(listening.display, `127.0.0.1:${listening.port}`);
});

t.test('a port in use names the listener that failed: --port for the API, --admin-address for the admin endpoints', async (t) => {
  const first = await listen(server(t), { kind: 'tcp', host: '127.0.0.1', port: 0 });
  const port = first.port as number;
  await t.rejects(listen(server(t), { kind: 'tcp', host: '127.0.0.1', port }), {
    message: new RegExp(`^listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use \\(is another kubectl proxy or kubegate running\\? pick another --port, or --port 0\\)$`),
  });
  const admin = await listen(server(t), { kind: 'tcp', host: '127.0.0.1', port }, '--admin-address').catch((caught: Error) => caught);
  t.match((admin as Error).message, new RegExp(`^admin listener \\(--admin-address\\): listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use \\(kubegate's API listener or another program has this port; pick another --admin-address port\\)$`));
  t.notMatch((admin as Error).message, /--port/);
});
