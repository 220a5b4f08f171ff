// The unmodified DurableClient of durable-functions against the Durable HTTP API served by handleHttp, plus the raw
// wire shapes the client depends on (reference §2.4 and §3).
import { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import { OrchestrationContext } from 'durable-functions';
import { Harness, startHarness, waitFor, waitForFinish, waitForStatus } from './harness';

describe('DurableClient against the local Durable HTTP API', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(
      (rt) => {
        rt.registerActivity('echo', (input) => input);
        rt.registerOrchestration('quick', function* (context: OrchestrationContext) {
          return (yield context.df.callActivity('echo', context.df.getInput() ?? 'no input')) as unknown;
        });
        rt.registerOrchestration('waitForGo', function* (context: OrchestrationContext) {
          context.df.setCustomStatus({ phase: 'waiting' });
          const go: unknown = yield context.df.waitForExternalEvent('go');
          context.df.setCustomStatus(go === 'clear' ? null : { phase: 'done' });
          return { go };
        });
        rt.registerOrchestration('boom', function* (context: OrchestrationContext) {
          yield context.df.callActivity('echo', 1);
          throw new TypeError('boom happened');
        });
      },
      { listPageSize: 2 },
    );
  });
  afterAll(() => h.stop());

  it('when startNew is called without an id, then a 32-hex id is returned and the instance is visible at once', async () => {
    const id = await h.client.startNew('quick');
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const status = await h.client.getStatus(id); // must not 404 right after startNew
    expect(status.name).toBe('quick');
    const done = await waitForFinish(h.client, id);
    // Without input the client posts the JSON string "" (not an empty body), which the extension parses as "".
    expect(done.input).toBe('');
    expect(done.output).toBe('');
  });

  it('when the start route gets an empty body, then the instance has no input', async () => {
    const res = await h.call('POST', '/orchestrators/quick/empty-body', '', { 'Content-Type': 'application/json' });
    expect(res.status).toBe(202);
    const status = await waitForFinish(h.client, 'empty-body');
    expect(status.input).toBeNull();
    expect(status.output).toBe('no input');
  });

  it('when startNew is called with an id and input, then that id runs with that input', async () => {
    const id = await h.client.startNew('quick', { instanceId: 'client-with-id', input: { a: 1 } });
    expect(id).toBe('client-with-id');
    const status = await waitForFinish(h.client, id);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', input: { a: 1 }, output: { a: 1 } });
    expect(status.createdTime).toBeInstanceOf(Date);
  });

  it('when an id is still running, then a second startNew with it is rejected with 409', async () => {
    await h.client.startNew('waitForGo', { instanceId: 'dup-running' });
    await expect(h.client.startNew('waitForGo', { instanceId: 'dup-running' })).rejects.toThrow(
      /unexpected status code: 409/,
    );
    await h.client.terminate('dup-running', 'cleanup');
    await waitForStatus(h.client, 'dup-running', 'Terminated');
  });

  it('when an id is suspended, then a new start with it is also rejected with 409', async () => {
    await h.client.startNew('waitForGo', { instanceId: 'dup-suspended' });
    await waitForStatus(h.client, 'dup-suspended', 'Running');
    await h.client.suspend('dup-suspended', 'hold');
    await waitForStatus(h.client, 'dup-suspended', 'Suspended');
    await expect(h.client.startNew('quick', { instanceId: 'dup-suspended' })).rejects.toThrow(/409/);
    await h.client.terminate('dup-suspended', 'cleanup');
    await waitForStatus(h.client, 'dup-suspended', 'Terminated');
  });

  it('when an id has finished, then starting it again replaces the old instance', async () => {
    await h.client.startNew('quick', { instanceId: 'reuse-me', input: 'first' });
    await waitForFinish(h.client, 'reuse-me');
    await h.client.startNew('quick', { instanceId: 'reuse-me', input: 'second' });
    const status = await waitFor(async () => {
      const s = await h.client.getStatus('reuse-me');
      return s.runtimeStatus === df.OrchestrationRuntimeStatus.Completed && s.output === 'second' ? s : undefined;
    }, 'the replacement run');
    expect(status.input).toBe('second');
  });

  it('when an instance waits, then getStatus shows Running and custom status; raiseEvent completes it', async () => {
    const id = await h.client.startNew('waitForGo');
    const running = await waitFor(async () => {
      const s = await h.client.getStatus(id);
      return s.runtimeStatus === df.OrchestrationRuntimeStatus.Running && s.customStatus ? s : undefined;
    }, 'custom status');
    expect(running.customStatus).toEqual({ phase: 'waiting' });
    expect(running.output).toBeNull();
    await h.client.raiseEvent(id, 'go', { at: 1 });
    const done = await waitForFinish(h.client, id);
    expect(done).toMatchObject({
      runtimeStatus: 'Completed',
      customStatus: { phase: 'done' },
      output: { go: { at: 1 } },
    });
  });

  it('when custom status is set to null, then the previous status stays (the extension applies only non-null)', async () => {
    // OutOfProcOrchestrationShim.ScheduleDurableTaskEvents: `if (execution.CustomStatus != null) SetCustomStatus(...)`.
    const id = await h.client.startNew('waitForGo');
    await waitFor(async () => ((await h.client.getStatus(id)).customStatus ? true : undefined), 'custom status');
    await h.client.raiseEvent(id, 'go', 'clear');
    const done = await waitForFinish(h.client, id);
    expect(done.customStatus).toEqual({ phase: 'waiting' });
  });

  it('when an orchestrator throws, then the status is Failed (HTTP 200) with the failure text as output', async () => {
    const id = await h.client.startNew('boom');
    const status = await waitForFinish(h.client, id);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('boom happened');
    const raw = await h.call('GET', `/instances/${id}`);
    expect(raw.status).toBe(200);
  });

  it('when events go to unknown or finished instances, then raiseEvent rejects for 404 and accepts 410', async () => {
    await expect(h.client.raiseEvent('no-such-instance', 'go', 1)).rejects.toThrow(/No instance with ID/);
    const id = await h.client.startNew('quick');
    await waitForFinish(h.client, id);
    await expect(h.client.raiseEvent(id, 'go', 1)).resolves.toBeUndefined();
  });

  it('when an instance is terminated, then it ends Terminated with the reason as output', async () => {
    const id = await h.client.startNew('waitForGo');
    await waitForStatus(h.client, id, 'Running');
    await h.client.terminate(id, 'no longer needed');
    const status = await waitForStatus(h.client, id, 'Terminated');
    expect(status.output).toBe('no longer needed');
  });

  it('when an instance is suspended, then events wait until it is resumed', async () => {
    const id = await h.client.startNew('waitForGo');
    await waitForStatus(h.client, id, 'Running');
    await h.client.suspend(id, 'pause');
    await waitForStatus(h.client, id, 'Suspended');
    await h.client.raiseEvent(id, 'go', 'while suspended');
    expect((await h.client.getStatus(id)).runtimeStatus).toBe('Suspended');
    await h.client.resume(id, 'continue');
    const status = await waitForFinish(h.client, id);
    expect(status.output).toEqual({ go: 'while suspended' });
  });

  it('when a finished instance is purged, then it is gone; purging a running one is refused', async () => {
    const id = await h.client.startNew('quick');
    await waitForFinish(h.client, id);
    await expect(h.client.purgeInstanceHistory(id)).resolves.toMatchObject({ instancesDeleted: 1 });
    await expect(h.client.getStatus(id)).rejects.toThrow(/404/);
    await expect(h.client.purgeInstanceHistory(id)).resolves.toMatchObject({ instancesDeleted: 0 });
    const running = await h.client.startNew('waitForGo');
    const refused = await h.call('DELETE', `/instances/${running}`);
    expect(refused.status).toBe(412);
    await h.client.terminate(running, 'cleanup');
  });

  it('when instances are purged by filter, then only matching finished ones are deleted', async () => {
    const from = new Date(Date.now() - 1000);
    const a = await h.client.startNew('quick', { instanceId: 'purge-by-a' });
    const b = await h.client.startNew('quick', { instanceId: 'purge-by-b' });
    await waitForFinish(h.client, a);
    await waitForFinish(h.client, b);
    const result = await h.client.purgeInstanceHistoryBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    expect(result.instancesDeleted).toBeGreaterThanOrEqual(2);
    await expect(h.client.getStatus(a)).rejects.toThrow(/404/);
    const missingFrom = await h.call('DELETE', '/instances/');
    expect(missingFrom.status).toBe(400);
  });

  it('when listing with filters and small pages, then getStatusBy/getStatusAll follow continuation tokens', async () => {
    const from = new Date(Date.now() - 1000);
    const ids = ['list-1', 'list-2', 'list-3', 'list-4', 'list-5'];
    for (const id of ids) await h.client.startNew('quick', { instanceId: id });
    for (const id of ids) await waitForFinish(h.client, id);
    const running = await h.client.startNew('waitForGo', { instanceId: 'list-running' });
    await waitForStatus(h.client, running, 'Running');

    const page = await h.call('GET', '/instances/?instanceIdPrefix=list-');
    expect(page.headers.get('x-ms-continuation-token')).toBeTruthy(); // 6 matches, page size 2

    const all = await h.client.getStatusAll();
    expect(all.map((s) => s.instanceId)).toEqual(expect.arrayContaining([...ids, running]));

    const completed = await h.client.getStatusBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    const completedIds = completed.map((s) => s.instanceId);
    expect(completedIds).toEqual(expect.arrayContaining(ids));
    expect(completedIds).not.toContain(running);

    const runningOnly = await h.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    expect(runningOnly.map((s) => s.instanceId)).toContain(running);

    const future = await h.client.getStatusBy({ createdTimeFrom: new Date(Date.now() + 60_000) });
    expect(future).toEqual([]);

    const prefixed = await h.call('GET', '/instances?instanceIdPrefix=list-&top=10');
    const body = (await prefixed.json()) as { instanceId: string }[];
    expect(body.map((s) => s.instanceId).sort()).toEqual([...ids, running].sort());
    await h.client.terminate(running, 'cleanup');
  });

  it('when createCheckStatusResponse is built, then it is a 202 with Location and URLs on the request origin', async () => {
    const id = await h.client.startNew('quick');
    const request = new HttpRequest({ method: 'POST', url: `${h.origin}/api/start` });
    const response = h.client.createCheckStatusResponse(request, id);
    expect(response.status).toBe(202);
    const payload = (await response.json()) as Record<string, string>;
    expect(payload.id).toBe(id);
    expect(response.headers.get('Location')).toBe(payload.statusQueryGetUri);
    // The management URLs work as they are: the status URL answers for this instance.
    const viaUrl = await fetch(payload.statusQueryGetUri as string);
    expect([200, 202]).toContain(viaUrl.status);
    expect(((await viaUrl.json()) as { instanceId: string }).instanceId).toBe(id);
  });

  it('when waitForCompletionOrCreateCheckStatusResponse is used, then a quick instance answers 200 with its output', async () => {
    const id = await h.client.startNew('quick', { input: 'waited' });
    const request = new HttpRequest({ method: 'POST', url: `${h.origin}/api/start` });
    const response = await h.client.waitForCompletionOrCreateCheckStatusResponse(request, id, {
      timeoutInMilliseconds: 10_000,
      retryIntervalInMilliseconds: 20,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('waited');
  });

  describe('wire shapes', () => {
    it('when the start route is called directly, then it answers 202 with the check-status payload and headers', async () => {
      const res = await h.call('POST', '/orchestrators/quick', '', { 'Content-Type': 'application/json' });
      expect(res.status).toBe(202);
      expect(res.headers.get('retry-after')).toBe('10');
      const body = (await res.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual(
        [
          'id',
          'purgeHistoryDeleteUri',
          'restartPostUri',
          'resumePostUri',
          'sendEventPostUri',
          'statusQueryGetUri',
          'suspendPostUri',
          'terminatePostUri',
        ].sort(),
      );
      expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
    });

    it('when ids are URL-encoded or malformed, then encoded ids round-trip and bad encodings answer 400', async () => {
      const res = await h.call('POST', `/orchestrators/quick/${encodeURIComponent('model a:2024-01-01')}`, '');
      expect(res.status).toBe(202);
      const status = await waitForFinish(h.client, 'model a:2024-01-01');
      expect(status.instanceId).toBe('model a:2024-01-01');
      expect((await h.call('GET', '/instances/%E0%A4%A')).status).toBe(400);
      expect((await h.call('GET', '/nothing-here')).status).toBe(404);
    });

    it('when start gets invalid JSON or an unknown orchestrator, then it answers 400', async () => {
      expect(
        (await h.call('POST', '/orchestrators/quick', '{nope', { 'Content-Type': 'application/json' })).status,
      ).toBe(400);
      expect((await h.call('POST', '/orchestrators/notAnOrchestrator', '')).status).toBe(400);
    });

    it('when a status is read, then it has exactly the documented fields with nulls and second-precision times', async () => {
      const started = await h.call('POST', '/orchestrators/waitForGo/shape-1', '');
      const id = ((await started.json()) as { id: string }).id;
      await waitForStatus(h.client, id, 'Running');
      const res = await h.call('GET', `/instances/${id}`);
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toContain(`/instances/${id}`);
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(
        [
          'createdTime',
          'customStatus',
          'input',
          'instanceId',
          'lastUpdatedTime',
          'name',
          'output',
          'runtimeStatus',
        ].sort(),
      );
      expect(body.output).toBeNull();
      expect(body.input).toBeNull();
      expect(body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(body.lastUpdatedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const withHistory = (await (await h.call('GET', `/instances/${id}?showHistory=true`)).json()) as {
        historyEvents: { EventType: string }[];
      };
      // DurableClient.GetDurableOrchestrationStatusAsync drops the OrchestratorStarted/Completed markers.
      expect(withHistory.historyEvents[0]?.EventType).toBe('ExecutionStarted');
      expect(withHistory.historyEvents.map((e) => e.EventType)).not.toContain('OrchestratorStarted');
      await h.client.terminate(id, 'cleanup');
    });

    it('when raiseEvent lacks a JSON content type or the id is unknown, then it answers 400 / 404', async () => {
      const id = await h.client.startNew('waitForGo');
      await waitForStatus(h.client, id, 'Running');
      expect(
        (await h.call('POST', `/instances/${id}/raiseEvent/go`, '"x"', { 'Content-Type': 'text/plain' })).status,
      ).toBe(400);
      expect(
        (await h.call('POST', '/instances/unknown-id/raiseEvent/go', '1', { 'Content-Type': 'application/json' }))
          .status,
      ).toBe(404);
      expect(
        (await h.call('POST', `/instances/${id}/raiseEvent/go`, '', { 'Content-Type': 'application/json' })).status,
      ).toBe(202);
      await waitForFinish(h.client, id);
    });

    it('when rewind is asked for, then unknown is 404, non-failed is 412 and failed is 501', async () => {
      expect((await h.call('POST', '/instances/unknown-id/rewind?reason=x')).status).toBe(404);
      const done = await h.client.startNew('quick');
      await waitForFinish(h.client, done);
      expect((await h.call('POST', `/instances/${done}/rewind?reason=x`)).status).toBe(412);
      const failed = await h.client.startNew('boom');
      await waitForFinish(h.client, failed);
      expect((await h.call('POST', `/instances/${failed}/rewind?reason=x`)).status).toBe(501);
      await expect(h.client.rewind(failed, 'try')).rejects.toThrow();
    });

    it('when control operations target unknown or finished instances, then they answer 404 / 410', async () => {
      expect((await h.call('POST', '/instances/unknown-id/terminate?reason=x')).status).toBe(404);
      const done = await h.client.startNew('quick');
      await waitForFinish(h.client, done);
      for (const op of ['terminate', 'suspend', 'resume']) {
        expect((await h.call('POST', `/instances/${done}/${op}?reason=x`)).status).toBe(410);
      }
    });

    it('when list filters do not parse, then they are ignored as the extension ignores them', async () => {
      const res = await h.call('GET', '/instances?runtimeStatus=NotAStatus&createdTimeFrom=not-a-date&top=1');
      expect(res.status).toBe(200);
      expect(((await res.json()) as unknown[]).length).toBe(1);
    });

    it('when restart names an unknown instance, then it answers 400', async () => {
      expect((await h.call('POST', '/instances/unknown-id/restart')).status).toBe(400);
    });

    it('when restart is asked for, then a new instance runs with the same input', async () => {
      const id = await h.client.startNew('quick', { input: 'again' });
      await waitForFinish(h.client, id);
      const res = await h.call('POST', `/instances/${id}/restart`);
      expect(res.status).toBe(202);
      const { id: newId } = (await res.json()) as { id: string };
      expect(newId).not.toBe(id);
      expect((await waitForFinish(h.client, newId)).output).toBe('again');
    });
  });
});
