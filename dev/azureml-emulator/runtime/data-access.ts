/**
 * Reads training data and model files named by URIs the way Azure ML jobs see them, from Azurite or local disk.
 *
 * @remarks Job data (openCsv) is read as an Azure ML job reads the orchestrator's lake: through a datastore,
 * `azureml://datastores/<ds>/paths/<p>`. The lake has shared keys off, so Azure jobs reach it only through its
 * identity-based datastores (`<account>_<container>`, see src/azureml/dataset-uri.ts); a raw storage URL
 * (`https://`, `http://`, `abfss://`, `wasbs://`) is refused the way a job's data access fails without a credential
 * (docs/azureml-emulator.md, "Job data access"). Datastore names resolve to Azurite containers: a mapped name, the
 * lake form `<Azurite account>_<container>` (underscores back to hyphens), else the container of the same name.
 * `file://` URLs and local paths are read from disk (tests). Model files (readText) may also be Azurite URLs.
 * A folder (`uri_folder`, or a URI ending in `/`) means every `.csv` under it, concatenated in name order.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

export interface DataAccessOptions {
  readonly azuriteConnectionString?: string;
  /** Datastore name → Azurite container; a datastore not listed maps to the container of the same name. */
  readonly datastores?: Readonly<Record<string, string>>;
}

export class DataAccessError extends Error {
  readonly uri: string;

  constructor(uri: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataAccessError';
    this.uri = uri;
  }
}

type Location = { kind: 'blob'; container: string; blobPath: string } | { kind: 'file'; filePath: string };

export class DataAccess {
  private serviceClient: BlobServiceClient | undefined;

  constructor(private readonly options: DataAccessOptions) {}

  /** Opens the CSV (or the concatenation of the folder's CSVs) named by `uri` as a stream: a job's data input. */
  async openCsv(uri: string, options: { folder?: boolean } = {}): Promise<NodeJS.ReadableStream> {
    refuseRawStorageUri(uri);
    const location = this.locate(uri);
    const folder = options.folder === true || uri.endsWith('/');
    if (location.kind === 'file') return this.openFileCsv(uri, location.filePath, folder);
    const container = this.container(uri, location.container);
    if (!folder) {
      const blob = container.getBlobClient(location.blobPath);
      try {
        const download = await blob.download();
        if (!download.readableStreamBody) throw new Error('empty download stream');
        return download.readableStreamBody;
      } catch (error) {
        throw new DataAccessError(uri, `Cannot read '${uri}': ${describe(error)}`, { cause: error });
      }
    }
    const prefix =
      location.blobPath === '' || location.blobPath.endsWith('/') ? location.blobPath : `${location.blobPath}/`;
    const names: string[] = [];
    try {
      for await (const item of container.listBlobsFlat({ prefix })) {
        if (item.name.toLowerCase().endsWith('.csv')) names.push(item.name);
      }
    } catch (error) {
      throw new DataAccessError(uri, `Cannot list '${uri}': ${describe(error)}`, { cause: error });
    }
    if (names.length === 0) throw new DataAccessError(uri, `No .csv file under '${uri}'.`);
    names.sort();
    const texts = await Promise.all(names.map((name) => container.getBlobClient(name).downloadToBuffer()));
    return Readable.from([concatCsv(texts.map((buffer) => buffer.toString('utf8')))]);
  }

