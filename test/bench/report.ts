// The bench's table: for each scenario and metric, every proxy's median over rounds with its spread
// (min–max), kubegate/kubectl against its target, and kubectl-again/kubectl next to it: the same
// program measured twice, so a reader sees how much of a ratio is the machine's noise.

export const PROXIES = ['kubectl', 'kubegate', 'kubectl-again'] as const;
export type ProxyName = (typeof PROXIES)[number];
export type Sample = Record<string, number>;

export interface Target {
  readonly scenario: string;
  readonly metric: string;
  /** kubegate/kubectl must be at least (>=) or at most (<=) this; `all` means kubegate's own value must equal `want`. */
  readonly kind: '>=' | '<=' | 'all';
  readonly want: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export interface ResultRow {
  readonly scenario: string;
  /** Which load generator produced the figure: autocannon, wrk, or the bench's own client. */
  readonly generator: string;
  readonly metric: string;
  readonly kubectl: Spread;
  readonly kubegate: Spread;
  readonly kubectlAgain: Spread | null;
  readonly ratio: number;
  /** kubectl-again/kubectl: the ratio two runs of one program give on this machine. */
  readonly noise: number;
  readonly target: string;
  readonly holds: boolean | null;
}

export function percentile(values: readonly number[], p: number): number {
  const finite = values.filter((value) => !Number.isNaN(value));
  if (finite.length === 0) return NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter((value) => !Number.isNaN(value));
  return { median: percentile(finite, 50), min: Math.min(...finite), max: Math.max(...finite), rounds: finite.length };
}

/** Two zero counts (errors) are equal, not NaN. */
export const ratioOf = (value: number, base: number): number => (value === 0 && base === 0 ? 1 : value / base);

function judge(target: Target | undefined, kubegate: number, ratio: number, allWant: number): { text: string; holds: boolean | null } {
  // No target, or nothing measured (a scenario's LIST kind not asked for): no verdict either way.
  if (!target) return { text: '', holds: null };
  if (Number.isNaN(kubegate)) return { text: `${target.kind === 'all' ? '=' : target.kind} ${target.want}`, holds: null };
  if (target.kind === 'all') {
    const want = Number.isNaN(target.want) ? allWant : target.want;
    return { text: `= ${want}`, holds: kubegate >= want };
  }
  return { text: `${target.kind} ${target.want}`, holds: target.kind === '>=' ? ratio >= target.want : ratio <= target.want };
}

export function buildRows(
  samples: Record<string, Record<ProxyName, Sample[]>>,
  generators: Record<string, string>,
  targets: readonly Target[],
  allWant: number,
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [scenario, byProxy] of Object.entries(samples)) {
    for (const metric of Object.keys(byProxy.kubegate[0] ?? byProxy.kubectl[0] ?? {})) {
      const spread = (name: ProxyName): Spread => spreadOf(byProxy[name].map((sample) => sample[metric] ?? NaN));
      const kubectl = spread('kubectl');
      const kubegate = spread('kubegate');
      const kubectlAgain = byProxy['kubectl-again'].length > 0 ? spread('kubectl-again') : null;
      const ratio = ratioOf(kubegate.median, kubectl.median);
      const verdict = judge(targets.find((entry) => entry.scenario === scenario && entry.metric === metric), kubegate.median, ratio, allWant);
      rows.push({
        scenario,
        generator: generators[scenario] ?? '',
        metric,
        kubectl,
        kubegate,
        kubectlAgain,
        ratio,
        noise: kubectlAgain ? ratioOf(kubectlAgain.median, kubectl.median) : NaN,
        target: verdict.text,
        holds: verdict.holds,
      });
    }
  }
  return rows;
}

export const formatNumber = (value: number): string => (Number.isFinite(value) ? (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2)) : String(value));

/** `median (min–max)`; a figure measured once is just the figure. */
export function formatSpread(spread: Spread | null): string {
  if (!spread) return '-';
  if (spread.rounds <= 1 || spread.min === spread.max) return formatNumber(spread.median);
  return `${formatNumber(spread.median)} (${formatNumber(spread.min)}–${formatNumber(spread.max)})`;
}

export function formatTable(rows: readonly ResultRow[]): string {
  const header = ['scenario', 'generator', 'metric', 'kubectl proxy', 'kubegate', 'ratio', 'kubectl again', 'noise', 'target', 'holds'];
  const cells = [header];
  for (const row of rows) {
    cells.push([
      row.scenario,
      row.generator,
      row.metric,
      formatSpread(row.kubectl),
      formatSpread(row.kubegate),
      formatNumber(row.ratio),
      formatSpread(row.kubectlAgain),
      row.kubectlAgain ? formatNumber(row.noise) : '-',
      row.target,
      row.holds === null ? '' : row.holds ? 'yes' : 'NO',
    ]);
  }
  return alignColumns(cells);
}

