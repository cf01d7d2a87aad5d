// Accepted petitions/s through intake (validation, case number, sealing, publish with acks=all) and its
// p99 latency, beside bare fastify answering the same requests, both as their own processes, measured by
// autocannon in this process, in the same run.
import type { Logger } from '@petition/logging';
import { testStaffEnv } from '@petition/testing';
import autocannon from 'autocannon';
import { oneClientLoadEnv } from '../scripts/network.ts';
import { startProcess, stopProcess } from './processes.ts';

const body = JSON.stringify({
  channel: 'WEB',
  petitioner: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
  regionCode: '330106',
  category: '劳动社保',
  kind: '申诉求决',
  title: '拖欠工资',
  content: '某公司拖欠工资三个月，请求处理。',
});

async function load(url: string, seconds: number, connections: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  const ok = result['2xx'];
  return {
    requestsPerSec: Math.round(ok / seconds),
    p99Ms: result.latency.p99,
    p50Ms: result.latency.p50,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export async function benchIntake(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'intake' });
  const seconds = Math.max(3, Math.round(options.records / 2_000));
  const connections = 32;
  const hello = await startProcess(['bench/hello-server.ts', '18181'], process.env, 'http://127.0.0.1:18181/', logger);
  let bare: Awaited<ReturnType<typeof load>>;
  try {
    await load('http://127.0.0.1:18181/v1/petitions', 1, connections); // warm-up
    bare = await load('http://127.0.0.1:18181/v1/petitions', seconds, connections);
  } finally {
    await stopProcess(hello);
  }
  logger.info(bare, 'bare fastify done');
  const env = {
    ...process.env,
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: `t-bench-intake-${Date.now().toString(36)}.`,
    INTAKE_HTTP_PORT: '18182',
    INTAKE_OPS_PORT: '0',
    INTAKE_GRPC_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...oneClientLoadEnv,
    ...testStaffEnv(),
    ALLOW_DEVELOPMENT_SECRETS: 'true',
  };
  const intake = await startProcess(['services/intake/src/main.ts'], env, 'http://127.0.0.1:18182/readyz', logger);
  let measured: Awaited<ReturnType<typeof load>>;
  try {
    await load('http://127.0.0.1:18182/v1/petitions', 2, connections); // warm-up: JIT, producer, topics
    measured = await load('http://127.0.0.1:18182/v1/petitions', seconds, connections);
  } finally {
    await stopProcess(intake);
  }
  logger.info(measured, 'intake done');
  return {
    bench: 'intake',
    seconds,
    connections,
    intake: {
      acceptedPerSec: measured.requestsPerSec,
      p50Ms: measured.p50Ms,
      p99Ms: measured.p99Ms,
      non2xx: measured.non2xx,
      errors: measured.errors,
    },
    reference: 'bare fastify answering the same POST, same machine, same run',
    bareFastify: { requestsPerSec: bare.requestsPerSec, p50Ms: bare.p50Ms, p99Ms: bare.p99Ms },
    ratio: Number((measured.requestsPerSec / bare.requestsPerSec).toFixed(3)),
    target: 0.5,
    publish: 'acks=all, idempotent producer',
  };
}
