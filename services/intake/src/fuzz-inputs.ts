import { generateNodeKey, type StaffRole, signStaffToken, staffRoles } from '@petition/auth';
import { testStaffIssuer, testToken } from '@petition/testing';
import fc from 'fast-check';

// Inputs both intake fuzzes (gRPC and HTTP) draw from: the units they act as, and the Authorization a
// caller sends — none, a good token, another unit's with random roles, or one of many broken ones.

export const fuzzUnits = [
  '330106-xfj',
  '330106-rsj',
  '330102-xfj',
  '330106-zf',
  '330000-xfj',
  '110101-jw',
  '000000-xfj',
];

const otherNode = generateNodeKey('not-trusted-1');
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const printable = (s: string) => s.replace(/[^ -~]/g, '?');

/** An Authorization header value, made when sent (tokens expire; the test's key exists by then). */
export const fuzzAuthorization = fc.oneof(
  { weight: 3, arbitrary: fc.constant(() => undefined as string | undefined) },
  { weight: 4, arbitrary: fc.constant(() => `Bearer ${testToken('330106-xfj')}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fuzzUnits) }, fc.string({ minLength: 1, maxLength: 64 })),
        fc.subarray([...staffRoles] as StaffRole[], { minLength: 1 }),
      )
      .map(
        ([unit, roles]) =>
          () =>
            `Bearer ${testToken(unit, { roles })}`,
      ),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => () => `Bearer ${printable(s)}`),
      fc.nat().map((i) => () => {
        const v = testToken('330106-xfj');
        const at = i % v.length;
        return `Bearer ${v.slice(0, at)}${v[at] === 'A' ? 'B' : 'A'}${v.slice(at + 1)}`;
      }),
      fc.constantFrom(
        () => 'Bearer ',
        () => 'Bearer',
        () => `bearer ${testToken('330106-xfj')}`,
        () => 'Basic dXNlcjpwYXNz',
        () => `Bearer ${'a'.repeat(9_000)}`,
        () => `Bearer ${testToken('330106-xfj', { now: new Date('2001-01-01T00:00:00Z') })}`,
        () => `Bearer ${testToken('330106-xfj', { now: new Date('2099-01-01T00:00:00Z') })}`,
        () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ unit: '330106-xfj', roles: ['handler'] })}.`,
        () =>
          `Bearer ${signStaffToken(
            { privateJwk: otherNode.privateJwk, issuer: testStaffIssuer },
            { staffId: 'x', unitId: '330106-xfj', roles: ['handler', 'registrar'], audience: 'petition' },
          )}`,
      ),
    ),
  },
);
