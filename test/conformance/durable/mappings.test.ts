// Pure mappings of the compatibility layer: v3 RetryOptions → core RetryPolicy, case-preserving event names, and
// v3's newGuid recipe.
import * as df from 'durable-functions';
import { decodeEventName, encodeEventName } from '../../../dev/host/durable/classic/event-names';
import { deterministicGuid } from '../../../dev/host/durable/classic/guid';
import { readRetryOptions, toRetryPolicy } from '../../../dev/host/durable/classic/retry';

describe('RetryOptions mapping', () => {
  function policyFor(configure: (o: df.RetryOptions) => void, first = 1000, attempts = 3) {
    const options = new df.RetryOptions(first, attempts);
    configure(options);
    return toRetryPolicy(readRetryOptions(options));
  }

  it('when only the required fields are set, then DTFx defaults apply (backoff 1, unbounded interval, no timeout)', () => {
    const p = policyFor(() => undefined);
    expect(p.maxNumberOfAttempts).toBe(3);
    expect(p.firstRetryIntervalInMilliseconds).toBe(1000);
    expect(p.backoffCoefficient).toBe(1);
    expect(p.maxRetryIntervalInMilliseconds).toBe(-1);
    expect(p.retryTimeoutInMilliseconds).toBe(-1);
  });

  it('when all fields are valid for both, then they pass through unchanged', () => {
    const p = policyFor((o) => {
      o.backoffCoefficient = 2;
      o.maxRetryIntervalInMilliseconds = 60_000;
      o.retryTimeoutInMilliseconds = 300_000;
    });
    expect([p.backoffCoefficient, p.maxRetryIntervalInMilliseconds, p.retryTimeoutInMilliseconds]).toEqual([
      2, 60_000, 300_000,
    ]);
  });

  it('when backoff is below 1, then it becomes 1 instead of throwing', () => {
    expect(policyFor((o) => (o.backoffCoefficient = 0.5)).backoffCoefficient).toBe(1);
  });

  it('when the maximum interval is below the first interval, then every delay is the maximum', () => {
    const p = policyFor((o) => (o.maxRetryIntervalInMilliseconds = 200));
    expect(p.firstRetryIntervalInMilliseconds).toBe(200);
    expect(p.maxRetryIntervalInMilliseconds).toBe(200);
  });

  it('when the retry timeout is shorter than the first interval, then only one attempt is made', () => {
    expect(policyFor((o) => (o.retryTimeoutInMilliseconds = 10)).maxNumberOfAttempts).toBe(1);
  });

  it('when maxNumberOfAttempts is 0, then the first attempt still happens', () => {
    expect(policyFor(() => undefined, 1000, 0).maxNumberOfAttempts).toBe(1);
  });

  it('when the value is not RetryOptions-shaped, then readRetryOptions throws a TypeError', () => {
    expect(() => readRetryOptions({ foo: 1 })).toThrow(TypeError);
  });
});

describe('event name encoding', () => {
  it.each(['Approval', 'approval', 'APPROVAL', 'a^b', '^A', 'RunCompleted:job-1', 'Événement'])(
    'when %s is encoded, then it is lower-case only and decodes back',
    (name) => {
      const encoded = encodeEventName(name);
      expect(encoded).toBe(encoded.toLowerCase());
      expect(decodeEventName(encoded)).toBe(name);
    },
  );

  it('when names differ only in case, then their encodings differ', () => {
    expect(encodeEventName('Approval')).not.toBe(encodeEventName('approval'));
    expect(encodeEventName('^a')).not.toBe(encodeEventName('A'));
  });
});

describe('newGuid recipe', () => {
  it('when given the name v3 builds, then the value equals durable-functions 3.x GuidManager output', () => {
    // Deep import of the published package's own implementation, as the reference value.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { GuidManager } = require('durable-functions/lib/src/util/GuidManager') as {
      GuidManager: { UrlNamespaceValue: string; createDeterministicGuid(ns: string, name: string): string };
    };
    for (const name of ['abc_1700000000000_0', 'retrain-resnet_1763800000123_7']) {
      expect(deterministicGuid(name)).toBe(GuidManager.createDeterministicGuid(GuidManager.UrlNamespaceValue, name));
    }
  });

  it('when the same name is hashed twice, then the same version-5 UUID results; other names differ', () => {
    const a = deterministicGuid('instance_1700000000000_0');
    expect(deterministicGuid('instance_1700000000000_0')).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicGuid('instance_1700000000000_1')).not.toBe(a);
  });
});
