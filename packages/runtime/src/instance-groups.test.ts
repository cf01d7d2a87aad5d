import { describe, expect, it } from 'vitest';
import { leftInstanceGroups } from './instance-groups.ts';

describe('groups left by gone instances', () => {
  it('are the groups of the names with another instance than this one, and nothing else', () => {
    const groups = [
      'situation-0a1b2c3d',
      'situation-deadlines-0a1b2c3d',
      'situation-ffffffff',
      'situation-deadlines-12345678',
      'situation-own-12345678',
      'situation-hotspots',
      'situation-0A1B2C3D',
      'situation-0a1b2c3',
      'xsituation-12345678',
      'routing-state-12345678',
    ];
    expect(leftInstanceGroups(groups, ['situation', 'situation-deadlines'], 'ffffffff')).toEqual([
      'situation-0a1b2c3d',
      'situation-deadlines-0a1b2c3d',
      'situation-deadlines-12345678',
    ]);
    expect(leftInstanceGroups(['routing.state-12345678'], ['routing-state'], '00000000')).toEqual([]);
  });
});
