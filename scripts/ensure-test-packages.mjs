// Before `npm test`: what the end-to-end tests drive that npm cannot install, from Debian's packages:
// Chromium for the browser tests (test/e2e/ui.test.ts) and the official Python client
// (python3-kubernetes, for Debian's /usr/bin/python3) as a client kubegate did not write. Installs what is
// missing with apt-get when this runs as root; otherwise says what to run. Never downloads anything any
// other way, and never fails the whole run: the tests that need a package fail, loudly, without it.

import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Each package, and how to tell it is there. */
const PACKAGES = [
  { name: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { name: 'python3-kubernetes', present: () => existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import kubernetes']).status === 0 },
];

function run(command, args) {
  console.error(`ensure-test-packages: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

const missing = PACKAGES.filter((pkg) => !pkg.present()).map((pkg) => pkg.name);
if (missing.length > 0) {
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    // A fresh machine's package lists may be empty or stale: refresh once if the first try fails.
    if (!run('apt-get', install)) {
      run('apt-get', ['update']);
      run('apt-get', install);
    }
  }
  const still = PACKAGES.filter((pkg) => missing.includes(pkg.name) && !pkg.present()).map((pkg) => pkg.name);
  if (still.length > 0) {
    console.error(`ensure-test-packages: ${still.join(', ')} missing; the tests that use them will fail. Install with: sudo apt-get ${install.slice(0, 3).join(' ')} ${still.join(' ')}`);
  }
}
