import {
  basicAuthHeader,
  REDACTED,
  redactDimensions,
  redactHeaders,
  redactText,
  redactUrl,
  redactValue,
  signatureHeader,
} from '../../../src/security';

describe('redaction', () => {
  const secret = 'super-secret-value';
  const signature = signatureHeader(secret, 'body');

  it('when headers carry signatures, credentials or keys, then their values are replaced and others kept', () => {
    const out = redactHeaders({
      'X-Hub-Signature-256': signature,
      Authorization: basicAuthHeader({ username: 'u', password: 'p' }),
      'x-functions-key': 'abc123',
      'X-Mlops-Signature': signature,
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'content-type': 'application/json',
    });
    expect(out).toEqual({
      'x-hub-signature-256': REDACTED,
      authorization: REDACTED,
      'x-functions-key': REDACTED,
      'x-mlops-signature': REDACTED,
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'content-type': 'application/json',
    });
  });

  it('when free text contains a known secret or credential-shaped strings, then none of them survive', () => {
    const text = `secret=${secret} sig ${signature} auth ${basicAuthHeader({ username: 'a', password: 'b' })} Bearer eyJhbGciOi.x.y AccountKey=Eby8vdM02x==; url?code=k3y&x=1`;
    const out = redactText(text, [secret]);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(signature.slice(7));
    expect(out).not.toContain('eyJhbGciOi');
    expect(out).not.toContain('Eby8vdM02x');
    expect(out).not.toContain('k3y');
    expect(out).toContain('x=1');
  });

  it('when a URL carries a function key or SAS signature, then the query value is replaced', () => {
    const out = redactUrl('https://app.azurewebsites.net/api/ops/runs?code=abc123&model=m&sig=xyz');
    expect(out).not.toContain('abc123');
    expect(out).not.toContain('xyz');
    expect(out).toContain('model=m');
  });

  it('when an object has secret-named keys at any depth, then those values are replaced', () => {
    const out = redactValue({ a: { password: 'x', nested: [{ token: 't', ok: 'fine' }] }, signature }) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(out)).not.toMatch(/"x"|"t"|757|sha256=[0-9a-f]{10}/);
    expect(JSON.stringify(out)).toContain('fine');
  });

  it('when dimensions hold a secret value, then it is replaced but ordinary values stay', () => {
    expect(redactDimensions({ model: 'm', reason: `bad ${secret}`, apiKey: 'k' }, [secret])).toEqual({
      model: 'm',
      reason: `bad ${REDACTED}`,
      apiKey: REDACTED,
    });
  });
});
