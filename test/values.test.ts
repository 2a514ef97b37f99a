/**
 * Unit tests of the validate stage's field readers (src/otlp/ ids, times, scalars, any-value,
 * attributes, limits), fed both input shapes the decoders produce: protobufjs objects (ids as
 * bytes, 64-bit values as long.js Long) and JSON.parse output of OTLP/JSON (ids as hex, 64-bit
 * values as strings or numbers).
 */
import t, { type Test } from 'tap';
import Long from 'long';
import { REJECT_REASONS, RecordRejected, type RejectCode } from '../dist/otlp/reject.js';
import { SPAN_KIND_NAMES } from '../dist/otlp/spans.js';
import { anyValueJson, anyValueText, int64Text } from '../dist/otlp/any-value.js';
import { attributesJson, findStringAttribute } from '../dist/otlp/attributes.js';
import { idToHex } from '../dist/otlp/ids.js';
import { type Adjustments, DEFAULT_LIMITS, type Limits, truncate } from '../dist/otlp/limits.js';
import { enumValue, list, str, u32 } from '../dist/otlp/scalars.js';
import { type U64, isBefore, isZero, readTime } from '../dist/otlp/times.js';


/** Assert that `fn` throws RecordRejected with `reason` (and the reason's message). */
function rejects(t: Test, fn: () => unknown, reason: RejectCode, what: string): void {
  let thrown: unknown = null;
  let returned: unknown;
  try {
    returned = fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === null) {
    t.fail(`${what}: expected ${reason}, got a result: ${typeof returned === 'bigint' ? returned : JSON.stringify(returned)}`);
    return;
  }
  if (!(thrown instanceof RecordRejected)) {
    t.fail(`${what}: expected RecordRejected ${reason}, got ${String(thrown)}`);
    return;
  }
  t.equal(thrown.reason, reason, what);
  t.ok(thrown.message.startsWith(REJECT_REASONS[reason]), `${what}: message starts with the reason text`);
}

const adjustments = (): Adjustments => ({ truncatedValues: 0, droppedAttributes: 0 });
const limitsWith = (over: Partial<Limits>): Limits => ({ ...DEFAULT_LIMITS, ...over });

// ------------------------------------------------------------------ idToHex

t.test('idToHex', async (t) => {
  const bytes16 = Uint8Array.from({ length: 16 }, (_, i) => i * 17); // 00 11 22 .. ff
  t.equal(idToHex(bytes16, 16), '00112233445566778899aabbccddeeff', '16 bytes to lowercase hex');
  t.equal(idToHex(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1]), 8), 'deadbeef00000001', '8 bytes');
  // A Buffer that is a view into a larger pool (as protobufjs hands ids out of the request).
  const pool = Buffer.from('ffff0102030405060708ffff', 'hex');
  t.equal(idToHex(pool.subarray(2, 10), 8), '0102030405060708', 'a Buffer view honours its byteOffset');

  t.equal(idToHex('5B8EFFF798038103D269B633813FC60C', 16), '5b8efff798038103d269b633813fc60c', 'upper-case hex is lowered');
  t.equal(idToHex('5b8efff798038103d269b633813fc60c', 16), '5b8efff798038103d269b633813fc60c', 'lower-case hex kept');
  t.equal(idToHex('EeE19b7eC3c1B174', 8), 'eee19b7ec3c1b174', 'mixed case');

  t.equal(idToHex(new Uint8Array(15), 16), null, '15 bytes for a trace id');
  t.equal(idToHex(new Uint8Array(17).fill(1), 16), null, '17 bytes for a trace id');
  t.equal(idToHex(new Uint8Array(16).fill(1), 8), null, '16 bytes for a span id');
  t.equal(idToHex('5b8efff798038103d269b633813fc60', 16), null, '31 hex digits');
  t.equal(idToHex('5b8efff798038103d269b633813fc60c0', 16), null, '33 hex digits');
  t.equal(idToHex('eee19b7ec3c1b17', 8), null, '15 hex digits for a span id');
  t.equal(idToHex('W48efff798038103d269b633813fc60c', 16), null, 'non-hex letter');
  t.equal(idToHex('0x8efff798038103d269b633813fc60c', 16), null, '0x prefix');
  t.equal(idToHex(' eee19b7ec3c1b17', 8), null, 'space');
  t.equal(idToHex('7u7l4KD6jh5R8X3Vbt8ESw==', 16), null, 'base64 (protobuf JSON mapping, not OTLP/JSON) is not hex');

  t.equal(idToHex(new Uint8Array(16), 16), null, 'all-zero trace id bytes');
  t.equal(idToHex(new Uint8Array(8), 8), null, 'all-zero span id bytes');
  t.equal(idToHex('0'.repeat(32), 16), null, 'all-zero trace id hex');
  t.equal(idToHex('0000000000000000', 8), null, 'all-zero span id hex');
  t.equal(idToHex('0000000000000001', 8), '0000000000000001', 'one non-zero digit is enough');

  t.equal(idToHex(new Uint8Array(0), 16), '', 'empty bytes');
  t.equal(idToHex('', 8), '', 'empty string');
  t.equal(idToHex(null, 8), '', 'null');
  t.equal(idToHex(undefined, 8), '', 'absent');

  t.equal(idToHex(12345 as never, 8), null, 'a number');
  t.equal(idToHex([1, 2, 3, 4, 5, 6, 7, 8] as never, 8), null, 'a JSON array of byte values');
  t.equal(idToHex({} as never, 8), null, 'an object');
});