  /**
   * The `.csv` files a job input names, in name order: the file itself (`uri_file`), or every `.csv` under the
   * folder (`uri_folder`); each as a datastore-relative URI and its base name. Batch deployment jobs score per file.
   */
  async listCsvFiles(uri: string, options: { folder?: boolean } = {}): Promise<{ uri: string; name: string }[]> {
    refuseRawStorageUri(uri);
    const location = this.locate(uri);
    const folder = options.folder === true || uri.endsWith('/');
    const base = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
    if (!folder) return [{ uri, name: base(location.kind === 'blob' ? location.blobPath : location.filePath) }];
    if (location.kind === 'file') {
      const names = (await readdir(location.filePath)).filter((n) => n.toLowerCase().endsWith('.csv')).sort();
      return names.map((name) => ({ uri: path.join(location.filePath, name), name }));
    }
    const container = this.container(uri, location.container);
    const prefix =
      location.blobPath === '' || location.blobPath.endsWith('/') ? location.blobPath : `${location.blobPath}/`;
    const files: { uri: string; name: string }[] = [];
    try {
      for await (const item of container.listBlobsFlat({ prefix })) {
        if (!item.name.toLowerCase().endsWith('.csv') || base(item.name).startsWith('_')) continue;
        files.push({
          uri: `${uri.endsWith('/') ? uri : `${uri}/`}${item.name.slice(prefix.length)}`,
          name: base(item.name),
        });
      }
    } catch (error) {
      throw new DataAccessError(uri, `Cannot list '${uri}': ${describe(error)}`, { cause: error });
    }
    return files.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  /**
   * Writes a job output file at a datastore path; refuses to overwrite one that exists (a batch deployment's output
   * file must not exist yet: Learn "Create jobs and input data for batch endpoints").
   */
  async writeOutputText(uri: string, text: string): Promise<void> {
    const location = this.locate(uri);
    if (location.kind !== 'blob') throw new DataAccessError(uri, `Job outputs go to a datastore path, not '${uri}'.`);
    const container = this.container(uri, location.container);
    await container.createIfNotExists();
    try {
      await container.getBlockBlobClient(location.blobPath).upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'text/csv' },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 409 || status === 412) {
        throw new DataAccessError(uri, `The output file '${uri}' already exists; batch jobs do not overwrite outputs.`);
      }
      throw new DataAccessError(uri, `Cannot write '${uri}': ${describe(error)}`, { cause: error });
    }
  }

  /** Reads a whole small file (a model artifact) as text. */
  async readText(uri: string): Promise<string> {
    const location = this.locate(uri);
    if (location.kind === 'file') {
      try {
        return await readFile(location.filePath, 'utf8');
      } catch (error) {
        throw new DataAccessError(uri, `Cannot read '${uri}': ${describe(error)}`, { cause: error });
      }
    }
    try {
      const buffer = await this.container(uri, location.container).getBlobClient(location.blobPath).downloadToBuffer();
      return buffer.toString('utf8');
    } catch (error) {
      throw new DataAccessError(uri, `Cannot read '${uri}': ${describe(error)}`, { cause: error });
    }
  }

  /**
   * Uploads seed text to a blob unless it is already there: rewriting it on every start would give it a new ETag,
   * which the blob watcher (like Event Grid) reports as a new upload, so a restart would start a retrain.
   */
  async uploadText(container: string, blobPath: string, text: string): Promise<string> {
    const client = this.container(`${container}/${blobPath}`, container);
    await client.createIfNotExists();
    const blob = client.getBlockBlobClient(blobPath);
    try {
      await blob.upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'text/csv' },
        conditions: { ifNoneMatch: '*' },
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    return blob.url;
  }

  hasBlobStorage(): boolean {
    return this.options.azuriteConnectionString !== undefined;
  }

  private locate(uri: string): Location {
    const datastore = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/i.exec(uri);
    if (datastore) {
      const name = datastore[1] ?? '';
      const blobPath = (datastore[2] ?? '').split('/').map(safeDecode).join('/');
      return { kind: 'blob', container: this.datastoreContainer(name), blobPath };
    }
    if (/^azureml:/i.test(uri)) {
      throw new DataAccessError(
        uri,
        `The URI '${uri}' is not a datastore path; the emulator reads azureml://datastores/<ds>/paths/<p>.`,
      );
    }
    if (/^https?:\/\//i.test(uri)) {
      const url = new URL(uri);
      const parts = url.pathname
        .split('/')
        .filter((part) => part.length > 0)
        .map(decodeURIComponent);
      // Azurite's path-style URLs carry the account first: /devstoreaccount1/<container>/<blob>.
      const offset = parts[0] === this.accountName() ? 1 : 0;
      const container = parts[offset];
      if (!container) throw new DataAccessError(uri, `The URL '${uri}' names no blob container.`);
      return {
        kind: 'blob',
        container,
        blobPath: parts.slice(offset + 1).join('/') + (url.pathname.endsWith('/') ? '/' : ''),
      };
    }
    if (/^file:/i.test(uri)) return { kind: 'file', filePath: fileURLToPath(uri) };
    return { kind: 'file', filePath: path.resolve(uri) };
  }

  /** The Azurite container behind a datastore name (see the module remarks). */
  private datastoreContainer(name: string): string {
    const mapped = this.options.datastores?.[name];
    if (mapped) return mapped;
    const account = this.accountName();
    if (account && name.toLowerCase().startsWith(`${account.toLowerCase()}_`)) {
      return name.slice(account.length + 1).replace(/_/g, '-');
    }
    return name;
  }

  private accountName(): string | undefined {
    return /AccountName=([^;]+)/i.exec(this.options.azuriteConnectionString ?? '')?.[1];
  }

  private container(uri: string, name: string): ContainerClient {
    if (!this.options.azuriteConnectionString) {
      throw new DataAccessError(
        uri,
        `Cannot read '${uri}': the emulator was started without an Azurite connection string.`,
      );
    }
    this.serviceClient ??= BlobServiceClient.fromConnectionString(this.options.azuriteConnectionString);
    return this.serviceClient.getContainerClient(name);
  }

  private async openFileCsv(uri: string, filePath: string, folder: boolean): Promise<NodeJS.ReadableStream> {
    try {
      const info = await stat(filePath);
      if (!info.isDirectory()) return createReadStream(filePath);
      const names = (await readdir(filePath)).filter((name) => name.toLowerCase().endsWith('.csv')).sort();
      if (names.length === 0) throw new DataAccessError(uri, `No .csv file under '${uri}'.`);
      const texts = await Promise.all(names.map((name) => readFile(path.join(filePath, name), 'utf8')));
      return Readable.from([concatCsv(texts)]);
    } catch (error) {
      if (error instanceof DataAccessError) throw error;
      throw new DataAccessError(uri, `Cannot read '${uri}'${folder ? ' (folder)' : ''}: ${describe(error)}`, {
        cause: error,
      });
    }
  }
}

