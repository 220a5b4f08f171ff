/**
 * Demo seed: the bike-demand model trained and served, plus the three ways the orchestrator can retrain it
 * (batch pipeline deployment, v1 PipelineEndpoint, pipeline job with the same inputs).
 *
 * @remarks Idempotent: each piece is created only when missing, so restarting with a persisted state dir keeps what
 * the demo did since. Written straight into the state (no HTTP), but every record has the shape the API produces.
 */
import { BIKE_DEMAND_FEATURES, BIKE_DEMAND_TARGET, generateBikeDemandCsv } from '../demo/bike-data';
import { EMULATOR_TENANT_ID, newSystemData, resourceId, SUBSCRIPTION_ID, WORKSPACE_ID } from './arm';
import type { RegistryRef, WorkspaceRef } from './workspaces';
import type { EmulatorContext } from './context';
import { newKey } from './handlers/online-endpoints';
import { trainFromCsv } from './ml';
import { appendLog, deploymentKey } from './runtime/logs';
import { type Engine, METRIC_KEYS, modelOutputUri } from './runtime/engine';
import { BUILT_IN_TRAINING_STEP } from './runtime/training';
import type { JobRecord, JsonObject } from './state';

/** Fixed id of the seeded v1 PipelineEndpoint (`.../PipelineRuns/PipelineEndpointSubmit/Id/<this>`). */
export const BIKE_DEMAND_PIPELINE_ENDPOINT_ID = '6f1b0a3e-5c1d-4e7a-9a55-0b1ced000001';
export const BIKE_DEMAND_MODEL = 'bike-demand';
export const BIKE_DEMAND_ONLINE_ENDPOINT = 'bike-demand';
export const BIKE_DEMAND_ONLINE_DEPLOYMENT = 'bike-demand-v1';
export const BIKE_DEMAND_BATCH_ENDPOINT = 'bike-demand-train';
export const BIKE_DEMAND_BATCH_DEPLOYMENT = 'train-pipeline';
export const BIKE_DEMAND_SEED_JOB = 'bike-demand-seed-training';
export const BIKE_DEMAND_DATASET_CONTAINER = 'datasets';
export const BIKE_DEMAND_DATASET_PATH = 'bike-demand/seed/train.csv';
/** The data asset the app registers the model's datasets under (catalog default `<model>-data`). */
export const BIKE_DEMAND_DATA_ASSET = 'bike-demand-data';
/** MLflow run of the seed pipeline's training step. */
const SEED_TRAINING_STEP_RUN = '5eed0000-0000-4000-8000-0000000057e9';
/** System-assigned identity of the seeded online endpoint. */
const SEED_ENDPOINT_PRINCIPAL_ID = '5eed0000-0000-4000-8000-00000000e001';
export const BIKE_DEMAND_COMPONENT_ID = `${WORKSPACE_ID}/components/train-linear-regression/versions/1`;

const TRAINING_PARAMETERS = {
  target_column: BIKE_DEMAND_TARGET,
  alpha: '1.0',
  feature_columns: BIKE_DEMAND_FEATURES.join(','),
};

/**
 * The demo's promotion targets: a `prod` workspace in its own subscription and resource group (the default workspace
 * `local` is the demo's `dev`), and a registry the stages can share versions through.
 */
export const DEMO_PROD_WORKSPACE: WorkspaceRef = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-prod',
  workspace: 'prod',
};
export const DEMO_REGISTRY: RegistryRef = {
  subscriptionId: SUBSCRIPTION_ID,
  resourceGroup: 'rg-shared',
  name: 'shared',
};

