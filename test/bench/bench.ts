// `npm run bench`: kubegate and the real `kubectl proxy`, side by side in one run, against the same
// upstream and kubeconfig, interleaved round by round. kubectl runs twice per round (kubectl and
// kubectl-again, two "proxies" of one program), so the table shows the machine's own noise next to
// every kubegate/kubectl ratio; the order rotates each round so no proxy always goes first.
// The proxy under test runs alone on core 0 (taskset); this driver, the load generators (autocannon,
// and wrk when it is on PATH), the upstream and the WAN link emulator on core 1. Prints medians with
// their spread over rounds, the ratios and the issue's targets, and writes them as JSON.

import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createPki } from '../../src/demo-cluster/pki.js';
import { DEFAULT_LINK } from './link-emulator.js';
import { PROXIES, buildRows, floorGaps, formatFloorTable, formatPaired, formatTable, pairedMedian, percentile, type PairedMedian, type ProxyName, type Sample, type Target } from './report.js';
import {
  LIST_PATH,
  POD_COUNT,
  POD_PATH,
  POD_WATCH_PATH,
  PODS_PATH,
  UPSTREAM_MODES,
  WATCH_PATH,
  preciseNow,
  type UpstreamMessage,
  type UpstreamMode,
  type UpstreamReply,
} from './upstream.js';
import { countCollections, formatTimeline, parseTimelineLog, requestSpans, summariseSpans, type TimelineSummary } from './timeline.js';
import { WRK_HINT, runWrk, wrkAvailable } from './wrk.js';
import { KUBEGATE_BIN } from '../fixtures/processes.js';

const UPSTREAM_JS = fileURLToPath(new URL('./upstream.js', import.meta.url));
const LINK_JS = fileURLToPath(new URL('./link-emulator.js', import.meta.url));
const PROXY_CORE = '0';
const DRIVER_CORE = '1';

/** Every scenario, in the order they run; `--only` takes a comma-separated subset. */
const ALL_SCENARIOS = ['startup', 'get', 'get-wrk', 'list', 'list-wrk', 'watch1k', 'watch10k', 'wan', 'wan-idle', 'wan-watch1k', 'single', 'floors'] as const;
const NUMERIC_FLAGS = ['rounds', 'duration', 'hold', 'watches', 'wan-rate-mbit', 'wan-delay-ms', 'wan-piece-bytes', 'wan-fetches', 'wan-gap-ms', 'wan-idle-s'] as const;
const WAN_KINDS = ['plain', 'gzip'] as const;

/** The command line, or a usage error on stderr and exit 2 (a typo is not a stack trace). */
function readFlags() {
  const usage = `usage: node dist/test/bench/bench.js [--${Object.keys(BENCH_OPTIONS).filter((name) => name !== 'help').join(' X] [--')} X] (defaults and meanings: the options at the top of test/bench/bench.ts)\n`;
  try {
    const { values } = parseArgs({ options: BENCH_OPTIONS });
    if (values.help) {
      process.stdout.write(usage);
      process.exit(0);
    }
    const unknown = values.only.split(',').filter((name) => !(ALL_SCENARIOS as readonly string[]).includes(name));
    if (unknown.length > 0) throw new Error(`--only: no scenario ${unknown.map((name) => `"${name}"`).join(', ')}; the scenarios are ${ALL_SCENARIOS.join(', ')}`);
    for (const name of NUMERIC_FLAGS) {
      if (!(Number(values[name]) >= 0)) throw new Error(`--${name} must be a number, not "${values[name]}"`);
    }
    if (!Number.isInteger(Number(values['wan-fetches']))) throw new Error(`--wan-fetches must be a whole number, not "${values['wan-fetches']}"`);
    const kinds = values['wan-kinds'].split(',');
    if (kinds.length === 0 || kinds.some((kind) => !(WAN_KINDS as readonly string[]).includes(kind))) throw new Error(`--wan-kinds takes ${WAN_KINDS.join(', ')} or both, comma-separated, not "${values['wan-kinds']}"`);
    if (!(Number(values['wan-piece-bytes']) >= 1)) throw new Error(`--wan-piece-bytes must be 1 or more, not "${values['wan-piece-bytes']}"`);
    return values;
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

const BENCH_OPTIONS = {
  help: { type: 'boolean', default: false },
  rounds: { type: 'string', default: '3' },
  duration: { type: 'string', default: '10' },
  hold: { type: 'string', default: '30' },
  watches: { type: 'string', default: '10000' },
  only: { type: 'string', default: ALL_SCENARIOS.join(',') },
  out: { type: 'string', default: 'bench-results.json' },
  'kubegate-args': { type: 'string', default: '' },
  /** The kubegate entry point to measure (default: the shipped bundle; `dist/src/bin.js` is the tsc output). */
  'kubegate-bin': { type: 'string', default: KUBEGATE_BIN },
  /** Node options for kubegate's process, space-separated (the container image's: `--max-semi-space-size=2`). */
  'kubegate-node-args': { type: 'string', default: '' },
  /** Write a V8 CPU profile of every kubegate run into this directory (for finding where time goes). */
  profile: { type: 'string' },
  /**
   * Time each request's socket events inside kubegate (socket-timeline.ts, loaded with --import) and
   * print the medians: where a cold request's time goes, to tens of microseconds. Meant for the
   * scenarios that send one request per connection (wan, single); it adds a few µs per event.
   */
  timeline: { type: 'boolean', default: false },
  /** `precomputed` (answers built once: never the limit) or `apiserver` (JSON encoded per request, real pods, real watch changes). */
  upstream: { type: 'string', default: 'precomputed' },
  /** `off` skips the second kubectl run of each round (and the noise column). */
  'kubectl-again': { type: 'string', default: 'on' },
  /** The WAN scenario's link, each direction: rate and one-way delay. */
  'wan-rate-mbit': { type: 'string', default: String(DEFAULT_LINK.rateMbit) },
  'wan-delay-ms': { type: 'string', default: String(DEFAULT_LINK.delayMs) },
  /** The largest piece the link hands on at once: one packet's payload (see link-emulator.ts). */
  'wan-piece-bytes': { type: 'string', default: String(DEFAULT_LINK.pieceBytes) },
  /** LISTs fetched per round and encoding in the WAN scenario (the round's figure is their median). */
  'wan-fetches': { type: 'string', default: '8' },
  /** Which LISTs each proxy fetches per pass, in this order (`gzip` alone: no plain LIST's aftermath before it). */
  'wan-kinds': { type: 'string', default: WAN_KINDS.join(',') },
  /** A pause before each of a proxy's LISTs after its first in a pass (what one LIST leaves behind settles first). */
  'wan-gap-ms': { type: 'string', default: '0' },
  /** The pause before the `wan-idle` scenario's GET, in seconds. */
  'wan-idle-s': { type: 'string', default: '40' },
} as const satisfies ParseArgsConfig['options'];
const flags = readFlags();
const ROUNDS = Number(flags.rounds);
const DURATION_S = Number(flags.duration);
const HOLD_S = Number(flags.hold);
const MANY_WATCHES = Number(flags.watches);
const ONLY = new Set(flags.only.split(','));
const MODE = UPSTREAM_MODES.find((mode) => mode === flags.upstream);
const RUN_PROXIES: readonly ProxyName[] = flags['kubectl-again'] === 'off' ? PROXIES.filter((name) => name !== 'kubectl-again') : PROXIES;
const HAS_WRK = wrkAvailable();
/** Where each timed kubegate process writes its events (--timeline), read after the run. */
const TIMELINE_DIR = flags.timeline ? mkdtempSync(join(tmpdir(), 'kubegate-timeline-')) : undefined;
const TIMELINE_RECORDER = new URL('./socket-timeline.js', import.meta.url).href;

// ---------------------------------------------------------------- processes

function pinSelf(core: string): void {
  spawnSync('taskset', ['-a', '-cp', core, String(process.pid)], { stdio: 'ignore' });
}

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rssMiB: field('VmRSS'), peakMiB: field('VmHWM') };
}

