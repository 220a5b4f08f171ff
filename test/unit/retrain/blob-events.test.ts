import { parseCatalog } from '../../../src/catalog';
import {
  datasetUriFor,
  inspectBlobCreated,
  modelsForBlob,
  parseBlobUrl,
} from '../../../src/services/retrain/blob-events';

function blobEvent(overrides: { subject?: string; data?: Record<string, unknown>; eventType?: string } = {}) {
  return {
    id: 'evt-1',
    topic: '/subscriptions/1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct',
    subject: overrides.subject ?? '/blobServices/default/containers/datasets/blobs/bike-demand/2026-11-20.csv',
    eventType: overrides.eventType ?? 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-20T06:00:12.004Z',
    data: {
      api: 'PutBlockList',
      eTag: '"0x8DDF00A1B2C3D4E"',
      contentType: 'text/csv',
      contentLength: 1024,
      blobType: 'BlockBlob',
      url: 'https://acct.blob.core.windows.net/datasets/bike-demand/2026-11-20.csv',
      ...overrides.data,
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

const model = (name: string, datasets: unknown[]) => ({
  name,
  training: { kind: 'pipelineJob', componentId: 'azureml:c:1', experiment: 'e', datasetInput: 'd' },
  triggers: { datasets },
  gate: { metrics: [{ name: 'rmse', goal: 'minimize' }] },
  registry: { modelName: name },
  deployment: { endpoint: `${name}-ep`, smokeSample: {} },
});

describe('BlobCreated filtering', () => {
  it('when a block list is committed, then the upload is accepted with container, name and unquoted ETag', () => {
    const verdict = inspectBlobCreated(blobEvent());
    expect(verdict).toMatchObject({
      accepted: true,
      blob: {
        container: 'datasets',
        name: 'bike-demand/2026-11-20.csv',
        eTag: '0x8DDF00A1B2C3D4E',
        api: 'PutBlockList',
        contentLength: 1024,
        url: 'https://acct.blob.core.windows.net/datasets/bike-demand/2026-11-20.csv',
      },
    });
  });

  it.each(['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose'])('when the api is %s, then it counts', (api) => {
    expect(inspectBlobCreated(blobEvent({ data: { api } })).accepted).toBe(true);
  });

  it.each(['CreateFile', 'PutBlock', 'AppendBlock', ''])('when the api is "%s", then it is ignored', (api) => {
    expect(inspectBlobCreated(blobEvent({ data: { api } }))).toMatchObject({ accepted: false });
  });

  it('when the blob is empty, then it is ignored as zero-length', () => {
    expect(inspectBlobCreated(blobEvent({ data: { contentLength: 0 } }))).toEqual({
      accepted: false,
      reason: 'zero-length blob',
    });
  });

  it('when the name ends with a slash, then it is a folder marker', () => {
    const verdict = inspectBlobCreated(
      blobEvent({
        subject: '/blobServices/default/containers/datasets/blobs/bike-demand/',
        data: { url: 'https://a.blob.core.windows.net/datasets/bike-demand/' },
      }),
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'folder marker (name ends with /)' });
  });

  it('when hdi_isfolder metadata is set, then it is a folder marker', () => {
    expect(inspectBlobCreated(blobEvent({ data: { metadata: { hdi_isfolder: 'true' } } }))).toMatchObject({
      accepted: false,
      reason: 'folder marker (hdi_isfolder)',
    });
  });

  it('when the event is not BlobCreated, then it is ignored', () => {
    expect(inspectBlobCreated(blobEvent({ eventType: 'Microsoft.Storage.BlobDeleted' }))).toMatchObject({
      accepted: false,
    });
  });

  it('when the event is a CloudEvent, then type/time are read and the upload is accepted', () => {
    const { eventType, eventTime, ...rest } = blobEvent();
    const verdict = inspectBlobCreated({
      ...rest,
      type: eventType,
      time: eventTime,
      specversion: '1.0',
      source: rest.topic,
    });
    expect(verdict).toMatchObject({ accepted: true, blob: { eventTime: '2026-11-20T06:00:12.004Z' } });
  });

  it('when the url carries a SAS, then the query is dropped', () => {
    const verdict = inspectBlobCreated(
      blobEvent({ data: { url: 'https://a.blob.core.windows.net/datasets/x.csv?sig=secret' } }),
    );
    expect(verdict).toMatchObject({ accepted: true, blob: { url: 'https://a.blob.core.windows.net/datasets/x.csv' } });
  });

  it('when the url is an Azurite path-style url and there is no subject, then the account segment is skipped', () => {
    expect(parseBlobUrl('http://127.0.0.1:10000/devstoreaccount1/datasets/bike-demand/a%20b.csv')).toEqual({
      account: 'devstoreaccount1',
      container: 'datasets',
      name: 'bike-demand/a b.csv',
    });
  });

  it('when the event is malformed, then it is ignored with a reason', () => {
    expect(inspectBlobCreated(null)).toMatchObject({ accepted: false });
    expect(inspectBlobCreated({ eventType: 'Microsoft.Storage.BlobCreated' })).toMatchObject({ accepted: false });
    expect(inspectBlobCreated(blobEvent({ data: { eTag: undefined } }))).toMatchObject({ accepted: false });
  });
});

describe('model matching', () => {
  const catalog = parseCatalog({
    models: [
      model('a', [{ container: 'datasets', prefix: 'bike-demand/', suffix: '.csv' }]),
      model('b', [{ container: 'datasets', prefix: 'bike' }]),
      model('c', [{ container: 'other' }]),
      model('d', [
        { container: 'datasets', prefix: 'x/' },
        { container: 'datasets', prefix: 'bike-demand/' },
      ]),
    ],
  });

  it('when container, prefix and suffix match, then the model is selected once, in catalog order', () => {
    expect(modelsForBlob(catalog, { container: 'datasets', name: 'bike-demand/2026.csv' }).map((m) => m.name)).toEqual([
      'a',
      'b',
      'd',
    ]);
  });

  it('when the suffix differs, then the model is not selected', () => {
    expect(
      modelsForBlob(catalog, { container: 'datasets', name: 'bike-demand/2026.parquet' }).map((m) => m.name),
    ).toEqual(['b', 'd']);
  });

  it('when no trigger matches, then no model is selected', () => {
    expect(modelsForBlob(catalog, { container: 'nothing', name: 'x' })).toEqual([]);
  });
});

describe('dataset URI for a job input', () => {
  it('when the input is a file, then it is the blob; when a folder, then its folder (never a SAS)', () => {
    // Through the lake's identity-based datastore <account>_<container> (src/azureml/dataset-uri.ts).
    expect(datasetUriFor('https://stlake.blob.core.windows.net/my-data/x/y z.csv?sig=1', 'uri_file')).toBe(
      'azureml://datastores/stlake_my_data/paths/x/y%20z.csv',
    );
    expect(datasetUriFor('https://stlake.dfs.core.windows.net/my-data/x/y.csv', 'uri_folder')).toBe(
      'azureml://datastores/stlake_my_data/paths/x/',
    );
    expect(datasetUriFor('http://127.0.0.1:10000/devstoreaccount1/datasets/bike-demand/a.csv', 'uri_file')).toBe(
      'azureml://datastores/devstoreaccount1_datasets/paths/bike-demand/a.csv',
    );
    expect(datasetUriFor('azureml://datastores/other/paths/a.csv', 'uri_folder')).toBe(
      'azureml://datastores/other/paths/a.csv',
    );
  });
});
