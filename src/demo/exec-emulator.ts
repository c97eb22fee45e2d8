// The few commands the demo cluster's containers can "run" for exec and attach: echo, cat, true, false, a tiny sh.

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

/** Starts `argv` in the emulated container. `cat` (and attach with stdin) echoes stdin until it closes. */
export function startCommand(argv: readonly string[], io: CommandIo): RunningCommand {
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
