import { buildOpenApiDocument, opsRoutes } from '../../../src/functions/ops';

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument('https://example.net/api') as {
    openapi: string;
    servers: { url: string }[];
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; security?: unknown[] }>>;
  };

  it('when built, then it is OpenAPI 3.1 with the caller-facing server URL', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://example.net/api' }]);
  });

  it('when built, then every operations route has its path parameters and function-key security', () => {
    for (const r of opsRoutes) {
      const op = doc.paths[`/${r.route}`]?.[r.method.toLowerCase()];
      expect(op).toBeDefined();
      for (const name of [...r.route.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(op?.parameters).toContainEqual(expect.objectContaining({ name, in: 'path' }));
      }
      expect(op?.security).toEqual([{ functionKey: [] }, { functionKeyQuery: [] }]);
    }
    expect(doc.paths['/ops/runs']?.get?.parameters?.map((p) => p.name)).toEqual([
      'model',
      'kind',
      'status',
      'from',
      'to',
      'pageSize',
      'continuationToken',
    ]);
  });

  it('when built, then the webhooks and the document itself are anonymous', () => {
    for (const p of ['/webhooks/github', '/webhooks/azure-devops', '/webhooks/generic']) {
      expect(doc.paths[p]?.post?.security).toEqual([]);
    }
    expect(doc.paths['/openapi.json']?.get?.security).toEqual([]);
  });
});
