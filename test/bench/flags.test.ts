// The bench and soak scripts are run by hand with flags typed by hand: a typo, a bad number or
// --help gets a usage line and an exit code, never a stack trace (and never a half-started run).
import t from 'tap';
import { join } from 'node:path';
import { repoRoot } from '../fixtures/paths.js';
import { runCommand } from '../fixtures/processes.js';

const SCRIPTS = {
  bench: join(repoRoot, 'dist', 'test', 'bench', 'bench.js'),
  soak: join(repoRoot, 'dist', 'test', 'bench', 'soak.js'),
} as const;

const CASES: readonly { readonly args: readonly string[]; readonly status: number; readonly says: RegExp; readonly on: 'stdout' | 'stderr' }[] = [
  { args: ['--bogus'], status: 2, says: /^(bench|soak): Unknown option '--bogus'/, on: 'stderr' },
  { args: ['--rounds', 'many'], status: 2, says: /--rounds must be a number, not "many"/, on: 'stderr' },
  { args: ['--minutes', 'x'], status: 2, says: /--minutes must be a number above 0, not "x"/, on: 'stderr' },
  { args: ['--only', 'lst'], status: 2, says: /--only: no scenario "lst"; the scenarios are startup, /, on: 'stderr' },
  { args: ['--help'], status: 0, says: /^usage: /, on: 'stdout' },
];

for (const [name, script] of Object.entries(SCRIPTS)) {
  for (const { args, status, says, on } of CASES) {
    // Each case is meant for the script that has the flag; the other must refuse it as unknown.
    const known = args[0] === '--help' || (name === 'soak') === (args[0] === '--minutes');
    t.test(`${name} ${args.join(' ')}`, async (t) => {
      const run = await runCommand(process.execPath, [script, ...args], { timeoutMs: 20_000 });
      t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
      if (known) {
        t.equal(run.status, status, `exit ${status}`);
        t.match(run[on], says);
      } else {
        t.equal(run.status, 2, 'exit 2');
        t.match(run.stderr, new RegExp(`^${name}: Unknown option '${args[0]}'`));
      }
      if (run.status === 2) t.match(run.stderr, /\nusage: /, 'with the usage line');
    });
  }
}
