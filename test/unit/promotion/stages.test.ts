import { longFormUri } from '../../../src/activities/promotion-activities';
import { type CatalogModel, CatalogError, isRetrainable, type ModelEntry, parseCatalog } from '../../../src/catalog';
import {
  isRefusal,
  promotionInstanceId,
  promotionTarget,
  sameWorkspace,
  sourceVersionProblem,
  stagesOf,
} from '../../../src/services/promotion/stages';

const base = {
  name: 'm1',
  training: { kind: 'pipelineJob', componentId: 'azureml:train:1', experiment: 'exp', datasetInput: 'data' },
  gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
  registry: { modelName: 'm1' },
  deployment: { endpoint: 'm1-dev', smokeSample: { data: [{ x: 1 }] }, strategy: 'canary' },
};
const prodWorkspace = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  resourceGroup: 'rg-prod',
  workspace: 'mlw-prod',
};

function problemsOf(model: unknown): readonly string[] {
  try {
    parseCatalog({ models: [model] });
  } catch (error) {
    if (error instanceof CatalogError) return error.problems;
    throw error;
  }
  return [];
}

function retrainable(entry: CatalogModel | undefined): ModelEntry {
  if (!entry || !isRetrainable(entry)) throw new Error('no retrainable model');
  return entry;
}

function model(stages: unknown): ModelEntry {
  return retrainable(parseCatalog({ models: [{ ...base, stages }] }).models[0]);
}

describe('catalog stages', () => {
  it('when a model declares no stages, then it parses unchanged and has no promotion path', () => {
    const entry = retrainable(parseCatalog({ models: [base] }).models[0]);
    expect(entry.stages).toBeUndefined();
    expect(stagesOf(entry)).toEqual([]);
  });

  it('when a later stage overrides the deployment, then its release target is the model deployment with the overrides', () => {
    const entry = model([
      { name: 'dev' },
      {
        name: 'prod',
        workspace: prodWorkspace,
        deployment: { endpoint: 'm1-prod', strategy: 'blueGreen', approval: { required: true, timeoutMinutes: 30 } },
      },
    ]);
    const [dev, prod] = stagesOf(entry);
    expect(dev).toMatchObject({ name: 'dev', index: 0, workspace: undefined, promotion: 'manual' });
    expect(dev?.deployment.endpoint).toBe('m1-dev');
    expect(prod?.workspace).toEqual(prodWorkspace);
    expect(prod?.deployment).toMatchObject({
      endpoint: 'm1-prod',
      strategy: 'blueGreen',
      approval: { required: true, timeoutMinutes: 30 },
      smokeSample: { data: [{ x: 1 }] },
    });
  });

  it('when a stage names a registry, then versions reach it through that registry; a bad registry or one on the first stage is named', () => {
    const registry = { subscriptionId: prodWorkspace.subscriptionId, resourceGroup: 'rg-shared', name: 'shared' };
    const [, prod] = stagesOf(
      model([
        { name: 'dev' },
        { name: 'prod', workspace: prodWorkspace, registry, deployment: { endpoint: 'm1-prod' } },
      ]),
    );
    expect(prod?.registry).toEqual(registry);
    expect(
      problemsOf({
        ...base,
        stages: [
          { name: 'dev' },
          { name: 'prod', registry: { ...registry, name: 'x' }, deployment: { endpoint: 'prod1' } },
        ],
      }),
    ).toEqual(['models[0].stages[1].registry.name: must be a registry name (3-33 letters, digits, - or _)']);
    expect(
      problemsOf({
        ...base,
        stages: [
          { name: 'dev', registry },
          { name: 'prod', deployment: { endpoint: 'prod1' } },
        ],
      }),
    ).toEqual([
      "models[0].stages[0]: the first stage is the model's own deployment in the app's workspace: set workspace and deployment on the model instead",
    ]);
  });

  it('when a version is stored as a job output, then another workspace or a registry gets the long form naming the source workspace', () => {
    const source = { subscriptionId: 's1', resourceGroup: 'rg1', workspace: 'ws1' };
    expect(longFormUri(source, 'azureml://jobs/j1/outputs/model/paths/')).toBe(
      'azureml://subscriptions/s1/resourcegroups/rg1/workspaces/ws1/jobs/j1/outputs/model/paths/',
    );
    expect(longFormUri(source, 'azureml://datastores/lake/paths/m/model.json')).toBe(
      'azureml://datastores/lake/paths/m/model.json',
    );
  });

  it('when stages are wrong, then each problem names its field', () => {
    expect(problemsOf({ ...base, stages: [{ name: 'dev' }] })).toEqual([
      'models[0].stages: must list at least two stages (or none)',
    ]);
    expect(
      problemsOf({ ...base, stages: [{ name: 'dev' }, { name: 'Bad Name', deployment: { endpoint: 'x1y' } }] }),
    ).toEqual(['models[0].stages[1].name: must be 1-32 lowercase letters, digits or hyphens']);
    expect(
      problemsOf({
        ...base,
        stages: [
          { name: 'dev', deployment: { endpoint: 'other' } },
          { name: 'dev', deployment: { endpoint: 'm1-prod' } },
          { name: 'prod', deployment: { endpoint: 'M1-PROD' } },
          { name: 'qa', deployment: { endpoint: 'm1-qa', canarySteps: [50, 20] } },
        ],
      }),
    ).toEqual([
      "models[0].stages[0]: the first stage is the model's own deployment in the app's workspace: set workspace and deployment on the model instead",
      'models[0].stages[1].name: duplicate stage name (also stages[0])',
      "models[0].stages[2].deployment.endpoint: must differ from stages[1]'s endpoint (online endpoint names are unique per Azure region)",
      'models[0].stages[3].deployment.canarySteps[1]: must be strictly increasing',
      'models[0].stages[3].deployment.canarySteps: must end at 100',
    ]);
    expect(problemsOf({ ...base, stages: [{ name: 'dev' }, { name: 'prod' }] })).toEqual([
      "models[0].stages[1].deployment.endpoint: must differ from stages[0]'s endpoint (online endpoint names are unique per Azure region)",
    ]);
    expect(
      problemsOf({
        ...base,
        stages: [{ name: 'dev' }, { name: 'prod', workspace: { ...prodWorkspace, subscriptionId: 'nope' } }],
      }),
    ).toContain('models[0].stages[1].workspace.subscriptionId: must be a subscription id (GUID)');
  });
});

