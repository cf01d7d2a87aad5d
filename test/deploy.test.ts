// The deployment files of deploy/ checked as an operator would find them: the compose file as docker-compose
// reads it, the Kubernetes overlays as kustomize renders them and validated against the Kubernetes API
// schemas (kubernetes-models, KEDA's from @kubernetes-models/keda), the Dockerfile's rules, and the Kafka
// topic list and ACLs against the topic catalogue (packages/bus). Every rule is also shown failing on a
// file or object broken on purpose.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { allTopics, dlqSuffix } from '@petition/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const deploy = join(root, 'deploy');
const services = ['intake', 'routing', 'deadline-watchdog', 'notification', 'tracking'] as const;
/** Every workload of a node: the five services and situation (one pod, its state in memory only). */
const workloads = [...services, 'situation'] as const;
/** The services that consume in groups shared by their instances, so that KEDA scales them on lag. */
const consumerGroupServices = ['routing', 'deadline-watchdog', 'notification', 'tracking'];

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are checked field by field below
type K8sObject = Record<string, any>;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.error)
    throw new Error(`${cmd} could not run: ${r.error.message} (npm test installs it: scripts/toolchain.mjs)`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every topic of the catalogue and its `.dlq` beside it, as the bus makes them (packages/bus admin.ts). */
const wantedTopics = () =>
  allTopics.flatMap((spec) => [
    { topic: spec.name, compacted: spec.compacted === true },
    { topic: spec.name + dlqSuffix, compacted: false },
  ]);

const pinnedKafkaVersion = () => {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(
    readFileSync(join(deploy, 'kafka', 'pom.xml'), 'utf8'),
  );
  if (!match?.[1]) throw new Error('deploy/kafka/pom.xml names no kafka.version');
  return match[1];
};

// ---------------------------------------------------------------------------------------------------------
// Compose

/** What `compose config` needs from deploy/.env (deploy/make-dev-secrets.sh) and the operator. */
const composeEnv = {
  KAFKA_CLUSTER_ID: 'MkU3OEVBNTcwNTJENDM2Qk',
  KAFKA_ADMIN_PASSWORD: 'p-admin',
  INTAKE_KAFKA_PASSWORD: 'p-intake',
  ROUTING_KAFKA_PASSWORD: 'p-routing',
  DEADLINE_WATCHDOG_KAFKA_PASSWORD: 'p-watchdog',
  NOTIFICATION_KAFKA_PASSWORD: 'p-notification',
  TRACKING_KAFKA_PASSWORD: 'p-tracking',
  SITUATION_KAFKA_PASSWORD: 'p-situation',
  DIRECTORY_FEED_KAFKA_PASSWORD: 'p-directory',
  MIRROR_MAKER_KAFKA_PASSWORD: 'p-mm2',
  REDIS_PASSWORD: 'p-redis',
  QUERY_CODE_SECRET: 'q'.repeat(40),
  PERSON_ID_SECRET: 'person-id-secret',
  NOTIFY_OPS_TOKEN: 'ops-token',
  SEAL_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  STAFF_JWKS: '{"keys":[]}',
  STAFF_TOKEN_ISSUERS: '33',
  INTAKE_SOURCE_ID: '330',
  NODE_ID: '33',
  PEER_NODES: 'national',
};

// An empty env file instead of deploy/.env (deploy/make-dev-secrets.sh): an operator's own changes nothing here.
const noEnvFile = join(mkdtempSync(join(tmpdir(), 'compose-env-')), 'empty.env');
writeFileSync(noEnvFile, '');

/** `docker-compose -f FILE config`: the problems it reports (empty when valid) and the resolved file. */
function composeConfig(file: string, env: Record<string, string> = composeEnv) {
  const checked = run('docker-compose', ['-f', file, '--env-file', noEnvFile, 'config'], env);
  return {
    problems: checked.status === 0 ? '' : checked.stderr.trim() || `exit ${checked.status}`,
    resolved: checked.status === 0 ? (parseAllDocuments(checked.stdout)[0]?.toJS() as K8sObject) : undefined,
  };
}

describe('deploy/compose.yaml', () => {
  const file = join(deploy, 'compose.yaml');
  let resolved: K8sObject;
  beforeAll(() => {
    const quiet = run('docker-compose', ['-f', file, '--env-file', noEnvFile, 'config', '-q'], composeEnv);
    expect(quiet.stderr).toBe('');
    expect(quiet.status).toBe(0);
    const config = composeConfig(file);
    expect(config.problems).toBe('');
    resolved = config.resolved as K8sObject;
  });

  it('is refused naming the key when a key is wrong, and naming the variable when a secret is unset', () => {
    const broken = join(deploy, `compose.broken-${process.pid}.yaml`);
    try {
      writeFileSync(broken, readFileSync(file, 'utf8').replace('    command: [routing]\n', '    comand: [routing]\n'));
      expect(composeConfig(broken).problems).toMatch(/routing.*comand|comand.*routing/s);
    } finally {
      rmSync(broken, { force: true });
    }
    const { REDIS_PASSWORD: _unset, ...withoutRedis } = composeEnv;
    expect(composeConfig(file, withoutRedis).problems).toContain('REDIS_PASSWORD');
  });

  it('runs three KRaft brokers of the pinned Kafka version, each a controller, on SASL_SSL', () => {
    const brokers = Object.entries(resolved.services as Record<string, K8sObject>).filter(([name]) =>
      /^kafka-\d$/.test(name),
    );
    expect(brokers.map(([name]) => name).sort()).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    for (const [, broker] of brokers) expect(broker.image).toBe(`apache/kafka:${pinnedKafkaVersion()}`);
    expect(brokers.map(([, b]) => b.environment.KAFKA_NODE_ID).sort()).toEqual(['1', '2', '3']);
    const script = readFileSync(join(deploy, 'kafka', 'compose-broker.sh'), 'utf8');
    expect(script).toContain('process.roles=broker,controller');
    expect(script).toContain('controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093');
    expect(script).toMatch(/^listener\.security\.protocol\.map=CONTROLLER:SASL_SSL,SASL_SSL:SASL_SSL$/m);
    expect(script).toMatch(/^allow\.everyone\.if\.no\.acl\.found=false$/m);
    expect(script).toMatch(/^super\.users=User:admin$/m);
    expect(script).not.toMatch(/PLAINTEXT:\/\//);
  });

  it('runs the five services on the image, each as its own Kafka principal over SASL_SSL, Redis over TLS with a password', () => {
    for (const name of services) {
      const service = resolved.services[name];
      expect(service, name).toBeDefined();
      expect(service.build.dockerfile).toBe('deploy/Dockerfile');
      expect(service.command).toEqual([name]);
      const env = service.environment;
      expect(env.KAFKA_SECURITY_PROTOCOL).toBe('SASL_SSL');
      expect(env.KAFKA_SASL_MECHANISM).toBe('SCRAM-SHA-512');
      expect(env.KAFKA_SASL_USERNAME).toBe(name);
      expect(env.KAFKA_SASL_PASSWORD).toBe(
        composeEnv[`${name.replace('-', '_').toUpperCase()}_KAFKA_PASSWORD` as 'ROUTING_KAFKA_PASSWORD'],
      );
      expect(env.KAFKA_TLS_CA).toBe('/certs/ca.crt');
      expect(env.REDIS_URL).toBe(`rediss://:${composeEnv.REDIS_PASSWORD}@redis:6379`);
      expect(env.TOPIC_REPLICATION_FACTOR).toBe('3');
      expect(env.TOPIC_MIN_INSYNC_REPLICAS).toBe('2');
      expect(service.depends_on['kafka-setup'].condition).toBe('service_completed_successfully');
    }
    // Situation as well, on the image as its own principal; tracking's pages reach it by name.
    const situation = resolved.services.situation;
    expect(situation.command).toEqual(['situation']);
    expect(situation.environment.KAFKA_SASL_USERNAME).toBe('situation');
    expect(situation.environment.KAFKA_SASL_PASSWORD).toBe(composeEnv.SITUATION_KAFKA_PASSWORD);
    expect(situation.environment.KAFKA_SECURITY_PROTOCOL).toBe('SASL_SSL');
    expect(resolved.services.tracking.environment.TRACKING_SITUATION_URL).toBe('http://situation:8082');
    const redis = resolved.services.redis;
    expect(redis.command.join(' ')).toContain('--port 0 --tls-port 6379');
    expect(redis.command.join(' ')).toContain('requirepass');
  });

  it('makes the topics and ACLs before the services start, and runs MirrorMaker 2 for the inbound links', () => {
    const setup = resolved.services['kafka-setup'];
    expect(setup.command.join(' ')).toContain('create-topics.sh && /deploy/kafka/apply-acls.sh');
    expect(setup.environment.TOPIC_REPLICATION_FACTOR).toBe('3');
    expect(setup.environment.TOPIC_MIN_INSYNC_REPLICAS).toBe('2');
    const mm2 = resolved.services['mirror-maker'];
    expect(mm2.command).toEqual(['/bin/bash', '/deploy/mirror-maker/start.sh']);
    expect(mm2.environment.NODE_ID).toBe('33');
    expect(mm2.environment.PEER_NODES).toBe('national');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Dockerfile

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

function stagesOf(dockerfile: string): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  const joined = dockerfile.replace(/\\\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from?.[1]) {
      const image = from[1].replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? '');
      stages.push({ from: image, name: from[2], lines: [] });
      continue;
    }
    const arg = /^ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg?.[1] && arg[2] !== undefined && stages.length === 0) args.set(arg[1], arg[2]);
    stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

/** The rules of issue 23 for the image, as problems (empty when the Dockerfile keeps them all). */
function dockerfileProblems(dockerfile: string): string[] {
  const problems: string[] = [];
  const { stages } = stagesOf(dockerfile);
  if (stages.length < 2) problems.push('not multi-stage');
  for (const stage of stages) {
    if (!/^node:24(\.|-|$)/.test(stage.from))
      problems.push(`stage ${stage.name ?? '?'} is FROM ${stage.from}, not node:24`);
  }
  const final = stages.at(-1);
  if (!final) return ['no FROM'];
  const users = final.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1] ?? '');
  const user = users.at(-1);
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push(`the final stage runs as ${user ?? 'root (no USER)'}`);
  if (!final.lines.some((l) => /^HEALTHCHECK\s+(--\S+\s+)*CMD\s/i.test(l))) problems.push('no HEALTHCHECK');
  if (!final.lines.some((l) => /^(ENTRYPOINT|CMD)\s/i.test(l))) problems.push('no ENTRYPOINT or CMD');
  // No dev dependency in what runs: nothing installed in the final stage, and its node_modules come from
  // a stage that installed with --prod.
  for (const l of final.lines) {
    if (/\b(pnpm|npm|yarn)\s+(install|i|add|ci)\b/.test(l)) problems.push(`the final stage installs: ${l}`);
  }
  for (const l of final.lines) {
    const copy = /^COPY\s+.*--from=(\S+)\s+(?:--\S+\s+)*(\S+)\s+\S+$/i.exec(l);
    if (!copy?.[1] || !copy[2]) continue;
    const source = stages.find((s) => s.name === copy[1]);
    const copiesModules = copy[2] === '/app' || copy[2].includes('node_modules');
    if (!copiesModules) continue;
    const installs = source?.lines.filter((s) => /\bpnpm\s+install\b/.test(s)) ?? [];
    if (installs.length === 0 || installs.some((s) => !/--prod\b/.test(s)))
      problems.push(`the final stage copies ${copy[2]} from ${copy[1]}, which installs dev dependencies`);
  }
  return problems;
}

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8');

  it('is multi-stage on Node 24, runs as a non-root user with a healthcheck and production dependencies only', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
    const { args } = stagesOf(dockerfile);
    expect(args.get('NODE_VERSION')).toBe(readFileSync(join(root, '.nvmrc'), 'utf8').trim());
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string };
    expect(`pnpm@${args.get('PNPM_VERSION')}`).toBe(manifest.packageManager);
  });

  it('fails each rule when the Dockerfile breaks it', () => {
    const broken = (from: string | RegExp, to: string) => {
      const text = dockerfile.replace(from, to);
      expect(text).not.toBe(dockerfile);
      return dockerfileProblems(text);
    };
    expect(
      broken(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS runtime$/m, 'FROM node:22-slim AS runtime'),
    ).toContain('stage runtime is FROM node:22-slim, not node:24');
    expect(broken(/^USER node$/m, 'USER root')).toContain('the final stage runs as root');
    expect(broken(/^USER node$/m, '')).toContain('the final stage runs as root (no USER)');
    expect(broken(/^HEALTHCHECK .*$/m, '')).toContain('no HEALTHCHECK');
    expect(broken('pnpm install --prod --frozen-lockfile', 'pnpm install --frozen-lockfile')).toContain(
      'the final stage copies /app from production-deps, which installs dev dependencies',
    );
    expect(broken(/^USER node$/m, 'RUN npm install -g typescript\nUSER node')).toContain(
      'the final stage installs: RUN npm install -g typescript',
    );
    const single = dockerfile.slice(dockerfile.search(/^FROM .* AS runtime$/m));
    expect(dockerfileProblems(`ARG NODE_VERSION=24.21.0\n${single}`)).toContain('not multi-stage');
  });

  it('has an entrypoint that runs only the five services', () => {
    const entry = (arg: string) => run('sh', [join(deploy, 'entrypoint.sh'), arg], { SERVICE: '' });
    const refused = entry('../../etc/passwd');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('choose the service');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Kafka topics and ACLs

const dryRun = (script: string, env: Record<string, string>, dir = join(deploy, 'kafka')) => {
  const r = run('bash', [join(dir, script)], { KAFKA_BROKERS: 'kafka:9092', DRY_RUN: '1', ...env });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
};

interface Acl {
  principal: string;
  operation: string;
  resource: string;
  pattern: string;
  name: string;
}
const aclsOf = (lines: string[]): Acl[] =>
  lines.map((l) => {
    const [principal = '', operation = '', resource = '', pattern = '', name = ''] = l.split(' ');
    return { principal, operation, resource, pattern, name };
  });

/** The one-writer rule (DESIGN "Topics") over the ACLs: problems, empty when each topic has its writer alone. */
function aclProblems(acls: Acl[], prefix = ''): string[] {
  const problems: string[] = [];
  const writes = (topic: string) =>
    acls.filter(
      (a) =>
        a.resource === 'topic' &&
        ['Write', 'All'].includes(a.operation) &&
        (a.pattern === 'literal' ? a.name === topic : topic.startsWith(a.name)),
    );
  const reads = (topic: string) =>
    acls.filter((a) => a.resource === 'topic' && a.operation === 'Read' && a.name === topic).map((a) => a.principal);
  for (const spec of allTopics) {
    const topic = prefix + spec.name;
    const writers = writes(topic).map((a) => a.principal);
    if (writers.join() !== spec.writer)
      problems.push(`${topic} is written by ${writers.join(', ') || 'nobody'}, not ${spec.writer}`);
    for (const parker of writes(`${topic}.dlq`).map((a) => a.principal)) {
      if (!reads(topic).includes(parker)) problems.push(`${parker} writes ${topic}.dlq but does not read ${topic}`);
    }
  }
  return problems;
}

describe('deploy/kafka: topics and ACLs', () => {
  it('lists every topic of the catalogue and its .dlq, compacted where the catalogue says', () => {
    const listed = readFileSync(join(deploy, 'kafka', 'topics.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => l.split(/\s+/).join(' '));
    expect(listed.sort()).toEqual(
      wantedTopics()
        .map((t) => `${t.topic} ${t.compacted ? 'compact' : 'delete'}`)
        .sort(),
    );
  });

  it('creates each topic with the replication factor and min.insync.replicas given, and the link topics of a node', () => {
    const commands = dryRun('create-topics.sh', {
      TOPIC_REPLICATION_FACTOR: '3',
      TOPIC_MIN_INSYNC_REPLICAS: '2',
      NODE_ID: '33',
      PEER_NODES: 'national',
    });
    const created = commands.map((c) => /--topic (\S+)/.exec(c)?.[1]);
    expect(created).toEqual(
      expect.arrayContaining([
        ...wantedTopics().map((t) => t.topic),
        'petition.link.33.national.v1',
        'petition.link.national.33.v1',
      ]),
    );
    for (const c of commands) {
      expect(c).toContain('--replication-factor 3');
      expect(c).toContain('--config min.insync.replicas=2');
      expect(c).toContain('--if-not-exists');
    }
    const refused = run('bash', [join(deploy, 'kafka', 'create-topics.sh')], {
      KAFKA_BROKERS: 'kafka:9092',
      DRY_RUN: '1',
      TOPIC_REPLICATION_FACTOR: '1',
      TOPIC_MIN_INSYNC_REPLICAS: '2',
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('exceeds TOPIC_REPLICATION_FACTOR');
  });

  it("gives each topic's writer alone the right to write it (routing alone writes case-events)", () => {
    const acls = aclsOf(dryRun('apply-acls.sh', { NODE_ID: '33', PEER_NODES: 'national', TOPIC_PREFIX: 'p.' }));
    expect(aclProblems(acls, 'p.')).toEqual([]);
    const caseEventWriters = acls.filter((a) => a.name === 'p.petition.case-events.v1' && a.operation === 'Write');
    expect(caseEventWriters.map((a) => a.principal)).toEqual(['routing']);
    // Groups: each service reads only groups named after it.
    for (const a of acls.filter((x) => x.resource === 'group' && services.includes(x.principal as 'routing'))) {
      expect(a.name.startsWith(`p.${a.principal}`), `${a.principal} group ${a.name}`).toBe(true);
    }
    // The links: routing writes the outbound one, MirrorMaker the inbound one, the peer's MirrorMaker reads the outbound.
    const link = (principal: string, operation: string, name: string) =>
      acls.some((a) => a.principal === principal && a.operation === operation && a.name === name);
    expect(link('routing', 'Write', 'p.petition.link.33.national.v1')).toBe(true);
    expect(link('mirror-maker', 'Write', 'p.petition.link.national.33.v1')).toBe(true);
    expect(link('mirror-maker-national', 'Read', 'p.petition.link.33.national.v1')).toBe(true);
    expect(link('mirror-maker', 'Write', 'p.petition.link.33.national.v1')).toBe(false);
    // A single-node deployment has no link ACLs at all.
    expect(dryRun('apply-acls.sh', {}).filter((l) => l.includes('{') || l.includes('link'))).toEqual([]);
  });

  it('reports a second writer, a missing writer and a DLQ written by a non-reader', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acls-'));
    try {
      for (const f of ['apply-acls.sh', 'client-properties.sh']) copyFileSync(join(deploy, 'kafka', f), join(dir, f));
      const original = readFileSync(join(deploy, 'kafka', 'acls.txt'), 'utf8');
      const problemsWith = (acls: string) => {
        writeFileSync(join(dir, 'acls.txt'), acls);
        return aclProblems(aclsOf(dryRun('apply-acls.sh', {}, dir)));
      };
      expect(problemsWith(`${original}tracking Write topic literal petition.case-events.v1\n`)).toContain(
        'petition.case-events.v1 is written by routing, tracking, not routing',
      );
      expect(problemsWith(`${original}intake Write topic prefixed petition.\n`)).toContain(
        'petition.case-events.v1 is written by routing, intake, not routing',
      );
      expect(
        problemsWith(original.replace(/^routing +Write +topic +literal +petition\.case-events\.v1\n/m, '')),
      ).toContain('petition.case-events.v1 is written by nobody, not routing');
      expect(problemsWith(`${original}intake Write topic literal petition.deadline-events.v1.dlq\n`)).toContain(
        'intake writes petition.deadline-events.v1.dlq but does not read petition.deadline-events.v1',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Kubernetes

const overlaysDir = join(deploy, 'kubernetes', 'overlays');
const overlays = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function render(overlay: string): K8sObject[] {
  const r = run('kubectl', ['kustomize', join(overlaysDir, overlay)]);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${overlay}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

/** The kubernetes-models (or KEDA models) class of an object's apiVersion and kind. */
async function modelOf(o: K8sObject): Promise<(new (data: unknown) => { validate(): void }) | undefined> {
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', o.apiVersion];
  const path =
    group === 'keda.sh'
      ? `@kubernetes-models/keda/keda.sh/${version}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const module = (await import(path).catch(() => ({}))) as Record<string, new (data: unknown) => { validate(): void }>;
  return module[o.kind];
}

async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const Model = await modelOf(o);
    if (!Model) {
      problems.push(`${o.apiVersion} ${o.kind} ${o.metadata?.name}: no schema`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${o.kind} ${o.metadata?.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

const workloadsOf = (objects: K8sObject[]) => objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> = {}) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const secretLike = /PASSWORD|SECRET|TOKEN|SEAL_KEYS|SIGNING_KEY|REDIS_URL|API_KEYS|INTEGRATORS/;

/** The rules of issue 23 over a rendered overlay: problems, empty when it keeps them all. */
function manifestProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const runtime = byKind('ConfigMap').find((c) => String(c.metadata.name).startsWith('petition-runtime'));
  const partitions = Number(runtime?.data?.TOPIC_PARTITIONS);
  if (!Number.isInteger(partitions) || partitions < 1) problems.push('no TOPIC_PARTITIONS in petition-runtime');
  if (!/^https?:\/\//.test(runtime?.data?.OTEL_EXPORTER_OTLP_ENDPOINT ?? ''))
    problems.push('no trace exporter endpoint');

  for (const name of workloads) {
    const workload = workloadsOf(objects).find((w) => w.metadata.name === name);
    if (!workload) {
      problems.push(`${name}: no Deployment or StatefulSet`);
      continue;
    }
    for (const c of workload.spec.template.spec.containers) {
      if (c.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`${name}: readiness is not /readyz`);
      if (c.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`${name}: liveness is not /healthz`);
    }
    const policies = byKind('NetworkPolicy').filter((p) =>
      matches(p.spec.podSelector?.matchLabels, workload.spec.template.metadata.labels),
    );
    if (policies.length === 0) problems.push(`${name}: no NetworkPolicy of its own`);
    for (const p of policies) {
      if (!p.spec.policyTypes?.includes('Egress') || !p.spec.policyTypes?.includes('Ingress'))
        problems.push(`${name}: NetworkPolicy ${p.metadata.name} leaves ingress or egress open`);
    }
  }
  const defaultDeny = byKind('NetworkPolicy').find(
    (p) =>
      Object.keys(p.spec.podSelector ?? {}).length === 0 &&
      !p.spec.ingress &&
      !p.spec.egress &&
      p.spec.policyTypes?.length === 2,
  );
  if (!defaultDeny) problems.push('no default-deny NetworkPolicy');

  for (const w of workloadsOf(objects)) {
    const name = w.metadata.name;
    for (const c of w.spec.template.spec.containers) {
      const r = c.resources ?? {};
      if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.cpu || !r.limits?.memory)
        problems.push(`${name}: container ${c.name} has no requests and limits of cpu and memory`);
      for (const e of c.env ?? []) {
        if (secretLike.test(e.name) && e.value !== undefined) problems.push(`${name}: ${e.name} written inline`);
        if (secretLike.test(e.name) && e.valueFrom && !e.valueFrom.secretKeyRef)
          problems.push(`${name}: ${e.name} not from a Secret`);
      }
    }
    const pdb = byKind('PodDisruptionBudget').find((p) =>
      matches(p.spec.selector?.matchLabels, w.spec.template.metadata.labels),
    );
    if (!pdb) problems.push(`${name}: no PodDisruptionBudget`);
  }

  for (const s of byKind('ScaledObject')) {
    if (s.spec.maxReplicaCount > partitions)
      problems.push(
        `ScaledObject ${s.metadata.name}: maxReplicaCount ${s.spec.maxReplicaCount} > ${partitions} partitions`,
      );
    for (const t of s.spec.triggers.filter((x: K8sObject) => x.type === 'kafka')) {
      if (t.metadata.allowIdleConsumers === 'true')
        problems.push(`ScaledObject ${s.metadata.name}: idle consumers allowed`);
    }
  }
  for (const name of consumerGroupServices) {
    const scaled = byKind('ScaledObject').find((s) => s.spec.scaleTargetRef.name === name);
    if (!scaled?.spec.triggers.some((t: K8sObject) => t.type === 'kafka' && t.metadata.consumerGroup))
      problems.push(`${name}: no ScaledObject scaling on a consumer group's lag`);
  }

  const topicJob = byKind('Job').find((j) =>
    j.spec.template.spec.containers.some((c: K8sObject) => c.command?.join(' ').includes('create-topics.sh')),
  );
  const jobEnv = new Map<string, string>(
    topicJob?.spec.template.spec.containers[0].env?.map((e: K8sObject) => [e.name, e.value]) ?? [],
  );
  if (!topicJob) problems.push('no Job creating the topics');
  else {
    if (jobEnv.get('TOPIC_REPLICATION_FACTOR') !== '3')
      problems.push('the topic Job does not ask for replication factor 3');
    if (jobEnv.get('TOPIC_MIN_INSYNC_REPLICAS') !== '2')
      problems.push('the topic Job does not ask for min.insync.replicas 2');
  }

  for (const s of byKind('Secret')) {
    if (s.data || s.stringData) problems.push(`Secret ${s.metadata.name} written inline`);
  }
  for (const c of byKind('ConfigMap')) {
    for (const key of Object.keys(c.data ?? {})) {
      if (secretLike.test(key)) problems.push(`ConfigMap ${c.metadata.name}: ${key} is a secret`);
    }
  }
  return problems;
}

describe.each(overlays)('deploy/kubernetes/overlays/%s', (overlay) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(overlay);
  });

  it('renders objects the Kubernetes API schemas (and KEDA CRDs) accept', async () => {
    expect(objects.length).toBeGreaterThan(30);
    expect(await schemaProblems(objects)).toEqual([]);
  });

  it('keeps the rules: probes, resources, PDBs, lag scaling within the partitions, RF 3 / min ISR 2, network policies, secrets by reference', () => {
    expect(manifestProblems(objects)).toEqual([]);
  });

  it('runs the pinned Kafka version in its Jobs, and the topic Job creates every topic with RF 3 and min ISR 2', () => {
    const jobs = objects.filter(
      (o) => o.kind === 'Job' || (o.kind === 'Deployment' && o.metadata.name === 'mirror-maker'),
    );
    for (const j of jobs)
      for (const c of j.spec.template.spec.containers) expect(c.image).toBe(`apache/kafka:${pinnedKafkaVersion()}`);
    const topicJob = objects.find((o) => o.kind === 'Job' && o.metadata.name === 'create-topics') as K8sObject;
    const runtime = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('petition-runtime'),
    ) as K8sObject;
    const env = {
      ...runtime.data,
      ...Object.fromEntries(
        topicJob.spec.template.spec.containers[0].env
          .filter((e: K8sObject) => e.value)
          .map((e: K8sObject) => [e.name, e.value]),
      ),
    };
    const commands = dryRun('create-topics.sh', env);
    expect(commands.length).toBeGreaterThanOrEqual(wantedTopics().length);
    for (const c of commands) expect(c).toMatch(/--replication-factor 3 --config min\.insync\.replicas=2/);
  });

  it('reports each rule broken on purpose', async () => {
    const broken = (change: (objects: K8sObject[]) => void) => {
      const copy = structuredClone(objects);
      change(copy);
      return manifestProblems(copy);
    };
    const find = (os: K8sObject[], kind: string, name: string) =>
      os.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject;
    const container = (os: K8sObject[], name: string) =>
      workloadsOf(os).find((w) => w.metadata.name === name)?.spec.template.spec.containers[0] as K8sObject;

    expect(broken((os) => (container(os, 'routing').readinessProbe.httpGet.path = '/healthz'))).toContain(
      'routing: readiness is not /readyz',
    );
    expect(broken((os) => delete container(os, 'tracking').livenessProbe)).toContain(
      'tracking: liveness is not /healthz',
    );
    expect(broken((os) => delete container(os, 'notification').resources.limits)).toContain(
      'notification: container notification has no requests and limits of cpu and memory',
    );
    expect(broken((os) => os.splice(os.indexOf(find(os, 'PodDisruptionBudget', 'intake')), 1))).toContain(
      'intake: no PodDisruptionBudget',
    );
    expect(broken((os) => (find(os, 'ScaledObject', 'routing').spec.maxReplicaCount = 13))).toContain(
      'ScaledObject routing: maxReplicaCount 13 > 12 partitions',
    );
    expect(broken((os) => os.splice(os.indexOf(find(os, 'ScaledObject', 'deadline-watchdog')), 1))).toContain(
      "deadline-watchdog: no ScaledObject scaling on a consumer group's lag",
    );
    expect(
      broken((os) => {
        const env = find(os, 'Job', 'create-topics').spec.template.spec.containers[0].env;
        env.find((e: K8sObject) => e.name === 'TOPIC_REPLICATION_FACTOR').value = '1';
      }),
    ).toContain('the topic Job does not ask for replication factor 3');
    expect(broken((os) => os.splice(os.indexOf(find(os, 'NetworkPolicy', 'notification')), 1))).toContain(
      'notification: no NetworkPolicy of its own',
    );
    expect(
      broken(
        (os) =>
          delete os.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('petition-runtime'))?.data
            .OTEL_EXPORTER_OTLP_ENDPOINT,
      ),
    ).toContain('no trace exporter endpoint');
    expect(broken((os) => os.splice(os.indexOf(find(os, 'NetworkPolicy', 'default-deny')), 1))).toContain(
      'no default-deny NetworkPolicy',
    );
    expect(
      broken((os) => {
        const env = container(os, 'intake').env;
        env.find((e: K8sObject) => e.name === 'KAFKA_SASL_PASSWORD').valueFrom = undefined;
        env.find((e: K8sObject) => e.name === 'KAFKA_SASL_PASSWORD').value = 'hunter2';
      }),
    ).toContain('intake: KAFKA_SASL_PASSWORD written inline');
    expect(
      broken((os) =>
        os.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'petition-redis' }, stringData: { url: 'x' } }),
      ),
    ).toContain('Secret petition-redis written inline');

    const schemaBroken = structuredClone(objects);
    find(schemaBroken, 'ScaledObject', 'tracking').spec.maxReplicaCount = '12';
    container(schemaBroken, 'routing').resources.limits.cpu = 'two';
    const problems = await schemaProblems(schemaBroken);
    expect(
      problems.some((p) => p.startsWith('ScaledObject tracking') && p.includes('maxReplicaCount must be integer')),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith('Deployment routing') && p.includes('limits/cpu'))).toBe(true);
  });
});

afterAll(() => {
  rmSync(dirname(noEnvFile), { recursive: true, force: true });
  for (const f of readdirSync(deploy)) if (f.startsWith('compose.broken-')) rmSync(join(deploy, f), { force: true });
});
