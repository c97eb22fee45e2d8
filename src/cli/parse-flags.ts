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
      if (!spec) throw usageError(`unknown flag: --${name}`);
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
        if (!spec) throw usageError(`unknown shorthand flag: '${letter}' in ${arg}`);
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
      const parsed = parseGoInt(raw);
      if (typeof parsed === 'string') {
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing ${JSON.stringify(raw)}: ${parsed}`);
      }
      return parsed;
    }
    case 'duration': {
      const ms = parseGoDuration(raw);
      if (ms === undefined) {
        throw usageError(`invalid argument "${raw}" for "${shown}" flag: ${goDurationError(raw)}`);
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

const INT64_MAX = 2n ** 63n - 1n;

export type GoIntError = 'invalid syntax' | 'value out of range';

/**
 * pflag's int: Go's strconv.ParseInt(raw, 0, 64), so `0x10`, `0o17`, `0b101`, `017` (octal) and
 * `1_000` parse as they do for kubectl. Returns Go's reason when the value is refused.
 */
export function parseGoInt(raw: string): number | GoIntError {
  const unsigned = raw.startsWith('-') || raw.startsWith('+') ? raw.slice(1) : raw;
  if (unsigned === '' || !underscoresSeparateDigits(unsigned)) return 'invalid syntax';
  const { prefix, digits } = splitBasePrefix(unsigned);
  const clean = digits.replaceAll('_', '');
  const valid = { '0x': /^[0-9a-fA-F]+$/, '0o': /^[0-7]*$/, '0b': /^[01]+$/, '': /^[0-9]+$/ }[prefix];
  if (!valid.test(clean)) return 'invalid syntax';
  const magnitude = BigInt(`${prefix}${clean === '' ? '0' : clean}`);
  const value = raw.startsWith('-') ? -magnitude : magnitude;
  if (value > INT64_MAX || value < -INT64_MAX - 1n) return 'value out of range';
  return Number(value);
}

/** Go's base-0 prefixes: 0x, 0o, 0b (with a digit after them), else a leading 0 means octal. */
function splitBasePrefix(unsigned: string): { prefix: '0x' | '0o' | '0b' | ''; digits: string } {
  const letter = unsigned[1]?.toLowerCase();
  if (unsigned.length >= 3 && unsigned[0] === '0' && (letter === 'x' || letter === 'o' || letter === 'b')) {
    return { prefix: `0${letter}`, digits: unsigned.slice(2) };
  }
  if (unsigned[0] === '0') return { prefix: '0o', digits: unsigned.slice(1) };
  return { prefix: '', digits: unsigned };
}

/** Go's underscoreOK: an underscore only between digits, or right after a base prefix. */
function underscoresSeparateDigits(unsigned: string): boolean {
  if (!unsigned.includes('_')) return true;
  let saw: 'start' | 'digit' | 'underscore' | 'other' = 'start';
  let i = 0;
  const hex = /^0[xX]/.test(unsigned);
  if (/^0[xXoObB]/.test(unsigned)) {
    i = 2;
    saw = 'digit';
  }
  for (; i < unsigned.length; i++) {
    const char = unsigned[i] as string;
    if (/[0-9]/.test(char) || (hex && /[a-fA-F]/.test(char))) saw = 'digit';
    else if (char === '_') {
      if (saw !== 'digit') return false;
      saw = 'underscore';
    } else {
      if (saw === 'underscore') return false;
      saw = 'other';
    }
  }
  return saw !== 'underscore';
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

/** time.ParseDuration's error for a value parseGoDuration refused, in Go's words (it reads segment by segment). */
function goDurationError(raw: string): string {
  const quoted = JSON.stringify(raw);
  let rest = raw.replace(/^[+-]/, '');
  while (rest !== '') {
    const number = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)/.exec(rest);
    if (number === null) break;
    rest = rest.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') return `time: missing unit in duration ${quoted}`;
    if (!(unit in DURATION_UNITS_MS)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`;
    rest = rest.slice(unit.length);
  }
  return `time: invalid duration ${quoted}`;
}