describe('promotion requests', () => {
  const entry = model([
    { name: 'dev', promotion: 'automatic' },
    { name: 'staging', deployment: { endpoint: 'm1-staging' } },
    { name: 'prod', workspace: prodWorkspace, deployment: { endpoint: 'm1-prod' } },
  ]);

  it('when the target is a later stage, then its source is the stage before it', () => {
    const found = promotionTarget(entry, 'prod');
    expect(isRefusal(found)).toBe(false);
    if (isRefusal(found)) return;
    expect(found.source.name).toBe('staging');
    expect(found.target.name).toBe('prod');
    expect(sameWorkspace(found.source.workspace, found.target.workspace)).toBe(false);
    expect(sameWorkspace(stagesOf(entry)[0]?.workspace, found.source.workspace)).toBe(true);
  });

  it('when the target is unknown, the first stage, or the model has no stages, then the refusal names it', () => {
    expect(promotionTarget(entry, 'qa')).toEqual({
      status: 400,
      field: 'to',
      message: "unknown stage 'qa' of m1 (stages: dev, staging, prod)",
    });
    expect(promotionTarget(entry, 'dev')).toMatchObject({ status: 400, field: 'to' });
    expect(promotionTarget(retrainable(parseCatalog({ models: [base] }).models[0]), 'prod')).toMatchObject({
      status: 409,
      message: expect.stringContaining('declares no stages') as unknown,
    });
  });

  it('when the version is not the one live in the source stage, then the promotion is refused (out of order)', () => {
    const found = promotionTarget(entry, 'prod');
    if (isRefusal(found)) throw new Error(found.message);
    expect(sourceVersionProblem('m1', found.source, found.target, '7', '7')).toBeUndefined();
    expect(sourceVersionProblem('m1', found.source, found.target, '7', undefined)).toBeUndefined();
    expect(sourceVersionProblem('m1', found.source, found.target, '7', '8')).toEqual({
      status: 409,
      field: 'version',
      message: 'version 8 of m1 is not live in staging, the stage before prod (live there: 7); promote stage by stage',
    });
    expect(sourceVersionProblem('m1', found.source, found.target, undefined, '8')).toMatchObject({ status: 409 });
  });

  it('when the same promotion is asked twice, then both map to one instance id', () => {
    expect(promotionInstanceId('m1', 'prod')).toBe('promote-m1-prod');
  });
});
