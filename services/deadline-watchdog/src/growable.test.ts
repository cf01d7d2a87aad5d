import { describe, expect, it } from 'vitest';
import { growable, grown } from './growable.ts';

describe('growable arrays', () => {
  it('grow in place within their reservation, keeping what they hold and starting the rest at zero', () => {
    const a = growable(Uint32Array, 1_000);
    const b = grown(Uint32Array, a, 10);
    b.set([1, 2, 3]);
    const c = grown(Uint32Array, b, 800);
    expect(c).toBe(a);
    expect(c.length).toBe(800);
    expect([...c.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(c.every((v, i) => i < 3 || v === 0)).toBe(true);
    expect(grown(Uint32Array, c, 100)).toBe(c); // never shrinks
  });

  it('past their reservation, copy into one reserving twice as much', () => {
    const a = grown(Int32Array, growable(Int32Array, 16), 16);
    a.fill(-7);
    const b = grown(Int32Array, a, 20);
    expect(b).not.toBe(a);
    expect(b.length).toBe(20);
    expect([...b]).toEqual([...Array(16).fill(-7), 0, 0, 0, 0]);
    expect(grown(Int32Array, b, 32)).toBe(b);
  });
});
