import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRETS } from '../fixtures/cluster.js';
import { repoRoot } from '../fixtures/paths.js';
import { runCommand } from '../fixtures/processes.js';

// Runs every other end-to-end suite again with kubegate at -v=9, keeps every log line each kubegate wrote,
// and searches them for the tests' credentials. Zero hits, or this fails naming the line.

const here = dirname(fileURLToPath(import.meta.url));

/** Every credential the e2e suites use, in each form it could leak in. */
function secretForms(): string[] {
  const forms = new Set<string>();
  const plain = [...Object.values(SECRETS), 'tok-revoked-by-the-server', 'browser-token'];
  for (const secret of plain) {
    forms.add(secret);
    forms.add(Buffer.from(secret).toString('base64url'));
  }
  forms.add(Buffer.from(`bob:${SECRETS.basicPassword}`).toString('base64'));
  // Key material: PEM markers of any private key, and the body of the test keys (PKCS#8 "MII..." lines).
  forms.add('PRIVATE KEY');
  return [...forms];
}

/**
 * The inner run's failures, each with the lines around it (its diagnostics and the subtest names above it),
 * so a failure seen only in CI can be read from CI's output.
 */
function failureReport(tapOutput: string): string {
  const lines = tapOutput.split('\n');
  const report: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\s*not ok /.test(line)) return;
    report.push(...lines.slice(Math.max(0, index - 6), index + 25), '----');
  });
  return report.slice(0, 400).join('\n');
}

// The re-run takes 70 to 90 s on a quiet 2-core machine and longer while other test files run beside it:
// give this file more than the project-wide 120 s, and the inner run its own limit below that.
t.setTimeout(600_000);

t.test('the whole e2e suite at -v=9 writes no credential to any log line', async (t) => {
  const logDir = mkdtempSync(join(tmpdir(), 'kubegate-v9-logs-'));
  t.teardown(() => rmSync(logDir, { recursive: true, force: true }));
  const suites = readdirSync(here)
    .filter((name) => name.endsWith('.test.js') && name !== 'redaction.test.js')
    .map((name) => join(here, name));
  t.ok(suites.length >= 8, `${suites.length} e2e suites re-run at -v=9`);

  // --test-arg gives every re-run test file an extra argument, and so t.testdir() fixture directories of
  // their own: without it the re-run and the outer run of the same file (often at the same moment) share
  // .tap/fixtures/<file>-<test>, and one run's clean-up deletes the other's files.
  const tap = join(repoRoot, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
  const run = await runCommand(process.execPath, [tap, '--reporter=tap', '--test-arg=kubegate-v9-rerun', ...suites], {
    cwd: repoRoot,
    // A clean tap run: none of this (outer) tap process's TAP_* settings leak into the inner one.
    env: { ...Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('TAP')).map((name) => [name, undefined])), KUBEGATE_E2E_VERBOSITY: '9', KUBEGATE_E2E_LOG_DIR: logDir },
    timeoutMs: 480_000,
  });
  if (run.status !== 0) t.comment(`inner run failures:\n${failureReport(run.stdout)}\n${run.stderr.slice(-2000)}`);
  t.equal(run.status, 0, 'the e2e suites pass at -v=9 too');

  const files = readdirSync(logDir);
  const lines = files.flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n').filter((line) => line.trim() !== ''));
  const traced = lines.filter((line) => line.includes('"msg":"Request headers')).length;
  const bodies = lines.filter((line) => line.includes('"msg":"Response body')).length;
  t.ok(files.length >= 30, `${files.length} kubegate processes left their logs`);
  t.ok(traced >= 100 && bodies >= 50, `the logs are really at -v=9: ${lines.length} lines, ${traced} request-header lines, ${bodies} response-body lines`);

  const forms = secretForms();
  const leaks = lines.flatMap((line) => forms.filter((form) => line.includes(form)).map((form) => `${form} in: ${line.slice(0, 300)}`));
  t.same(leaks.slice(0, 5), [], `zero credentials in ${lines.length} log lines (${leaks.length} hits)`);
  // One line per problem: a stack trace only for kubegate's own bugs (issue 16), never for a user's mistake or a network failure.
  const stacks = lines.filter((line) => /\\n\s+at /.test(line) && !line.includes('internal error'));
  t.same(stacks.slice(0, 3).map((line) => line.slice(0, 300)), [], `no stack trace in ${lines.length} log lines (${stacks.length} with one)`);
  t.comment(`redaction: ${suites.length} suites, ${files.length} kubegate processes, ${lines.length} log lines at -v=9, ${leaks.length} credential hits`);
});
