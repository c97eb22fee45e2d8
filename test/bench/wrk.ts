// The second load generator: wrk (C, epoll, one event loop per thread), so that no figure rests on a
// Node load generator alone. The bench installs nothing: it uses wrk when it is on PATH and says how
// to get it when not. Run as the independent check was: `wrk -t2 -c64 -d10s --latency URL`,
// pinned to the load core with taskset like autocannon's process.

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

export const WRK_HINT = 'wrk is not on PATH: its figures are skipped (Debian/Ubuntu: `apt-get install wrk`; macOS: `brew install wrk`)';

export interface WrkResult {
  readonly requestsPerSec: number;
  /** Requests completed in the run; when 0 (a run shorter than one answer), the percentiles are NaN, not wrk's 0. */
  readonly requests: number;
  /** Bytes per second of response (headers and body), as wrk's Transfer/sec. */
  readonly bytesPerSec: number;
  readonly p50Ms: number;
  readonly p75Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  readonly errors: number;
}

export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  // wrk --version prints its banner and exits 1; only a missing binary sets `error`.
  return probe.error === undefined;
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
// wrk prints byte counts in binary units (1 KB = 1024 B).
const BYTE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

function number(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? NaN : Number(match[1]);
}

function scaled(text: string, pattern: RegExp, units: Record<string, number>): number {
  const match = pattern.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return NaN;
  return Number(match[1]) * (units[match[2]] ?? NaN);
}

/** Reads wrk's report (the `--latency` form). Pure: text in, numbers out; NaN for what is missing. */
export function parseWrkOutput(text: string): WrkResult {
  const latency = (p: number): number => scaled(text, new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'), TIME_UNITS);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const requests = number(text, /^\s*(\d+) requests in /m);
  const percentile = (p: number): number => (requests > 0 ? latency(p) : NaN);
  return {
    requestsPerSec: number(text, /^Requests\/sec:\s+([\d.]+)/m),
    requests,
    bytesPerSec: scaled(text, /^Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB|TB)/m, BYTE_UNITS),
    p50Ms: percentile(50),
    p75Ms: percentile(75),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    errors: socketErrors + (non2xx ? Number(non2xx[1]) : 0),
  };
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  readonly threads?: number;
  /** The core to pin wrk to (taskset -c). */
  readonly core: string;
  /** Extra request headers (`-H`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const threads = Math.min(options.threads ?? 2, options.connections);
  const headers = Object.entries(options.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const args = ['-c', options.core, 'wrk', `-t${threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '--latency', ...headers, options.url];
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  const result = parseWrkOutput(out);
  if (code !== 0 || Number.isNaN(result.requestsPerSec)) throw new Error(`wrk ${args.slice(3).join(' ')} failed (exit ${code}):\n${out.slice(-2000)}`);
  return result;
}
