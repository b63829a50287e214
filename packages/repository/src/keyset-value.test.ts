import { describe, expect, it } from 'vitest';
import { keysetValueProblem } from './keyset-value.js';

// Each type: values PostgreSQL prints (accepted) and forged ones it would fail on (rejected).
const CASES: Record<string, { accepted: string[]; rejected: string[] }> = {
  int2: { accepted: ['0', '-32768', '32767'], rejected: ['32768', '1.0', 'x', '0x10', ' 1', '+1', '01', ''] },
  int4: { accepted: ['-2147483648', '2147483647'], rejected: ['2147483648', '1e3', '１'] },
  int8: {
    accepted: ['9223372036854775807', '-9223372036854775808', '42'],
    rejected: ['9223372036854775808', '99999999999999999999', 'NaN', '4 2'],
  },
  numeric: {
    accepted: ['5.50', '-0.001', '12', 'NaN', '-Infinity'],
    rejected: ['1e3', '.5', '5.', '1,5', 'abc'],
  },
  float4: {
    accepted: ['1.5', '-3.4028235e+38', '1e-45', '0', '-0', 'NaN', 'Infinity'],
    rejected: ['1e39', '1e-46', '0.0e-999x', 'inf'],
  },
  float8: { accepted: ['1e+300', '1.2345678901234567e-05', '5e-324'], rejected: ['1e400', '1e-400', '1e'] },
  bool: { accepted: ['true', 'false', 't', 'f'], rejected: ['yes', '1', 'TRUE'] },
  uuid: {
    accepted: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    rejected: ['a0eebc99', 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  },
  date: {
    accepted: ['2024-02-29', '0044-03-15 BC', '0001-02-29 BC', 'infinity', '-infinity'],
    rejected: [
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-1-1',
      '4714-01-01 BC',
      '9999999-01-01',
      'today',
    ],
  },
  timestamptz: {
    accepted: [
      '2024-05-01T10:00:00.123456+00:00',
      '2024-05-01 10:00:00.123456+00',
      '2024-05-01T10:00:00+05:30',
      '1900-01-01T00:00:00+00:53:28',
      '0044-03-15T12:00:00.5+00:00 BC',
      'infinity',
    ],
    rejected: [
      '2024-05-01T10:00:00',
      '2024-05-01T24:00:00+00:00',
      '2024-05-01T10:60:00+00:00',
      '2024-02-30T10:00:00+00:00',
      '2024-05-01T10:00:00+16:00',
      '2024-05-01T10:00:00.1234567+00:00',
      '294276-01-01T00:00:00+00:00',
      'now',
      'epoch',
    ],
  },
  timestamp: {
    accepted: ['2024-01-01T01:02:03', '2024-01-01 01:02:03.5'],
    rejected: ['2024-01-01T01:02:03+00:00', '2024-01-01'],
  },
};

describe('keysetValueProblem', () => {
  for (const [type, { accepted, rejected }] of Object.entries(CASES)) {
    it(`accepts ${type} values as PostgreSQL prints them and rejects others`, () => {
      for (const value of accepted) expect(keysetValueProblem(type, value), value).toBeUndefined();
      for (const value of rejected)
        expect(keysetValueProblem(type, value), value).toBe(`is not a ${type} value`);
    });
  }

  it('rejects NUL and unpaired surrogates for every type, including those it does not know', () => {
    for (const type of ['text', 'varchar', 'interval', 'my_enum']) {
      expect(keysetValueProblem(type, 'a\0b')).toMatch(/NUL/);
      expect(keysetValueProblem(type, 'a\ud800')).toMatch(/unpaired surrogate/);
      expect(keysetValueProblem(type, 'plain ✓ 😀')).toBeUndefined();
    }
  });
});
