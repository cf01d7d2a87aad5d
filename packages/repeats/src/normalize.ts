// Text normalisation for Chinese petitions, so that the same matter typed on a phone, a PC or transcribed
// from a letter compares as the same characters. Two petitions about one matter differ mostly in
// punctuation, spacing, full-width digits and Latin letters, and in small edits; only the last should
// lower their similarity.

/** Full-width ASCII block (U+FF01–U+FF5E) maps onto ASCII by this offset; U+3000 is the ideographic space. */
const FULL_WIDTH_OFFSET = 0xfee0;

/**
 * Full-width forms to half-width, Latin letters to lower case, and every character that is neither a
 * letter nor a digit (whitespace, Chinese and Western punctuation, symbols, emoji) removed. Letters
 * include CJK ideographs (\p{L}), so Chinese text keeps all its characters.
 */
export function normalizeText(text: string): string {
  let halfWidth = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xff01 && code <= 0xff5e) halfWidth += String.fromCodePoint(code - FULL_WIDTH_OFFSET);
    else if (code === 0x3000) halfWidth += ' ';
    else halfWidth += char;
  }
  return halfWidth
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * The text's overlapping character n-grams (shingles), each once. A text shorter than `size` is one
 * shingle of itself, so that a very short title still has a signature; an empty text has none.
 */
export function shingles(normalized: string, size: number): string[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`shingle size must be a positive integer, got ${size}`);
  const chars = Array.from(normalized);
  if (chars.length === 0) return [];
  if (chars.length <= size) return [chars.join('')];
  const seen = new Set<string>();
  for (let start = 0; start + size <= chars.length; start++) seen.add(chars.slice(start, start + size).join(''));
  return [...seen];
}
