import type { Logger } from '@petition/logging';

export const redisContainerName = (port: number) => `petition-redis-${port}`;

/**
 * Redis 7 in the official image on REDIS_URL's port, for a machine where a Docker engine answers and
 * Debian's redis-server cannot be installed (not root). Named and reused, so that it outlives `infra:up`
 * like the local redis-server does; `infra:down` removes it.
 */
export async function startContainerRedis(
  options: { port: number; password?: string; startTimeoutMs: number },
  logger: Logger,
): Promise<{ name: string }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const command = ['redis-server', '--port', '6379', ...(options.password ? ['--requirepass', options.password] : [])];
  const container = await new GenericContainer('redis:7')
    .withName(redisContainerName(options.port))
    .withReuse()
    .withCommand(command)
    .withExposedPorts({ container: 6379, host: options.port })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(options.startTimeoutMs)
    .start();
  logger.info({ container: container.getName(), port: options.port }, 'Redis running in a container');
  return { name: container.getName() };
}
