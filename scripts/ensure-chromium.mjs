// Before `npm test`: the browser tests (test/e2e/ui.test.ts) drive Debian's Chromium. Installs it with
// apt-get when it is missing and this runs as root; otherwise says what to run. Never downloads a
// browser any other way, and never fails the whole run: the browser test itself fails, loudly, without it.

import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get install -y --no-install-recommends chromium';

function run(command, args) {
  console.error(`ensure-chromium: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (root && apt) {
    // A fresh machine's package lists may be empty or stale: refresh once if the first try fails.
    if (!run('apt-get', INSTALL.split(' ').slice(1))) {
      run('apt-get', ['update']);
      run('apt-get', INSTALL.split(' ').slice(1));
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`ensure-chromium: ${CHROMIUM} is missing; the browser tests will fail. Install it with: sudo ${INSTALL}`);
  }
}
