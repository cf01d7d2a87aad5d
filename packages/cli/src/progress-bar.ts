import type { Io } from './io.ts';

// Progress of long work (reading a DLQ, redriving) on stderr, never on stdout where the result goes: a bar
// redrawn in place when stderr is a terminal, else a plain line at each tenth, so that a log keeps a few lines.

export interface ProgressBar {
  /** Sets how many of the total are done. */
  update(done: number): void;
  /** Draws the last state and ends the line. */
  finish(): void;
}

const width = 30;

export function progressBar(io: Io, label: string, total: number): ProgressBar {
  let done = 0;
  let lastTenth = -1;
  let finished = false;
  const draw = () => {
    if (io.errIsTty) {
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      io.err(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`);
      return;
    }
    const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    io.err(`${label}: ${done}/${total}\n`);
  };
  return {
    update(count) {
      done = Math.min(count, total);
      if (!finished) draw();
    },
    finish() {
      if (finished) return;
      done = total;
      draw();
      finished = true;
      if (io.errIsTty) io.err('\n');
    },
  };
}
