import { interpretGenericBody, WebhookPayloadError } from '../../../src/services/webhooks';
import { webhookCatalog } from './fixtures/catalog';

const catalog = webhookCatalog();

describe('generic webhook body', () => {
  it('when the body names known models with a commit and parameters, then it is accepted (duplicates folded)', () => {
    expect(
      interpretGenericBody(catalog, {
        models: ['bike-demand', 'churn', 'bike-demand'],
        git: { repository: 'contoso/bike-demand', sha: 'ABCDEF1', ciRunUrl: 'https://jenkins.example/job/1/' },
        parameters: { alpha: 0.5, target_column: 'count', warm: true },
        reason: 'nightly',
      }),
    ).toEqual({
      models: ['bike-demand', 'churn'],
      git: {
        repository: 'contoso/bike-demand',
        sha: 'ABCDEF1',
        ref: 'unknown',
        ciRunUrl: 'https://jenkins.example/job/1/',
      },
      parameters: { alpha: 0.5, target_column: 'count', warm: true },
      reason: 'nightly',
    });
  });

  it('when a model is not in the catalog, then the error names it', () => {
    expect(() => interpretGenericBody(catalog, { models: ['nope', 'churn'] })).toThrow(
      'body.models: unknown model(s) nope',
    );
  });

  it('when fields are missing, mistyped or unknown, then each problem is named', () => {
    const attempt = (body: unknown): readonly string[] => {
      try {
        interpretGenericBody(catalog, body);
      } catch (err) {
        if (err instanceof WebhookPayloadError) return err.problems;
        throw err;
      }
      throw new Error('expected a WebhookPayloadError');
    };
    expect(attempt({})).toEqual([expect.stringContaining('body.models') as unknown]);
    expect(attempt({ models: [] })).toEqual(['body.models: name at least one model']);
    expect(attempt({ models: ['churn'], git: { repository: 'x', sha: 'zz' } }).join('\n')).toMatch(
      /body\.git\.repository: must be owner\/name[\s\S]*body\.git\.sha/,
    );
    expect(attempt({ models: ['churn'], parameters: { a: { nested: 1 } } })[0]).toContain('body.parameters.a');
    expect(attempt({ models: ['churn'], modle: 'typo' })[0]).toContain('modle');
  });

  it('when parameters are not declared by every named model or override the dataset input, then each is named', () => {
    const custom = webhookCatalog();
    const churn = custom.models.find((m) => m.name === 'churn')!;
    const { warm: _warm, ...withoutWarm } = churn.training!.parameters;
    churn.training!.parameters = withoutWarm;
    let problems: readonly string[] = [];
    try {
      interpretGenericBody(custom, {
        models: ['bike-demand', 'churn'],
        parameters: { alpha: 0.5, warm: true, learning_rate: 0.1, training_data: 'azureml://elsewhere' },
      });
    } catch (err) {
      if (!(err instanceof WebhookPayloadError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual([
      'body.parameters.learning_rate: not a training parameter of bike-demand (catalog training.parameters)',
      'body.parameters.training_data: the dataset input cannot be overridden (bike-demand)',
      'body.parameters.warm: not a training parameter of churn (catalog training.parameters)',
      'body.parameters.learning_rate: not a training parameter of churn (catalog training.parameters)',
      'body.parameters.training_data: the dataset input cannot be overridden (churn)',
    ]);
  });
});