// ------------------------------------------------------------------ readTime

const big = (u: U64): bigint => (BigInt(u.hi) << 32n) + BigInt(u.lo);
function time(v: unknown): bigint {
  const out = readTime(v as never);
  // The WAL columns are UINTEGER halves of a signed BIGINT: hi below 2^31, lo below 2^32.
  if (!Number.isInteger(out.hi) || out.hi < 0 || out.hi >= 2 ** 31) throw new Error(`hi ${out.hi} out of range`);
  if (!Number.isInteger(out.lo) || out.lo < 0 || out.lo >= 2 ** 32) throw new Error(`lo ${out.lo} out of range`);
  return big(out);
}

t.test('readTime: protobufjs Long', async (t) => {
  t.equal(time(Long.fromString('1700000000123456789', true)), 1700000000123456789n, 'a nanosecond time, exactly');
  t.equal(time(Long.fromString('9007199254740993', true)), 9007199254740993n, '2^53 + 1, exactly');
  t.equal(time(Long.fromString('9223372036854775807', true)), 9223372036854775807n, '2^63 - 1 is the largest time');
  t.equal(time(Long.fromBits(0xffffffff, 0, true)), 0xffffffffn, 'low half all ones');
  t.equal(time(Long.fromBits(0, 1, true)), 1n << 32n, 'high half one');
  t.equal(time(Long.UZERO), 0n, 'zero');
  t.equal(time({ low: 1, high: 2 }), (2n << 32n) + 1n, 'plain {low, high} long bits');
  t.equal(time({ low: -1, high: 0 }), 0xffffffffn, 'low as a signed int32 (how Long stores it)');
  rejects(t, () => time(Long.fromString('9223372036854775808', true)), 'GLUST_REJECT_TIME_RANGE', '2^63');
  rejects(t, () => time(Long.MAX_UNSIGNED_VALUE), 'GLUST_REJECT_TIME_RANGE', '2^64 - 1');
  rejects(t, () => time(Long.fromInt(-1)), 'GLUST_REJECT_TIME_RANGE', 'a negative signed Long');
});

t.test('readTime: JSON numbers', async (t) => {
  t.equal(time(0), 0n, '0');
  t.equal(time(1234567), 1234567n, 'small');
  t.equal(time(2 ** 32), 1n << 32n, '2^32');
  t.equal(time(2 ** 32 + 5), (1n << 32n) + 5n, '2^32 + 5');
  t.equal(time(Number.MAX_SAFE_INTEGER), 9007199254740991n, '2^53 - 1');
  // Real nanosecond times are above 2^53; JSON.parse already rounded them, the rounded value is
  // still an integer below 2^63 and is kept as JSON.parse gave it.
  t.equal(time(1700000000123456800), BigInt(1700000000123456800), 'a nanosecond time sent as a JSON number');
  t.equal(time(JSON.parse('1700000000000000000')), 1700000000000000000n, 'parsed from JSON text');
  t.equal(time(2 ** 62), 1n << 62n, '2^62');
  rejects(t, () => time(2 ** 63), 'GLUST_REJECT_TIME_RANGE', '2^63');
  rejects(t, () => time(1e20), 'GLUST_REJECT_TIME_RANGE', '1e20');
  rejects(t, () => time(-1), 'GLUST_REJECT_TIME_RANGE', 'negative');
  rejects(t, () => time(1.5), 'GLUST_REJECT_TIME_RANGE', 'non-integer');
  rejects(t, () => time(Number.NaN), 'GLUST_REJECT_TIME_RANGE', 'NaN');
  rejects(t, () => time(Number.POSITIVE_INFINITY), 'GLUST_REJECT_TIME_RANGE', 'Infinity');
});

