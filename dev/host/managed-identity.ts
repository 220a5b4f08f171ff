/**
 * The App Service / Functions managed identity endpoint (protocol `2019-08-01`): the platform sets
 * IDENTITY_ENDPOINT and IDENTITY_HEADER for the app, and `GET {IDENTITY_ENDPOINT}?resource=...&api-version=2019-08-01`
 * with header `X-IDENTITY-HEADER` returns a token for `resource`.
 *
 * @remarks Tokens are unsigned JWTs with realistic claims; the local emulators accept any bearer token, and nothing
 * here is a secret.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sendJson } from './http/http-io';

export const IDENTITY_PATH = '/msi/token';

export interface ManagedIdentityOptions {
  /** The value the app must send in X-IDENTITY-HEADER. */
  identityHeader: string;
  clientId: string;
  principalId: string;
  tenantId: string;
  tokenLifetimeSeconds?: number;
}

export function defaultManagedIdentity(identityHeader: string): ManagedIdentityOptions {
  return {
    identityHeader,
    clientId: '11111111-1111-1111-1111-111111111111',
    principalId: '22222222-2222-2222-2222-222222222222',
    tenantId: '00000000-0000-0000-0000-000000000000',
  };
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function handleManagedIdentity(
  options: ManagedIdentityOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): void {
  if (req.method !== 'GET') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'Only GET is supported' });
    return;
  }
  if (req.headers['x-identity-header'] !== options.identityHeader) {
    sendJson(res, 401, { error: 'unauthorized_client', error_description: 'X-IDENTITY-HEADER is missing or wrong' });
    return;
  }
  if (url.searchParams.get('api-version') !== '2019-08-01') {
    sendJson(res, 400, { error: 'invalid_request', error_description: "api-version must be '2019-08-01'" });
    return;
  }
  const resource = url.searchParams.get('resource');
  if (!resource) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: "Required query parameter 'resource' is missing",
    });
    return;
  }
  const requestedClient = url.searchParams.get('client_id') ?? url.searchParams.get('principal_id') ?? undefined;
  const clientId = requestedClient ?? options.clientId;
  const now = Math.floor(Date.now() / 1000);
  const expiresOn = now + (options.tokenLifetimeSeconds ?? 3600);
  const claims = {
    aud: resource,
    iss: `https://sts.windows.net/${options.tenantId}/`,
    iat: now,
    nbf: now,
    exp: expiresOn,
    appid: clientId,
    oid: options.principalId,
    sub: options.principalId,
    tid: options.tenantId,
    idtyp: 'app',
    uti: randomUUID(),
  };
  const token = `${base64url({ typ: 'JWT', alg: 'none' })}.${base64url(claims)}.`;
  sendJson(res, 200, {
    access_token: token,
    expires_on: String(expiresOn),
    resource,
    token_type: 'Bearer',
    client_id: clientId,
  });
}
