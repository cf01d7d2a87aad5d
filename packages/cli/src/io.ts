// Where the CLI writes: tables and JSON on stdout (what a pipe or a script reads), progress and problems on
// stderr. Passed in, so that a test runs the commands in its own process and reads what they printed.

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress is drawn as a bar there, as plain lines otherwise. */
  readonly errIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  errIsTty: process.stderr.isTTY === true,
  env: process.env,
};

/** An Io that keeps what is written, for tests. */
export function capturedIo(env: Readonly<Record<string, string | undefined>> = process.env) {
  const captured = { stdout: '', stderr: '' };
  const io: Io = {
    out(text) {
      captured.stdout += text;
    },
    err(text) {
      captured.stderr += text;
    },
    errIsTty: false,
    env,
  };
  return { io, captured };
}

export type Cell = string | number | bigint;

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] !== 'string'));
  const line = (cells: readonly string[], isHeader: boolean) =>
    cells
      .map((cell, i) => (numeric[i] && !isHeader ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers, true), ...text.map((row) => line(row, false))].join('\n')}\n`;
}

/** JSON for machines; offsets are bigints on the bus and strings here, as Kafka tools print them. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
