import { describe, expect, it } from 'vitest';
import { propertiesToImageEnv } from './container-kafka.ts';

describe('propertiesToImageEnv', () => {
  it('follows the apache/kafka image naming of configuration variables', () => {
    const env = propertiesToImageEnv(
      new Map([
        ['log.dirs', '/data'],
        ['listener.security.protocol.map', 'A:B'],
        ['some_key.with-dash', 'x'],
      ]),
    );
    expect(env).toEqual({
      KAFKA_LOG_DIRS: '/data',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'A:B',
      KAFKA_SOME__KEY_WITH___DASH: 'x',
    });
  });
});
