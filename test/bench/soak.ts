// `npm run soak [-- --minutes N]`: mixed traffic through one kubegate for N minutes (default 30):
// gets, lists, watches that come and go, configmap writes that the watches see, and port-forward
// tunnels. Reports errors (0 expected), kubegate's RSS over time (flat expected) and its open
// descriptors at the end (back to the start expected). Exits 1 when any of those is off.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent as Pool, request as undiciRequest } from 'undici';
import { startDemoCluster } from '../../src/demo-cluster/demo-cluster.js';
import { openDescriptors, rssMiB } from '../fixtures/proc.js';
import { echoOnce, openSpdyTunnel } from '../fixtures/tunnels.js';
import { KUBEGATE_BIN } from '../fixtures/processes.js';

/** The command line, or a usage line on stderr and exit 2: a mistyped flag is not a stack trace. */
function readFlags(): { readonly minutes: string; readonly 'sample-seconds': string } {
  const usage = 'usage: npm run soak -- [--minutes N (default 30)] [--sample-seconds N (default 30)]\n';
  try {
    const { values } = parseArgs({ options: { help: { type: 'boolean', default: false }, minutes: { type: 'string', default: '30' }, 'sample-seconds': { type: 'string', default: '30' } } });
    if (values.help) {
      process.stdout.write(usage);
      process.exit(0);
    }
    for (const name of ['minutes', 'sample-seconds'] as const) {
      if (!(Number(values[name]) > 0)) throw new Error(`--${name} must be a number above 0, not "${values[name]}"`);
    }
    return values;
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const values = readFlags();
const DURATION_MS = Number(values.minutes) * 60_000;
const SAMPLE_MS = Number(values['sample-seconds']) * 1_000;
const WATCHES = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const cluster = await startDemoCluster();
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-soak-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(join(dir, 'ca.crt'), cluster.apiServer.caPem);
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: soak, cluster: {server: "${cluster.apiServer.url}", certificate-authority: ${join(dir, 'ca.crt')}}}]`,
      `users: [{name: soak, user: {token: "${cluster.token}"}}]`,
      'contexts: [{name: soak, context: {cluster: soak, user: soak}}]',
      'current-context: soak',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [KUBEGATE_BIN, `--kubeconfig=${kubeconfig}`, '--port=0', ...(process.env.SOAK_KUBEGATE_ARGS ?? '').split(' ').filter(Boolean)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  while (!/Starting to serve on .*:(\d+)\n/.test(out)) {
    if (child.exitCode !== null) throw new Error('kubegate exited before serving');
    await sleep(20);
  }
  const port = Number(/Starting to serve on .*:(\d+)\n/.exec(out)?.[1]);
  const base = `http://127.0.0.1:${port}`;
  const pid = child.pid ?? 0;
  // The driver's own keep-alive pool, closed at the end so only kubegate's descriptors remain.
  const pool = new Pool({ connections: 16 });

  const counts = { requests: 0, errors: 0, watchEvents: 0, tunnels: 0 };
  const errorSamples: string[] = [];
  const fail = (what: string): void => {
    counts.errors++;
    if (errorSamples.length < 10) errorSamples.push(what);
  };
  const request = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: string): Promise<number> => {
    const answer = await undiciRequest(`${base}${path}`, { method, dispatcher: pool, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}) });
    await answer.body.dump();
    counts.requests++;
    return answer.statusCode;
  };

  await request('GET', '/api/v1/namespaces/default/pods');
  const samples: { minute: number; rssMiB: number; descriptors: number }[] = [];
  const startDescriptors = openDescriptors(pid);
  const started = Date.now();
  const running = (): boolean => Date.now() - started < DURATION_MS;

  const getLoop = async (path: string, expect: number): Promise<void> => {
    while (running()) {
      try {
        const status = await request('GET', path);
        if (status !== expect) fail(`GET ${path} → ${status}`);
      } catch (error) {
        fail(`GET ${path}: ${(error as Error).message}`);
      }
    }
  };

  const watches = new Set<IncomingMessage>();
  const openWatch = (): void => {
    get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/configmaps?watch=true', agent: new Agent({ keepAlive: false }) }, (response) => {
      if (response.statusCode !== 200) fail(`watch → ${response.statusCode ?? 0}`);
      watches.add(response);
      response.on('data', (chunk: Buffer) => (counts.watchEvents += chunk.toString().split('\n').length - 1));
      response.on('close', () => watches.delete(response));
    }).on('error', (error) => fail(`watch: ${error.message}`));
  };
  const watchLoop = async (): Promise<void> => {
    for (let i = 0; i < WATCHES; i++) openWatch();
    while (running()) {
      await sleep(5_000);
      // Churn: a fifth of the watches go away and new ones come.
      [...watches].slice(0, WATCHES / 5).forEach((watch) => watch.destroy());
      for (let i = 0; i < WATCHES / 5; i++) openWatch();
    }
  };

  const writeLoop = async (): Promise<void> => {
    for (let i = 0; running(); i++) {
      const name = `soak-${i % 20}`;
      const object = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { round: String(i) } });
      try {
        const created = await request('POST', '/api/v1/namespaces/default/configmaps', object);
        if (created === 409) {
          const replaced = await request('PUT', `/api/v1/namespaces/default/configmaps/${name}`, object);
          if (replaced !== 200) fail(`PUT configmap → ${replaced}`);
        } else if (created !== 201) fail(`POST configmap → ${created}`);
      } catch (error) {
        fail(`write: ${(error as Error).message}`);
      }
      await sleep(200);
    }
  };

  const tunnelLoop = async (): Promise<void> => {
    const payload = Buffer.alloc(64 * 1024, 7);
    while (running()) {
      try {
        const tunnel = await openSpdyTunnel(port, `/api/v1/namespaces/default/pods/${cluster.podName}/portforward`);
        if (tunnel.status !== 101) fail(`tunnel → ${tunnel.status}`);
        else if (!(await echoOnce(tunnel, payload)).equals(payload)) fail('tunnel echo differs');
        tunnel.socket.destroy();
        counts.tunnels++;
      } catch (error) {
        fail(`tunnel: ${(error as Error).message}`);
      }
      await sleep(1_000);
    }
  };

  const sampleLoop = async (): Promise<void> => {
    while (running()) {
      samples.push({ minute: (Date.now() - started) / 60_000, rssMiB: rssMiB(pid), descriptors: openDescriptors(pid) });
      const last = samples[samples.length - 1];
      process.stderr.write(`${last?.minute.toFixed(1)} min: RSS ${last?.rssMiB.toFixed(0)} MiB, ${last?.descriptors} descriptors, ${counts.requests} requests, ${counts.errors} errors\n`);
      await sleep(SAMPLE_MS);
    }
  };

  await Promise.all([
    getLoop(`/api/v1/namespaces/default/pods/${cluster.podName}`, 200),
    getLoop(`/api/v1/namespaces/default/pods/${cluster.podName}`, 200),
    getLoop('/api/v1/namespaces/default/pods', 200),
    getLoop('/apis/apps/v1/namespaces/default/deployments', 200),
    watchLoop(),
    writeLoop(),
    tunnelLoop(),
    sampleLoop(),
  ]);
  watches.forEach((watch) => watch.destroy());
  await pool.close();
  // kubegate's idle keep-alive connections to the API server expire after 30 s; anything left after that leaked.
  const settleUntil = Date.now() + 40_000;
  while (openDescriptors(pid) > startDescriptors + 5 && Date.now() < settleUntil) await sleep(500);
  const endDescriptors = openDescriptors(pid);
  const endRss = rssMiB(pid);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });

  const rss = samples.map((sample) => sample.rssMiB);
  const firstHalf = rss.slice(1, Math.max(2, Math.ceil(rss.length / 2)));
  const secondHalf = rss.slice(Math.ceil(rss.length / 2));
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const report = {
    minutes: Number(values.minutes),
    requests: counts.requests,
    watchEvents: counts.watchEvents,
    tunnels: counts.tunnels,
    errors: counts.errors,
    errorSamples,
    rssMiB: { samples: rss.map((value) => Math.round(value)), firstHalfMean: Math.round(mean(firstHalf)), secondHalfMean: Math.round(mean(secondHalf)), atEnd: Math.round(endRss) },
    descriptors: { atStart: startDescriptors, atEnd: endDescriptors },
    exitCode: code,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const flat = mean(secondHalf) <= mean(firstHalf) * 1.2 + 10;
  const ok = counts.errors === 0 && endDescriptors <= startDescriptors + 5 && flat && code === 0;
  process.stdout.write(ok ? 'soak: OK\n' : 'soak: FAILED (errors, leaked descriptors, growing RSS or an unclean exit)\n');
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${(error as Error).message}\n`);
  process.exit(1);
});
