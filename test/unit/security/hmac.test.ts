import { createHmac } from 'node:crypto';

import {
  basicAuthHeader,
  constantTimeEqual,
  signatureHeader,
  signGeneric,
  verifyBasicAuth,
  verifyGenericSignature,
  verifyGitHubSignature,
} from '../../../src/security';

describe('GitHub signature (X-Hub-Signature-256)', () => {
  // docs.github.com, "Validating webhook deliveries" → "Testing the webhook payload validation".
  const docsSecret = "It's a Secret to Everybody";
  const docsPayload = 'Hello, World!';
  const docsSignature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it("when the documented test vector is verified, then it passes and our signer produces GitHub's value", () => {
    expect(signatureHeader(docsSecret, docsPayload)).toBe(docsSignature);
    expect(verifyGitHubSignature(docsSecret, Buffer.from(docsPayload), docsSignature)).toEqual({ ok: true });
  });

  it('when the secret is wrong, then the result is a mismatch', () => {
    expect(verifyGitHubSignature('another secret', Buffer.from(docsPayload), docsSignature)).toEqual({
      ok: false,
      reason: 'signature-mismatch',
    });
  });

  it('when one byte of the body differs, then the result is a mismatch', () => {
    expect(verifyGitHubSignature(docsSecret, Buffer.from('Hello, World?'), docsSignature)).toMatchObject({
      ok: false,
      reason: 'signature-mismatch',
    });
  });

  it('when the signature is truncated, uses another algorithm or is absent, then it is rejected before comparing', () => {
    const body = Buffer.from(docsPayload);
    expect(verifyGitHubSignature(docsSecret, body, docsSignature.slice(0, -2))).toMatchObject({
      reason: 'malformed-signature',
    });
    expect(verifyGitHubSignature(docsSecret, body, docsSignature.replace('sha256', 'sha1'))).toMatchObject({
      reason: 'malformed-signature',
    });
    expect(verifyGitHubSignature(docsSecret, body, `${docsSignature}00`)).toMatchObject({
      reason: 'malformed-signature',
    });
    expect(verifyGitHubSignature(docsSecret, body, undefined)).toMatchObject({ reason: 'missing-signature' });
    expect(verifyGitHubSignature(docsSecret, body, '')).toMatchObject({ reason: 'missing-signature' });
  });

  it('when the body holds non-ASCII characters, then the signature is over its UTF-8 bytes', () => {
    const body = Buffer.from(JSON.stringify({ message: 'Größe ✓ 模型' }), 'utf8');
    const sig = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    expect(verifyGitHubSignature('s3cret', body, sig)).toEqual({ ok: true });
    expect(verifyGitHubSignature('s3cret', body, sig.toUpperCase().replace('SHA256=', 'sha256='))).toEqual({
      ok: true,
    });
  });
});

describe('generic signature (X-Mlops-Timestamp + X-Mlops-Signature)', () => {
  const secret = 'generic-secret';
  const body = Buffer.from('{"models":["bike-demand"]}');
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);
  const nowSeconds = now / 1000;

  const verify = (headers: { ts?: string; sig?: string }, nowMs = now) =>
    verifyGenericSignature({ secret, rawBody: body, timestamp: headers.ts, signature: headers.sig, nowMs });

  it('when the signature covers "<timestamp>.<body>" and the timestamp is current, then it passes', () => {
    const h = signGeneric(secret, body, nowSeconds);
    const expected = createHmac('sha256', secret).update(`${nowSeconds}.`).update(body).digest('hex');
    expect(h['x-mlops-signature']).toBe(`sha256=${expected}`);
    expect(verify({ ts: h['x-mlops-timestamp'], sig: h['x-mlops-signature'] })).toEqual({ ok: true });
  });

  it('when the timestamp is 300 s old or 300 s ahead, then it passes; 301 s either way is a replay', () => {
    for (const offset of [-300, 300]) {
      const h = signGeneric(secret, body, nowSeconds + offset);
      expect(verify({ ts: h['x-mlops-timestamp'], sig: h['x-mlops-signature'] })).toEqual({ ok: true });
    }
    for (const offset of [-301, 301, -86400]) {
      const h = signGeneric(secret, body, nowSeconds + offset);
      expect(verify({ ts: h['x-mlops-timestamp'], sig: h['x-mlops-signature'] })).toEqual({
        ok: false,
        reason: 'timestamp-outside-window',
      });
    }
  });

  it('when an old delivery is replayed with a fresh timestamp, then the signature no longer matches', () => {
    const old = signGeneric(secret, body, nowSeconds - 3600);
    expect(verify({ ts: String(nowSeconds), sig: old['x-mlops-signature'] })).toMatchObject({
      reason: 'signature-mismatch',
    });
  });

  it('when headers are missing or malformed, then each is named', () => {
    const h = signGeneric(secret, body, nowSeconds);
    expect(verify({ ts: h['x-mlops-timestamp'] })).toMatchObject({ reason: 'missing-signature' });
    expect(verify({ sig: h['x-mlops-signature'] })).toMatchObject({ reason: 'missing-timestamp' });
    expect(verify({ ts: '2026-11-22T12:00:00Z', sig: h['x-mlops-signature'] })).toMatchObject({
      reason: 'malformed-timestamp',
    });
    // Milliseconds instead of seconds: a common sender mistake, reported as malformed rather than as a replay.
    expect(verify({ ts: `${nowSeconds}000`, sig: h['x-mlops-signature'] })).toMatchObject({
      reason: 'malformed-timestamp',
    });
    expect(verify({ ts: `${nowSeconds}00`, sig: h['x-mlops-signature'] })).toMatchObject({
      reason: 'timestamp-outside-window',
    });
    expect(verify({ ts: h['x-mlops-timestamp'], sig: 'sha256=abc' })).toMatchObject({
      reason: 'malformed-signature',
    });
  });
});

describe('basic auth (Azure DevOps service hooks)', () => {
  const expected = { username: 'azdo', password: 'p@ss:word' };

  it('when user and password match (password may contain a colon), then it passes', () => {
    expect(verifyBasicAuth(basicAuthHeader(expected), expected)).toEqual({ ok: true });
  });

  it('when the user or password is wrong, then it is invalid-credentials', () => {
    expect(verifyBasicAuth(basicAuthHeader({ ...expected, password: 'nope' }), expected)).toMatchObject({
      reason: 'invalid-credentials',
    });
    expect(verifyBasicAuth(basicAuthHeader({ ...expected, username: 'root' }), expected)).toMatchObject({
      reason: 'invalid-credentials',
    });
    expect(
      verifyBasicAuth(basicAuthHeader({ ...expected, password: `${expected.password}x` }), expected),
    ).toMatchObject({
      reason: 'invalid-credentials',
    });
  });

  it('when the header is absent, another scheme or not base64 user:password, then it is named', () => {
    expect(verifyBasicAuth(undefined, expected)).toMatchObject({ reason: 'missing-credentials' });
    expect(verifyBasicAuth('Bearer abc.def', expected)).toMatchObject({ reason: 'malformed-credentials' });
    expect(verifyBasicAuth(`Basic ${Buffer.from('nocolon').toString('base64')}`, expected)).toMatchObject({
      reason: 'malformed-credentials',
    });
  });
});

describe('constantTimeEqual', () => {
  it('when values are equal, differ, or differ in length, then it answers correctly', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual(Buffer.from('x'), 'x')).toBe(true);
  });
});
