import { registerDataVersion } from '../azureml/registry';
import type { AzureMlWorkspace } from '../azureml/workspace';
import { datasetUriFor, inspectBlobCreated, modelsForBlob } from '../services/retrain/blob-events';
import { dedupeKey } from '../services/retrain/dedupe';
import { errorTypeOf } from '../services/retrain/errors';
import { dataVersionFor } from '../services/retrain/naming';
import { retrainPlanFor } from '../services/retrain/plan';
import { TelemetryEvents } from '../telemetry';
import type { DatasetRef, SubmitResult } from './model';
import { type SubmitDeps, submitRetrainTrigger } from './submit';

export interface DatasetUploadDeps extends SubmitDeps {
  readonly ws: AzureMlWorkspace;
}

export type DatasetUploadResult =
  | { readonly ignored: string }
  | { readonly model: string; readonly result: SubmitResult; readonly dataAsset?: DatasetRef['dataAsset'] };

/**
 * A `Microsoft.Storage.BlobCreated` event: filter, match models, dedupe, register the blob as a data asset version
 * (lineage), and submit one retrain trigger per matching model.
 *
 * @remarks Events that are not dataset uploads or match no model are acknowledged and counted (TriggerIgnored), not
 * errors. A transient Azure ML failure while registering the data asset throws, so Event Grid redelivers; the
 * dedupe key makes the redelivery safe.
 */
export async function handleDatasetUploaded(deps: DatasetUploadDeps, event: unknown): Promise<DatasetUploadResult[]> {
  const verdict = inspectBlobCreated(event);
  if (!verdict.accepted) {
    deps.telemetry.trackEvent(TelemetryEvents.TriggerIgnored, { source: 'dataset', reason: verdict.reason });
    return [{ ignored: verdict.reason }];
  }
  const blob = verdict.blob;
  const models = modelsForBlob(deps.catalog, blob);
  if (models.length === 0) {
    const reason = `no model's dataset trigger matches ${blob.container}/${blob.name}`;
    deps.telemetry.trackEvent(TelemetryEvents.TriggerIgnored, { source: 'dataset', reason });
    return [{ ignored: reason }];
  }
  const occurredAt = blob.eventTime || (deps.now ?? (() => new Date()))().toISOString();
  const dedupe = { kind: 'blob' as const, url: blob.url, eTag: blob.eTag };
  const key = dedupeKey(dedupe);
  const results: DatasetUploadResult[] = [];
  for (const model of models) {
    let dataAsset: DatasetRef['dataAsset'];
    const seen = await deps.state.ledger.isClaimed(model.name, key);
    if (!seen) {
      const plan = retrainPlanFor(model);
      try {
        dataAsset = await registerDataVersion(deps.ws, {
          name: plan.registry.dataAssetName,
          version: dataVersionFor(occurredAt, key),
          dataUri: datasetUriFor(blob.url, model.training.datasetInputType),
          dataType: model.training.datasetInputType,
          description: `Uploaded ${blob.container}/${blob.name} (retrain trigger of ${model.name})`,
          tags: { 'mlops.dataset.etag': blob.eTag, 'mlops.event.id': blob.eventId, 'mlops.model': model.name },
        });
      } catch (error) {
        if (errorTypeOf(error) === 'AzureMlTransientError') throw error;
        // A rejected registration must not lose the trigger: retrain without the data asset reference.
        deps.telemetry.trackException(error instanceof Error ? error : new Error(String(error)), {
          model: model.name,
          stage: 'registerDataAsset',
        });
      }
    }
    const result = await submitRetrainTrigger(deps, {
      model: model.name,
      source: 'dataset',
      dedupe,
      occurredAt,
      eventId: blob.eventId,
      dataset: {
        uri: blob.url,
        container: blob.container,
        name: blob.name,
        eTag: blob.eTag,
        contentLength: blob.contentLength,
        dataAsset,
      },
    });
    results.push({ model: model.name, result, dataAsset });
  }
  return results;
}