/** CPU time (user + system, every thread) the process has used so far, in milliseconds. */
function cpuMsOf(pid: number): number {
  // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, counted after the `(comm)` field.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

interface Upstream {
  readonly port: number;
  /** The same upstream without client-certificate verification (for wrk, which cannot present one). */
  readonly openPort: number;
  send(message: UpstreamMessage): Promise<UpstreamReply>;
  stop(): void;
}

/** Forks a bench helper pinned to the driver core and waits for its first IPC message. */
async function forkPinned<T>(script: string, args: readonly string[]): Promise<{ child: ChildProcess; first: T }> {
  const child = spawn('taskset', ['-c', DRIVER_CORE, process.execPath, script, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [first] = (await once(child, 'message')) as [T];
  return { child, first };
}

async function startUpstream(dir: string, mode: UpstreamMode): Promise<Upstream> {
  const { child, first } = await forkPinned<UpstreamReply>(UPSTREAM_JS, [join(dir, 'server.crt'), join(dir, 'server.key'), join(dir, 'ca.crt'), mode]);
  if (first.type !== 'listening') throw new Error('the bench upstream did not start');
  return {
    port: first.port,
    openPort: first.openPort,
    send: async (message) => {
      child.send(message);
      const [reply] = (await once(child, 'message')) as [UpstreamReply];
      return reply;
    },
    stop: () => child.kill(),
  };
}

/** The WAN link emulator in front of the upstream: the port to point a kubeconfig at. */
async function startLink(upstreamPort: number): Promise<{ port: number; stop: () => void }> {
  const args = [`--target=127.0.0.1:${upstreamPort}`, `--rate-mbit=${flags['wan-rate-mbit']}`, `--delay-ms=${flags['wan-delay-ms']}`, `--piece-bytes=${flags['wan-piece-bytes']}`];
  const { child, first } = await forkPinned<{ port: number }>(LINK_JS, args);
  return { port: first.port, stop: () => child.kill() };
}

interface RunningProxy {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  readonly spawnedAt: number;
  stop(): Promise<void>;
}

function proxyCommand(name: ProxyName, kubeconfig: string, port: number): string[] {
  if (name !== 'kubegate') return ['kubectl', 'proxy', `--kubeconfig=${kubeconfig}`, `--port=${port}`];
  const extra = flags['kubegate-args'] ? flags['kubegate-args'].split(' ') : [];
  const profile = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [];
  const nodeArgs = flags['kubegate-node-args'] ? flags['kubegate-node-args'].split(' ') : [];
  const timeline = TIMELINE_DIR !== undefined ? [`--import=${TIMELINE_RECORDER}`] : [];
  return [process.execPath, ...nodeArgs, ...profile, ...timeline, resolvePath(flags['kubegate-bin']), `--kubeconfig=${kubeconfig}`, `--port=${port}`, ...extra];
}

async function startProxy(name: ProxyName, kubeconfig: string): Promise<RunningProxy> {
  const port = await freePort();
  const timeline: Record<string, string> = name === 'kubegate' && TIMELINE_DIR !== undefined ? { KUBEGATE_TIMELINE_DIR: TIMELINE_DIR } : {};
  return startPinned(name, proxyCommand(name, kubeconfig, port), port, { KUBECONFIG: kubeconfig, ...timeline });
}

/** Starts a command on the proxy core, listening (once up) on `port`. */
function startPinned(name: string, command: readonly string[], port: number, env: Record<string, string> = {}): RunningProxy {
  const spawnedAt = preciseNow();
  const child = spawn('taskset', ['-c', PROXY_CORE, ...command], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
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
      // A profiled or timed kubegate stops cleanly (SIGINT) so V8 writes the profile and the recorder
      // its events; otherwise no grace needed.
      child.kill((flags.profile || TIMELINE_DIR !== undefined) && name === 'kubegate' ? 'SIGINT' : 'SIGKILL');
      await exited;
    },
  };
}

const plainAgent = new Agent({ keepAlive: false, maxSockets: Infinity });

function httpGet(port: number, path: string, headers: Record<string, string> = {}, timeoutMs = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, headers, agent: plainAgent }, resolve).on('error', reject);
    // Until the answer's head: a proxy that takes the request and never answers must not stall the run.
    if (timeoutMs > 0) request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer in ${timeoutMs} ms`)));
  });
}

/** Spawn → the first proxied 200: the time a script waits before it can use the proxy. */
async function firstOk(proxy: RunningProxy): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await httpGet(proxy.port, POD_PATH, {}, 5_000);
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

async function load(port: number, path: string, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration: seconds, pipelining: 1 });
}

const wrkAt = (port: number, path: string, connections: number, seconds: number, scheme = 'http', headers: Record<string, string> = {}) =>
  runWrk({ url: `${scheme}://127.0.0.1:${port}${path}`, connections, seconds, core: DRIVER_CORE, headers });

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

async function scenarioGetWrk(proxy: RunningProxy): Promise<Sample> {
  await firstOk(proxy);
  return getLoadWithCpu(proxy);
}

/**
 * The wrk GET load, warmed up, with the proxy's CPU time per request: a figure that holds where
 * requests/s moves with whatever else the machine is doing.
 */
async function getLoadWithCpu(proxy: RunningProxy): Promise<Sample> {
  await wrkAt(proxy.port, POD_PATH, 64, 2);
  const pid = proxy.child.pid ?? 0;
  const cpuBefore = cpuMsOf(pid);
  const result = await wrkAt(proxy.port, POD_PATH, 64, DURATION_S);
  const cpuUsPerRequest = ((cpuMsOf(pid) - cpuBefore) * 1000) / result.requests;
  return { requestsPerSec: result.requestsPerSec, p50Ms: result.p50Ms, p90Ms: result.p90Ms, p99Ms: result.p99Ms, cpuUsPerRequest, errors: result.errors };
}

async function scenarioList(proxy: RunningProxy): Promise<Sample> {
  await firstOk(proxy);
  await load(proxy.port, LIST_PATH, 8, 2);
  const result = await load(proxy.port, LIST_PATH, 8, DURATION_S);
  return { mbPerSec: result.throughput.average / 1e6, requestsPerSec: result.requests.average, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

async function scenarioListWrk(proxy: RunningProxy): Promise<Sample> {
  await firstOk(proxy);
  await wrkAt(proxy.port, LIST_PATH, 8, 2);
  const result = await wrkAt(proxy.port, LIST_PATH, 8, DURATION_S);
  return { mbPerSec: result.bytesPerSec / 1e6, requestsPerSec: result.requestsPerSec, p99Ms: result.p99Ms, errors: result.errors };
}

interface OpenWatches {
  readonly latencies: number[];
  events(): number;
  failed(): number;
  close(): void;
}

/** Opens `count` watches through the proxy, `batch` at a time; each records every event's delivery latency. */
async function openWatches(port: number, path: string, count: number, batch: number): Promise<OpenWatches> {
  const latencies: number[] = [];
  const responses: IncomingMessage[] = [];
  let failed = 0;
  const openOne = async (): Promise<void> => {
    try {
      const response = await httpGet(port, path);
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
  };
  for (let opened = 0; opened < count; opened += batch) await Promise.all(Array.from({ length: Math.min(batch, count - opened) }, openOne));
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

/** The watched collection: pods (real objects, real changes) against the apiserver-like upstream. */
const watchPath = (): string => (MODE === 'apiserver' ? POD_WATCH_PATH : WATCH_PATH);

async function scenarioWatch1k(proxy: RunningProxy, upstream: Upstream): Promise<Sample> {
  await firstOk(proxy);
  const count = 1_000;
  const updates = 20;
  const watches = await openWatches(proxy.port, watchPath(), count, 250);
  const held = await waitForWatchers(upstream, count, 30_000);
  // The upstream changes an object every 100 ms, on its own timer, and writes each change to every watch.
  const update = await upstream.send({ type: 'update', times: updates, everyMs: 100 });
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
    upstreamTickMs: update.type === 'updated' ? update.busiestTickMs : NaN,
  };
}

async function scenarioWatchMany(proxy: RunningProxy, upstream: Upstream): Promise<Sample> {
  await firstOk(proxy);
  const watches = await openWatches(proxy.port, watchPath(), MANY_WATCHES, 500);
  const heldAtUpstream = await waitForWatchers(upstream, MANY_WATCHES, 60_000);
  await new Promise((resolve) => setTimeout(resolve, HOLD_S * 1_000));
  const stillHeld = MANY_WATCHES - watches.failed();
  const atUpstreamAfter = await waitForWatchers(upstream, MANY_WATCHES, 1);
  const peakRssMiB = memoryOf(proxy.child.pid ?? 0).peakMiB;
  watches.close();
  return { opened: heldAtUpstream, heldAfterHold: Math.min(stillHeld, atUpstreamAfter), peakRssMiB };
}

/** One LIST through the proxy, read to its last byte: milliseconds from the request to then, and bytes received. */
async function timedList(port: number, headers: Record<string, string>): Promise<{ ms: number; firstByteMs: number; bytes: number; ok: boolean }> {
  const started = preciseNow();
  const response = await httpGet(port, PODS_PATH, headers);
  let bytes = 0;
  let firstByteMs = Number.NaN;
  response.on('data', (chunk: Buffer) => {
    if (bytes === 0) firstByteMs = preciseNow() - started;
    bytes += chunk.length;
  });
  await once(response, 'end');
  return { ms: preciseNow() - started, firstByteMs, bytes, ok: response.statusCode === 200 };
}

/**
 * The WAN LISTs in pairs, over all rounds: each proxy's time less kubectl's for the same fetch (the
 * same pass over the proxies). Printed under the table (a median and its interval, `pairedMedian`).
 * Kept here rather than in the samples: a sample holds one number per metric and round, and the
 * interval needs every pair of every round.
 */
const wanPairs: Partial<Record<ProxyName, Record<(typeof WAN_KINDS)[number], number[]>>> = { kubegate: { plain: [], gzip: [] }, 'kubectl-again': { plain: [], gzip: [] } };

/**
 * The WAN scenario (issue 15): the proxies reach the upstream through the link emulator; the client
 * (this driver, on loopback) lists 2,000 pods, as a plain client and asking for gzip. The proxies'
 * LISTs take turns (one proxy's, the next's, ...; who goes first rotates): the figures differ by a
 * few milliseconds in 150, less than the upstream drifts (its JSON encoding alone takes 30 to 50 ms)
 * between one proxy's whole turn and the next's, which is what measuring them one after the other
 * compared.
 */
async function scenarioWan(proxies: readonly RunningProxy[]): Promise<Sample[]> {
  const fetches = Number(flags['wan-fetches']);
  const gapMs = Number(flags['wan-gap-ms']);
  const kinds = flags['wan-kinds'].split(',') as (typeof WAN_KINDS)[number][];
  // Each counted fetch's time, by fetch (NaN when it failed or was not asked): medians skip the NaNs, pairs need the places.
  const byFetch = (): number[] => new Array<number>(fetches).fill(NaN);
  const own = proxies.map(() => ({ ms: { plain: byFetch(), gzip: byFetch() }, firstByte: { plain: byFetch(), gzip: byFetch() }, bytes: { plain: 0, gzip: 0 }, errors: 0 }));
  // The first pass warms each proxy's connection to the upstream and its JIT; it is not counted.
  for (let fetch = 0; fetch <= fetches; fetch++) {
    for (const index of rotated(proxies.length, fetch)) {
      const mine = own[index] as (typeof own)[number];
      for (const [position, kind] of kinds.entries()) {
        if (position > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
        const result = await timedList((proxies[index] as RunningProxy).port, kind === 'gzip' ? { 'accept-encoding': 'gzip' } : {});
        if (!result.ok) mine.errors++;
        // A failed LIST's time is not a LIST's time: it is counted in `errors` only.
        if (fetch === 0 || !result.ok) continue;
        mine.ms[kind][fetch - 1] = result.ms;
        mine.firstByte[kind][fetch - 1] = result.firstByteMs;
        mine.bytes[kind] = result.bytes;
      }
    }
  }
  const kubectl = own[proxies.findIndex((proxy) => proxy.name === 'kubectl')];
  proxies.forEach((proxy, index) => {
    const pairs = wanPairs[proxy.name as ProxyName];
    if (!kubectl || !pairs) return;
    for (const kind of WAN_KINDS) pairs[kind].push(...(own[index] as (typeof own)[number]).ms[kind].map((ms, fetch) => ms - (kubectl.ms[kind][fetch] as number)));
  });
  // The first body byte: the request's way out and the API server's work; the rest is the body crossing the link.
  return own.map((mine) => ({ plainMs: percentile(mine.ms.plain, 50), gzipMs: percentile(mine.ms.gzip, 50), plainFirstByteMs: percentile(mine.firstByte.plain, 50), gzipFirstByteMs: percentile(mine.firstByte.gzip, 50), plainMB: mine.bytes.plain / 1e6, gzipMB: mine.bytes.gzip / 1e6, errors: mine.errors }));
}

/** One small GET through the proxy: milliseconds from the request to its last byte. */
async function timedGet(port: number): Promise<{ ms: number; ok: boolean }> {
  const started = preciseNow();
  const response = await httpGet(port, POD_PATH);
  response.resume();
  await once(response, 'end');
  return { ms: preciseNow() - started, ok: response.statusCode === 200 };
}

const WARM_GETS = 9;

/**
 * A pause across the WAN: a small GET after the proxies have sent nothing upstream for
 * `--wan-idle-s` (a script's sleep, a person reading the last answer), then the same GET on the
 * connection that one left warm. Each proxy's connection was opened by its start-up check
 * (`firstOk`). kube-apiserver and client-go keep an idle connection 90 s; the bench upstream never
 * closes one, so a pause below 90 s measures only what the proxy does.
 */
async function scenarioWanIdle(proxies: readonly RunningProxy[]): Promise<Sample[]> {
  const own = proxies.map(() => ({ afterIdleMs: Number.NaN, warm: [] as number[], errors: 0 }));
  const ask = async (index: number): Promise<number> => {
    const result = await timedGet((proxies[index] as RunningProxy).port);
    if (!result.ok) (own[index] as (typeof own)[number]).errors++;
    // A failed GET is counted in `errors`, not timed (percentile skips NaN).
    return result.ok ? result.ms : Number.NaN;
  };
  await new Promise((resolve) => setTimeout(resolve, Number(flags['wan-idle-s']) * 1000));
  // One after another: the last proxy's pause is longer by a few round trips, nothing in 40 s.
  for (const [index, mine] of own.entries()) mine.afterIdleMs = await ask(index);
  for (let turn = 0; turn < WARM_GETS; turn++) {
    for (const index of rotated(proxies.length, turn)) own[index]?.warm.push(await ask(index));
  }
  return own.map((mine) => ({ afterIdleMs: mine.afterIdleMs, warmMs: percentile(mine.warm, 50), errors: mine.errors }));
}

const SINGLE_GETS = 60;
const SINGLE_PAUSE_MS = 100;

/**
 * One request at a time on an idle proxy, no link: a small GET every 100 ms, each on a new
 * connection (as curl and most scripts ask). What a proxy spends per request when nothing else is
 * running, its code and caches cold after each pause, which is what the WAN scenarios' few requests
 * pay on top of the link; load scenarios cannot see it.
 */
async function scenarioSingle(proxies: readonly RunningProxy[]): Promise<Sample[]> {
  const own = proxies.map(() => ({ ms: [] as number[], errors: 0 }));
  const cpuBefore = proxies.map((proxy) => cpuMsOf(proxy.child.pid ?? 0));
  for (let turn = 0; turn < SINGLE_GETS; turn++) {
    for (const index of rotated(proxies.length, turn)) {
      const mine = own[index] as (typeof own)[number];
      const result = await getAfterPause((proxies[index] as RunningProxy).port);
      if (!result.ok) mine.errors++;
      else mine.ms.push(result.ms);
    }
  }
  // CPU over the whole scenario, the pauses included (a proxy's timers count against it too); /proc
  // counts in 10 ms ticks, so over 60 requests the figure moves in steps of about 170 µs.
  const cpuUs = proxies.map((proxy, index) => ((cpuMsOf(proxy.child.pid ?? 0) - (cpuBefore[index] as number)) * 1000) / SINGLE_GETS);
  return own.map((mine, index) => ({ p50Ms: percentile(mine.ms, 50), p90Ms: percentile(mine.ms, 90), cpuUsPerRequest: cpuUs[index] as number, errors: mine.errors }));
}

/** A small GET after SINGLE_PAUSE_MS without requests: the proxy idle, as a person or a script's loop leaves it. */
async function getAfterPause(port: number): Promise<{ ms: number; ok: boolean }> {
  await new Promise((resolve) => setTimeout(resolve, SINGLE_PAUSE_MS));
  return timedGet(port);
}

/** 0..n-1 starting at `turn` mod n: who goes first changes every turn. */
const rotated = (n: number, turn: number): number[] => Array.from({ length: n }, (_, offset) => (offset + turn) % n);

// ---------------------------------------------------------------- floors

const FLOORS_DIR = fileURLToPath(new URL('./floors/', import.meta.url));
/**
 * The floors (issue 17): kubegate's stack layer by layer with nothing of kubegate's, each bundled as
 * kubegate is, against the same upstream; what kubegate spends above the first is its own.
 */
const FLOORS: Readonly<Record<string, string>> = { 'fastify+undici': 'forward-fastify', 'node:http+undici': 'forward-undici', 'node:http+https': 'forward-node' };
const EMPTY_NODE = "node -e ''";
const FLOORS_LEGEND =
  `floors: the same steps for each (start-up to the first proxied 200, idle RSS after 2 s, p50 of single GETs 100 ms apart, wrk GET with 64 connections), median (min–max) over rounds; ${EMPTY_NODE}: start-up is spawn to exit`;

/** Bundles each floor with kubegate's own bundle settings: package.json's `bundle` script gives the same options on its command line (change both together). */
async function bundleFloors(dir: string): Promise<Record<string, string>> {
  const { build } = await import('esbuild');
  const bundles: Record<string, string> = {};
  for (const [name, entry] of Object.entries(FLOORS)) {
    const outfile = join(dir, 'floors', `${entry}.mjs`);
    await build({
      entryPoints: [join(FLOORS_DIR, `${entry}.js`)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      minifyWhitespace: true,
      external: ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
      banner: { js: "import{createRequire as floorCreateRequire}from'node:module';const require=floorCreateRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    bundles[name] = outfile;
  }
  return bundles;
}

/**
 * Start-up, idle memory, one GET at a time on the idle member (as in the `single` scenario, before
 * any load has warmed it), then the wrk GET load with CPU per request: the same steps for every member.
 */
async function scenarioFloor(proxy: RunningProxy): Promise<Sample> {
  const startupMs = await firstOk(proxy);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleRssMiB = memoryOf(proxy.child.pid ?? 0).rssMiB;
  const single: number[] = [];
  for (let get = 0; get < SINGLE_GETS; get++) single.push((await getAfterPause(proxy.port)).ms);
  return { startupMs, idleRssMiB, singleGetMs: percentile(single, 50), ...(await getLoadWithCpu(proxy)) };
}

/** Node itself: `node -e ''` from spawn to exit, and an idle `node` after 2 s. */
async function emptyNodeSample(): Promise<Sample> {
  const started = preciseNow();
  const empty = spawn('taskset', ['-c', PROXY_CORE, process.execPath, '-e', ''], { stdio: 'ignore' });
  await once(empty, 'exit');
  const startupMs = preciseNow() - started;
  const idle = spawn('taskset', ['-c', PROXY_CORE, process.execPath, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleRssMiB = memoryOf(idle.pid ?? 0).rssMiB;
  const exited = once(idle, 'exit');
  idle.kill('SIGKILL');
  await exited;
  return { startupMs, idleRssMiB };
}

async function runFloors(setup: Setup): Promise<Record<string, Sample[]>> {
  const bundles = await bundleFloors(setup.dir);
  const members = ['kubegate', 'kubectl', ...Object.keys(bundles), EMPTY_NODE];
  const samples: Record<string, Sample[]> = Object.fromEntries(members.map((member) => [member, []]));
  const floorCommand = (bundle: string, port: number): string[] => [
    process.execPath,
    bundle,
    `--port=${port}`,
    `--server=https://127.0.0.1:${setup.upstream.port}`,
    `--ca=${join(setup.dir, 'ca.crt')}`,
    `--cert=${join(setup.dir, 'client.crt')}`,
    `--key=${join(setup.dir, 'client.key')}`,
  ];
  const startMember = async (member: string): Promise<RunningProxy> => {
    const bundle = bundles[member];
    if (bundle === undefined) return startProxy(member as ProxyName, setup.kubeconfig);
    const port = await freePort();
    return startPinned(member, floorCommand(bundle, port), port);
  };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const member of members.map((_, index) => members[(index + round - 1) % members.length] as string)) {
      let sample: Sample;
      if (member === EMPTY_NODE) {
        sample = await emptyNodeSample();
      } else {
        const proxy = await startMember(member);
        try {
          sample = await scenarioFloor(proxy);
        } finally {
          await proxy.stop();
        }
      }
      samples[member]?.push(sample);
      process.stderr.write(`floors round ${round} ${member}: ${JSON.stringify(sample)}\n`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return samples;
}

// ---------------------------------------------------------------- report

const TARGETS: readonly Target[] = [
  { scenario: 'get', metric: 'requestsPerSec', kind: '>=', want: 1.25 },
  { scenario: 'get', metric: 'p99Ms', kind: '<=', want: 0.8 },
  { scenario: 'get-wrk', metric: 'requestsPerSec', kind: '>=', want: 1.25 },
  { scenario: 'get-wrk', metric: 'p99Ms', kind: '<=', want: 0.8 },
  { scenario: 'list', metric: 'mbPerSec', kind: '>=', want: 1.1 },
  { scenario: 'list-wrk', metric: 'mbPerSec', kind: '>=', want: 1.1 },
  { scenario: 'watch1k', metric: 'deliveredPercent', kind: 'all', want: 100 },
  { scenario: 'watch1k', metric: 'p99Ms', kind: '<=', want: 1.0 },
  { scenario: 'watch1k', metric: 'peakRssMiB', kind: '<=', want: 1.0 },
  { scenario: 'watch10k', metric: 'heldAfterHold', kind: 'all', want: Number.NaN },
  { scenario: 'watch10k', metric: 'peakRssMiB', kind: '<=', want: 0.5 },
  { scenario: 'startup', metric: 'startupMs', kind: '<=', want: 2.5 },
  { scenario: 'startup', metric: 'idleRssMiB', kind: '<=', want: 1.3 },
  { scenario: 'wan', metric: 'plainMs', kind: '<=', want: 1.0 },
  { scenario: 'wan', metric: 'gzipMs', kind: '<=', want: 1.0 },
  { scenario: 'wan-idle', metric: 'afterIdleMs', kind: '<=', want: 1.0 },
];

function machine(): Record<string, string | number> {
  const kubectl = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  const kubectlVersion = (JSON.parse(kubectl.stdout || '{}') as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';
  const wrk = HAS_WRK ? (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split(/ Copyright|\n/)[0] ?? 'wrk').trim() : 'not on PATH';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    kubectl: kubectlVersion,
    wrk,
    upstream: MODE ?? 'unknown',
    pinning: `proxy on core ${PROXY_CORE} (wan, wan-idle, single: a round's proxies together, asked in turns); driver, load generators, upstream and link emulator on core ${DRIVER_CORE}`,
    wan: `${flags['wan-rate-mbit']} Mbit/s and ${flags['wan-delay-ms']} ms each way in pieces of ${flags['wan-piece-bytes']} bytes; LISTs ${flags['wan-kinds']}, ${flags['wan-gap-ms']} ms apart; wan-idle pause ${flags['wan-idle-s']} s`,
  };
}

// ---------------------------------------------------------------- run

interface Setup {
  readonly dir: string;
  readonly upstream: Upstream;
  readonly client: { readonly certPem: string; readonly keyPem: string };
  readonly kubeconfig: string;
  writeKubeconfig(name: string, port: number): string;
}

async function setUp(mode: UpstreamMode): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-bench-'));
  const pki = await createPki();
  const client = await pki.ca.issueClientCertificate('bench-admin', ['system:masters']);
  writeFileSync(join(dir, 'ca.crt'), pki.ca.certPem);
  writeFileSync(join(dir, 'server.crt'), pki.server.certPem);
  writeFileSync(join(dir, 'server.key'), pki.server.keyPem);
  writeFileSync(join(dir, 'client.crt'), client.certPem);
  writeFileSync(join(dir, 'client.key'), client.keyPem);
  const upstream = await startUpstream(dir, mode);
  // The server's certificate names 127.0.0.1, so a kubeconfig may point at any loopback port: the
  // link emulator's relays the TLS bytes untouched and the proxies verify the upstream through it.
  const writeKubeconfig = (name: string, port: number): string => {
    const file = join(dir, name);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: bench, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: ${join(dir, 'ca.crt')}}}]`,
        `users: [{name: bench, user: {client-certificate: ${join(dir, 'client.crt')}, client-key: ${join(dir, 'client.key')}}}]`,
        'contexts: [{name: bench, context: {cluster: bench, user: bench}}]',
        'current-context: bench',
        '',
      ].join('\n'),
    );
    return file;
  };
  return { dir, upstream, client, kubeconfig: writeKubeconfig('kubeconfig', upstream.port), writeKubeconfig };
}

/**
 * Headroom: the same GET straight at the upstream (over TLS) must be faster than either proxy, or
 * the upstream would be what the GET numbers measure. autocannon presents the client certificate;
 * wrk cannot, so it uses the upstream's second port, which asks for none (keep-alive makes the
 * handshake a one-off either way).
 */
async function measureUpstreamAlone(setup: Setup): Promise<Record<string, number>> {
  const direct = await autocannon({
    url: `https://127.0.0.1:${setup.upstream.port}${POD_PATH}`,
    connections: 64,
    duration: DURATION_S,
    tlsOptions: { cert: setup.client.certPem, key: setup.client.keyPem },
  } as autocannon.Options);
  // Keyed by what was measured: the report prints each as `upstream alone (MODE, KEY)`.
  const figures: Record<string, number> = { 'GET, 64 connections, autocannon': direct.requests.average };
  process.stderr.write(`upstream direct GET (${MODE}, autocannon): ${direct.requests.average.toFixed(0)} requests/s (${direct.non2xx + direct.errors} errors)\n`);
  if (HAS_WRK) {
    const wrk = await wrkAt(setup.upstream.openPort, POD_PATH, 64, DURATION_S, 'https');
    figures['GET, 64 connections, wrk'] = wrk.requestsPerSec;
    process.stderr.write(`upstream direct GET (${MODE}, wrk): ${wrk.requestsPerSec.toFixed(0)} requests/s (${wrk.errors} errors)\n`);
  }
  if (HAS_WRK && (ONLY.has('list') || ONLY.has('list-wrk'))) {
    // As both proxies ask for it for a client that sends no Accept-Encoding: gzipped by the upstream.
    const list = await wrkAt(setup.upstream.openPort, LIST_PATH, 8, DURATION_S, 'https', { 'accept-encoding': 'gzip' });
    figures['LIST asking for gzip, 8 connections, wrk'] = list.requestsPerSec;
    process.stderr.write(`upstream direct LIST gzip (${MODE}, wrk): ${list.requestsPerSec.toFixed(1)} requests/s (${list.errors} errors)\n`);
  }
  return figures;
}

interface ScenarioBase {
  readonly rounds: number;
  /** Who generates the load: named in the table next to every figure. */
  readonly generator: string;
  readonly needsWrk?: boolean;
  /** `wan`: the proxies use the kubeconfig that points at the link emulator. */
  readonly link?: boolean;
}

/**
 * A scenario measures each proxy alone on the proxy core (`run`, for load), or all of a round's
 * proxies started together and asked in turns (`runTogether`, for one request at a time, where
 * nothing runs at once and pairing the turns cancels the upstream's drift).
 */
type Scenario = ScenarioBase & ({ run(proxy: RunningProxy): Promise<Sample> } | { runTogether(proxies: readonly RunningProxy[]): Promise<Sample[]> });

function scenarios(upstream: Upstream): Record<string, Scenario> {
  return {
    startup: { rounds: Math.max(ROUNDS, 5), generator: 'bench client', run: scenarioStartup },
    get: { rounds: ROUNDS, generator: 'autocannon', run: scenarioGet },
    'get-wrk': { rounds: ROUNDS, generator: 'wrk', needsWrk: true, run: scenarioGetWrk },
    list: { rounds: ROUNDS, generator: 'autocannon', run: scenarioList },
    'list-wrk': { rounds: ROUNDS, generator: 'wrk', needsWrk: true, run: scenarioListWrk },
    watch1k: { rounds: ROUNDS, generator: 'bench client', run: (proxy) => scenarioWatch1k(proxy, upstream) },
    watch10k: { rounds: 1, generator: 'bench client', run: (proxy) => scenarioWatchMany(proxy, upstream) },
    wan: { rounds: ROUNDS, generator: 'bench client', link: true, runTogether: scenarioWan },
    'wan-idle': { rounds: ROUNDS, generator: 'bench client', link: true, runTogether: scenarioWanIdle },
    single: { rounds: ROUNDS, generator: 'bench client', runTogether: scenarioSingle },
    // The 1,000 watches of a remote cluster: every change crosses the emulated link to both proxies.
    'wan-watch1k': { rounds: ROUNDS, generator: 'bench client', link: true, run: (proxy) => scenarioWatch1k(proxy, upstream) },
  };
}

/** Round r runs the proxies in the list's order rotated by r - 1: each is first, middle and last in turn. */
const roundOrder = (round: number): ProxyName[] => RUN_PROXIES.map((_, index) => RUN_PROXIES[(index + round - 1) % RUN_PROXIES.length] as ProxyName);

async function runScenario(name: string, scenario: Scenario, kubeconfig: string): Promise<Record<ProxyName, Sample[]>> {
  const byProxy: Record<ProxyName, Sample[]> = { kubectl: [], kubegate: [], 'kubectl-again': [] };
  const record = (round: number, proxyName: ProxyName, sample: Sample): void => {
    byProxy[proxyName].push(sample);
    process.stderr.write(`${name} round ${round} ${proxyName}: ${JSON.stringify(sample)}\n`);
  };
  for (let round = 1; round <= scenario.rounds; round++) {
    if ('runTogether' in scenario) {
      const order = roundOrder(round);
      const proxies: RunningProxy[] = [];
      try {
        for (const proxyName of order) {
          const proxy = await startProxy(proxyName, kubeconfig);
          proxies.push(proxy);
          await firstOk(proxy);
        }
        const samples = await scenario.runTogether(proxies);
        order.forEach((proxyName, index) => record(round, proxyName, samples[index] as Sample));
      } finally {
        for (const proxy of proxies) await proxy.stop();
      }
      continue;
    }
    for (const proxyName of roundOrder(round)) {
      const proxy = await startProxy(proxyName, kubeconfig);
      try {
        record(round, proxyName, await scenario.run(proxy));
      } finally {
        await proxy.stop();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return byProxy;
}

async function runAll(setup: Setup): Promise<{ samples: Record<string, Record<ProxyName, Sample[]>>; generators: Record<string, string> }> {
  const samples: Record<string, Record<ProxyName, Sample[]>> = {};
  const generators: Record<string, string> = {};
  for (const [name, scenario] of Object.entries(scenarios(setup.upstream))) {
    if (!ONLY.has(name)) continue;
    if (scenario.needsWrk && !HAS_WRK) {
      process.stderr.write(`${name}: ${WRK_HINT}\n`);
      continue;
    }
    generators[name] = scenario.generator;
    if (!scenario.link) {
      samples[name] = await runScenario(name, scenario, setup.kubeconfig);
      continue;
    }
    const link = await startLink(setup.upstream.port);
    try {
      samples[name] = await runScenario(name, scenario, setup.writeKubeconfig('kubeconfig-wan', link.port));
    } finally {
      link.stop();
    }
  }
  return { samples, generators };
}

/** The lines under the table for `wan`: kubegate and kubectl-again against kubectl, fetch by fetch. */
function wanPairedText(paired: Readonly<Record<string, { readonly plain: PairedMedian; readonly gzip: PairedMedian }>>): string {
  const figure = (name: ProxyName, kind: 'plain' | 'gzip'): string => {
    const pairs = paired[name]?.[kind] ?? pairedMedian([]);
    return `${name} ${formatPaired(pairs)}, ${pairs.pairs} pairs`;
  };
  const line = (kind: 'plain' | 'gzip'): string => `wan ${kind}: ${figure('kubegate', kind)}; ${figure('kubectl-again', kind)}`;
  return `wan in pairs (each LIST less kubectl's for the same fetch, in the same pass over the proxies; median and its 95% interval over all rounds):\n${line('plain')}\n${line('gzip')}`;
}

async function main(): Promise<void> {
  if (spawnSync('taskset', ['--version']).error) throw new Error('taskset (util-linux) is required to pin processes to cores');
  if (spawnSync('kubectl', ['version', '--client']).error) throw new Error('kubectl is required on PATH: the benchmark compares against the real kubectl proxy');
  if (!MODE) throw new Error(`--upstream must be one of ${UPSTREAM_MODES.join(', ')}`);
  if (!HAS_WRK) process.stderr.write(`bench: ${WRK_HINT}\n`);
  pinSelf(DRIVER_CORE);
  const setup = await setUp(MODE);
  const { upstreamDirectRps, run } = await (async () => {
    try {
      const direct = ['get', 'get-wrk', 'floors', 'list', 'list-wrk'].some((name) => ONLY.has(name)) ? await measureUpstreamAlone(setup) : {};
      const all = await runAll(setup);
      if (ONLY.has('floors') && !HAS_WRK) process.stderr.write(`floors: ${WRK_HINT}\n`);
      const floors = ONLY.has('floors') && HAS_WRK ? await runFloors(setup) : undefined;
      return { upstreamDirectRps: direct, run: { ...all, floors } };
    } finally {
      setup.upstream.stop();
      rmSync(setup.dir, { recursive: true, force: true });
    }
  })();
  const results = buildRows(run.samples, run.generators, TARGETS, MANY_WATCHES);
  const settings = { rounds: ROUNDS, durationSeconds: DURATION_S, holdSeconds: HOLD_S, manyWatches: MANY_WATCHES, upstream: MODE, proxies: RUN_PROXIES, podsInWanList: POD_COUNT, kubegateNodeArgs: flags['kubegate-node-args'] };
  const wanPaired = Object.fromEntries(Object.entries(wanPairs).map(([name, pairs]) => [name, { plain: pairedMedian(pairs.plain), gzip: pairedMedian(pairs.gzip) }]));
  const timeline = readTimeline();
  const report = { machine: machine(), settings, upstreamDirectRps, results, samples: run.samples, wanPaired, floors: run.floors ?? null, timeline: timeline ?? null };
  const headroom = Object.entries(upstreamDirectRps)
    .map(([what, rps]) => `upstream alone (${MODE}, ${what}): ${rps.toFixed(rps < 100 ? 1 : 0)} requests/s\n`)
    .join('');
  const legend = 'each figure: median over rounds (min–max); ratio = kubegate/kubectl; noise = kubectl-again/kubectl (two runs of kubectl)';
  const floors = run.floors ? `\n\n${FLOORS_LEGEND}\n${formatFloorTable(run.floors)}\n${floorGaps(run.floors, 'kubegate', 'fastify+undici')}` : '';
  const paired = run.samples.wan ? `\n\n${wanPairedText(report.wanPaired)}` : '';
  const timed = timeline ? `\n\n${formatTimeline(timeline)}` : '';
  process.stdout.write(`\n${Object.entries(report.machine).map(([key, value]) => `${key}: ${value}`).join('\n')}\n${headroom}\n${legend}\n${formatTable(results)}${paired}${floors}${timed}\n\nJSON: ${flags.out}\n`);
  writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
}

/** The --timeline medians over every timed kubegate process of the run; undefined without --timeline. */
function readTimeline(): TimelineSummary | undefined {
  if (TIMELINE_DIR === undefined) return undefined;
  const logs = readdirSync(TIMELINE_DIR).filter((name) => name.endsWith('.log'));
  const events = logs.map((name) => parseTimelineLog(readFileSync(join(TIMELINE_DIR, name), 'utf8')));
  rmSync(TIMELINE_DIR, { recursive: true, force: true });
  const spans = events.flatMap((log) => requestSpans(log));
  if (spans.length === 0) throw new Error(`--timeline: no request was timed in ${logs.length} kubegate log(s); it needs a scenario that forwards requests (wan, single)`);
  const counts = events.map((log) => countCollections(log));
  return summariseSpans(spans, { minor: counts.reduce((sum, c) => sum + c.minor, 0), full: counts.reduce((sum, c) => sum + c.full, 0) });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
