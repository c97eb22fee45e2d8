// The bench's paired WAN figure: the median of per-fetch differences and its 95% interval, from order
// statistics (the binomial ranks a statistics table gives: 40 and 61 of 100, 1 and 6 of 6; none for 5).
import t from 'tap';
import { buildRows, formatPaired, pairedMedian } from './report.js';

t.test('a hundred differences: the median (between the 50th and 51st) and the ranks of its 95% interval (40th and 61st)', async (t) => {
  const differences = Array.from({ length: 100 }, (_, index) => index + 1);
  t.same(pairedMedian(differences), { pairs: 100, median: 50.5, low: 40, high: 61 });
  // The order the fetches came in does not matter.
  const shuffled = [...differences].sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
  t.same(pairedMedian(shuffled), { pairs: 100, median: 50.5, low: 40, high: 61 });
});

t.test('the ranks a binomial table gives, from 20 pairs to 5,000 (past where 2^-n underflows)', async (t) => {
  // [pairs, j]: the interval is the j-th and the (n+1-j)-th of the sorted differences (exact sums of binomial terms).
  for (const [pairs, rank] of [[20, 6], [120, 49], [1001, 470], [2500, 1201], [5000, 2431]] as const) {
    const found = pairedMedian(Array.from({ length: pairs }, (_, index) => index + 1));
    t.same([found.low, found.high], [rank, pairs + 1 - rank], `${pairs} pairs`);
  }
});

t.test('a failed fetch (NaN) is no pair; six pairs give the whole range, five none', async (t) => {
  t.same(pairedMedian([5, Number.NaN, 1, 4, 6, 2, 3]), { pairs: 6, median: 3.5, low: 1, high: 6 });
  t.same(pairedMedian([-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]), { pairs: 7, median: -0.5, low: -0.5, high: -0.5 });
  const five = pairedMedian([5, 1, 4, 2, 3]);
  t.same([five.pairs, five.median], [5, 3]);
  t.ok(Number.isNaN(five.low) && Number.isNaN(five.high), 'five pairs: even min to max is a 94% interval');
  t.equal(formatPaired(five), '+3.00 ms (too few pairs (5) for a 95% interval)');
  const none = pairedMedian([Number.NaN]);
  t.equal(none.pairs, 0);
  t.ok(Number.isNaN(none.median) && Number.isNaN(none.low) && Number.isNaN(none.high), 'no pairs, no figures');
});

t.test('printed with signs, in milliseconds', async (t) => {
  t.equal(formatPaired({ pairs: 120, median: 0.7, low: -0.54, high: 2.07 }), '+0.70 ms (95%: -0.54 to +2.07)');
  t.equal(formatPaired({ pairs: 120, median: -1.25, low: -3, high: 0 }), '-1.25 ms (95%: -3.00 to +0.00)');
  t.equal(formatPaired(pairedMedian([])), '-');
});

t.test('a metric nobody measured (a LIST kind --wan-kinds left out) gets no verdict, one measured does', async (t) => {
  const sample = (plainMs: number, gzipMs: number) => [{ plainMs, gzipMs }];
  const rows = buildRows({ wan: { kubectl: sample(Number.NaN, 150), kubegate: sample(Number.NaN, 149), 'kubectl-again': [] } }, { wan: 'bench client' }, [
    { scenario: 'wan', metric: 'plainMs', kind: '<=', want: 1 },
    { scenario: 'wan', metric: 'gzipMs', kind: '<=', want: 1 },
  ], 0);
  t.same(rows.map((row) => [row.metric, row.target, row.holds]), [['plainMs', '<= 1', null], ['gzipMs', '<= 1', true]]);
});
