import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Context, createContext } from './context.ts';
import { directoryApplyCommand } from './directory.ts';
import { dlqInspectCommand, dlqListCommand } from './dlq.ts';
import { type Io, json } from './io.ts';
import { lagCommand } from './lag.ts';
import { isRebuildable, rebuildableServices, rebuildCommand } from './rebuild.ts';
import { dlqRedriveCommand } from './redrive.ts';
import { describeStaffToken, issueStaffToken, StaffTokenRequestError } from './staff-token.ts';
import { commandUsage, generalUsage, UsageError } from './usage.ts';

// The command line: which command, its options (checked strictly: an option a command does not take is a
// usage error naming it), then the command. Exit codes: 0 done, 1 failed, 2 usage error.

type Options = NonNullable<ParseArgsConfig['options']>;

const globalOptions = {
  brokers: { type: 'string' },
  prefix: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies Options;

const commands = {
  lag: { group: { type: 'string' } },
  'dlq list': {},
  'dlq inspect': { limit: { type: 'string' } },
  'dlq redrive': {
    all: { type: 'boolean' },
    offset: { type: 'string', multiple: true },
    'reason-code': { type: 'string' },
    yes: { type: 'boolean' },
  },
  rebuild: { yes: { type: 'boolean' }, redis: { type: 'string' } },
  token: {
    role: { type: 'string', multiple: true },
    staff: { type: 'string' },
    ttl: { type: 'string' },
    node: { type: 'string' },
  },
  'directory apply': { yes: { type: 'boolean' } },
} satisfies Record<keyof typeof commandUsage | string, Options>;

type CommandName = keyof typeof commands;

/** The command the first words name: `dlq inspect` takes two, the others one. */
function commandOf(args: readonly string[]): { name: CommandName; rest: string[] } {
  const [first = '', second = ''] = args;
  const two = `${first} ${second}`;
  if (two in commands) return { name: two as CommandName, rest: args.slice(2) };
  if (first in commands) return { name: first as CommandName, rest: args.slice(1) };
  if (first === 'dlq' || first === 'directory') {
    const subs = Object.keys(commands).filter((c) => c.startsWith(`${first} `));
    throw new UsageError(
      second === ''
        ? `"${first}" needs a subcommand: ${subs.join(', ')}`
        : `unknown command "${two}"; one of ${subs.join(', ')}`,
      generalUsage,
    );
  }
  throw new UsageError(first === '' ? 'no command given' : `unknown command "${first}"`, generalUsage);
}

function parse<O extends Options>(name: string, args: string[], options: O) {
  const usage = `usage: ${commandUsage[name as keyof typeof commandUsage]}\n`;
  try {
    return {
      ...parseArgs({ args, options: { ...globalOptions, ...options }, allowPositionals: true, strict: true }),
      usage,
    };
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

function positionalCount(positionals: string[], count: number, what: string, usage: string) {
  if (positionals.length !== count) {
    throw new UsageError(
      positionals.length < count ? `missing ${what}` : `unexpected argument "${positionals[count]}"`,
      usage,
    );
  }
}

async function dispatch(io: Io, args: string[], onContext: (ctx: Context) => void): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.out(generalUsage);
    return args.length === 0 ? 2 : 0;
  }
  const { name, rest } = commandOf(args);
  const { values, positionals, usage } = parse(name, rest, commands[name]);
  const v = values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) {
    io.out(usage);
    return 0;
  }
  const ctx = createContext(io, { brokers: v.brokers as string, prefix: v.prefix as string, json: v.json === true });
  onContext(ctx);
  switch (name) {
    case 'lag':
      positionalCount(positionals, 0, '', usage);
      return lagCommand(ctx, { group: v.group as string | undefined });
    case 'dlq list':
      positionalCount(positionals, 0, '', usage);
      return dlqListCommand(ctx);
    case 'dlq inspect': {
      positionalCount(positionals, 1, 'the topic whose DLQ to inspect', usage);
      const limit = v.limit === undefined ? 20 : Number(v.limit);
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new UsageError(`--limit "${v.limit}": a whole number from 1`, usage);
      return dlqInspectCommand(ctx, positionals[0] as string, limit);
    }
    case 'dlq redrive': {
      positionalCount(positionals, 1, 'the topic whose DLQ to redrive', usage);
      const offsets = (v.offset as string[] | undefined) ?? [];
      const reasonCode = v['reason-code'] as string | undefined;
      if (v.all === true && offsets.length > 0) throw new UsageError('--all and --offset exclude each other', usage);
      if (v.all !== true && offsets.length === 0 && reasonCode === undefined) {
        throw new UsageError('say which records: --all, --offset <[partition:]offset>… or --reason-code <code>', usage);
      }
      for (const o of offsets) {
        if (!/^(\d+:)?\d+$/.test(o)) throw new UsageError(`--offset "${o}": an offset, or <partition>:<offset>`, usage);
      }
      return dlqRedriveCommand(
        ctx,
        positionals[0] as string,
        { all: v.all === true, offsets, reasonCode },
        v.yes === true,
      );
    }
    case 'rebuild': {
      positionalCount(positionals, 1, `the service to rebuild (${rebuildableServices.join(', ')})`, usage);
      const service = positionals[0] as string;
      if (!isRebuildable(service)) {
        throw new UsageError(`cannot rebuild "${service}": one of ${rebuildableServices.join(', ')}`, usage);
      }
      if (v.yes !== true) {
        throw new UsageError(
          `rebuilding ${service} makes every instance restart and read its topics again: add --yes`,
          usage,
        );
      }
      return rebuildCommand(ctx, service, (v.redis as string) ?? (io.env.REDIS_URL || 'redis://127.0.0.1:6379'));
    }
    case 'token': {
      positionalCount(positionals, 1, 'the unit id, such as 330106-rsj', usage);
      let issued: ReturnType<typeof issueStaffToken>;
      try {
        issued = issueStaffToken({
          unitId: positionals[0] as string,
          roles: v.role as string[] | undefined,
          staffId: v.staff as string | undefined,
          ttl: v.ttl as string | undefined,
          nodeId: v.node as string | undefined,
        });
      } catch (error) {
        if (error instanceof StaffTokenRequestError) throw new UsageError(error.message, usage);
        throw error;
      }
      if (ctx.json) {
        const { token, unitId, unitName, staffId, roles, issuer, until } = issued;
        io.out(json({ token, unitId, unitName, staffId, roles, issuer, until: until.toISOString() }));
      } else {
        io.err(`${describeStaffToken(issued)}:\n`);
        io.out(`${issued.token}\n`);
      }
      return 0;
    }
    case 'directory apply':
      positionalCount(positionals, 1, 'the file of directory changes', usage);
      return directoryApplyCommand(ctx, positionals[0] as string, v.yes === true);
  }
}

/** Runs one command line; resolves to the exit code. Problems go to stderr, named. */
export async function run(args: string[], io: Io): Promise<number> {
  let ctx: Context | undefined;
  try {
    return await dispatch(io, args, (c) => {
      ctx = c;
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`petition: ${error.message}\n${error.usage}`);
      return 2;
    }
    const e = error as Error & { code?: string };
    io.err(`petition: ${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}\n`);
    return 1;
  } finally {
    await ctx?.close().catch(() => undefined);
  }
}
