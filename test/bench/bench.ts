// `npm run bench`: kubegate and the real `kubectl proxy`, side by side in one run, against the same
// upstream and kubeconfig, interleaved round by round (kubectl, kubegate, kubectl, kubegate, ...).
// The proxy under test runs alone on core 0; this driver, the load generator and the upstream on
// core 1. Prints medians, kubegate/kubectl ratios and the issue's targets, and writes them as JSON.

import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createPki } from '../../src/demo-cluster/pki.js';
import { LIST_PATH, POD_PATH, WATCH_PATH, preciseNow, type UpstreamMessage, type UpstreamReply } from './upstream.js';
import { KUBEGATE_BIN } from '../fixtures/processes.js';

type ProxyName = 'kubectl' | 'kubegate';
const PROXIES: readonly ProxyName[] = ['kubectl', 'kubegate'];
const UPSTREAM_JS = fileURLToPath(new URL('./upstream.js', import.meta.url));
const PROXY_CORE = '0';
const DRIVER_CORE = '1';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    hold: { type: 'string', default: '30' },
    watches: { type: 'string', default: '10000' },
    only: { type: 'string', default: 'startup,get,list,watch1k,watch10k' },
    out: { type: 'string', default: 'bench-results.json' },
    'kubegate-args': { type: 'string', default: '' },
    /** The kubegate entry point to measure (default: the shipped bundle; `dist/src/bin.js` is the tsc output). */
    'kubegate-bin': { type: 'string', default: KUBEGATE_BIN },
    /** Write a V8 CPU profile of every kubegate run into this directory (for finding where time goes). */
    profile: { type: 'string' },
  },
});
const ROUNDS = Number(flags.rounds);
const DURATION_S = Number(flags.duration);
const HOLD_S = Number(flags.hold);
const MANY_WATCHES = Number(flags.watches);
const ONLY = new Set(flags.only.split(','));

// ---------------------------------------------------------------- processes

function pinSelf(core: string): void {
  spawnSync('taskset', ['-a', '-cp', core, String(process.pid)], { stdio: 'ignore' });
}

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rssMiB: field('VmRSS'), peakMiB: field('VmHWM') };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

interface Upstream {
  readonly port: number;
  send(message: UpstreamMessage): Promise<UpstreamReply>;
  stop(): void;
}

