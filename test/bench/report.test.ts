// The bench's paired WAN figure: the median of per-fetch differences and its 95% interval, from order
// statistics (the binomial ranks a statistics table gives: 40 and 61 of 100, 1 and 6 of 6).
import t from 'tap';
import { formatPaired, pairedMedian } from './report.js';

t.test('a hundred differences: the median and the ranks of its 95% interval (40th and 61st)', async (t) => {
  const differences = Array.from({ length: 100 }, (_, index) => index + 1);
  t.same(pairedMedian(differences), { pairs: 100, median: 50, low: 40, high: 61 });
  // The order the fetches came in does not matter.
  const shuffled = [...differences].sort((a, b) => ((a * 37) % 101) - ((b * 37) % 101));
  t.same(pairedMedian(shuffled), { pairs: 100, median: 50, low: 40, high: 61 });
});

t.test('a failed fetch (NaN) is no pair; six pairs give the whole range, five none', async (t) => {
  t.same(pairedMedian([5, Number.NaN, 1, 4, 6, 2, 3]), { pairs: 6, median: 3, low: 1, high: 6 });
  t.same(pairedMedian([-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]), { pairs: 7, median: -0.5, low: -0.5, high: -0.5 });
  const five = pairedMedian([5, 1, 4, 2, 3]);
  t.same([five.pairs, five.median], [5, 3]);
  t.ok(Number.isNaN(five.low) && Number.isNaN(five.high), 'five pairs: even min to max is a 94% interval');
  t.equal(formatPaired(five), '+3.00 ms (too few pairs (5) for a 95% interval)');
  // Past the exact sums (2^-n underflows), the normal approximation gives the same ranks a table does.
  const many = pairedMedian(Array.from({ length: 2500 }, (_, index) => index + 1));
  t.same([many.low, many.high], [1201, 1300]);
  const none = pairedMedian([Number.NaN]);
  t.equal(none.pairs, 0);
  t.ok(Number.isNaN(none.median) && Number.isNaN(none.low) && Number.isNaN(none.high), 'no pairs, no figures');
});

t.test('printed with signs, in milliseconds', async (t) => {
  t.equal(formatPaired({ pairs: 120, median: 0.7, low: -0.54, high: 2.07 }), '+0.70 ms (95%: -0.54 to +2.07)');
  t.equal(formatPaired({ pairs: 120, median: -1.25, low: -3, high: 0 }), '-1.25 ms (95%: -3.00 to +0.00)');
  t.equal(formatPaired(pairedMedian([])), '-');
});
