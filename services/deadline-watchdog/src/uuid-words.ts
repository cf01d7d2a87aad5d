// A lowercase UUID case id as four 32-bit words and back, without regular expressions or substrings: the
// watchdog turns case ids into keys and back for every clock it schedules and fires.

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;
const BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const byte = (n: number) => BYTE[n & 255] as string;
const DASH = 45;

/** The four words of a lowercase UUID (8-4-4-4-12 hex digits), or undefined for any other id. */
export function uuidWords(id: string): [number, number, number, number] | undefined {
  if (id.length !== 36) return undefined;
  const words: [number, number, number, number] = [0, 0, 0, 0];
  let digits = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== DASH) return undefined;
      continue;
    }
    const v = c < 128 ? (HEX[c] ?? -1) : -1;
    if (v < 0) return undefined;
    const w = digits >> 3;
    words[w] = (words[w] ?? 0) * 16 + v; // stays below 2^32: eight digits a word
    digits++;
  }
  return words;
}

const hex8 = (n: number) => byte(n >>> 24) + byte(n >>> 16) + byte(n >>> 8) + byte(n);
const hex4 = (n: number) => byte(n >>> 8) + byte(n);

/** The UUID of four words. */
export const uuidOf = (w0: number, w1: number, w2: number, w3: number) =>
  `${hex8(w0)}-${hex4(w1 >>> 16)}-${hex4(w1)}-${hex4(w2 >>> 16)}-${hex4(w2)}${hex8(w3)}`;