/** Rows of cells as text, each column padded to its widest cell. */
function alignColumns(cells: readonly (readonly string[])[]): string {
  const widths = (cells[0] ?? []).map((_, column) => Math.max(...cells.map((line) => (line[column] ?? '').length)));
  return cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** A median of paired differences and its 95% interval. */
export interface PairedMedian {
  readonly pairs: number;
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/**
 * The median of paired differences (one proxy's time less kubectl's for the same fetch, asked in
 * the same pass) and its distribution-free 95% interval: the order statistics at ranks j and n+1-j,
 * j the largest rank with P(Binomial(n, 1/2) < j) <= 2.5% (for 100 pairs, ranks 40 and 61). Below 6
 * pairs there is no such interval (NaN). Pairing cancels what drifts between passes (the upstream's
 * speed), which a ratio of medians keeps; the interval takes the pairs as independent, which
 * collections every few LISTs make only nearly so.
 */
export function pairedMedian(differences: readonly number[]): PairedMedian {
  const sorted = differences.filter((difference) => !Number.isNaN(difference)).sort((a, b) => a - b);
  const pairs = sorted.length;
  if (pairs === 0) return { pairs, median: NaN, low: NaN, high: NaN };
  const at = (oneBased: number): number => sorted[oneBased - 1] as number;
  const median = pairs % 2 === 1 ? at((pairs + 1) / 2) : (at(pairs / 2) + at(pairs / 2 + 1)) / 2;
  const rank = intervalRank(pairs);
  return { pairs, median, low: rank === 0 ? NaN : at(rank), high: rank === 0 ? NaN : at(pairs + 1 - rank) };
}

/**
 * j for pairedMedian: the binomial terms summed from the lowest, each from the one before. In logs,
 * because 2^-n underflows past 1,074 pairs; the terms too small for a double add nothing anyway.
 */
function intervalRank(pairs: number): number {
  let logTerm = pairs * Math.log(0.5);
  let below = 0;
  let rank = 0;
  while (rank < pairs && below + Math.exp(logTerm) <= 0.025) {
    below += Math.exp(logTerm);
    logTerm += Math.log((pairs - rank) / (rank + 1));
    rank++;
  }
  return rank;
}

const signed = (value: number): string => `${value >= 0 ? '+' : ''}${formatNumber(value)}`;

/** `+0.70 ms (95%: -0.54 to +2.07)`. */
export function formatPaired(paired: PairedMedian): string {
  if (paired.pairs === 0) return '-';
  const interval = Number.isNaN(paired.low) ? `too few pairs (${paired.pairs}) for a 95% interval` : `95%: ${signed(paired.low)} to ${signed(paired.high)}`;
  return `${signed(paired.median)} ms (${interval})`;
}

/** The floors table: one column per member (kubectl, kubegate, each floor), one row per metric. */
export function formatFloorTable(samples: Readonly<Record<string, readonly Sample[]>>): string {
  const members = Object.keys(samples);
  const metrics = [...new Set(Object.values(samples).flatMap((list) => list.flatMap((sample) => Object.keys(sample))))];
  const cells = [['metric', ...members]];
  for (const metric of metrics) {
    cells.push([
      metric,
      ...members.map((member) => {
        const values = (samples[member] ?? []).map((sample) => sample[metric] ?? NaN).filter((value) => !Number.isNaN(value));
        return values.length === 0 ? '-' : formatSpread(spreadOf(values));
      }),
    ]);
  }
  return alignColumns(cells);
}

/** How far `member` is above `floor`, metric by metric (medians): `startupMs +98.0, ...`. */
export function floorGaps(samples: Readonly<Record<string, readonly Sample[]>>, member: string, floor: string): string {
  const median = (name: string, metric: string): number => spreadOf((samples[name] ?? []).map((sample) => sample[metric] ?? NaN)).median;
  const gaps = ['startupMs', 'idleRssMiB', 'singleGetMs', 'cpuUsPerRequest', 'requestsPerSec'].map((metric) => {
    const gap = median(member, metric) - median(floor, metric);
    return `${metric} ${gap >= 0 ? '+' : ''}${formatNumber(gap)} (${formatNumber(median(member, metric) / median(floor, metric))}x)`;
  });
  return `${member} against the ${floor} floor: ${gaps.join(', ')}`;
}
