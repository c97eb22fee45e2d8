import t from 'tap';
import { FLAG_TABLE as FLAG_SPECS } from '../../src/options/flag-table.js';
import { parseFlags, parseGoDuration } from '../../src/cli/parse-flags.js';

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
    [['--reject-hosts=x'], /^unknown flag: --reject-hosts/],
    [['-x'], /^unknown shorthand flag: 'x' in -x/],
    [['--port=abc'], /invalid argument "abc" for "-p, --port" flag: strconv.ParseInt/],
    [['--keepalive=abc'], /invalid argument "abc" for "--keepalive" flag: time: invalid duration "abc"/],
    [['--disable-filter=maybe'], /invalid argument "maybe" for "--disable-filter" flag/],
    [['--port'], /flag needs an argument: --port/],
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
