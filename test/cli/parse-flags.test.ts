import t from 'tap';
import { FLAG_TABLE as FLAG_SPECS } from '../../src/options/flag-table.js';
import { parseFlags, parseGoDuration, parseGoInt } from '../../src/cli/parse-flags.js';

const parse = (...argv: string[]) => parseFlags(argv, FLAG_SPECS).values;

t.test('long flags take their value after = or as the next argument', async (t) => {
  t.equal(parse('--port=9000').get('port'), 9000);
  t.equal(parse('--port', '9000').get('port'), 9000);
  t.equal(parse('--address', '::1').get('address'), '::1');
  t.equal(parse('--reject-paths=^$').get('reject-paths'), '^$');
  t.equal(parse('--accept-hosts=').get('accept-hosts'), '', 'an empty value is kept, not dropped');
});

t.test('shorthands work attached, separated and with =', async (t) => {
  t.equal(parse('-p8002').get('port'), 8002);
  t.equal(parse('-p', '8002').get('port'), 8002);
  t.equal(parse('-p=8002').get('port'), 8002);
  t.equal(parse('-v=8').get('v'), 8);
  t.equal(parse('-v', '6').get('v'), 6);
  t.equal(parse('-s', 'https://k:6443').get('server'), 'https://k:6443');
  t.equal(parse('-w', 'www').get('www'), 'www');
  t.equal(parse('-P', '/s/').get('www-prefix'), '/s/');
  t.equal(parse('-u', '/tmp/s.sock').get('unix-socket'), '/tmp/s.sock');
  t.equal(parse('-n', 'kube-system').get('namespace'), 'kube-system');
});

t.test('booleans take no argument but accept =true/=false like pflag', async (t) => {
  t.equal(parse('--disable-filter').get('disable-filter'), true);
  t.equal(parse('--disable-filter=false').get('disable-filter'), false);
  t.equal(parse('--insecure-skip-tls-verify=1').get('insecure-skip-tls-verify'), true);
  const values = parse('--disable-filter', 'positional');
  t.equal(values.get('disable-filter'), true, 'the next word is not swallowed by a boolean');
});

t.test('--as-group repeats and collects every value in order', async (t) => {
  t.same(parse('--as-group=a', '--as-group', 'b').get('as-group'), ['a', 'b']);
});

t.test('--keepalive takes Go durations in milliseconds', async (t) => {
  t.equal(parse('--keepalive=30s').get('keepalive'), 30_000);
  t.equal(parse('--keepalive', '1m30s').get('keepalive'), 90_000);
  t.equal(parse('--keepalive=-1s').get('keepalive'), -1000);
  t.equal(parse('--keepalive=0').get('keepalive'), 0);
});

t.test('parseGoDuration follows time.ParseDuration', async (t) => {
  const rows: [string, number | undefined][] = [
    ['0s', 0],
    ['100ms', 100],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['abc', undefined],
    ['10', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of rows) t.equal(parseGoDuration(input), expected, input);
});

t.test('unknown and malformed flags are usage errors with pflag wording', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--reject-hosts=x'], /^unknown flag: --reject-hosts$/],
    [['-x'], /^unknown shorthand flag: 'x' in -x$/],
    [['--port=abc'], /invalid argument "abc" for "-p, --port" flag: strconv.ParseInt/],
    [['--keepalive=abc'], /invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"/],
    [['--disable-filter=maybe'], /invalid argument "maybe" for "--disable-filter" flag/],
    [['--port'], /flag needs an argument: --port/],
    [['-p'], /^flag needs an argument: 'p' in -p$/],
    [['--port=99999999999999999999'], /^invalid argument "99999999999999999999" for "-p, --port" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range$/],
    [['--port='], /^invalid argument "" for "-p, --port" flag: strconv.ParseInt: parsing "": invalid syntax$/],
    [['-v=x'], /^invalid argument "x" for "-v, --v" flag: strconv.ParseInt: parsing "x": invalid syntax$/],
    [['--keepalive=5'], /^invalid argument "5" for "--keepalive" flag: time: missing unit in duration "5"$/],
    [['--keepalive=5x'], /^invalid argument "5x" for "--keepalive" flag: time: unknown unit "x" in duration "5x"$/],
    [['--keepalive=1m5'], /^invalid argument "1m5" for "--keepalive" flag: time: missing unit in duration "1m5"$/],
    [['--keepalive='], /^invalid argument "" for "--keepalive" flag: time: invalid duration ""$/],
    [['--disable-filter='], /^invalid argument "" for "--disable-filter" flag: strconv.ParseBool: parsing "": invalid syntax$/],
    [['--as-group'], /^flag needs an argument: --as-group$/],
  ];
  for (const [argv, message] of cases) {
    t.throws(() => parseFlags(argv, FLAG_SPECS), { code: 'KG_ERR_USAGE', message }, argv.join(' '));
  }
});

t.test('positional arguments are collected and otherwise ignored, as kubectl proxy does', async (t) => {
  const parsed = parseFlags(['extra', '--port=1', '--', '--not-a-flag'], FLAG_SPECS);
  t.same(parsed.args, ['extra', '--not-a-flag']);
  t.equal(parsed.values.get('port'), 1);
});

t.test('the parser\'s messages are pflag\'s alone: the "See ... --help" line is the command\'s, with its name as invoked', async (t) => {
  for (const argv of [['--nope'], ['-x'], ['--port=abc'], ['--port']]) {
    t.throws(() => parseFlags(argv, FLAG_SPECS), { message: /^[^\n]+$/ }, `one line for ${argv.join(' ')}`);
    t.throws(() => parseFlags(argv, FLAG_SPECS), { message: /^(?![\s\S]*See ')/ }, `no See line for ${argv.join(' ')}`);
  }
});

t.test('ints parse as Go\'s strconv.ParseInt(s, 0, 64), as pflag does for kubectl (--port=0x10 is port 16)', async (t) => {
  const rows: [string, number | string][] = [
    ['8001', 8001],
    ['+5', 5],
    ['-3', -3],
    ['0', 0],
    ['0x10', 16],
    ['0X1f', 31],
    ['010', 8],
    ['0o17', 15],
    ['0b101', 5],
    ['1_000', 1000],
    ['0x_10', 16],
    ['9223372036854775807', 9223372036854775807],
    ['-9223372036854775808', -9223372036854775808],
    ['9223372036854775808', 'value out of range'],
    ['99999999999999999999', 'value out of range'],
    ['', 'invalid syntax'],
    ['-', 'invalid syntax'],
    ['08', 'invalid syntax'],
    ['0x', 'invalid syntax'],
    ['0b2', 'invalid syntax'],
    ['1__0', 'invalid syntax'],
    ['_1', 'invalid syntax'],
    ['1_', 'invalid syntax'],
    ['1e3', 'invalid syntax'],
    ['1.0', 'invalid syntax'],
    [' 1', 'invalid syntax'],
  ];
  for (const [input, expected] of rows) t.equal(parseGoInt(input), expected, JSON.stringify(input));
  t.equal(parse('--port=0x10').get('port'), 16);
  t.equal(parse('-p010').get('port'), 8);
});
