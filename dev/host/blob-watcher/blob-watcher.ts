/**
 * Turns blob changes in a storage account (Azurite locally) into `Microsoft.Storage.BlobCreated` /
 * `Microsoft.Storage.BlobDeleted` events, as the storage account's Event Grid system topic does, and hands them to
 * the subscriptions that match.
 *
 * @remarks Azurite has no change feed or Event Grid hook, so the watcher polls listings and compares ETags with
 * what it reported before. That state is persisted: blobs that existed before the watcher first ran are a
 * baseline and are not reported (Event Grid only reports changes after a subscription exists); blobs written while
 * the watcher was stopped are reported when it starts again. Events not yet delivered are persisted with it and
 * delivered again after a restart (Event Grid keeps retrying while a subscriber is down), so a crash of the
 * platform between an upload and its delivery loses no event.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { BlobServiceClient } from '@azure/storage-blob';

import { errorMessage } from '../log';
import type { GridEvent } from './delivery';

export interface BlobWatcherOptions {
  client: BlobServiceClient;
  /** ARM id of the storage account, the events' `topic`. */
  topic: string;
  /** Where reported ETags are kept between runs; in memory only when undefined. */
  stateFile?: string;
  pollIntervalMs?: number;
  /** Delivers the events; resolves once they were delivered or given up on (they stay pending until then). */
  onEvents: (events: GridEvent[]) => Promise<void>;
  log: (line: string) => void;
}

interface BlobState {
  etag: string;
  contentType: string | undefined;
  contentLength: number;
  blobType: string;
}

interface PersistedState {
  blobs: Record<string, BlobState>;
  sequencer: number;
  /** Events reported and not yet delivered (or given up on). */
  pending?: GridEvent[];
}

// Single-shot uploads above this size go through Put Block List in the SDKs (maxSingleShotSize).
const SINGLE_SHOT_MAX_BYTES = 256 * 1024 * 1024;

export class BlobWatcher {
  private state: PersistedState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private resumed = false;

  constructor(private readonly options: BlobWatcherOptions) {}

