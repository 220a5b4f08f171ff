import { type BlobJsonStore, segment } from './blob-json';

/**
 * Training submissions, keyed by the idempotency key (= the deterministic job name):
 * `submissions/<key>.json`. Written BEFORE the submit call (`submitting`) and AFTER it (`submitted`, with the Azure
 * ML run id), so a retried submit activity can tell "never sent", "sent, outcome unknown" (look the run up by its
 * tag/display name first) and "sent".
 *
 * The same document maps a job name back to the orchestration waiting for it (Event Grid run events).
 */

export interface SubmissionRecord {
  readonly key: string;
  readonly model: string;
  readonly runId: string;
  readonly instanceId: string;
  readonly kind: string;
  readonly state: 'submitting' | 'submitted';
  /** The Azure ML job / run name that runs the training (v2 job name, batch job name or v1 run id). */
  readonly jobName?: string | undefined;
  readonly experiment?: string | undefined;
  readonly at: string;
}

function submissionBlob(key: string): string {
  return `submissions/${segment(key)}.json`;
}

function jobBlob(jobName: string): string {
  return `jobs/${segment(jobName)}.json`;
}

export class SubmissionStore {
  constructor(private readonly store: BlobJsonStore) {}

  async get(key: string): Promise<SubmissionRecord | undefined> {
    return (await this.store.read<SubmissionRecord>(submissionBlob(key)))?.value;
  }

  async put(record: SubmissionRecord): Promise<void> {
    await this.store.update<SubmissionRecord>(submissionBlob(record.key), () => record);
    if (record.jobName) {
      await this.store.update<SubmissionRecord>(jobBlob(record.jobName), () => record);
    }
  }

  /** Which run/orchestration a job belongs to (for Azure ML run events). */
  async byJobName(jobName: string): Promise<SubmissionRecord | undefined> {
    return (await this.store.read<SubmissionRecord>(jobBlob(jobName)))?.value;
  }
}
