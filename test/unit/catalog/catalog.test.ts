import path from 'node:path';

import {
  CatalogError,
  findModel,
  findRetrainModel,
  isRetrainable,
  loadCatalog,
  parseCatalog,
  retrainModels,
} from '../../../src/catalog';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

function problemsOf(document: unknown): readonly string[] {
  try {
    parseCatalog(document);
  } catch (err) {
    if (err instanceof CatalogError) return err.problems;
    throw err;
  }
  throw new Error('expected CatalogError');
}

const minimalModel = {
  name: 'm1',
  training: { kind: 'pipelineJob', componentId: 'azureml:train:1', experiment: 'exp', datasetInput: 'data' },
  gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
  registry: { modelName: 'm1' },
  deployment: { endpoint: 'm1-endpoint', smokeSample: { data: [{ x: 1 }] } },
};

describe('model catalog', () => {
  it('when the shipped catalog is loaded, then the demo model has its dataset trigger and endpoint', () => {
    const catalog = loadCatalog('catalog.json', repoRoot);
    const demo = catalog.models.find((m) => m.name === 'bike-demand');
    expect(demo?.triggers.datasets).toEqual([{ container: 'datasets', prefix: 'bike-demand/', suffix: '.csv' }]);
    expect(demo?.deployment?.endpoint).toBe('bike-demand');
    expect(demo?.training?.kind).toBe('batchEndpoint');
    // Served the way a real MLflow model is: no environment, no scoring script.
    expect(demo?.registry?.modelType).toBe('mlflow_model');
    expect(demo?.deployment?.environmentId).toBeUndefined();
  });

  it('when a custom_model has no environment or no scoring script, then both are named (Azure refuses the deployment)', () => {
    expect(
      problemsOf({ models: [{ ...minimalModel, registry: { modelName: 'm1', modelType: 'custom_model' } }] }),
    ).toEqual([
      'models[0].deployment.environmentId: is required for a custom_model: only MLflow models deploy without an environment and a scoring script',
      'models[0].deployment.codeConfiguration: is required for a custom_model: only MLflow models deploy without an environment and a scoring script',
    ]);
    expect(
      problemsOf({
        models: [
          {
            ...minimalModel,
            deployment: {
              ...minimalModel.deployment,
              codeConfiguration: { codeId: 'azureml:score:1', scoringScript: 'score.py' },
            },
          },
        ],
      }),
    ).toEqual([expect.stringMatching(/^models\[0\]\.deployment\.environmentId: is required with codeConfiguration/)]);
    const custom = parseCatalog({
      models: [
        {
          ...minimalModel,
          registry: { modelName: 'm1', modelType: 'custom_model' },
          deployment: {
            ...minimalModel.deployment,
            environmentId: 'azureml://registries/azureml/environments/sklearn-1.5/versions/3',
            codeConfiguration: { codeId: 'azureml:bike-score:1', scoringScript: 'score.py' },
          },
        },
      ],
    }).models[0];
    expect(custom?.registry?.modelType).toBe('custom_model');
  });

  it('when optional sections are omitted, then documented defaults apply', () => {
    const [model] = parseCatalog({ models: [minimalModel] }).models;
    expect(model?.training?.timeoutMinutes).toBe(120);
    expect(model?.training?.polling).toEqual({
      initialIntervalSeconds: 30,
      maxIntervalSeconds: 600,
      backoffCoefficient: 2,
    });
    expect(model?.triggers).toEqual({ datasets: [], git: [], schedules: [], onSupersede: 'coalesce' });
    expect(model?.deployment?.strategy).toBe('blueGreen');
    expect(model?.deployment?.approval).toEqual({ required: false, timeoutMinutes: 1440 });
    expect(model?.batch).toBeUndefined();
    expect(model?.registry?.modelType).toBe('mlflow_model');
  });

  it('when fields are invalid, then each problem names its field path', () => {
    const problems = problemsOf({
      models: [
        {
          ...minimalModel,
          training: { kind: 'batchEndpoint', experiment: 'exp', datasetInput: 'data' },
          deployment: { endpoint: '9bad', smokeSample: {}, canarySteps: [50, 20] },
        },
        minimalModel,
        { ...minimalModel, name: 'm2', batch: { inputPrefix: '/abs', outputPrefix: 'o/', schedule: '0 2 * * *' } },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^models\[0\]\.training\.endpoint: /),
        expect.stringMatching(/^models\[0\]\.deployment\.endpoint: must be 3-32/),
        'models[0].deployment.canarySteps[1]: must be strictly increasing',
        'models[0].deployment.canarySteps: must end at 100',
        'models[1].name: duplicate model name (also models[0])',
        'models[2].batch.inputPrefix: must not start with /',
        expect.stringMatching(/^models\[2\]\.batch\.schedule: must be a six-field NCRONTAB/),
      ]),
    );
  });

  it('when componentId or compute need a lookup to become ARM ids, then each is refused naming the field', () => {
    const problems = problemsOf({
      models: [
        {
          ...minimalModel,
          training: { ...minimalModel.training, componentId: 'azureml:train@latest', compute: 'azureml:/bad/compute' },
        },
        { ...minimalModel, name: 'm2', training: { ...minimalModel.training, componentId: 'train' } },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(/^models\[0\]\.training\.componentId: must be the component version ARM id/),
      expect.stringMatching(/^models\[0\]\.training\.compute: must be the compute ARM id/),
      expect.stringMatching(/^models\[1\]\.training\.componentId: /),
    ]);
    const ok = parseCatalog({
      models: [
        {
          ...minimalModel,
          training: {
            ...minimalModel.training,
            componentId:
              '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/components/train/versions/3',
            compute: 'cpu-cluster',
          },
        },
      ],
    });
    expect(ok.models[0]?.training).toMatchObject({ compute: 'cpu-cluster' });
  });

  it('when the training kind is unknown, then the discriminator is named', () => {
    expect(problemsOf({ models: [{ ...minimalModel, training: { kind: 'notebook' } }] })).toEqual([
      expect.stringMatching(/^models\[0\]\.training\.kind: /),
    ]);
  });

  it('when the file is missing or not JSON, then the error says so', () => {
    expect(() => loadCatalog('does-not-exist.json', repoRoot)).toThrow(/cannot read file/);
    expect(() => loadCatalog('package-lock.json', path.join(repoRoot, 'src'))).toThrow(CatalogError);
  });
});

