import { AuthError, parseTokenKeys, queryCodeMatches, verifyUnitToken } from '@petition/auth';
import { type BusConsumer, caseEvents, createBus, deadlineEvents, onBatch, units } from '@petition/bus';
import { levelName, nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { indexEpoch } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { addOpsRoutes, createRegistry } from '@petition/ops';
import Fastify, { type FastifyReply } from 'fastify';
import { Redis } from 'ioredis';
import type { TrackingConfig } from './config.ts';
import { createReadModel } from './read-model.ts';

// Tracking: every case event and deadline event into read models (read-model.ts), served over HTTP —
// the petitioner's view of a case by number and query code (guessing limited), a unit's inbox with its
// token, units and directory figures. Its consumer group is named after the Redis epoch, so a flush
// rebuilds the read models from the beginning of the topics.

export interface Tracking {
  readonly httpUrl: string;
  close(): Promise<void>;
}

function problem(reply: FastifyReply, status: number, code: string, detail: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `urn:petition:problem:${code}`, title: code, status, code, detail });
}

export async function startTracking(config: TrackingConfig, logger: Logger): Promise<Tracking> {
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: 'tracking',
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  await bus.ensureTopics([caseEvents, deadlineEvents, units], { partitions: config.topicPartitions });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const prefix = `${config.topicPrefix}trk:`;
  const epoch = await indexEpoch(redis, prefix);
  const model = createReadModel(redis, prefix);
  const directory = nationalDirectory();
  const tokenKeys = parseTokenKeys(config.tokenKeys);

  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, { groupId: `tracking-directory-${Date.now().toString(36)}`, logger }),
    bus.consumer({
      groupId: `tracking-${epoch}`,
      fromBeginning: true,
      subscriptions: [
        onBatch(caseEvents, async (records) => {
          for (const r of records) await model.applyCaseEvent(r.value);
        }),
        onBatch(deadlineEvents, async (records) => {
          for (const r of records) await model.applyDeadlineEvent(r.value);
        }),
      ],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));

  const unitView = (unitId: string) => {
    const u = directory.unit(unitId);
    return u && { unitId: u.unitId, name: u.name, level: levelName(u.level), regionCode: u.regionCode };
  };

  const app = Fastify({ logger: false, bodyLimit: 16_384 });
  let closing = false;
  addOpsRoutes(app, {
    registry: createRegistry(),
    checks: async () => ({
      redis: await redis.ping().then(
        (r) => r === 'PONG',
        () => false,
      ),
      accepting: !closing,
    }),
  });

  app.get<{ Params: { caseNumber: string }; Querystring: { queryCode?: string } }>(
    '/v1/cases/:caseNumber',
    async (request, reply) => {
      const { caseNumber } = request.params;
      const code = request.query.queryCode ?? '';
      if (!code) return problem(reply, 400, 'QUERY_CODE_REQUIRED', 'queryCode is required with the case number');
      const guesses = `${prefix}g:${request.ip}`;
      if (Number((await redis.get(guesses)) ?? 0) >= config.guessLimit) {
        return problem(reply, 429, 'TOO_MANY_GUESSES', 'too many wrong case numbers or query codes; try later');
      }
      const found = await model.caseByNumber(caseNumber);
      if (!found || !queryCodeMatches(caseNumber, code, (found as { queryCodeHash?: string }).queryCodeHash ?? '')) {
        await redis.multi().incr(guesses).expire(guesses, 600).exec();
        return problem(reply, 404, 'CASE_NOT_FOUND', 'no case with this number and query code');
      }
      const c = found as typeof found & { state?: string; holder?: string };
      return {
        caseNumber,
        state: c.state,
        holder: unitView(c.holder ?? ''),
        timeline: found.timeline,
        clocks: found.clocks,
      };
    },
  );

  app.get<{ Params: { unitId: string } }>('/v1/units/:unitId/inbox', async (request, reply) => {
    let claims: { unitId: string };
    try {
      const header = request.headers.authorization ?? '';
      claims = verifyUnitToken(tokenKeys, header.startsWith('Bearer ') ? header.slice(7) : undefined);
    } catch (err) {
      if (err instanceof AuthError) return problem(reply, 401, err.code, err.message);
      throw err;
    }
    const { unitId } = request.params;
    // Staff see their own unit's inbox, and a supervisor any unit under it.
    if (claims.unitId !== unitId && !directory.isWithin(unitId, claims.unitId)) {
      return problem(reply, 403, 'NOT_YOUR_UNIT', `a token of ${claims.unitId} does not open ${unitId}`);
    }
    return { unit: unitView(unitId), cases: await model.inbox(unitId) };
  });

  app.get<{ Params: { unitId: string } }>('/v1/units/:unitId', async (request, reply) => {
    const u = unitView(request.params.unitId);
    return u ?? problem(reply, 404, 'UNKNOWN_UNIT', `no unit ${request.params.unitId}`);
  });

  app.get('/v1/directory/stats', async () => directory.counts());

  const httpUrl = await app.listen({ port: config.httpPort, host: config.host });
  logger.info({ http: httpUrl, epoch }, 'tracking running');
  return {
    httpUrl,
    async close() {
      closing = true;
      await app.close();
      await bus.close();
      redis.disconnect();
      logger.info('tracking stopped');
    },
  };
}