export async function seedDemo(context: EmulatorContext, engine: Engine): Promise<void> {
  context.store.addWorkspace(DEMO_PROD_WORKSPACE);
  context.store.addRegistry(DEMO_REGISTRY);
  const state = context.store.data;
  const nowIso = context.clock.nowIso();
  const now = context.clock.now();
  const csv = generateBikeDemandCsv({ rows: 2000, seed: 42 });
  let dataUri = `azureml://datastores/${BIKE_DEMAND_DATASET_CONTAINER}/paths/${BIKE_DEMAND_DATASET_PATH}`;
  let uploaded = false;
  if (context.dataAccess.hasBlobStorage()) {
    try {
      await context.dataAccess.uploadText(BIKE_DEMAND_DATASET_CONTAINER, BIKE_DEMAND_DATASET_PATH, csv);
      uploaded = true;
    } catch (error) {
      // A missing Azurite must not keep the emulator from starting: the seed model trains from memory instead.
      context.log(
        `seed: cannot upload the demo CSV to Azurite (${error instanceof Error ? error.message : String(error)}); training from memory`,
      );
    }
  }
  if (uploaded) {
    state.dataContainers[BIKE_DEMAND_DATA_ASSET] ??= {
      name: BIKE_DEMAND_DATA_ASSET,
      body: { properties: { dataType: 'uri_file' } },
      systemData: newSystemData(nowIso),
      createdMs: now,
    };
    (state.dataVersions[BIKE_DEMAND_DATA_ASSET] ??= {})['1'] ??= {
      name: '1',
      body: {
        properties: {
          dataType: 'uri_file',
          dataUri,
          description: 'Seed training data for bike-demand',
          tags: {},
          properties: {},
          isArchived: false,
          isAnonymous: false,
          provisioningState: 'Succeeded',
        },
      },
      systemData: newSystemData(nowIso),
      createdMs: now,
    };
  } else {
    dataUri = 'in-memory://seed/bike-demand.csv';
  }

  if (!state.jobs[BIKE_DEMAND_SEED_JOB]) {
    const { artifact, metrics } = await trainFromCsv(csv, {
      targetColumn: BIKE_DEMAND_TARGET,
      featureColumns: [...BIKE_DEMAND_FEATURES],
      alpha: 1,
    });
    const inputs: JsonObject = { training_data: { jobInputType: 'uri_file', uri: dataUri } };
    for (const [key, value] of Object.entries(TRAINING_PARAMETERS)) inputs[key] = { jobInputType: 'literal', value };
    const experimentName = 'bike-demand-train';
    const job: JobRecord = {
      name: BIKE_DEMAND_SEED_JOB,
      body: {
        properties: {
          jobType: 'Pipeline',
          experimentName,
          displayName: 'bike-demand seed training',
          status: 'Completed',
          isArchived: false,
          inputs,
          outputs: {
            model: { jobOutputType: 'mlflow_model', mode: 'Upload' },
          },
          tags: { seed: 'true' },
          properties: {},
        },
      },
      systemData: newSystemData(nowIso),
      createdMs: now,
      run: {
        status: 'Completed',
        statusSince: now,
        history: ['NotStarted', 'Queued', 'Running', 'Completed'].map((status) => ({
          status: status as JobRecord['run']['status'],
          at: nowIso,
        })),
        origin: 'arm',
        modelOutputs: { model: 'mlflow_model' },
        experimentId: engine.experimentId(experimentName),
        training: { state: 'succeeded', metrics },
        startedAt: nowIso,
        endedAt: nowIso,
      },
    };
    state.jobs[job.name] = job;
    state.artifacts[job.name] = artifact;
    // The pipeline's own run has no metrics; its training step (a child run) logged them.
    state.mlflowRuns[job.name] = {
      runId: job.name,
      experimentId: job.run.experimentId,
      runName: 'bike-demand seed training',
      status: 'FINISHED',
      startTime: now,
      endTime: now,
      metrics: [],
      params: [],
      tags: [{ key: 'mlflow.experimentName', value: experimentName }],
    };
    state.mlflowRuns[SEED_TRAINING_STEP_RUN] = {
      runId: SEED_TRAINING_STEP_RUN,
      experimentId: job.run.experimentId,
      runName: BUILT_IN_TRAINING_STEP,
      status: 'FINISHED',
      startTime: now,
      endTime: now,
      metrics: METRIC_KEYS.map((key) => ({ key, value: metrics[key], timestamp: now, step: 0 })),
      params: Object.entries(TRAINING_PARAMETERS).map(([key, value]) => ({ key, value })),
      tags: [
        { key: 'mlflow.parentRunId', value: job.name },
        { key: 'mlflow.rootRunId', value: job.name },
        { key: 'mlflow.runName', value: BUILT_IN_TRAINING_STEP },
        { key: 'mlflow.experimentName', value: experimentName },
      ],
    };
    job.run.trainingRunId = SEED_TRAINING_STEP_RUN;
  }

  state.modelContainers[BIKE_DEMAND_MODEL] ??= {
    name: BIKE_DEMAND_MODEL,
    body: {
      properties: { description: 'Hourly bike rental demand (demo)', tags: {}, properties: {}, isArchived: false },
    },
    systemData: newSystemData(nowIso),
    createdMs: now,
  };
  (state.modelVersions[BIKE_DEMAND_MODEL] ??= {})['1'] ??= {
    name: '1',
    body: {
      properties: {
        modelType: 'mlflow_model',
        modelUri: modelOutputUri(BIKE_DEMAND_SEED_JOB),
        jobName: BIKE_DEMAND_SEED_JOB,
        description: 'Seed version trained on synthetic data',
        tags: { seed: 'true' },
        properties: {},
        stage: 'Production',
        isArchived: false,
        isAnonymous: false,
        provisioningState: 'Succeeded',
      },
    },
    systemData: newSystemData(nowIso),
    createdMs: now,
  };

  state.batchEndpoints[BIKE_DEMAND_BATCH_ENDPOINT] ??= {
    name: BIKE_DEMAND_BATCH_ENDPOINT,
    body: {
      location: 'local',
      properties: {
        authMode: 'AADToken',
        description: 'Retrains bike-demand (pipeline component deployment)',
        defaults: { deploymentName: BIKE_DEMAND_BATCH_DEPLOYMENT },
        properties: {},
        provisioningState: 'Succeeded',
      },
      tags: {},
    },
    systemData: newSystemData(nowIso),
    createdMs: now,
  };
  (state.batchDeployments[BIKE_DEMAND_BATCH_ENDPOINT] ??= {})[BIKE_DEMAND_BATCH_DEPLOYMENT] ??= {
    name: BIKE_DEMAND_BATCH_DEPLOYMENT,
    body: {
      location: 'local',
      properties: {
        description: 'Trains a linear model on the input CSV',
        deploymentConfiguration: {
          deploymentConfigurationType: 'PipelineComponent',
          componentId: { referenceType: 'Id', assetId: BIKE_DEMAND_COMPONENT_ID },
          settings: { default_compute: resourceId('computes', 'cpu-cluster'), ...TRAINING_PARAMETERS },
          tags: { model: BIKE_DEMAND_MODEL },
        },
        properties: {},
        provisioningState: 'Succeeded',
      },
      tags: {},
    },
    systemData: newSystemData(nowIso),
    createdMs: now,
  };

  state.pipelineEndpoints[BIKE_DEMAND_PIPELINE_ENDPOINT_ID] ??= {
    id: BIKE_DEMAND_PIPELINE_ENDPOINT_ID,
    name: 'bike-demand-train-v1',
    description: 'v1 published pipeline endpoint that retrains bike-demand',
    defaults: { ...TRAINING_PARAMETERS },
    dataParameter: 'input_data',
    createdAt: nowIso,
  };

  if (!state.onlineEndpoints[BIKE_DEMAND_ONLINE_ENDPOINT]) {
    state.onlineEndpoints[BIKE_DEMAND_ONLINE_ENDPOINT] = {
      name: BIKE_DEMAND_ONLINE_ENDPOINT,
      body: {
        kind: 'Managed',
        location: 'local',
        identity: { type: 'SystemAssigned', principalId: SEED_ENDPOINT_PRINCIPAL_ID, tenantId: EMULATOR_TENANT_ID },
        tags: {},
        properties: {
          authMode: 'Key',
          description: 'bike-demand real-time scoring',
          traffic: { [BIKE_DEMAND_ONLINE_DEPLOYMENT]: 100 },
          publicNetworkAccess: 'Enabled',
          properties: {},
          provisioningState: 'Succeeded',
        },
      },
      systemData: newSystemData(nowIso),
      createdMs: now,
      keys: { primaryKey: newKey(), secondaryKey: newKey() },
    };
  }
  const deployments = (state.onlineDeployments[BIKE_DEMAND_ONLINE_ENDPOINT] ??= {});
  if (!deployments[BIKE_DEMAND_ONLINE_DEPLOYMENT]) {
    const artifact = state.artifacts[BIKE_DEMAND_SEED_JOB];
    deployments[BIKE_DEMAND_ONLINE_DEPLOYMENT] = {
      name: BIKE_DEMAND_ONLINE_DEPLOYMENT,
      body: {
        kind: 'Managed',
        location: 'local',
        sku: { name: 'Default', capacity: 1 },
        tags: {},
        properties: {
          endpointComputeType: 'Managed',
          model: resourceId('models', BIKE_DEMAND_MODEL, 'versions', '1'),
          instanceType: 'Standard_DS3_v2',
          scaleSettings: { scaleType: 'Default' },
          requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 4, maxQueueWait: 'PT0.5S' },
          properties: {},
          provisioningState: 'Succeeded',
        },
      },
      systemData: newSystemData(nowIso),
      createdMs: now,
      runtime: { ...(artifact ? { artifact } : {}), modelId: `${BIKE_DEMAND_MODEL}:1`, servedAs: 'mlflow' },
    };
    const key = deploymentKey(BIKE_DEMAND_ONLINE_ENDPOINT, BIKE_DEMAND_ONLINE_DEPLOYMENT);
    appendLog(context, key, 'StorageInitializer', 'INFO', `Model ${BIKE_DEMAND_MODEL}:1 downloaded.`);
    appendLog(
      context,
      key,
      'InferenceServer',
      'INFO',
      'Starting inference server container (instance type Standard_DS3_v2).',
    );
    appendLog(
      context,
      key,
      'InferenceServer',
      'INFO',
      `Loaded model ${BIKE_DEMAND_MODEL}:1 (linear, features: ${BIKE_DEMAND_FEATURES.join(', ')}, target: ${BIKE_DEMAND_TARGET}).`,
    );
  }
  context.store.changed();
}
