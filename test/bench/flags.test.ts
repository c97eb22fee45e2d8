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

type Script = keyof typeof SCRIPTS;
interface Case {
  readonly args: readonly string[];
  /** The scripts that have the flag; the other must refuse it as unknown. */
  readonly has: readonly Script[];
  readonly status: number;
  readonly says: RegExp;
  readonly on: 'stdout' | 'stderr';
}

const CASES: readonly Case[] = [
  { args: ['--bogus'], has: ['bench', 'soak'], status: 2, says: /^(bench|soak): Unknown option '--bogus'/, on: 'stderr' },
  { args: ['--rounds', 'many'], has: ['bench'], status: 2, says: /--rounds must be a number, not "many"/, on: 'stderr' },
  { args: ['--wan-fetches', '2.5'], has: ['bench'], status: 2, says: /--wan-fetches must be a whole number, not "2.5"/, on: 'stderr' },
  { args: ['--wan-kinds', 'gz'], has: ['bench'], status: 2, says: /--wan-kinds takes plain, gzip or both, comma-separated, not "gz"/, on: 'stderr' },
  { args: ['--wan-gap-ms', 'soon'], has: ['bench'], status: 2, says: /--wan-gap-ms must be a number, not "soon"/, on: 'stderr' },
  { args: ['--wan-piece-bytes', '0'], has: ['bench'], status: 2, says: /--wan-piece-bytes must be 1 or more, not "0"/, on: 'stderr' },
  { args: ['--only', 'lst'], has: ['bench'], status: 2, says: /--only: no scenario "lst"; the scenarios are startup, /, on: 'stderr' },
  { args: ['--minutes', 'x'], has: ['soak'], status: 2, says: /--minutes must be a number above 0, not "x"/, on: 'stderr' },
  { args: ['--help'], has: ['bench', 'soak'], status: 0, says: /^usage: /, on: 'stdout' },
];

for (const [name, script] of Object.entries(SCRIPTS) as [Script, string][]) {
  for (const { args, has, status, says, on } of CASES) {
    t.test(`${name} ${args.join(' ')}`, async (t) => {
      const run = await runCommand(process.execPath, [script, ...args], { timeoutMs: 20_000 });
      t.notMatch(run.stderr, /\n\s+at /, 'no stack trace');
      if (has.includes(name)) {
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