  /** Takes the first listing (the baseline on a first run, or reports what changed while stopped), then polls. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.pollOnce();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  /** One listing pass; exposed so callers (and tests) can force a check now. */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pollOnce().finally(() => this.schedule());
    }, this.options.pollIntervalMs ?? 500);
    this.timer.unref();
  }

  private loadState(): { state: PersistedState; firstRun: boolean } {
    if (this.state) return { state: this.state, firstRun: false };
    const file = this.options.stateFile;
    if (file && fs.existsSync(file)) {
      this.state = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
      return { state: this.state, firstRun: false };
    }
    this.state = { blobs: {}, sequencer: 0 };
    return { state: this.state, firstRun: true };
  }

  private saveState(state: PersistedState): void {
    const file = this.options.stateFile;
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state));
    fs.renameSync(tmp, file);
  }

  private async poll(): Promise<void> {
    const { state, firstRun } = this.loadState();
    let seen: Map<string, BlobState & { lastModified: Date }>;
    try {
      seen = await this.list();
    } catch (error) {
      this.options.log(`Blob watcher: listing failed (${errorMessage(error)}); will retry`);
      return;
    }
    if (!this.resumed) {
      // Deliveries that a stop or crash interrupted go out again first (same event ids, as Event Grid retries).
      this.resumed = true;
      if (state.pending && state.pending.length > 0) this.dispatch(state, [...state.pending]);
    }
    const events: GridEvent[] = [];
    if (!firstRun) {
      for (const [key, blob] of seen) {
        const known = state.blobs[key];
        if (known?.etag === blob.etag) continue;
        state.sequencer += 1;
        events.push(this.createdEvent(key, blob, state.sequencer));
      }
      for (const [key, blob] of Object.entries(state.blobs)) {
        if (seen.has(key)) continue;
        state.sequencer += 1;
        events.push(this.deletedEvent(key, blob, state.sequencer));
      }
    }
    state.blobs = Object.fromEntries(
      [...seen].map(([k, b]) => [
        k,
        { etag: b.etag, contentType: b.contentType, contentLength: b.contentLength, blobType: b.blobType },
      ]),
    );
    // Saved as pending before they are handed out: a crash before their delivery delivers them at the next start
    // (at least once, as Event Grid).
    if (events.length > 0) state.pending = [...(state.pending ?? []), ...events];
    this.saveState(state);
    if (events.length > 0) this.dispatch(state, events);
  }

  /** Delivers in the background (a failing subscription does not hold back the watcher); done ones leave pending. */
  private dispatch(state: PersistedState, events: GridEvent[]): void {
    const ids = new Set(events.map((e) => e.id));
    void this.options
      .onEvents(events)
      .catch((error: unknown) => this.options.log(`Blob watcher: delivery failed (${errorMessage(error)})`))
      .then(() => {
        state.pending = (state.pending ?? []).filter((e) => !ids.has(e.id));
        this.saveState(state);
      });
  }

  private async list(): Promise<Map<string, BlobState & { lastModified: Date }>> {
    const out = new Map<string, BlobState & { lastModified: Date }>();
    for await (const container of this.options.client.listContainers()) {
      const containerClient = this.options.client.getContainerClient(container.name);
      for await (const blob of containerClient.listBlobsFlat()) {
        out.set(`${container.name}/${blob.name}`, {
          // Event Grid reports the ETag unquoted (listings give it that way; HTTP headers quote it).
          etag: (blob.properties.etag ?? '').replace(/^"|"$/g, ''),
          contentType: blob.properties.contentType,
          contentLength: blob.properties.contentLength ?? 0,
          blobType: blob.properties.blobType ?? 'BlockBlob',
          lastModified: blob.properties.lastModified,
        });
      }
    }
    return out;
  }

  private subjectAndUrl(key: string): { subject: string; url: string } {
    const slash = key.indexOf('/');
    const container = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const url = this.options.client.getContainerClient(container).getBlobClient(name).url;
    return { subject: `/blobServices/default/containers/${container}/blobs/${name}`, url };
  }

  private createdEvent(key: string, blob: BlobState & { lastModified: Date }, sequence: number): GridEvent {
    const { subject, url } = this.subjectAndUrl(key);
    const api =
      blob.blobType === 'BlockBlob'
        ? blob.contentLength > SINGLE_SHOT_MAX_BYTES
          ? 'PutBlockList'
          : 'PutBlob'
        : blob.blobType === 'AppendBlob'
          ? 'AppendBlock'
          : 'PutBlob';
    return {
      id: randomUUID(),
      topic: this.options.topic,
      subject,
      eventType: 'Microsoft.Storage.BlobCreated',
      eventTime: blob.lastModified.toISOString(),
      data: {
        api,
        clientRequestId: randomUUID(),
        requestId: randomUUID(),
        eTag: blob.etag,
        contentType: blob.contentType ?? 'application/octet-stream',
        contentLength: blob.contentLength,
        blobType: blob.blobType,
        url,
        sequencer: sequencer(sequence),
        storageDiagnostics: { batchId: randomUUID() },
      },
      dataVersion: '',
      metadataVersion: '1',
    };
  }

  private deletedEvent(key: string, blob: BlobState, sequence: number): GridEvent {
    const { subject, url } = this.subjectAndUrl(key);
    return {
      id: randomUUID(),
      topic: this.options.topic,
      subject,
      eventType: 'Microsoft.Storage.BlobDeleted',
      eventTime: new Date().toISOString(),
      data: {
        api: 'DeleteBlob',
        clientRequestId: randomUUID(),
        requestId: randomUUID(),
        contentType: blob.contentType ?? 'application/octet-stream',
        blobType: blob.blobType,
        url,
        sequencer: sequencer(sequence),
        storageDiagnostics: { batchId: randomUUID() },
      },
      dataVersion: '',
      metadataVersion: '1',
    };
  }
}

/** Storage's sequencer: an opaque, lexically ordered hex string per blob change. */
function sequencer(n: number): string {
  return n.toString(16).padStart(32, '0');
}
