import { assetVersionId, computeId, dataPathOf, jobOutputUri } from '../../../src/azureml/references';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';

const ws = { subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws' } as AzureMlWorkspace;
const WS = '/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

describe('Azure ML references as the REST API takes them', () => {
  it('when a component is named azureml:<name>:<version>, then it becomes the version ARM id in this workspace', () => {
    expect(assetVersionId(ws, 'components', 'azureml:train:3')).toBe(`${WS}/components/train/versions/3`);
    const registry = 'azureml://registries/shared/components/train/versions/3';
    expect(assetVersionId(ws, 'components', registry)).toBe(registry);
    expect(assetVersionId(ws, 'environments', `${WS}/environments/x/versions/1`)).toBe(
      `${WS}/environments/x/versions/1`,
    );
  });

  it('when a compute is named, then it becomes the compute ARM id; an ARM id stays', () => {
    expect(computeId(ws, 'cpu-cluster')).toBe(`${WS}/computes/cpu-cluster`);
    expect(computeId(ws, 'azureml:gpu')).toBe(`${WS}/computes/gpu`);
    expect(computeId(ws, `${WS}/computes/c1`)).toBe(`${WS}/computes/c1`);
  });

  it('when a dataset is a datastore path, then it splits into a v1 DataPath; anything else is not one', () => {
    expect(dataPathOf('azureml://datastores/lake/paths/bikes/2026/train.csv')).toEqual({
      DataStoreName: 'lake',
      RelativePath: 'bikes/2026/train.csv',
    });
    expect(dataPathOf('azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/lake/paths/bikes/')).toEqual(
      { DataStoreName: 'lake', RelativePath: 'bikes/' },
    );
    expect(dataPathOf('https://acct.blob.core.windows.net/datasets/bikes/train.csv')).toBeUndefined();
  });

  it('when a job output is named, then the URI is the documented named-output form', () => {
    expect(jobOutputUri('calm_kiwi', 'model')).toBe('azureml://jobs/calm_kiwi/outputs/model/paths/');
  });
});
