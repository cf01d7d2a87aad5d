import type { LevelName } from '@petition/directory';
import { counterNames } from '@petition/kpi';
import type { Period } from './queries.ts';

// The KPI tables as CSV (GET …/kpis.csv): what a spreadsheet opens as the JSON's table.

/** The administrative levels as the CSV names them. */
const levelWords: Readonly<Record<LevelName, string>> = {
  national: '国家级',
  provincial: '省级',
  prefecture: '地市级',
  county: '县级',
};

/** One cell of CSV (RFC 4180); text a spreadsheet would run as a formula is kept as text. */
function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/u.test(value) ? `'${value}` : value;
  return /[",\r\n]/u.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A row of a KPI table: where and when it counts, its counts and its KPIs. */
export interface KpiRow {
  readonly scope: string;
  readonly unit?: { unitId: string; name?: string; level?: string; regionCode?: string };
  readonly regionCode?: string;
  readonly day?: string;
  readonly counts: Readonly<Record<string, number | undefined>>;
  readonly kpis: Readonly<Record<string, number | null>>;
}

/**
 * A KPI table as CSV: a UTF-8 byte-order mark (spreadsheets then read the Chinese right), a header of the
 * columns in Chinese and the counters and KPIs by their names, a line per row; a counter not counted is 0,
 * a KPI with nothing to judge is empty.
 */
export function kpiCsv(period: Period, kpiNames: readonly string[], rows: readonly KpiRow[]): string {
  const header = [
    '范围',
    '单位编码',
    '单位名称',
    '层级',
    '区划代码',
    '日期',
    '起始日期',
    '截止日期',
    ...counterNames,
    ...kpiNames,
  ];
  const lines = rows.map((r) => [
    r.scope,
    r.unit?.unitId ?? '',
    r.unit?.name ?? '',
    levelWords[r.unit?.level as LevelName] ?? '',
    r.regionCode ?? r.unit?.regionCode ?? '',
    r.day ?? '',
    r.day ?? period.from,
    r.day ?? period.to,
    ...counterNames.map((c) => r.counts[c] ?? 0),
    ...kpiNames.map((n) => r.kpis[n] ?? null),
  ]);
  return `\uFEFF${[header, ...lines].map((line) => line.map(csvCell).join(',')).join('\r\n')}\r\n`;
}
