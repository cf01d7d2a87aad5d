/** Java `.properties` files, as far as Kafka's configuration uses them: key=value lines and comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at <= 0) throw new Error(`not a key=value line: ${JSON.stringify(raw)}`);
    out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

/** The file's lines with `overrides` applied in place, and overrides for absent keys appended. */
export function renderProperties(template: string, overrides: Record<string, string>): string {
  const pending = new Map(Object.entries(overrides));
  const lines = template.split(/\r?\n/).map((raw) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return raw;
    const key = line.slice(0, line.search(/[=:]/)).trim();
    const value = pending.get(key);
    if (value === undefined) return raw;
    pending.delete(key);
    return `${key}=${value}`;
  });
  if (pending.size > 0) lines.push('# set by the launcher', ...[...pending].map(([k, v]) => `${k}=${v}`));
  return `${lines.join('\n').trimEnd()}\n`;
}
