import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTimelineLog } from './timeline.js';

const RECORDER = fileURLToPath(new URL('./socket-timeline.js', import.meta.url));

/** A process with the recorder loaded that serves one request over plain HTTP to itself, then exits. */
const ONE_REQUEST = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  http.get({ port: server.address().port, host: '127.0.0.1', agent: false }, (res) => {
    res.resume();
    res.on('end', () => server.close());
  });
});`;

t.test('the recorder, loaded with --import, writes the events of this Node version\'s sockets at exit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'timeline-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [`--import=${RECORDER}`, '-e', ONE_REQUEST], { env: { ...process.env, KUBEGATE_TIMELINE_DIR: dir }, encoding: 'utf8', timeout: 20_000 });
  t.equal(run.status, 0, run.stderr);
  const logs = readdirSync(dir);
  t.equal(logs.length, 1, 'one log, named by pid');
  const events = parseTimelineLog(readFileSync(join(dir, logs[0] as string), 'utf8')).map(({ event }) => event);
  t.equal(events.filter((event) => event === 'connection').length, 1);
  t.equal(events.filter((event) => event === 'request').length, 1);
  // The client's request and the server's answer are both plain-TCP writes.
  t.ok(events.filter((event) => event === 'client-write').length >= 2);
  t.ok(events.indexOf('connection') < events.indexOf('request'));
});

t.test("the recorder writes V8's collections, minor and full, by kind", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'timeline-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The observer is told on a later turn: the process waits one before it exits.
  const collect = "gc({ type: 'minor' }); gc({ type: 'minor' }); gc(); setTimeout(() => {}, 50);";
  const run = spawnSync(process.execPath, ['--expose-gc', `--import=${RECORDER}`, '-e', collect], { env: { ...process.env, KUBEGATE_TIMELINE_DIR: dir }, encoding: 'utf8', timeout: 20_000 });
  t.equal(run.status, 0, run.stderr);
  const events = parseTimelineLog(readFileSync(join(dir, readdirSync(dir)[0] as string), 'utf8')).map(({ event }) => event);
  t.ok(events.filter((event) => event === 'gc-minor').length >= 2, 'both minor collections');
  t.ok(events.includes('gc-full'), 'and the full one');
});
