import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// The heap a benchmark reads before and after building something: two full collections first, so that the
// difference is what is held, not garbage waiting to be collected. Array buffers count (typed arrays live there).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export function heapHeld(): number {
  collect();
  collect();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
}
