import { describe, expect, it } from 'vitest';
import { parseProperties, renderProperties } from './properties.ts';

describe('properties', () => {
  const template = '# comment\nnode.id=1\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n\nlog.dirs=/var/lib/kafka\n';

  it('parses key=value lines and skips comments', () => {
    const props = parseProperties(template);
    expect([...props.keys()]).toEqual(['node.id', 'listeners', 'log.dirs']);
    expect(props.get('listeners')).toBe('PLAINTEXT://:9092,CONTROLLER://:9093');
  });

  it('overrides in place, appends the new keys and keeps comments', () => {
    const out = renderProperties(template, { 'log.dirs': '/tmp/k', 'broker.rack': 'r1' });
    expect(out).toContain('# comment\nnode.id=1\n');
    expect(parseProperties(out).get('log.dirs')).toBe('/tmp/k');
    expect(parseProperties(out).get('broker.rack')).toBe('r1');
    expect(out.indexOf('log.dirs=/tmp/k')).toBeLessThan(out.indexOf('broker.rack'));
  });

  it('rejects a line that is not key=value', () => {
    expect(() => parseProperties('just words')).toThrow(/not a key=value line/);
  });
});
