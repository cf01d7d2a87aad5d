// Typed arrays that grow in place. Each lives in a resizable ArrayBuffer that reserves address space for
// many elements up front and takes memory only as it grows. A plain typed array grows by copying into a
// larger one; the allocator keeps the old one's pages, so at ten million clocks the copies left behind
// were ~500 MB of the watchdog's resident set beside the ~900 MB the tables hold.

export type GrowableArray = Uint32Array | Uint16Array | Uint8Array | Int32Array;

export interface GrowableKind<T extends GrowableArray> {
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** An empty array reserving room for `reserve` elements (a plain one where the address space is refused). */
export function growable<T extends GrowableArray>(Kind: GrowableKind<T>, reserve: number): T {
  try {
    return new Kind(new ArrayBuffer(0, { maxByteLength: reserve * Kind.BYTES_PER_ELEMENT }));
  } catch {
    return new Kind(new ArrayBuffer(0));
  }
}

/**
 * `a` with room for at least `length` elements, the new ones zero: the same array while its reservation
 * lasts, else a copy reserving twice as much.
 */
export function grown<T extends GrowableArray>(Kind: GrowableKind<T>, a: T, length: number): T {
  const buffer = a.buffer as ArrayBuffer;
  const bytes = length * Kind.BYTES_PER_ELEMENT;
  if (bytes <= buffer.byteLength) return a;
  if (buffer.resizable && bytes <= buffer.maxByteLength) {
    buffer.resize(bytes);
    return a;
  }
  const reserved = growable(Kind, Math.max(length, (2 * buffer.maxByteLength) / Kind.BYTES_PER_ELEMENT));
  const into = reserved.buffer as ArrayBuffer;
  const copy = into.resizable ? reserved : new Kind(new ArrayBuffer(bytes));
  if (into.resizable) into.resize(bytes);
  (copy as Uint8Array).set(a as Uint8Array);
  return copy;
}
