// Keeps undici's HTTP/1.1 parser (llhttp, WebAssembly) on V8's baseline compiler: imported by bin.ts
// before the first connection compiles it.

import { setFlagsFromString } from 'node:v8';

/**
 * V8 compiles WebAssembly with Liftoff first and recompiles hot functions with TurboFan. llhttp is
 * one very large state-machine function: its TurboFan compile, soon after the first requests, takes
 * about 30 MiB of compiler memory for a moment, on background threads whose malloc arenas keep part
 * of it. Measured on kubegate: peak RSS 109 -> 78 MiB and idle RSS 77-88 -> 77 MiB after the first
 * GET; CPU per proxied GET unchanged within the noise (llhttp is a few percent of a request). The
 * flag is read when a module is compiled, so setting it here, before undici's first connection, is
 * enough (Node 20's V8 has the flag; one without it would print a warning and compile as before).
 */
export function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString('--liftoff-only');
}

keepWasmOnBaselineCompiler();
