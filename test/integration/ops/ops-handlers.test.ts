import { call, MemoryOperations, run } from './fixtures';

describe('operations API handlers', () => {
  it('when runs are listed with filters, then only matching runs come back newest first, paged', async () => {
    const ops = new MemoryOperations();
    ops.runs.push(
      run('a', { createdAt: '2026-11-20T00:00:00Z', status: 'succeeded' }),
      run('b', { createdAt: '2026-11-21T00:00:00Z', status: 'failed' }),
      run('c', { createdAt: '2026-11-22T00:00:00Z', status: 'succeeded' }),
      run('d', { createdAt: '2026-11-22T01:00:00Z', model: 'churn', status: 'succeeded' }),
    );
    const first = await call(ops, 'listRuns', {
      path: 'ops/runs?model=bike-demand&status=succeeded,failed&pageSize=2&from=2026-11-20T12:00:00Z',
    });
    expect(first.status).toBe(200);
    expect((first.body.runs as { runId: string }[]).map((r) => r.runId)).toEqual(['c', 'b']);
    expect(first.body.continuationToken).toBeUndefined();

    const paged = await call(ops, 'listRuns', { path: 'ops/runs?pageSize=3' });
    expect((paged.body.runs as unknown[]).length).toBe(3);
    const next = await call(ops, 'listRuns', {
      path: `ops/runs?pageSize=3&continuationToken=${String(paged.body.continuationToken)}`,
    });
    expect((next.body.runs as { runId: string }[]).map((r) => r.runId)).toEqual(['a']);
  });

  it('when a filter is invalid, then 400 names the query field', async () => {
    const ops = new MemoryOperations();
    const bad = await call(ops, 'listRuns', { path: 'ops/runs?status=sleeping&pageSize=0&from=yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(bad.body).toMatchObject({ type: 'urn:mlops:problem:invalid-request', status: 400 });
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['query.status', 'query.pageSize', 'query.from']));
    const reversed = await call(ops, 'listRuns', {
      path: 'ops/runs?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z',
    });
    expect(reversed.body).toMatchObject({ errors: [{ field: 'query.from', message: 'must be before query.to' }] });
  });

  it('when triggers are listed, then the fate filter is applied; an unknown fate or a queued run status is a 400', async () => {
    const ops = new MemoryOperations();
    const view = (triggerId: string, fate: 'started' | 'duplicate') => ({
      triggerId,
      model: 'bike-demand',
      source: 'git',
      fate,
      receivedAt: '2026-11-22T00:00:00Z',
      occurredAt: '2026-11-22T00:00:00Z',
      history: [],
    });
    ops.triggers.push(view('t1', 'started'), view('t2', 'duplicate'));
    expect(await call(ops, 'listTriggers', { path: 'ops/triggers?fate=duplicate,superseded' })).toMatchObject({
      status: 200,
      body: { triggers: [{ triggerId: 't2', fate: 'duplicate' }] },
    });
    const bad = await call(ops, 'listTriggers', { path: 'ops/triggers?fate=lost' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errors: [{ field: 'query.fate' }] });
    // Listings show run records; a queued run is found by id or among the triggers.
    expect((await call(ops, 'listRuns', { path: 'ops/runs?status=queued' })).status).toBe(400);
  });

  it('when one run is fetched, then it comes with its stages; an unknown id is 404', async () => {
    const ops = new MemoryOperations();
    ops.runs.push(run('r1', { stages: [{ name: 'submitTraining', status: 'succeeded' }] }));
    expect(await call(ops, 'getRun', { path: 'ops/runs/r1', params: { runId: 'r1' } })).toMatchObject({
      status: 200,
      body: { runId: 'r1', stages: [{ name: 'submitTraining' }] },
    });
    expect(await call(ops, 'getRun', { path: 'ops/runs/zz', params: { runId: 'zz' } })).toMatchObject({
      status: 404,
      body: { type: 'urn:mlops:problem:run-not-found', errors: [{ field: 'path.runId' }] },
    });
  });

  it('when a retrain is requested, then it goes through submit as a manual trigger and 202 gives the status URL', async () => {
    const ops = new MemoryOperations();
    const answer = await call(ops, 'retrain', {
      path: 'ops/models/bike-demand/retrain',
      params: { model: 'bike-demand' },
      body: { parameters: { alpha: 2 }, reason: 'new features', requestId: 'req-1', requestedBy: 'mona' },
    });
    expect(answer).toMatchObject({
      status: 202,
      body: { outcome: 'started', runId: 'run-1', statusUrl: 'http://127.0.0.1:7071/api/ops/runs/run-1' },
    });
    expect(ops.submitted[0]).toMatchObject({
      model: 'bike-demand',
      source: 'manual',
      dedupeKey: 'manual:req-1:bike-demand',
      parameters: { alpha: 2 },
      requestedBy: 'mona',
    });
    const again = await call(ops, 'retrain', {
      path: 'ops/models/bike-demand/retrain',
      params: { model: 'bike-demand' },
      body: { requestId: 'req-1' },
    });
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate', runId: 'run-1' } });
  });

  it('when a retrain names an unknown model or an invalid body, then 404 / 400 and nothing is submitted', async () => {
    const ops = new MemoryOperations();
    expect(
      (await call(ops, 'retrain', { path: 'ops/models/ghost/retrain', params: { model: 'ghost' }, body: {} })).status,
    ).toBe(404);
    const bad = await call(ops, 'retrain', {
      path: 'ops/models/bike-demand/retrain',
      params: { model: 'bike-demand' },
      body: { parameters: { alpha: [1] }, extra: true },
    });
    expect(bad.status).toBe(400);
    expect(
      (
        await call(ops, 'retrain', {
          path: 'ops/models/bike-demand/retrain',
          params: { model: 'bike-demand' },
          rawBody: '{oops',
        })
      ).status,
    ).toBe(400);
    expect(ops.submitted).toHaveLength(0);
  });

  it('when a waiting run is approved or rejected, then the decision is raised; a run not waiting is 409', async () => {
    const ops = new MemoryOperations();
    ops.runs.push(run('w1', { status: 'awaitingApproval' }), run('w2', { status: 'awaitingApproval' }), run('x'));
    expect(
      await call(ops, 'approve', {
        path: 'ops/runs/w1/approve',
        params: { runId: 'w1' },
        body: { comment: 'ok' },
      }),
    ).toMatchObject({ status: 202, body: { operation: 'approve', runId: 'w1' } });
    expect(
      (await call(ops, 'reject', { path: 'ops/runs/w2/reject', params: { runId: 'w2' }, rawBody: '' })).status,
    ).toBe(202);
    expect(ops.decisions).toEqual([
      { runId: 'w1', approved: true, comment: 'ok' },
      { runId: 'w2', approved: false },
    ]);
    expect(await call(ops, 'approve', { path: 'ops/runs/x/approve', params: { runId: 'x' }, body: {} })).toMatchObject({
      status: 409,
      body: { type: 'urn:mlops:problem:conflict', title: 'The operation does not apply in the current state' },
    });
  });

  it('when a rollback or cancel is requested, then the service is asked and 202 answers', async () => {
    const ops = new MemoryOperations();
    ops.runs.push(run('r9'));
    expect(
      await call(ops, 'rollback', {
        path: 'ops/models/churn/rollback',
        params: { model: 'churn' },
        body: { reason: 'bad canary' },
      }),
    ).toMatchObject({ status: 202, body: { operation: 'rollback', runId: 'rollback-churn' } });
    expect(await call(ops, 'cancel', { path: 'ops/runs/r9/cancel', params: { runId: 'r9' }, body: {} })).toMatchObject({
      status: 202,
      body: { operation: 'cancel', detail: expect.stringContaining('job-1') as unknown },
    });
    expect((await call(ops, 'cancel', { path: 'ops/runs/no/cancel', params: { runId: 'no' }, body: {} })).status).toBe(
      404,
    );
    expect(ops.rollbacks).toEqual([{ model: 'churn', reason: 'bad canary' }]);
    expect(ops.cancels).toEqual(['r9']);
  });

  it('when a promotion is requested, then the body is validated and a started or in-flight promotion answers', async () => {
    const ops = new MemoryOperations();
    expect(
      await call(ops, 'promote', {
        path: 'ops/models/bike-demand/promote',
        params: { model: 'bike-demand' },
        body: { to: 'prod', version: '4' },
      }),
    ).toMatchObject({ status: 202, body: { operation: 'promote', runId: 'promote-bike-demand-prod' } });
    const bad = await call(ops, 'promote', {
      path: 'ops/models/bike-demand/promote',
      params: { model: 'bike-demand' },
      body: { stage: 'prod' },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('body.to');
    expect(
      (await call(ops, 'promote', { path: 'ops/models/nope/promote', params: { model: 'nope' }, body: { to: 'prod' } }))
        .status,
    ).toBe(404);
    ops.promote = () => Promise.resolve({ runId: 'p-1', outcome: 'inFlight' });
    expect(
      await call(ops, 'promote', {
        path: 'ops/models/bike-demand/promote',
        params: { model: 'bike-demand' },
        body: { to: 'prod' },
      }),
    ).toMatchObject({ status: 200, body: { runId: 'p-1', detail: 'already in flight' } });
    expect(ops.promotions).toEqual([{ model: 'bike-demand', to: 'prod', version: '4' }]);
  });

  it('when the service throws something unexpected, then 500 carries the invocation id and no message', async () => {
    const ops = new MemoryOperations();
    ops.getRun = () => Promise.reject(new Error('AccountKey=Eby8vdM02x leaked?'));
    const answer = await call(ops, 'getRun', { path: 'ops/runs/r1', params: { runId: 'r1' } });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      type: 'urn:mlops:problem:internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'Internal error; see the logs of invocation inv-1.',
      invocationId: 'inv-1',
    });
    expect(JSON.stringify(answer.body)).not.toContain('Eby8');
  });
});
