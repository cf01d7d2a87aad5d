import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type Bus, type BusConsumer, caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import { loadWatchdogConfig, startWatchdog, type Watchdog } from '@petition/deadline-watchdog';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger, type Logger } from '@petition/logging';
import { loadNotificationConfig, type Notification, startNotification } from '@petition/notification';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { serviceAttribute } from '@petition/telemetry';
import { waitFor } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';

// One petition followed by its trace across the five services in this process, over the real HTTP, broker
// and Redis: the tracer provider of this test (an in-memory exporter, the AsyncLocalStorage context
// manager, W3C propagation) stands where the SDK stands in a service's process. The trace that starts at
// intake's POST /v1/petitions runs through every Kafka hop — case-commands, case-events, deadline-events,
// in-app-notices — to the notice in the petitioner's in-app inbox, with the Redis commands sent on the way,
// and the log lines written inside it carry its id.

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);

/** Every service's log lines, kept here (at debug whatever LOG_LEVEL says). */
const lines: Record<string, unknown>[] = [];
const loggerOf = (service: string): Logger =>
  createLogger({
    service,
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });

const prefix = isolatedPrefix('trace');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const env = {
  ...servicesEnv(process.env, { brokers, prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '5s',
  NOTIFY_QUIET_HOURS: '0-0',
  NOTIFY_TICK: '100ms',
  ...oneClientLoadEnv,
};

let routing: Routing;
let watchdog: Watchdog;
let intake: Intake;
let notification: Notification;
let tracking: Tracking;
/** A consumer of this test's own on case-events: its handler writes a log line, as a service's would. */
let bus: Bus;
let observer: BusConsumer;
const observerLogger = loggerOf('trace-observer');

beforeAll(async () => {
  bus = createBus({
    brokers,
    clientId: 'trace-observer',
    logger: observerLogger,
    topicPrefix: prefix,
  });
  observer = bus.consumer({
    groupId: 'trace-observer',
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async (record) => {
        observerLogger.info({ caseId: record.key, type: record.value.payload?.$case }, 'case event seen');
      }),
    ],
  });
  routing = await startRouting(loadRoutingConfig(env), loggerOf('routing'));
  watchdog = await startWatchdog(loadWatchdogConfig(env), loggerOf('deadline-watchdog'));
  intake = await startIntake(loadIntakeConfig(env), loggerOf('intake'));
  notification = await startNotification(loadNotificationConfig(env), loggerOf('notification'));
  tracking = await startTracking(loadTrackingConfig(env), loggerOf('tracking'));
  await observer.start();
});

afterAll(async () => {
  await observer?.stop();
  await bus?.close();
  await tracking?.close();
  await notification?.close();
  await intake?.close();
  await watchdog?.close();
  await routing?.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const consumed = (spans: readonly ReadableSpan[], topic: string) =>
  spans.filter((s) => String(s.attributes['messaging.destination.name'] ?? '').endsWith(`petition.${topic}.v1`));

describe('one trace across the services', () => {
  it('follows a petition from intake through routing, the watchdog and notification to tracking', async () => {
    // A caller's own trace: intake's span continues it.
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${intake.httpUrl}/v1/petitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
      body: JSON.stringify({
        channel: 'WEB',
        petitioner: { name: '王五', idNumber: '11010519491231002X', phone: '13800000000', address: '杭州市西湖区' },
        regionCode: '330106',
        category: '劳动社保',
        kind: '申诉求决',
        title: '拖欠工资',
        content: '某公司拖欠工资三个月，请求处理。',
      }),
    });
    expect(res.status).toBe(201);
    const filed = (await res.json()) as { caseNumber: string; queryCode: string };

    // The notice reaches the petitioner's in-app inbox, read back from tracking.
    await waitFor('the petitioner’s in-app notice', async () => {
      const notices = await fetch(`${tracking.httpUrl}/v1/cases/${filed.caseNumber}/notices`, {
        headers: { 'x-query-code': filed.queryCode },
      });
      return notices.status === 200 && ((await notices.json()) as { notices: unknown[] }).notices.length > 0;
    });
    // Tracking's span ends once its handler has stored the notice, which may be just after it shows.
    await waitFor('tracking’s span of the in-app notice', () =>
      consumed(spansOf(callerTrace), 'in-app-notices').some((s) => s.attributes[serviceAttribute] === 'tracking'),
    );
    await waitFor('the observer’s span', () =>
      consumed(spansOf(callerTrace), 'case-events').some((s) => s.attributes[serviceAttribute] === 'trace-observer'),
    );

    const spans = spansOf(callerTrace);
    const services = new Set(spans.map((s) => s.attributes[serviceAttribute]));
    expect([...services].sort()).toEqual([
      'deadline-watchdog',
      'intake',
      'notification',
      'routing',
      'trace-observer',
      'tracking',
    ]);

    const server = spans.find((s) => s.name === 'POST /v1/petitions');
    expect(server?.attributes[serviceAttribute]).toBe('intake');
    expect(server?.attributes['http.response.status_code']).toBe(201);
    // Under the caller's span: the trace is the caller's, not one intake made up.
    expect(server?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');

    const by = (topic: string) => new Set(consumed(spans, topic).map((s) => s.attributes[serviceAttribute]));
    expect(by('case-commands')).toContain('routing');
    expect([...by('case-events')]).toEqual(expect.arrayContaining(['deadline-watchdog', 'notification', 'tracking']));
    expect([...by('deadline-events')]).toContain('notification');
    expect([...by('in-app-notices')]).toContain('tracking');
    for (const s of consumed(spans, 'case-commands')) expect(s.kind).toBe(SpanKind.CONSUMER);

    // Every span hangs under another of the trace, up to the caller's: no hop started a trace of its own.
    // (A parent may still be open when its child ends: waited for, and a parent that never comes times out.)
    const orphans = () => {
      const all = spansOf(callerTrace);
      const ended = new Set(all.map((s) => s.spanContext().spanId));
      return all.filter(
        (s) => s.parentSpanContext?.spanId !== '00f067aa0ba902b7' && !ended.has(s.parentSpanContext?.spanId ?? ''),
      );
    };
    await waitFor('every span’s parent in the trace', () => orphans().length === 0, 10_000);
    const ids = new Set(spansOf(callerTrace).map((s) => s.spanContext().spanId));

    // Redis commands sent inside the trace, named by command, with no key or value.
    const redis = spans.filter((s) => s.name.startsWith('redis '));
    expect(redis.length).toBeGreaterThan(0);
    for (const s of redis) {
      expect(s.name).toMatch(/^redis [A-Z]+$/);
      expect(Object.keys(s.attributes).sort()).toEqual(['db.system', serviceAttribute]);
    }

    // Log lines written inside the trace carry its id and their span's: intake's registration in its HTTP
    // handler, and the observer's in its Kafka handler, under its consumer span.
    const traced = lines.filter((l) => l.traceId === callerTrace);
    expect(traced.every((l) => typeof l.spanId === 'string' && ids.has(l.spanId))).toBe(true);
    const registered = traced.find((l) => l.msg === 'petition registered');
    expect(registered?.spanId).toBe(server?.spanContext().spanId);
    const seen = traced.find((l) => l.msg === 'case event seen' && l.type === 'petitionRegistered');
    const observerSpan = spans.find((s) => s.spanContext().spanId === seen?.spanId);
    expect(observerSpan?.kind).toBe(SpanKind.CONSUMER);
    expect(observerSpan?.attributes[serviceAttribute]).toBe('trace-observer');
  });
});
