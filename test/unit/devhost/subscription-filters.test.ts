import path from 'node:path';

import { catalogAdvancedFilters, matchesFilter } from '../../../dev/host/blob-watcher';

const root = path.resolve(__dirname, '..', '..', '..');

const created = (subject: string, api = 'PutBlob') => ({
  eventType: 'Microsoft.Storage.BlobCreated',
  subject,
  data: { api },
});

describe('local Event Grid subscription filters', () => {
  it('when advanced filters are given, then all must match and any value of one matches, ignoring case', () => {
    const filter = {
      advancedFilters: [
        { operatorType: 'StringIn' as const, key: 'data.api', values: ['PutBlob', 'PutBlockList'] },
        { operatorType: 'StringBeginsWith' as const, key: 'subject', values: ['/a/', '/b/'] },
        { operatorType: 'StringEndsWith' as const, key: 'subject', values: ['.csv'] },
      ],
    };
    expect(matchesFilter(filter, created('/B/x.CSV', 'putblocklist'))).toBe(true);
    expect(matchesFilter(filter, created('/c/x.csv'))).toBe(false);
    expect(matchesFilter(filter, created('/a/x.txt'))).toBe(false);
    expect(matchesFilter(filter, created('/a/x.csv', 'PutBlock'))).toBe(false);
    // A key the event lacks never matches (Event Grid drops the event).
    expect(matchesFilter(filter, { eventType: 'X', subject: '/a/x.csv' })).toBe(false);
  });

  it("when filters come from the demo catalog, then only committed .csv blobs under datasets/bike-demand/ pass, as in infra's subscription", () => {
    const filter = { advancedFilters: catalogAdvancedFilters(path.join(root, 'catalog.json')) };
    const blob = (container: string, name: string) => `/blobServices/default/containers/${container}/blobs/${name}`;
    expect(matchesFilter(filter, created(blob('datasets', 'bike-demand/day.csv')))).toBe(true);
    expect(matchesFilter(filter, created(blob('datasets', 'bike-demand/day.csv'), 'PutBlock'))).toBe(false);
    expect(matchesFilter(filter, created(blob('datasets', 'other/day.csv')))).toBe(false);
    // The app's own state (same Azurite account locally, host storage in Azure) is never delivered.
    expect(matchesFilter(filter, created(blob('mlops-state', 'runs/t1.json')))).toBe(false);
    expect(matchesFilter(filter, created(blob('lake', 'bike-demand/incoming/date=2026-11-22/a.csv')))).toBe(false);
  });
});
