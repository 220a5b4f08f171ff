// `npm run demo:upload [-- <file.csv>] [--rows N] [--name blob] [--connection-string cs]`: puts a dataset under
// `datasets/bike-demand/` in the local Azurite that `npm start` runs, which is what starts a retrain of the demo
// model (the blob watcher turns the upload into BlobCreated). Without a file it uploads a freshly generated CSV with
// the demo columns, seeded by the current time so each upload is a new dataset.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { BlobServiceClient } from '@azure/storage-blob';

import { generateBikeDemandCsv } from './bike-data';

const CONTAINER = 'datasets';
const PREFIX = 'bike-demand/';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rows: { type: 'string', default: '2000' },
      name: { type: 'string' },
      'connection-string': { type: 'string', default: 'UseDevelopmentStorage=true' },
    },
  });
  const file = positionals[0];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  let body: Buffer;
  if (file) {
    body = fs.readFileSync(file);
  } else {
    const rows = Number(values.rows);
    body = Buffer.from(generateBikeDemandCsv({ rows, seed: Date.now() % 0xffff_ffff }));
  }
  const name = `${PREFIX}${values.name ?? (file ? path.basename(file) : `upload-${stamp}.csv`)}`;
  if (!name.endsWith('.csv')) throw new Error(`the demo model only reacts to .csv blobs; got ${name}`);

  const container = BlobServiceClient.fromConnectionString(values['connection-string']).getContainerClient(CONTAINER);
  await container.createIfNotExists();
  const uploaded = await container
    .getBlockBlobClient(name)
    .uploadData(body, { blobHTTPHeaders: { blobContentType: 'text/csv' } });
  console.log(`uploaded ${CONTAINER}/${name} (${body.length} bytes, ETag ${uploaded.etag ?? '?'})`);
  console.log('watch it: npx mlops triggers --model bike-demand; npx mlops runs --model bike-demand');
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`upload failed: ${message}`);
  if (/ECONNREFUSED/.test(message)) console.error('is `npm start` running (Azurite on 127.0.0.1:10000)?');
  process.exitCode = 1;
});