t.test('readTime: JSON decimal strings', async (t) => {
  t.equal(time('0'), 0n, '"0"');
  t.equal(time('1'), 1n, '"1"');
  t.equal(time('4294967296'), 1n << 32n, '2^32');
  t.equal(time('999999999999999'), 999999999999999n, '15 digits');
  t.equal(time('9007199254740993'), 9007199254740993n, '2^53 + 1, exactly (not rounded to 2^53)');
  t.equal(time('1700000000123456789'), 1700000000123456789n, 'a nanosecond time, exactly');
  t.equal(time('1700000000123456789'), 1700000000123456789n, 'same again (no state kept)');
  t.equal(time('9223372036854775807'), 9223372036854775807n, '2^63 - 1');
  t.equal(time('00000000000000000042'), 42n, 'leading zeros');
  rejects(t, () => time('9223372036854775808'), 'GLUST_REJECT_TIME_RANGE', '2^63');
  rejects(t, () => time('18446744073709551615'), 'GLUST_REJECT_TIME_RANGE', '2^64 - 1');
  rejects(t, () => time('18446744073709551616'), 'GLUST_REJECT_TIME_RANGE', '2^64');
  rejects(t, () => time('99999999999999999999'), 'GLUST_REJECT_TIME_RANGE', '20 nines');
  rejects(t, () => time('123456789012345678901'), 'GLUST_REJECT_TIME_RANGE', '21 digits');
  rejects(t, () => time('-1'), 'GLUST_REJECT_TIME_RANGE', 'negative');
  rejects(t, () => time('1.5'), 'GLUST_REJECT_TIME_RANGE', 'decimal point');
  rejects(t, () => time('1e9'), 'GLUST_REJECT_TIME_RANGE', 'exponent');
  rejects(t, () => time('0x10'), 'GLUST_REJECT_TIME_RANGE', 'hex');
  rejects(t, () => time(' 1'), 'GLUST_REJECT_TIME_RANGE', 'space');
  rejects(t, () => time(''), 'GLUST_REJECT_TIME_RANGE', 'empty string');
  rejects(t, () => time('soon'), 'GLUST_REJECT_TIME_RANGE', 'words');
});

t.test('readTime: absent and garbage', async (t) => {
  t.equal(time(null), 0n, 'null reads as 0');
  t.equal(time(undefined), 0n, 'absent reads as 0');
  rejects(t, () => time(true), 'GLUST_REJECT_TIME_RANGE', 'boolean');
  rejects(t, () => time({}), 'GLUST_REJECT_TIME_RANGE', 'empty object');
  rejects(t, () => time([]), 'GLUST_REJECT_TIME_RANGE', 'array');
  rejects(t, () => time([1, 2]), 'GLUST_REJECT_TIME_RANGE', 'array of numbers');
  rejects(t, () => time({ low: 'x', high: 0 }), 'GLUST_REJECT_TIME_RANGE', 'low not a number');
  rejects(t, () => time({ low: 1.5, high: 0 }), 'GLUST_REJECT_TIME_RANGE', 'low not an integer');
  rejects(t, () => time({ low: 0, high: 2 ** 32 + 1 }), 'GLUST_REJECT_TIME_RANGE', 'high beyond 32 bits');
});

t.test('isZero / isBefore', async (t) => {
  t.ok(isZero({ hi: 0, lo: 0 }));
  t.notOk(isZero({ hi: 0, lo: 1 }));
  t.notOk(isZero({ hi: 1, lo: 0 }));
  t.ok(isBefore({ hi: 0, lo: 0xffffffff }, { hi: 1, lo: 0 }), 'high half decides');
  t.notOk(isBefore({ hi: 1, lo: 0 }, { hi: 0, lo: 0xffffffff }));
  t.ok(isBefore({ hi: 5, lo: 1 }, { hi: 5, lo: 2 }), 'low half on a tie');
  t.notOk(isBefore({ hi: 5, lo: 2 }, { hi: 5, lo: 2 }), 'equal is not before');
});

// ------------------------------------------------------------------ int64Text

t.test('int64Text: Long values, exact at every boundary', async (t) => {
  const cases = [
    '0', '1', '-1', '4294967295', '4294967296', '-4294967296', '-4294967295',
    '9007199254740991', '9007199254740992', '9007199254740993',
    '-9007199254740991', '-9007199254740992', '-9007199254740993',
    '9223372036854775807', '-9223372036854775808', '-9223372036854775807',
    '1700000000123456789', '-1700000000123456789',
  ];
  for (const c of cases) t.equal(int64Text(Long.fromString(c)), c, c);
  // Around the switch from double arithmetic to BigInt: high = ±2^21.
  for (const high of [0x1fffff, 0x200000, 0x200001, -0x1fffff, -0x200000, -0x200001, 0x7fffffff, -0x80000000]) {
    for (const low of [0, 1, 0x7fffffff, -0x80000000, -1]) {
      const l = Long.fromBits(low, high);
      t.equal(int64Text(l), l.toString(), `high ${high} low ${low}`);
    }
  }
  // Many pseudo-random values (deterministic) against long.js's own decimal conversion.
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed | 0;
  };
  let mismatches = 0;
  for (let i = 0; i < 5000; i++) {
    const shift = i % 33; // spread magnitudes over the whole range
    const l = Long.fromBits(next(), next() >> shift);
    if (int64Text(l) !== l.toString()) mismatches++;
  }
  t.equal(mismatches, 0, '5000 random Longs match Long#toString');
});

