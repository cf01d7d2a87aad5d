// People for tests that file many petitions: each filing from a person of its own, so that the same text
// filed again by a fixture is not an exact repeat intake links at once (art 19; test/repeats.test.ts is
// about those).

let issued = 0;

/**
 * A resident identity number (GB 11643) valid for intake, different at each call: 110105 (北京市朝阳区),
 * born 1949-12-31, the sequence counting up, and its check digit.
 */
export function nextResidentId(): string {
  const body = `11010519491231${String(++issued % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, digit, i) => total + Number(digit) * (weights[i] ?? 0), 0);
  return `${body}${'10X98765432'[sum % 11]}`;
}
