// What the CLI accepts. A command line it cannot make sense of is a usage error: exit 2, with the problem
// named and the usage of the command shown. Anything that goes wrong once the command runs exits 1.

export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
  readonly retryable = false;
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

export const commandUsage = {
  lag: 'petition lag [--group <group>]',
  'dlq list': 'petition dlq list',
  'dlq inspect': 'petition dlq inspect <topic> [--limit <n>]',
  'dlq redrive': 'petition dlq redrive <topic> (--all | --offset <[partition:]offset>… | --reason-code <code>) [--yes]',
  rebuild: 'petition rebuild <intake|tracking|notification|deadline-watchdog> --yes [--redis <url>]',
  token: 'petition token <unitId> [--role <role>]… [--staff <id>] [--ttl 8h] [--node <id>]',
  'directory apply': 'petition directory apply <changes.json> [--yes]',
} as const;

export const generalUsage = [
  'usage: petition <command> [options]',
  '',
  ...Object.values(commandUsage).map((u) => `  ${u}`),
  '',
  'options of every command:',
  '  --brokers <host:port,…>  the broker (default KAFKA_BROKERS, else 127.0.0.1:9092)',
  '  --prefix <prefix>        the deployment’s topic prefix (default TOPIC_PREFIX, else none)',
  '  --json                   JSON on stdout instead of a table',
  '',
].join('\n');