t.test('int64Text: JSON strings and numbers', async (t) => {
  t.equal(int64Text('0'), '0');
  t.equal(int64Text('-0'), '0');
  t.equal(int64Text('42'), '42');
  t.equal(int64Text('-42'), '-42');
  t.equal(int64Text('000123'), '123', 'leading zeros');
  t.equal(int64Text('9007199254740993'), '9007199254740993', '2^53 + 1 exactly');
  t.equal(int64Text('-9007199254740993'), '-9007199254740993', '-(2^53 + 1) exactly');
  t.equal(int64Text('9223372036854775807'), '9223372036854775807', 'int64 max');
  t.equal(int64Text('-9223372036854775808'), '-9223372036854775808', 'int64 min');
  t.equal(int64Text(42), '42');
  t.equal(int64Text(-7), '-7');
  t.equal(int64Text(2 ** 53), '9007199254740992');
  t.equal(int64Text(-(2 ** 63)), '-9223372036854775808', 'int64 min as a double');
  // Out of range is rejected, never wrapped around into another number.
  rejects(t, () => int64Text('9223372036854775808'), 'GLUST_REJECT_FIELD_TYPE', 'int64 max + 1');
  rejects(t, () => int64Text('-9223372036854775809'), 'GLUST_REJECT_FIELD_TYPE', 'int64 min - 1');
  rejects(t, () => int64Text('18446744073709551615'), 'GLUST_REJECT_FIELD_TYPE', 'uint64 max');
  rejects(t, () => int64Text(2 ** 63), 'GLUST_REJECT_FIELD_TYPE', '2^63 as a double');
  rejects(t, () => int64Text(1e21), 'GLUST_REJECT_FIELD_TYPE', '1e21');
  rejects(t, () => int64Text(1.5), 'GLUST_REJECT_FIELD_TYPE', 'a fraction is not an int');
  rejects(t, () => int64Text(Number.NaN), 'GLUST_REJECT_FIELD_TYPE', 'NaN');
  rejects(t, () => int64Text(Number.POSITIVE_INFINITY), 'GLUST_REJECT_FIELD_TYPE', 'Infinity');
  rejects(t, () => int64Text('1.5'), 'GLUST_REJECT_FIELD_TYPE', '"1.5"');
  rejects(t, () => int64Text('1e3'), 'GLUST_REJECT_FIELD_TYPE', '"1e3"');
  rejects(t, () => int64Text('+1'), 'GLUST_REJECT_FIELD_TYPE', '"+1"');
  rejects(t, () => int64Text(''), 'GLUST_REJECT_FIELD_TYPE', 'empty');
  rejects(t, () => int64Text('12a'), 'GLUST_REJECT_FIELD_TYPE', 'letters');
  rejects(t, () => int64Text(true), 'GLUST_REJECT_FIELD_TYPE', 'boolean');
  rejects(t, () => int64Text({}), 'GLUST_REJECT_FIELD_TYPE', 'an object that is not a Long');
  rejects(t, () => int64Text([]), 'GLUST_REJECT_FIELD_TYPE', 'an array');
});

// ------------------------------------------------------------------ AnyValue

/** `n` levels of arrays (or key-value lists) around a string. */
function nest(n: number, kind: 'array' | 'kvlist' = 'array'): object {
  let v: object = { stringValue: 'x' };
  for (let i = 0; i < n; i++) {
    v = kind === 'array' ? { arrayValue: { values: [v] } } : { kvlistValue: { values: [{ key: 'k', value: v }] } };
  }
  return v;
}

