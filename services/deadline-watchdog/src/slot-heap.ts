import { growable, grown } from './growable.ts';

// A min-heap of (slot, record) pairs in one Uint32Array, growing in place by a quarter at a time: the order
// in which the clock table (table.ts) fires its records.

export class SlotHeap {
  private h = grown(Uint32Array, growable(Uint32Array, 2 ** 26), 2048);
  size = 0;

  /** The smallest slot held (undefined when empty), and its record. */
  get topSlot(): number | undefined {
    return this.size > 0 ? (this.h[0] ?? 0) : undefined;
  }
  get topRecord(): number {
    return this.h[1] ?? 0;
  }

  push(slot: number, record: number) {
    if (this.size * 2 >= this.h.length) {
      this.h = grown(Uint32Array, this.h, Math.ceil(this.h.length * 0.625) * 2);
    }
    const h = this.h;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent * 2] ?? 0) <= slot) break;
      h[i * 2] = h[parent * 2] ?? 0;
      h[i * 2 + 1] = h[parent * 2 + 1] ?? 0;
      i = parent;
    }
    h[i * 2] = slot;
    h[i * 2 + 1] = record;
  }

  /** Removes the top pair. */
  pop() {
    const h = this.h;
    const last = --this.size;
    const ls = h[last * 2] ?? 0;
    const lr = h[last * 2 + 1] ?? 0;
    let i = 0;
    for (;;) {
      let c = i * 2 + 1;
      if (c >= last) break;
      if (c + 1 < last && (h[(c + 1) * 2] ?? 0) < (h[c * 2] ?? 0)) c++;
      if ((h[c * 2] ?? 0) >= ls) break;
      h[i * 2] = h[c * 2] ?? 0;
      h[i * 2 + 1] = h[c * 2 + 1] ?? 0;
      i = c;
    }
    h[i * 2] = ls;
    h[i * 2 + 1] = lr;
  }

  clear() {
    this.size = 0;
  }

  get byteLength(): number {
    return this.h.byteLength;
  }
}
