// The few commands the demo cluster's containers can "run" for exec and attach: echo, cat, true,
// false, a tiny sh, and the `test` and `tar` that `kubectl cp` runs, over an in-memory file system.

import { posix } from 'node:path';
import { readTar, writeTar } from './tar.js';

export interface CommandIo {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** The process ended; called once. */
  exit(code: number): void;
}

export interface RunningCommand {
  stdin(data: Buffer): void;
  /** The client closed stdin (v5 close signal, or the stream ended). */
  stdinEnd(): void;
  /** The connection went away: stop without reporting. */
  kill(): void;
}

/** Exit code and stderr line of a runtime that cannot find the executable (containerd's wording). */
export const NOT_FOUND_EXIT_CODE = 127;

function runScript(script: string, io: CommandIo): number {
  // `sh -c 'echo hi; echo oops >&2; exit 3'`: statements separated by ';', only echo and exit.
  for (const statement of script.split(';').map((part) => part.trim()).filter(Boolean)) {
    const exit = /^exit(?:\s+(\d+))?$/.exec(statement);
    if (exit) return Number(exit[1] ?? 0);
    const echo = /^echo(?:\s+(.*?))?(\s*>&2)?$/.exec(statement);
    if (echo) {
      const text = Buffer.from(`${(echo[1] ?? '').replace(/^(['"])(.*)\1$/, '$2')}\n`);
      if (echo[2]) io.stderr(text);
      else io.stdout(text);
      continue;
    }
    io.stderr(Buffer.from(`sh: ${statement.split(/\s+/)[0] ?? ''}: not found\n`));
    return NOT_FOUND_EXIT_CODE;
  }
  return 0;
}

/** The containers' files: absolute path → contents (one file system for the whole demo). */
export type ContainerFiles = Map<string, Buffer>;

const isDirectory = (files: ContainerFiles, path: string): boolean => {
  const dir = path.replace(/\/+$/, '');
  return dir === '' || [...files.keys()].some((file) => file.startsWith(`${dir}/`));
};

/** `tar` as kubectl cp calls it: `tar -xmf - [-C DIR]` to receive files, `tar cf - PATH` to send them. */
function startTar(args: readonly string[], io: CommandIo, files: ContainerFiles, exit: (code: number) => void): RunningCommand {
  let directory = '/';
  const paths: string[] = [];
  let mode: 'extract' | 'create' | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-C') directory = args[++i] ?? '/';
    else if (arg.startsWith('--') || arg === '-') continue;
    else if (mode === undefined && /^-?[a-zA-Z]+$/.test(arg) && /[xc]/.test(arg)) mode = arg.includes('x') ? 'extract' : 'create';
    else paths.push(arg);
  }
  const resolve = (path: string): string => posix.resolve(directory, path);
  if (mode === 'extract') {
    const chunks: Buffer[] = [];
    return {
      stdin: (data) => chunks.push(data),
      stdinEnd: () => {
        for (const entry of readTar(Buffer.concat(chunks))) files.set(resolve(entry.name), entry.data);
        exit(0);
      },
      kill: () => exit(0),
    };
  }
  if (mode === 'create') {
    const entries = [];
    const missing: string[] = [];
    for (const path of paths) {
      const absolute = resolve(path);
      const matched = [...files.entries()].filter(([file]) => file === absolute || file.startsWith(`${absolute.replace(/\/+$/, '')}/`));
      if (matched.length === 0) missing.push(path);
      // GNU tar drops the leading '/' from member names; kubectl expects exactly that.
      for (const [file, data] of matched) entries.push({ name: file.replace(/^\/+/, ''), data });
    }
    io.stdout(writeTar(entries));
    for (const path of missing) io.stderr(Buffer.from(`tar: ${path}: Cannot stat: No such file or directory\n`));
    queueMicrotask(() => exit(missing.length > 0 ? 2 : 0));
    return { stdin() {}, stdinEnd() {}, kill: () => exit(0) };
  }
  io.stderr(Buffer.from('tar: You must specify one of the \'-Acdtrux\' options\n'));
  queueMicrotask(() => exit(2));
  return { stdin() {}, stdinEnd() {}, kill: () => exit(0) };
}

/** Starts `argv` in the emulated container. `cat` (and attach with stdin) echoes stdin until it closes. */
export function startCommand(argv: readonly string[], io: CommandIo, files: ContainerFiles = new Map()): RunningCommand {
  let done = false;
  const exit = (code: number): void => {
    if (done) return;
    done = true;
    io.exit(code);
  };
  const idle: RunningCommand = { stdin() {}, stdinEnd() {}, kill: () => (done = true) };
  const [command = '', ...args] = argv;

  switch (command) {
    case 'cat':
      return {
        stdin: (data) => {
          if (!done) io.stdout(data);
        },
        stdinEnd: () => exit(0),
        kill: () => (done = true),
      };
    case 'echo': {
      const newline = args[0] !== '-n';
      io.stdout(Buffer.from(`${(newline ? args : args.slice(1)).join(' ')}${newline ? '\n' : ''}`));
      queueMicrotask(() => exit(0));
      return idle;
    }
    case 'tar':
      return startTar(args, io, files, exit);
    case 'test': {
      // `test -d PATH` (kubectl cp asks whether the destination is a directory) and `test -f PATH`.
      const [flag, path = ''] = args;
      const yes = flag === '-d' ? isDirectory(files, path) : flag === '-f' ? files.has(path) : false;
      queueMicrotask(() => exit(yes ? 0 : 1));
      return idle;
    }
    case 'true':
    case 'false':
      queueMicrotask(() => exit(command === 'true' ? 0 : 1));
      return idle;
    case 'sh':
    case '/bin/sh':
    case 'bash': {
      const script = args[0] === '-c' ? (args[1] ?? '') : '';
      const code = runScript(script, io);
      queueMicrotask(() => exit(code));
      return idle;
    }
    default:
      io.stderr(
        Buffer.from(`OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": executable file not found in $PATH: unknown\n`),
      );
      queueMicrotask(() => exit(NOT_FOUND_EXIT_CODE));
      return idle;
  }
}