t.test('anyValueText: scalars', async (t) => {
  t.equal(anyValueText({ stringValue: 'héllo ✓ 🚀' }), 'héllo ✓ 🚀', 'string as it is');
  t.equal(anyValueText({ stringValue: 'a "quoted"\nline' }), 'a "quoted"\nline', 'no escaping in text form');
  t.equal(anyValueText({ stringValue: '' }), '', 'empty string is a value, not null');
  t.equal(anyValueText({ stringValue: 'a\ud800b\udc00' }), 'a\ufffdb\ufffd', 'lone surrogates from JSON become U+FFFD');
  t.equal(anyValueText({ stringValue: '\ud83d\ude80' }), '🚀', 'a surrogate pair is kept');
  rejects(t, () => anyValueText({ stringValue: 5 }), 'GLUST_REJECT_FIELD_TYPE', 'stringValue a number');

  t.equal(anyValueText({ boolValue: true }), 'true');
  t.equal(anyValueText({ boolValue: false }), 'false');
  t.equal(anyValueText({ boolValue: 'true' }), 'true', 'JSON string "true"');
  t.equal(anyValueText({ boolValue: 'false' }), 'false', 'JSON string "false"');
  rejects(t, () => anyValueText({ boolValue: 1 }), 'GLUST_REJECT_FIELD_TYPE', 'boolValue 1 is not silently false');
  rejects(t, () => anyValueText({ boolValue: 'yes' }), 'GLUST_REJECT_FIELD_TYPE', 'boolValue "yes"');

  t.equal(anyValueText({ intValue: Long.fromString('-9223372036854775808') }), '-9223372036854775808', 'int Long');
  t.equal(anyValueText({ intValue: '9007199254740993' }), '9007199254740993', 'int string');
  t.equal(anyValueText({ intValue: 42 }), '42', 'int number');
  t.equal(anyValueText({ intValue: Long.ZERO }), '0', 'int zero is a value');

  t.equal(anyValueText({ doubleValue: 0.1 }), '0.1', 'shortest round trip');
  t.equal(anyValueText({ doubleValue: 0.1 + 0.2 }), '0.30000000000000004', 'shortest round trip, not rounded');
  t.equal(anyValueText({ doubleValue: 1 / 3 }), '0.3333333333333333');
  t.equal(anyValueText({ doubleValue: 5 }), '5', 'integral double');
  t.equal(anyValueText({ doubleValue: 0 }), '0', 'zero is a value');
  t.equal(anyValueText({ doubleValue: -0 }), '-0', 'negative zero keeps its sign');
  t.equal(anyValueText({ doubleValue: 1e21 }), '1e+21');
  t.equal(anyValueText({ doubleValue: 5e-324 }), '5e-324', 'smallest subnormal');
  t.equal(anyValueText({ doubleValue: Number.NaN }), 'NaN', 'NaN (protobuf)');
  t.equal(anyValueText({ doubleValue: Number.POSITIVE_INFINITY }), 'Infinity');
  t.equal(anyValueText({ doubleValue: Number.NEGATIVE_INFINITY }), '-Infinity');
  t.equal(anyValueText({ doubleValue: 'NaN' }), 'NaN', 'NaN (OTLP/JSON string)');
  t.equal(anyValueText({ doubleValue: 'Infinity' }), 'Infinity');
  t.equal(anyValueText({ doubleValue: '-Infinity' }), '-Infinity');
  t.equal(anyValueText({ doubleValue: '0.1' }), '0.1', 'double as a JSON string');
  rejects(t, () => anyValueText({ doubleValue: 'abc' }), 'GLUST_REJECT_FIELD_TYPE', 'double "abc"');
  rejects(t, () => anyValueText({ doubleValue: '' }), 'GLUST_REJECT_FIELD_TYPE', 'double ""');
  rejects(t, () => anyValueText({ doubleValue: true }), 'GLUST_REJECT_FIELD_TYPE', 'double true');

  t.equal(anyValueText({ bytesValue: Uint8Array.from([0, 1, 2, 253, 254, 255]) }), 'AAEC/f7/', 'bytes to base64');
  const pool = Buffer.from([9, 9, 1, 2, 3, 9]);
  t.equal(anyValueText({ bytesValue: pool.subarray(2, 5) }), 'AQID', 'a Buffer view: only its own bytes');
  t.equal(anyValueText({ bytesValue: new Uint8Array(0) }), '', 'empty bytes');
  t.equal(anyValueText({ bytesValue: 'AQID' }), 'AQID', 'OTLP/JSON bytes are already base64');
  rejects(t, () => anyValueText({ bytesValue: 7 }), 'GLUST_REJECT_FIELD_TYPE', 'bytes a number');
});

t.test('anyValueText: empty values', async (t) => {
  t.equal(anyValueText(null), null);
  t.equal(anyValueText(undefined), null);
  t.equal(anyValueText({}), null, 'no field set');
  // protobufjs leaves unset oneof members null on the prototype.
  t.equal(anyValueText({ stringValue: null, intValue: null, boolValue: null } as never), null, 'all members null');
  rejects(t, () => anyValueText('text' as never), 'GLUST_REJECT_FIELD_TYPE', 'a bare string is not an AnyValue');
  rejects(t, () => anyValueText(5 as never), 'GLUST_REJECT_FIELD_TYPE', 'a bare number is not an AnyValue');
});

t.test('anyValueText: arrays and key-value lists as plain JSON', async (t) => {
  const arr = {
    arrayValue: {
      values: [
        { stringValue: 'a"b' },
        { intValue: Long.fromString('9223372036854775807') },
        { intValue: '-5' },
        { boolValue: true },
        { doubleValue: Number.NaN },
        { doubleValue: 1.5 },
        { doubleValue: '-Infinity' },
        { bytesValue: Uint8Array.from([1, 2, 3]) },
        {},
        { arrayValue: {} },
        { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } },
      ],
    },
  };
  t.equal(
    anyValueText(arr),
    '["a\\"b",9223372036854775807,-5,true,"NaN",1.5,"-Infinity","AQID",null,[],{"k":"v"}]',
    'every kind inside an array, ints written exactly',
  );
  const kv = {
    kvlistValue: {
      values: [
        { key: 'name', value: { stringValue: 'x' } },
        { key: 'n', value: { intValue: 3 } },
        { key: 'empty' },
        { key: 'list', value: { arrayValue: { values: [{ boolValue: false }, { doubleValue: 0.1 }] } } },
        { key: 'lone\ud800', value: { stringValue: '\udc00' } },
      ],
    },
  };
  t.equal(anyValueText(kv), '{"name":"x","n":3,"empty":null,"list":[false,0.1],"lone\ufffd":"\ufffd"}', 'key-value list as an object');
  t.same(JSON.parse(anyValueText(kv)!), { name: 'x', n: 3, empty: null, list: [false, 0.1], 'lone\ufffd': '\ufffd' }, 'parses as JSON');
  t.equal(anyValueText({ arrayValue: { values: [] } }), '[]', 'empty array');
  t.equal(anyValueText({ kvlistValue: {} }), '{}', 'empty key-value list');
  rejects(t, () => anyValueText({ arrayValue: { values: 'x' } }), 'GLUST_REJECT_FIELD_TYPE', 'values not an array');
  rejects(t, () => anyValueText({ arrayValue: { values: [{ intValue: 'x' }] } }), 'GLUST_REJECT_FIELD_TYPE', 'bad int inside');
});

