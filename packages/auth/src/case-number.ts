import { AuthError } from './errors.ts';

// A human case number unique across the nation without a shared database:
//   <region>-<yyyymmdd>-<9 base32 chars>-<check>
// The 45 bits are (milliseconds into the Shanghai day: 27 bits, source id: 10 bits, sequence: 8 bits).
// Each intake instance in the nation has its own source id (0–1023, from configuration), so two
// instances never produce the same number, and one instance never repeats itself: within a millisecond
// it counts up to 256 and then waits for the next millisecond.

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DAY_MS = 86_400_000;
const OFFSET_MS = 8 * 3_600_000;

function base32(value: bigint, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = alphabet[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** ISO 7064-style weighted check over the body's characters: catches any one wrong or swapped pair. */
function check(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Digits are the alphabet's first ten, so one lookup serves both; the dashes count as 0.
    sum = (sum * 2 + Math.max(alphabet.indexOf(body[i] ?? ''), 0)) % 37;
  }
  return alphabet[sum % 32] ?? '0';
}

export interface CaseNumberSource {
  next(regionCode: string, now?: Date): string;
}

export function caseNumberSource(sourceId: number, clock: () => number = Date.now): CaseNumberSource {
  if (!Number.isInteger(sourceId) || sourceId < 0 || sourceId > 1023) {
    throw new AuthError('BAD_CASE_NUMBER_SOURCE', `source id must be 0–1023, got ${sourceId}`);
  }
  let lastMs = -1;
  let seq = 0;
  return {
    next(regionCode, now) {
      let ms = now ? now.getTime() : clock();
      if (ms < lastMs) ms = lastMs; // a clock stepping back must not repeat numbers
      if (ms === lastMs) {
        seq++;
        if (seq > 255) {
          ms = lastMs + 1;
          seq = 0;
        }
      } else seq = 0;
      lastMs = ms;
      const local = ms + OFFSET_MS;
      const day = new Date(Math.floor(local / DAY_MS) * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
      const bits = (BigInt(local % DAY_MS) << 18n) | (BigInt(sourceId) << 8n) | BigInt(seq);
      const body = `${regionCode}-${day}-${base32(bits, 9)}`;
      return `${body}-${check(body)}`;
    },
  };
}

const pattern = /^\d{6}-\d{8}-[0-9A-HJKMNP-TV-Z]{9}-[0-9A-HJKMNP-TV-Z]$/;

/** True for a well-formed number whose check character matches. */
export function isCaseNumber(value: string): boolean {
  if (!pattern.test(value)) return false;
  return check(value.slice(0, -2)) === value.slice(-1);
}