/**
 * A job input that is a storage URL instead of a datastore path. Azure ML would read it with the job's identity
 * directly against the storage account; the orchestrator's design gives jobs the lake only through its identity-based
 * datastores, and a local Azurite URL (`http://127.0.0.1:10000/devstoreaccount1/...`) names nothing an Azure job can
 * reach. The message follows Azure ML's data-access failure (`ScriptExecution.StreamAccess.Authentication`, e.g.
 * MicrosoftDocs/azure-docs#100163).
 */
function refuseRawStorageUri(uri: string): void {
  if (!/^(https?|abfss?|wasbs?):\/\//i.test(uri)) return;
  throw new DataAccessError(
    uri,
    `ScriptExecution.StreamAccess.Authentication: Identity authentication failed for 'AzureBlob GetReference' ` +
      `operation at '${uri}'. Jobs read the data lake through its identity-based datastore: pass ` +
      `azureml://datastores/<account>_<container>/paths/<path> (the compute identity has 'Storage Blob Data Reader' ` +
      `on the lake's dataset containers, not on arbitrary storage URLs).`,
  );
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Joins CSV files that share a header: the first file's header, every file's rows. */
function concatCsv(texts: readonly string[]): string {
  const parts: string[] = [];
  texts.forEach((text, index) => {
    const body = index === 0 ? text : text.slice(text.indexOf('\n') + 1);
    parts.push(body.endsWith('\n') || body === '' ? body : `${body}\n`);
  });
  return parts.join('');
}

function describe(error: unknown): string {
  if (
    error &&
    typeof error === 'object' &&
    'statusCode' in error &&
    (error as { statusCode?: number }).statusCode === 404
  ) {
    return 'the blob or container does not exist (404)';
  }
  return error instanceof Error ? error.message : String(error);
}
