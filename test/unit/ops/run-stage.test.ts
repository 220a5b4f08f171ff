import { toRunDetail } from '../../../src/functions/ops/retrain-operations';
import type { RunRecord } from '../../../src/state/runs';

const base: RunRecord = {
  runId: 'r1',
  kind: 'retrain',
  model: 'bike-demand',
  triggerId: 'r1',
  source: 'manual',
  instanceId: 'retrain-bike-demand',
  status: 'succeeded',
  startedAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:05:00.000Z',
  input: {},
  coalesced: [],
  stages: [],
};
const firstStage = (model: string) => (model === 'bike-demand' ? 'dev' : undefined);

describe('the stage a run acted on', () => {
  it('when runs of a model with stages are shown, then a retrain is in the first stage, a promotion in its target and a rollback in the stage it rolled back', () => {
    const stageOf = (run: RunRecord) => {
      const view = toRunDetail(run, firstStage);
      return [view.stage, view.fromStage];
    };
    expect(stageOf(base)).toEqual(['dev', undefined]);
    expect(stageOf({ ...base, kind: 'promotion', promotion: { from: 'dev', to: 'prod', version: '3' } })).toEqual([
      'prod',
      'dev',
    ]);
    expect(stageOf({ ...base, kind: 'rollback', rollbackStage: 'prod' })).toEqual(['prod', undefined]);
    expect(stageOf({ ...base, kind: 'rollback' })).toEqual(['dev', undefined]);
  });

  it('when the model declares no stages, then runs carry no stage', () => {
    expect(toRunDetail({ ...base, model: 'churn' }, firstStage).stage).toBeUndefined();
    expect(toRunDetail(base).stage).toBeUndefined();
  });
});
