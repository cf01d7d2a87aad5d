import { eventTypesOf } from '@petition/asyncapi';
import { SubscribeRequest, SubscribeResponse } from '@petition/contract';
import { describe, expect, it } from 'vitest';
import { caseEventTypes } from './events.ts';
import { decodeSubscribeResponse, encodeSubscribeRequest } from './grpc.ts';

describe('the client against the contract', () => {
  it('knows exactly the event types the AsyncAPI document lists for case-events', () => {
    expect([...caseEventTypes].sort()).toEqual(eventTypesOf('petition.case-events.v1').sort());
  });

  it('encodes SubscribeRequest as the contract decodes it', () => {
    const bytes = encodeSubscribeRequest({ subscriptionId: 'sub-1', resumeToken: 'sub-1.MDoxMg' });
    expect(SubscribeRequest.decode(bytes)).toEqual({ subscriptionId: 'sub-1', resumeToken: 'sub-1.MDoxMg' });
  });

  it('decodes a SubscribeResponse event and heartbeat as the contract encodes them', () => {
    const occurTime = new Date('2026-11-30T08:15:30.250Z');
    const event = SubscribeResponse.encode({
      item: {
        $case: 'event',
        value: {
          eventId: 'e-1',
          eventType: 'petition.v1.CaseAccepted',
          resumeToken: 't-1',
          caseId: 'c-1',
          caseNumber: 'XF3301062026000001',
          occurTime,
          json: '{"state":"CASE_STATE_ACCEPTED"}',
        },
      },
    }).finish();
    expect(decodeSubscribeResponse(event)).toEqual({
      kind: 'event',
      event: {
        eventId: 'e-1',
        eventType: 'petition.v1.CaseAccepted',
        resumeToken: 't-1',
        caseId: 'c-1',
        caseNumber: 'XF3301062026000001',
        occurredAt: occurTime.toISOString(),
        json: '{"state":"CASE_STATE_ACCEPTED"}',
      },
    });
    const heartbeat = SubscribeResponse.encode({
      item: { $case: 'heartbeat', value: { resumeToken: 't-2' } },
    }).finish();
    expect(decodeSubscribeResponse(heartbeat)).toEqual({ kind: 'heartbeat', resumeToken: 't-2' });
  });

  it('refuses a response with neither an event nor a heartbeat', () => {
    expect(() => decodeSubscribeResponse(new Uint8Array())).toThrow(/FEED_PROTOCOL/);
  });
});
