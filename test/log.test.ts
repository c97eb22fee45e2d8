import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, levelForVerbosity, loadPrettyPrinter } from '../src/log.js';

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, destination };
}

t.test('kubectl -v levels map to log levels', async (t) => {
  t.equal(levelForVerbosity(0), 'warn');
  t.equal(levelForVerbosity(2), 'warn');
  t.equal(levelForVerbosity(3), 'info');
  t.equal(levelForVerbosity(6), 'debug');
  t.equal(levelForVerbosity(8), 'trace');
  t.equal(levelForVerbosity(9), 'trace');
});

t.test('-v=0 writes warnings but not filter decisions', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 0, destination });
  logger.info('Filter accepting GET /api');
  logger.warn('careful');
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0] as string) as unknown, { level: 40, msg: 'careful' });
});

t.test('credentials are redacted wherever they appear in a log object', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 9, destination });
  logger.trace({ headers: { authorization: 'Bearer tok-secret', cookie: 'c=secret', 'proxy-authorization': 'Basic c2VjcmV0' } }, 'request headers');
  logger.trace({ req: { headers: { authorization: 'Bearer tok-secret' } } }, 'request');
  logger.trace({ token: 'tok-secret', password: 'pw-secret', key: 'PRIVATE KEY' }, 'material');
  const text = lines.join('');
  t.notMatch(text, /tok-secret|pw-secret|c=secret|c2VjcmV0|PRIVATE KEY/);
  t.match(text, /\[REDACTED\]/);
});

t.test('text format is human-readable', async (t) => {
  const { lines, destination } = capture();
  const logger = createLogger({ verbosity: 0, destination, pretty: await loadPrettyPrinter() });
  logger.warn('readable line');
  t.match(lines.join(''), /WARN.*readable line/);
  t.notMatch(lines.join(''), /^\{/);
});