async function startUpstream(dir: string): Promise<Upstream> {
  const child = spawn('taskset', ['-c', DRIVER_CORE, process.execPath, UPSTREAM_JS, join(dir, 'server.crt'), join(dir, 'server.key'), join(dir, 'ca.crt')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await once(child, 'message')) as [UpstreamReply];
  if (first.type !== 'listening') throw new Error('the bench upstream did not start');
  return {
    port: first.port,
    send: async (message) => {
      child.send(message);
      const [reply] = (await once(child, 'message')) as [UpstreamReply];
      return reply;
    },
    stop: () => child.kill(),
  };
}

interface RunningProxy {
  readonly name: ProxyName;
  readonly child: ChildProcess;
  readonly port: number;
  readonly spawnedAt: number;
  stop(): Promise<void>;
}

function proxyCommand(name: ProxyName, kubeconfig: string, port: number): string[] {
  if (name === 'kubectl') return ['kubectl', 'proxy', `--kubeconfig=${kubeconfig}`, `--port=${port}`];
  const extra = flags['kubegate-args'] ? flags['kubegate-args'].split(' ') : [];
  const profile = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [];
  return [process.execPath, ...profile, resolvePath(flags['kubegate-bin']), `--kubeconfig=${kubeconfig}`, `--port=${port}`, ...extra];
}

async function startProxy(name: ProxyName, kubeconfig: string): Promise<RunningProxy> {
  const port = await freePort();
  const spawnedAt = preciseNow();
  const child = spawn('taskset', ['-c', PROXY_CORE, ...proxyCommand(name, kubeconfig, port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = once(child, 'exit');
  return {
    name,
    child,
    port,
    spawnedAt,
    stop: async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited early:\n${stderr}`);
      // A profiled kubegate stops cleanly (SIGINT) so V8 writes the profile; otherwise no grace needed.
      child.kill(flags.profile && name === 'kubegate' ? 'SIGINT' : 'SIGKILL');
      await exited;
    },
  };
}

const plainAgent = new Agent({ keepAlive: false, maxSockets: Infinity });

function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers, agent: plainAgent }, resolve).on('error', reject);
  });
}

/** Spawn → the first proxied 200: the time a script waits before it can use the proxy. */
async function firstOk(proxy: RunningProxy): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await httpGet(proxy.port, POD_PATH);
      response.resume();
      if (response.statusCode === 200) return preciseNow() - proxy.spawnedAt;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${proxy.name} never answered 200`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

// ---------------------------------------------------------------- scenarios

type Sample = Record<string, number>;

async function load(port: number, path: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration: seconds, pipelining: 1 });
}

async function scenarioStartup(proxy: RunningProxy): Promise<Sample> {
  const startupMs = await firstOk(proxy);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  return { startupMs, idleRssMiB: memoryOf(proxy.child.pid ?? 0).rssMiB };
}

async function scenarioGet(proxy: RunningProxy): Promise<Sample> {
  await firstOk(proxy);
  await load(proxy.port, POD_PATH, 64, 2); // warm-up: connections, pools and JIT, for both alike
  const result = await load(proxy.port, POD_PATH, 64, DURATION_S);
  return { requestsPerSec: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

async function scenarioList(proxy: RunningProxy): Promise<Sample> {
  await firstOk(proxy);
  await load(proxy.port, LIST_PATH, 8, 2);
  const result = await load(proxy.port, LIST_PATH, 8, DURATION_S);
  return { mbPerSec: result.throughput.average / 1e6, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

interface OpenWatches {
  readonly latencies: number[];
  events(): number;
  failed(): number;
  close(): void;
}

/** Opens `count` watches through the proxy, `batch` at a time; each records every event's delivery latency. */
async function openWatches(port: number, count: number, batch: number): Promise<OpenWatches> {
  const latencies: number[] = [];
  const responses: IncomingMessage[] = [];
  let failed = 0;
  for (let opened = 0; opened < count; opened += batch) {
    const wave = Array.from({ length: Math.min(batch, count - opened) }, async () => {
      try {
        const response = await httpGet(port, WATCH_PATH);
        if (response.statusCode !== 200) {
          failed++;
          response.resume();
          return;
        }
        responses.push(response);
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const now = preciseNow();
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const sentAt = /"sentAt":"([\d.]+)"/.exec(buffered.slice(0, newline))?.[1];
            if (sentAt) latencies.push(now - Number(sentAt));
            buffered = buffered.slice(newline + 1);
          }
        });
        response.on('error', () => failed++);
        response.on('end', () => failed++);
      } catch {
        failed++;
      }
    });
    await Promise.all(wave);
  }
  return { latencies, events: () => latencies.length, failed: () => failed, close: () => responses.forEach((response) => response.destroy()) };
}

async function waitForWatchers(upstream: Upstream, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let watchers = 0;
  while (Date.now() < deadline) {
    const reply = await upstream.send({ type: 'count' });
    watchers = reply.type === 'count' ? reply.watchers : 0;
    if (watchers >= count) return watchers;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return watchers;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function scenarioWatch1k(proxy: RunningProxy, upstream: Upstream): Promise<Sample> {
  await firstOk(proxy);
  const count = 1_000;
  const updates = 20;
  const watches = await openWatches(proxy.port, count, 250);
  const held = await waitForWatchers(upstream, count, 30_000);
  for (let i = 0; i < updates; i++) {
    await upstream.send({ type: 'update' });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deadline = Date.now() + 10_000;
  while (watches.events() < count * updates && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const peakRssMiB = memoryOf(proxy.child.pid ?? 0).peakMiB;
  watches.close();
  return {
    deliveredPercent: (100 * watches.events()) / (count * updates),
    heldAtUpstream: held,
    p50Ms: percentile(watches.latencies, 50),
    p99Ms: percentile(watches.latencies, 99),
    peakRssMiB,
  };
}

async function scenarioWatchMany(proxy: RunningProxy, upstream: Upstream): Promise<Sample> {
  await firstOk(proxy);
  const watches = await openWatches(proxy.port, MANY_WATCHES, 500);
  const heldAtUpstream = await waitForWatchers(upstream, MANY_WATCHES, 60_000);
  await new Promise((resolve) => setTimeout(resolve, HOLD_S * 1_000));
  const stillHeld = MANY_WATCHES - watches.failed();
  const atUpstreamAfter = await waitForWatchers(upstream, MANY_WATCHES, 1);
  const peakRssMiB = memoryOf(proxy.child.pid ?? 0).peakMiB;
  watches.close();
  return { opened: heldAtUpstream, heldAfterHold: Math.min(stillHeld, atUpstreamAfter), peakRssMiB };
}

// ---------------------------------------------------------------- report

interface Target {
  readonly scenario: string;
  readonly metric: string;
  /** kubegate/kubectl must be at least (>=) or at most (<=) this; `all` means kubegate's own value must equal `want`. */
  readonly kind: '>=' | '<=' | 'all';
  readonly want: number;
}

const TARGETS: readonly Target[] = [
  { scenario: 'get', metric: 'requestsPerSec', kind: '>=', want: 1.25 },
  { scenario: 'get', metric: 'p99Ms', kind: '<=', want: 0.8 },
  { scenario: 'list', metric: 'mbPerSec', kind: '>=', want: 1.1 },
  { scenario: 'watch1k', metric: 'deliveredPercent', kind: 'all', want: 100 },
  { scenario: 'watch1k', metric: 'p99Ms', kind: '<=', want: 1.0 },
  { scenario: 'watch1k', metric: 'peakRssMiB', kind: '<=', want: 1.0 },
  { scenario: 'watch10k', metric: 'heldAfterHold', kind: 'all', want: Number.NaN },
  { scenario: 'watch10k', metric: 'peakRssMiB', kind: '<=', want: 1.0 },
  { scenario: 'startup', metric: 'startupMs', kind: '<=', want: 2.0 },
  { scenario: 'startup', metric: 'idleRssMiB', kind: '<=', want: 1.0 },
];

const median = (values: readonly number[]): number => percentile(values, 50);

function machine(): Record<string, string | number> {
  const kubectl = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const kubectlVersion = (JSON.parse(kubectl.stdout || '{}') as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    kubectl: kubectlVersion,
    pinning: `proxy on core ${PROXY_CORE}; driver, autocannon and upstream on core ${DRIVER_CORE}`,
  };
}

async function main(): Promise<void> {
  if (spawnSync('taskset', ['--version']).error) throw new Error('taskset (util-linux) is required to pin processes to cores');
  if (spawnSync('kubectl', ['version', '--client']).error) throw new Error('kubectl is required on PATH: the benchmark compares against the real kubectl proxy');
  pinSelf(DRIVER_CORE);
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-bench-'));
  const pki = await createPki();
  const client = await pki.ca.issueClientCertificate('bench-admin', ['system:masters']);
  writeFileSync(join(dir, 'ca.crt'), pki.ca.certPem);
  writeFileSync(join(dir, 'server.crt'), pki.server.certPem);
  writeFileSync(join(dir, 'server.key'), pki.server.keyPem);
  writeFileSync(join(dir, 'client.crt'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  const upstream = await startUpstream(dir);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: bench, cluster: {server: "https://127.0.0.1:${upstream.port}", certificate-authority: ${join(dir, 'ca.crt')}}}]`,
      `users: [{name: bench, user: {client-certificate: ${join(dir, 'client.crt')}, client-key: ${join(dir, 'client.key')}}}]`,
      'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
      'current-context: bench',
      '',
    ].join('\n'),
  );

  const scenarios: Record<string, { rounds: number; run: (proxy: RunningProxy) => Promise<Sample> }> = {
    startup: { rounds: Math.max(ROUNDS, 5), run: scenarioStartup },
    get: { rounds: ROUNDS, run: scenarioGet },
    list: { rounds: ROUNDS, run: scenarioList },
    watch1k: { rounds: ROUNDS, run: (proxy) => scenarioWatch1k(proxy, upstream) },
    watch10k: { rounds: 1, run: (proxy) => scenarioWatchMany(proxy, upstream) },
  };
  const samples: Record<string, Record<ProxyName, Sample[]>> = {};
  let upstreamDirectRps = NaN;
  try {
    // Headroom: the same GET straight at the upstream (over TLS, with the client certificate) must
    // be faster than either proxy, or the upstream would be what the GET numbers measure.
    if (ONLY.has('get')) {
      const direct = await autocannon({
        url: `https://127.0.0.1:${upstream.port}${POD_PATH}`,
        connections: 64,
        duration: DURATION_S,
        tlsOptions: { cert: client.certPem, key: client.keyPem },
      } as autocannon.Options);
      upstreamDirectRps = direct.requests.average;
      process.stderr.write(`upstream direct GET: ${upstreamDirectRps.toFixed(0)} requests/s (${direct.non2xx + direct.errors} errors)\n`);
    }
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (!ONLY.has(name)) continue;
      samples[name] = { kubectl: [], kubegate: [] };
      for (let round = 1; round <= scenario.rounds; round++) {
        for (const proxyName of PROXIES) {
          const proxy = await startProxy(proxyName, kubeconfig);
          try {
            const sample = await scenario.run(proxy);
            (samples[name] as Record<ProxyName, Sample[]>)[proxyName].push(sample);
            process.stderr.write(`${name} round ${round} ${proxyName}: ${JSON.stringify(sample)}\n`);
          } finally {
            await proxy.stop();
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  } finally {
    upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const report = {
    machine: machine(),
    settings: { rounds: ROUNDS, durationSeconds: DURATION_S, holdSeconds: HOLD_S, manyWatches: MANY_WATCHES },
    upstreamDirectRps,
    results: [] as { scenario: string; metric: string; kubectl: number; kubegate: number; ratio: number; target: string; holds: boolean | null }[],
    samples,
  };
  for (const [scenario, byProxy] of Object.entries(samples)) {
    const metrics = Object.keys(byProxy.kubegate[0] ?? {});
    for (const metric of metrics) {
      const kubectl = median(byProxy.kubectl.map((sample) => sample[metric] ?? NaN));
      const kubegate = median(byProxy.kubegate.map((sample) => sample[metric] ?? NaN));
      // Two zero counts (errors) are equal, not NaN.
      const ratio = kubegate === 0 && kubectl === 0 ? 1 : kubegate / kubectl;
      const target = TARGETS.find((entry) => entry.scenario === scenario && entry.metric === metric);
      let holds: boolean | null = null;
      let targetText = '';
      if (target?.kind === 'all') {
        const want = Number.isNaN(target.want) ? MANY_WATCHES : target.want;
        holds = kubegate >= want;
        targetText = `= ${want}`;
      } else if (target) {
        holds = target.kind === '>=' ? ratio >= target.want : ratio <= target.want;
        targetText = `${target.kind} ${target.want}`;
      }
      report.results.push({ scenario, metric, kubectl, kubegate, ratio, target: targetText, holds });
    }
  }

  const format = (value: number): string => (Number.isFinite(value) ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)) : String(value));
  const rows = [['scenario', 'metric', 'kubectl proxy', 'kubegate', 'ratio', 'target', 'holds']];
  for (const row of report.results) {
    rows.push([row.scenario, row.metric, format(row.kubectl), format(row.kubegate), format(row.ratio), row.target, row.holds === null ? '' : row.holds ? 'yes' : 'NO']);
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  const headroom = Number.isFinite(upstreamDirectRps) ? `upstream alone (GET, 64 connections): ${upstreamDirectRps.toFixed(0)} requests/s\n` : '';
  process.stdout.write(`\n${Object.entries(report.machine).map(([key, value]) => `${key}: ${value}`).join('\n')}\n${headroom}\n${lines.join('\n')}\n\nJSON: ${flags.out}\n`);
  writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