t.test('anyValueText: nesting limit is 32 levels', async (t) => {
  t.equal(anyValueText(nest(32)), '['.repeat(32) + '"x"' + ']'.repeat(32), '32 levels of arrays are kept');
  t.equal(anyValueText(nest(32, 'kvlist')), '{"k":'.repeat(32) + '"x"' + '}'.repeat(32), '32 levels of key-value lists');
  rejects(t, () => anyValueText(nest(33)), 'GLUST_REJECT_NESTING', '33 levels of arrays');
  rejects(t, () => anyValueText(nest(33, 'kvlist')), 'GLUST_REJECT_NESTING', '33 levels of key-value lists');
  rejects(t, () => anyValueText(nest(100_000)), 'GLUST_REJECT_NESTING', 'absurd depth is a rejection, not a stack overflow');
  t.equal(anyValueJson({ stringValue: 'x' }, 32), '"x"', 'depth 32 itself is allowed');
  rejects(t, () => anyValueJson({ stringValue: 'x' }, 33), 'GLUST_REJECT_NESTING', 'depth 33');
});

// ------------------------------------------------------------------ attributes

const kvs = (entries: Array<[unknown, object | undefined]>) => entries.map(([key, value]) => ({ key, value }));
const s = (v: string) => ({ stringValue: v });

t.test('attributesJson: every value kind, as a JSON object of text', async (t) => {
  const adj = adjustments();
  const { json: text, dropped } = attributesJson(
    kvs([
      ['s', s('v')],
      ['b', { boolValue: true }],
      ['i', { intValue: Long.fromString('-9223372036854775808') }],
      ['d', { doubleValue: 0.1 }],
      ['by', { bytesValue: Uint8Array.from([1, 2, 3]) }],
      ['arr', { arrayValue: { values: [{ intValue: 1 }, s('two')] } }],
      ['kv', { kvlistValue: { values: [{ key: 'a', value: s('b') }] } }],
      ['none', undefined],
    ]),
    DEFAULT_LIMITS,
    adj,
  );
  t.equal(
    text,
    '{"s":"v","b":"true","i":"-9223372036854775808","d":"0.1","by":"AQID","arr":"[1,\\"two\\"]","kv":"{\\"a\\":\\"b\\"}","none":null}',
  );
  t.same(JSON.parse(text), {
    s: 'v', b: 'true', i: '-9223372036854775808', d: '0.1', by: 'AQID', arr: '[1,"two"]', kv: '{"a":"b"}', none: null,
  });
  t.equal(dropped, 0, 'nothing dropped');
  t.same(adj, { truncatedValues: 0, droppedAttributes: 0 });
  t.same(attributesJson(undefined, DEFAULT_LIMITS, adj), { json: '{}', dropped: 0 }, 'absent');
  t.same(attributesJson(null, DEFAULT_LIMITS, adj), { json: '{}', dropped: 0 }, 'null');
  t.same(attributesJson([], DEFAULT_LIMITS, adj), { json: '{}', dropped: 0 }, 'empty');
  t.same(attributesJson(kvs([['only', s('one')]]), DEFAULT_LIMITS, adj), { json: '{"only":"one"}', dropped: 0 }, 'a single attribute');
});

t.test('attributesJson: maxAttributes keeps the first ones and counts the rest', async (t) => {
  const adj: Adjustments = { truncatedValues: 0, droppedAttributes: 10 };
  const five = kvs([['a', s('1')], ['b', s('2')], ['c', s('3')], ['d', s('4')], ['e', s('5')]]);
  t.same(attributesJson(five, limitsWith({ maxAttributes: 3 }), adj), { json: '{"a":"1","b":"2","c":"3"}', dropped: 2 }, 'two dropped');
  t.equal(adj.droppedAttributes, 12, 'added to the running total');
  t.same(attributesJson(five, limitsWith({ maxAttributes: 5 }), adj), { json: '{"a":"1","b":"2","c":"3","d":"4","e":"5"}', dropped: 0 }, 'exactly at the limit: nothing dropped');
  t.equal(adj.droppedAttributes, 12);
  t.same(attributesJson(five, limitsWith({ maxAttributes: 0 }), adj), { json: '{}', dropped: 5 }, 'limit 0 keeps none');
});

