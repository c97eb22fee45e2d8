#!/usr/bin/env node
// Entry point: hands the real process to main() and sets the exit code; nothing else.

// First import: SIGUSR1 must never open the inspector, not even while the rest loads.
import './no-inspector-signal.js';
import './wasm-baseline-only.js';
import { homedir } from 'node:os';
import { commandName } from './cli/help.js';
import { main } from './cli/main.js';

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  homedir: homedir(),
  // `kubectl gate` when kubectl runs this file as its plugin kubectl-gate.
  programName: commandName(process.argv[1]),
  stdinIsTerminal: process.stdin.isTTY === true,
  onUnhandledRejection(handler) {
    process.on('unhandledRejection', handler);
    return () => process.off('unhandledRejection', handler);
  },
  onShutdownSignal(handler) {
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    return () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    };
  },
});
// Exit explicitly: after a failed start or a shutdown nothing kubegate owns is left running, and a
// socket a client keeps half-open must not keep the process alive.
process.exit(exitCode);
