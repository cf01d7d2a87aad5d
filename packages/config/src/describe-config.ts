import type { ConfigOf, ConfigSchema } from './load-config.ts';

/** One row of a service's configuration reference. */
export interface ConfigRow {
  /** The name the code uses. */
  key: string;
  variable: string;
  type: string;
  /** As it would be written in the environment; `undefined` when there is none (or it is secret). */
  default: string | undefined;
  required: boolean;
  secret: boolean;
  description: string | undefined;
}

const hidden = '[secret]';

/** The configuration reference of a schema, for READMEs and `--help`, in schema order. */
export function describeConfig(schema: ConfigSchema): ConfigRow[] {
  return Object.entries(schema).map(([key, reader]) => ({
    key,
    variable: reader.variable,
    type: reader.type,
    default: !reader.hasDefault ? undefined : reader.secret ? hidden : reader.format(reader.default),
    required: reader.required,
    secret: reader.secret,
    description: reader.doc,
  }));
}

/** The reference as a Markdown table. */
export function formatConfigReference(schema: ConfigSchema): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const rows = describeConfig(schema).map((row) => {
    const fallback = row.default === undefined ? (row.required ? 'required' : '') : `\`${row.default}\``;
    return `| \`${row.variable}\` | ${cell(row.type)} | ${cell(fallback)} | ${cell(row.description ?? '')} |`;
  });
  return ['| Variable | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * A loaded configuration fit for a start-up log line: a secret that is set shows as `[secret]`, one that is
 * not stays `undefined`, since whether it is configured is often the very thing being diagnosed.
 */
export function redactConfig<S extends ConfigSchema>(schema: S, config: ConfigOf<S>): Record<keyof S, unknown> {
  const values: Record<string, unknown> = config;
  const safe: Record<string, unknown> = {};
  for (const [key, reader] of Object.entries(schema)) {
    safe[key] = reader.secret && values[key] !== undefined ? hidden : values[key];
  }
  return safe as Record<keyof S, unknown>;
}