t.test('attributesJson: a repeated key keeps its first value', async (t) => {
  const adj = adjustments();
  t.same(attributesJson(kvs([['a', s('1')], ['b', s('2')], ['a', s('3')]]), DEFAULT_LIMITS, adj), { json: '{"a":"1","b":"2"}', dropped: 1 }, 'the repeat is counted as dropped');
  t.equal(adj.droppedAttributes, 1);
  // Keys seen in one call do not leak into the next.
  t.same(attributesJson(kvs([['b', s('x')], ['a', s('y')]]), DEFAULT_LIMITS, adj), { json: '{"b":"x","a":"y"}', dropped: 0 }, 'fresh per call');
  // Repeats and the count limit together.
  t.same(
    attributesJson(kvs([['a', s('1')], ['a', s('2')], ['b', s('3')], ['c', s('4')]]), limitsWith({ maxAttributes: 2 }), adj),
    { json: '{"a":"1","b":"3"}', dropped: 2 },
  );
  // Keys that only become equal once made well-formed are still one key (a MAP needs unique keys).
  t.same(
    attributesJson(kvs([['k\ud800', s('first')], ['k\ud801', s('second')], ['k\ufffd', s('third')]]), DEFAULT_LIMITS, adj),
    { json: '{"k\ufffd":"first"}', dropped: 2 },
    'lone-surrogate keys collapse to one U+FFFD key, first value kept',
  );
});

