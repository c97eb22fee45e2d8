import t from 'tap';
import { Writable } from 'node:stream';
import { reportUnhandledRejection } from '../../src/observe/internal-error.js';
import { createLogger } from '../../src/log.js';

t.test('an unhandled rejection becomes one "internal error" log line with its stack, and is counted', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  let reported = 0;
  const report = reportUnhandledRejection(createLogger({ verbosity: 0, destination }), () => reported++);
  report(new Error('a bug in kubegate'));
  report('not even an Error');
  t.equal(lines.length, 2);
  const first = JSON.parse(lines[0] ?? '{}') as { level: number; msg: string; stack: string };
  t.equal(first.level, 50, 'logged as an error, visible at -v=0');
  t.match(first.msg, /^internal error in kubegate \(please report it\): .*still serving$/);
  t.match(first.stack, /^Error: a bug in kubegate\n\s+at /);
  t.match(JSON.parse(lines[1] ?? '{}'), { stack: 'not even an Error' });
  t.equal(reported, 2);
});
