import t from 'tap';
import { RequestLog, type RecordedRequest } from '../../src/demo-cluster/request-log.js';

t.test('the log keeps the most recent requests up to its limit and counts every one', async (t) => {
  const log = new RequestLog(100);
  for (let i = 0; i < 1_000; i++) log.push({ method: 'GET', path: `/r/${i}` } as RecordedRequest);
  t.equal(log.received, 1_000);
  t.ok(log.length <= 110, `bounded (${log.length} kept)`);
  t.equal(log.last()?.path, '/r/999', 'the newest is kept');
  t.equal(log.all[0]?.path, `/r/${1_000 - log.length}`, 'the oldest are dropped first');
});