t.test('attributesJson: repeated keys in long lists (past the short-list scan)', async (t) => {
  const adj = adjustments();
  const entries: Array<[unknown, object]> = [];
  for (let i = 0; i < 40; i++) entries.push([`k${i}`, s(`v${i}`)]);
  // Repeats of keys kept early, around the 16th kept key, and late; interleaved with new keys.
  entries.splice(16, 0, ['k0', s('dup')], ['k15', s('dup')]);
  entries.splice(20, 0, ['k16', s('dup')], ['k17', s('dup')]);
  entries.push(['k39', s('dup')], ['k20', s('dup')], ['k\ud800', s('lone1')], ['k\udbff', s('lone2')]);
  const { json: text, dropped } = attributesJson(kvs(entries), DEFAULT_LIMITS, adj);
  const obj = JSON.parse(text) as Record<string, string>;
  const want: Record<string, string> = {};
  for (let i = 0; i < 40; i++) want[`k${i}`] = `v${i}`;
  want['k\ufffd'] = 'lone1';
  t.same(obj, want, 'every key once, with its first value');
  t.equal(Object.keys(obj).length, 41);
  t.equal((text.match(/":/g) ?? []).length, 41, 'no repeated key in the text either');
  t.equal(dropped, 7);
  // The same list again: nothing left over from the previous call.
  t.same(attributesJson(kvs(entries), DEFAULT_LIMITS, adj), { json: text, dropped: 7 }, 'same input, same output');
  t.equal(attributesJson(kvs(entries.slice(20)), DEFAULT_LIMITS, adj).json.startsWith('{"k16":"dup"'), true, 'a later list starts fresh');
});

t.test('attributesJson: scalar values as text', async (t) => {
  const adj = adjustments();
  t.equal(
    attributesJson(kvs([
      ['neg0', { doubleValue: -0 }],
      ['nan', { doubleValue: Number.NaN }],
      ['inf', { doubleValue: Number.NEGATIVE_INFINITY }],
      ['tenth', { doubleValue: 0.1 }],
      ['big', { intValue: Long.fromString('9223372036854775807') }],
      ['f', { boolValue: false }],
      ['jsonbool', { boolValue: 'true' }],
      ['jsonnan', { doubleValue: 'NaN' }],
      ['empty', { stringValue: '' }],
    ]), DEFAULT_LIMITS, adj).json,
    '{"neg0":"-0","nan":"NaN","inf":"-Infinity","tenth":"0.1","big":"9223372036854775807","f":"false","jsonbool":"true","jsonnan":"NaN","empty":""}',
  );
  // protobufjs objects: unset oneof members are null on the prototype.
  const proto = Object.assign(Object.create({ stringValue: null, boolValue: null, intValue: null, doubleValue: null }), { doubleValue: 2.5 });
  t.equal(attributesJson([{ key: 'p', value: proto }], DEFAULT_LIMITS, adj).json, '{"p":"2.5"}');
  rejects(t, () => attributesJson(kvs([['b', { boolValue: 1 }]]), DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'boolValue 1');
});

t.test('attributesJson: maxValueLength truncates, counts, never splits a surrogate pair', async (t) => {
  const adj = adjustments();
  const limits = limitsWith({ maxValueLength: 5 });
  t.same(
    attributesJson(kvs([['long', s('abcdefgh')], ['exact', s('abcde')], ['short', s('ab')]]), limits, adj),
    { json: '{"long":"abcde","exact":"abcde","short":"ab"}', dropped: 0 },
    'truncation is not dropping',
  );
  t.equal(adj.truncatedValues, 1, 'only the long one counted');
  // '🚀' is two UTF-16 units at index 4 and 5: a cut at 5 would keep half of it.
  const rocket = attributesJson(kvs([['r', s('abcd🚀xyz')]]), limits, adj).json;
  t.equal(rocket, '{"r":"abcd"}', 'the pair is dropped whole');
  t.ok(JSON.parse(rocket).r.isWellFormed(), 'well-formed');
  t.equal(adj.truncatedValues, 2);
  t.equal(attributesJson(kvs([['r', s('abcd🚀xyz')]]), limitsWith({ maxValueLength: 6 }), adj).json, '{"r":"abcd🚀"}', 'room for the pair');
  t.equal(adj.truncatedValues, 3);
  t.equal(attributesJson(kvs([['r', s('🚀🚀🚀')]]), limitsWith({ maxValueLength: 3 }), adj).json, '{"r":"🚀"}', 'odd limit over pairs');
  // Arrays are cut by their JSON text.
  t.equal(attributesJson(kvs([['a', { arrayValue: { values: [{ intValue: 12345 }] } }]]), limits, adj).json, '{"a":"[1234"}');
  t.equal(adj.truncatedValues, 5);
  // truncate() itself
  const a2 = adjustments();
  t.equal(truncate('x'.repeat(10), DEFAULT_LIMITS, a2, 4), 'xxxx');
  t.equal(truncate('xxxx', DEFAULT_LIMITS, a2, 4), 'xxxx');
  t.equal(a2.truncatedValues, 1);
});

t.test('attributesJson: lone surrogates from JSON become U+FFFD', async (t) => {
  const adj = adjustments();
  const text = attributesJson(kvs([['key\ud800', s('\udc00value')], ['ok', s('a\ud83d')]]), DEFAULT_LIMITS, adj).json;
  t.equal(text, '{"key\ufffd":"\ufffdvalue","ok":"a\ufffd"}');
  t.ok(text.isWellFormed(), 'the JSON text is well-formed');
  t.notMatch(text, /\\ud[89a-f]/i, 'no escaped lone surrogates either');
  t.ok(Buffer.from(text, 'utf8').toString('utf8') === text, 'survives a UTF-8 round trip');
});

t.test('attributesJson: malformed input rejects the record', async (t) => {
  const adj = adjustments();
  rejects(t, () => attributesJson(kvs([[5, s('x')]]), DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'numeric key (single)');
  rejects(t, () => attributesJson(kvs([['a', s('x')], [null, s('y')]]), DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'null key');
  rejects(t, () => attributesJson([{ value: s('x') }], DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'missing key');
  rejects(t, () => attributesJson([null], DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'null entry');
  rejects(t, () => attributesJson('a=b', DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'not an array');
  rejects(t, () => attributesJson({ a: 'b' }, DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'an object map');
  rejects(t, () => attributesJson(kvs([['a', { intValue: '1.5' }]]), DEFAULT_LIMITS, adj), 'GLUST_REJECT_FIELD_TYPE', 'bad value');
  rejects(t, () => attributesJson(kvs([['deep', nest(33)]]), DEFAULT_LIMITS, adj), 'GLUST_REJECT_NESTING', 'too deep');
});

// ------------------------------------------------------------------ small readers

t.test('str / u32 / enumValue / list / findStringAttribute', async (t) => {
  t.equal(str(undefined, 'f'), '');
  t.equal(str('x\ud800', 'f'), 'x\ufffd');
  rejects(t, () => str(5, 'f'), 'GLUST_REJECT_FIELD_TYPE', 'str of a number');

  t.equal(u32(undefined, 'f'), 0);
  t.equal(u32(7, 'f'), 7);
  t.equal(u32('7', 'f'), 7, 'numeric string');
  t.equal(u32(0xffffffff, 'f'), 0xffffffff);
  rejects(t, () => u32(2 ** 32, 'f'), 'GLUST_REJECT_FIELD_TYPE', '2^32');
  rejects(t, () => u32(-1, 'f'), 'GLUST_REJECT_FIELD_TYPE', '-1');
  rejects(t, () => u32(1.5, 'f'), 'GLUST_REJECT_FIELD_TYPE', '1.5');
  rejects(t, () => u32('x', 'f'), 'GLUST_REJECT_FIELD_TYPE', '"x"');

  t.equal(enumValue(undefined, SPAN_KIND_NAMES, 'kind'), 0);
  t.equal(enumValue(3, SPAN_KIND_NAMES, 'kind'), 3);
  t.equal(enumValue('SPAN_KIND_CONSUMER', SPAN_KIND_NAMES, 'kind'), 5, 'by name');
  t.equal(enumValue('2', SPAN_KIND_NAMES, 'kind'), 2, 'number as a string');
  t.equal(enumValue(42, SPAN_KIND_NAMES, 'kind'), 42, 'unknown numbers pass');
  rejects(t, () => enumValue('SPAN_KIND_BOGUS', SPAN_KIND_NAMES, 'kind'), 'GLUST_REJECT_FIELD_TYPE', 'unknown name');
  rejects(t, () => enumValue(1.5, SPAN_KIND_NAMES, 'kind'), 'GLUST_REJECT_FIELD_TYPE', 'fraction');

  t.same(list(undefined, 'f'), []);
  t.same(list([1], 'f'), [1]);
  rejects(t, () => list({}, 'f'), 'GLUST_REJECT_FIELD_TYPE', 'list of an object');

  const attrs = kvs([['service.name', { intValue: 1 }], ['x', s('y')], ['service.name', s('')], ['service.name', s('svc\ud800')]]);
  t.equal(findStringAttribute(attrs, 'service.name'), 'svc\ufffd', 'first non-empty string value');
  t.equal(findStringAttribute(attrs, 'missing'), null);
  t.equal(findStringAttribute('nope', 'x'), null);
});
