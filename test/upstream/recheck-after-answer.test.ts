import t from 'tap';
import { Writable } from 'node:stream';
import type { Credentials } from '../../src/auth/credentials.js';
import { createLogger } from '../../src/log.js';
import { recheckAfterAnswer } from '../../src/upstream/recheck-after-answer.js';
import { noCredentials } from '../fixtures/credentials.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function recordingLogger(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ verbosity: 0, destination }) };
}

t.test('answers ending in one turn make one recheck, after that turn; the next turn another', async (t) => {
  let rechecks = 0;
  const credentials: Credentials = { ...noCredentials, recheck: () => void rechecks++ };
  const { logger } = recordingLogger();
  for (let i = 0; i < 5; i++) recheckAfterAnswer(credentials, logger);
  t.equal(rechecks, 0, 'not inside the answer');
  await turn();
  t.equal(rechecks, 1);
  recheckAfterAnswer(credentials, logger);
  await turn();
  t.equal(rechecks, 2);
});

t.test('each context\'s credentials are rechecked on their own', async (t) => {
  const seen: string[] = [];
  const { logger } = recordingLogger();
  recheckAfterAnswer({ ...noCredentials, recheck: () => void seen.push('a') }, logger);
  recheckAfterAnswer({ ...noCredentials, recheck: () => void seen.push('b') }, logger);
  await turn();
  t.same(seen.sort(), ['a', 'b']);
});

t.test('a recheck that throws is reported as kubegate\'s bug, and the process serves on', async (t) => {
  const { lines, logger } = recordingLogger();
  recheckAfterAnswer({ ...noCredentials, recheck: () => { throw new Error('a bug'); } }, logger);
  await turn();
  await turn();
  t.match(lines.join(''), /internal error in kubegate \(please report it\): the credential file recheck after an answer threw; still serving/);
  t.match(lines.join(''), /a bug/);
});
