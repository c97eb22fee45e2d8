// A small flag parser with spf13/pflag's rules, so every kubectl command line parses the same way here.
//
// Why not node:util parseArgs or commander: kubectl users write `--insecure-skip-tls-verify=false`,
// `-v=8`, `-p8`, `-s URL`, repeat `--as-group`, and expect pflag's error messages; neither library
// accepts all of these, and drop-in compatibility of the command line is the product.

import { usageError } from '../errors.js';
import type { FlagRow as FlagSpec, FlagValue } from '../options/flag-table.js';

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Positional arguments, ignored by kubectl proxy. */
  readonly args: readonly string[];
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values = new Map<string, FlagValue>();
  const args: string[] = [];

  const set = (spec: FlagSpec, raw: string, shown: string): void => {
    const previous = values.get(spec.name);
    const value = convert(spec, raw, shown);
    if (spec.kind === 'stringArray') {
      values.set(spec.name, [...((previous as readonly string[] | undefined) ?? []), raw]);
    } else {
      values.set(spec.name, value);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byName.get(name);
      if (!spec) throw usageError(`unknown flag: --${name}\nSee 'kubegate --help' for usage.`);
      const shown = displayName(spec);
      if (eq !== -1) {
        set(spec, arg.slice(eq + 1), shown);
      } else if (spec.kind === 'bool') {
        set(spec, 'true', shown);
      } else {
        const next = argv[i + 1];
        if (next === undefined) throw usageError(`flag needs an argument: --${name}`);
        set(spec, next, shown);
        i++;
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Short flags: -p8001, -p 8001, -p=8001, and grouped booleans (none of kubectl's, but pflag allows it).
      let j = 1;
      while (j < arg.length) {
        const letter = arg[j] as string;
        const spec = byShort.get(letter);
        if (!spec) throw usageError(`unknown shorthand flag: '${letter}' in ${arg}\nSee 'kubegate --help' for usage.`);
        const shown = displayName(spec);
        const rest = arg.slice(j + 1);
        if (spec.kind === 'bool') {
          if (rest.startsWith('=')) {
            set(spec, rest.slice(1), shown);
            break;
          }
          set(spec, 'true', shown);
          j++;
          continue;
        }
        if (rest.length > 0) {
          set(spec, rest.startsWith('=') ? rest.slice(1) : rest, shown);
        } else {
          const next = argv[i + 1];
          if (next === undefined) throw usageError(`flag needs an argument: '${letter}' in -${letter}`);
          set(spec, next, shown);
          i++;
        }
        break;
      }
      continue;
    }
    args.push(arg);
  }
  return { values, args };
}

function displayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function convert(spec: FlagSpec, raw: string, shown: string): FlagValue {
  switch (spec.kind) {
    case 'string':
    case 'stringArray':
      return raw;
    case 'bool': {
      const parsed = parseBool(raw);
      if (parsed === undefined) {
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      }
      return parsed;
    }
    case 'int': {
      if (!/^[+-]?[0-9]+$/.test(raw)) {
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      return Number.parseInt(raw, 10);
    }
    case 'duration': {
      const ms = parseGoDuration(raw);
      if (ms === undefined) {
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: time: invalid duration "${raw}"`);
      }
      return ms;
    }
    default: {
      const unreachable: never = spec.kind;
      throw new Error(`unhandled flag kind ${String(unreachable)}`);
    }
  }
}

function parseBool(raw: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  return undefined;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds: `0`, `30s`, `1m30s`, `-1s`, `1.5h`. */
export function parseGoDuration(raw: string): number | undefined {
  if (raw === '0' || raw === '+0' || raw === '-0') return 0;
  const match = /^([+-]?)((?:[0-9]*\.?[0-9]+(?:ns|us|µs|ms|s|m|h))+)$/.exec(raw);
  if (!match) return undefined;
  const sign = match[1] === '-' ? -1 : 1;
  let total = 0;
  for (const part of (match[2] as string).matchAll(/([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number.parseFloat(part[1] as string) * (DURATION_UNITS_MS[part[2] as string] as number);
  }
  return sign * total;
}