describe('score-only models and the sections each capability needs', () => {
  const scoreOnly = {
    name: 'notebook-model',
    batch: { inputPrefix: 'in/', outputPrefix: 'out/', scorer: { kind: 'batchEndpoint', endpoint: 'nb-batch' } },
  };

  it('when an entry has only a batch section, then it loads as a score-only model that does not retrain', () => {
    const catalog = parseCatalog({ models: [scoreOnly, minimalModel] });
    const model = findModel(catalog, 'notebook-model');
    expect(model?.batch?.scorer).toMatchObject({ kind: 'batchEndpoint', endpoint: 'nb-batch', outputName: 'score' });
    expect(model?.training).toBeUndefined();
    expect(model && isRetrainable(model)).toBe(false);
    expect(findRetrainModel(catalog, 'notebook-model')).toBeUndefined();
    expect(retrainModels(catalog).map((m) => m.name)).toEqual(['m1']);
  });

  it('when a scorer has no kind, then it is the online endpoint scorer (catalogs written before kinds keep working)', () => {
    const [model] = parseCatalog({
      models: [{ ...minimalModel, batch: { inputPrefix: 'a/', outputPrefix: 'b/', scorer: { deployment: 'blue' } } }],
    }).models;
    expect(model?.batch?.scorer).toEqual({ kind: 'onlineEndpoint', deployment: 'blue' });
    expect(model?.batch?.errorThreshold).toBe(0);
    expect(model?.batch?.input).toEqual({ kind: 'lakePartition' });
  });

  it('when only some retrain sections are given, then each missing one is named with what retraining needs', () => {
    const { deployment: _d, gate: _g, ...partial } = minimalModel;
    expect(problemsOf({ models: [{ ...partial, batch: scoreOnly.batch }] })).toEqual([
      'models[0].gate: is required: retraining needs training, gate, registry and deployment (this entry has training, registry); a score-only model has only batch',
      'models[0].deployment: is required: retraining needs training, gate, registry and deployment (this entry has training, registry); a score-only model has only batch',
    ]);
  });

  it('when an entry has neither retrain sections nor batch, or a score-only entry has triggers or no endpoint, then the fields are named', () => {
    expect(problemsOf({ models: [{ name: 'empty' }] })).toEqual([
      'models[0].batch: is required: a model either retrains (training, gate, registry and deployment) or scores (batch), or both',
    ]);
    expect(
      problemsOf({
        models: [
          {
            ...scoreOnly,
            triggers: { schedules: [{ name: 'nightly', schedule: '0 0 1 * * *' }] },
            batch: { inputPrefix: 'in/', outputPrefix: 'out/' },
          },
        ],
      }),
    ).toEqual([
      'models[0].triggers.schedules: start retraining, which needs training, gate, registry and deployment; a score-only model has no triggers (batch.schedule runs its scoring)',
      'models[0].batch.scorer.endpoint: is required for a score-only model: name the online endpoint to score through (or use kind batchEndpoint)',
    ]);
  });

  it('when errorThreshold names a unit that does not fit inputMode, or inputs are missing, then the field is named', () => {
    const batch = (extra: Record<string, unknown>) => ({
      models: [{ ...scoreOnly, batch: { ...scoreOnly.batch, ...extra } }],
    });
    expect(problemsOf(batch({ errorThreshold: { files: 2 } }))).toEqual([
      'models[0].batch.errorThreshold.files: counts failed files, which needs inputMode files (use records with inputMode tabular)',
    ]);
    expect(problemsOf(batch({ inputMode: 'files', errorThreshold: { records: 2 } }))).toEqual([
      'models[0].batch.errorThreshold.records: counts failed records, which needs inputMode tabular (use files with inputMode files)',
    ]);
    expect(problemsOf(batch({ errorThreshold: -2 }))[0]).toMatch(/^models\[0\]\.batch\.errorThreshold/);
    expect(problemsOf(batch({ inputPrefix: undefined }))).toEqual([
      'models[0].batch.inputPrefix: is required to score the lake partition <inputPrefix>date=YYYY-MM-DD/ (or set input to a data asset)',
    ]);
    const asset = parseCatalog(batch({ inputPrefix: undefined, input: { kind: 'dataAsset', name: 'daily-rides' } }));
    expect(asset.models[0]?.batch?.input).toEqual({ kind: 'dataAsset', name: 'daily-rides', version: 'latest' });
  });
});
