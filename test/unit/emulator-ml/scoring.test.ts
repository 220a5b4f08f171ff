import {
  MAX_SCORING_ROWS,
  type ModelArtifact,
  ScoringInputError,
  isModelArtifact,
  parseScoringRequest,
  predict,
} from '../../../dev/azureml-emulator/ml';

const features = ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'];

const artifact: ModelArtifact = {
  kind: 'linear',
  version: 1,
  featureColumns: features,
  targetColumn: 'count',
  intercept: 400,
  coefficients: [6, 9, -120, -2.5, 60],
  trainedRows: 100,
};

function scoringError(body: unknown): ScoringInputError {
  try {
    parseScoringRequest(body, features);
  } catch (err) {
    if (err instanceof ScoringInputError) return err;
    throw err;
  }
  throw new Error('expected a ScoringInputError');
}

describe('parseScoringRequest', () => {
  it('when input_data is in split orientation, then rows come back in feature order', () => {
    const rows = parseScoringRequest(
      {
        input_data: {
          columns: features,
          index: [0, 1],
          data: [
            [8, 18.5, 0.6, 10.2, 1],
            [17, 25, 0.4, 5, 0],
          ],
        },
      },
      features,
    );
    expect(rows).toEqual([
      [8, 18.5, 0.6, 10.2, 1],
      [17, 25, 0.4, 5, 0],
    ]);
  });

  it('when columns are reordered and include extra columns, then values are mapped by name', () => {
    const rows = parseScoringRequest(
      {
        input_data: {
          columns: ['workingday', 'station', 'windspeed', 'humidity', 'temperature', 'hour'],
          data: [[1, 'north', 10.2, 0.6, 18.5, 8]],
        },
      },
      features,
    );
    expect(rows).toEqual([[8, 18.5, 0.6, 10.2, 1]]);
  });

  it('when rows are records under data or input_data, then both give the same rows as the split form', () => {
    const record = { workingday: 1, windspeed: 10.2, humidity: 0.6, temperature: 18.5, hour: 8, extra: 'ignored' };
    expect(parseScoringRequest({ data: [record] }, features)).toEqual([[8, 18.5, 0.6, 10.2, 1]]);
    expect(parseScoringRequest({ input_data: [record] }, features)).toEqual([[8, 18.5, 0.6, 10.2, 1]]);
  });

  it('when the catalog smoke sample is parsed and scored, then the prediction follows the model formula', () => {
    const smokeSample = {
      input_data: { columns: features, data: [[8, 18.5, 0.6, 10.2, 1]] },
    };
    const [prediction] = predict(artifact, parseScoringRequest(smokeSample, features));
    expect(prediction).toBeCloseTo(400 + 48 + 166.5 - 72 - 25.5 + 60, 10);
  });

  it.each([
    [
      'a column is missing in split form',
      { input_data: { columns: ['hour'], data: [[1]] } },
      'MissingColumn',
      /missing column 'temperature'/,
      undefined,
      'temperature',
    ],
    [
      'a column is missing in a record',
      { data: [{ hour: 1, temperature: 2, humidity: 3, windspeed: 4 }] },
      'MissingColumn',
      /missing column 'workingday' in row 0/,
      0,
      'workingday',
    ],
    [
      'a value is a string',
      {
        input_data: {
          columns: features,
          data: [
            [1, 2, 3, 4, 5],
            [1, '2', 3, 4, 5],
          ],
        },
      },
      'NonNumericValue',
      /non-numeric value at row 1, column 'temperature': "2"/,
      1,
      'temperature',
    ],
    [
      'a value is null in a record',
      { data: [{ hour: 1, temperature: 2, humidity: null, windspeed: 4, workingday: 1 }] },
      'NonNumericValue',
      /row 0, column 'humidity': null/,
      0,
      'humidity',
    ],
    [
      'a value is a boolean',
      { input_data: [{ hour: 1, temperature: 2, humidity: 3, windspeed: 4, workingday: true }] },
      'NonNumericValue',
      /column 'workingday': true/,
      0,
      'workingday',
    ],
    [
      'data is empty',
      { input_data: { columns: features, data: [] } },
      'EmptyData',
      /'input_data.data' is empty/,
      undefined,
      undefined,
    ],
    ['records are empty', { data: [] }, 'EmptyData', /'data' is empty/, undefined, undefined],
  ])('when %s, then a ScoringInputError locates the problem', (_, body, code, message, row, column) => {
    const error = scoringError(body);
    expect(error).toMatchObject({ name: 'ScoringInputError', code, row, column });
    expect(error.message).toMatch(message);
  });

  it('when there are more rows than the limit, then the request is rejected before any row is read', () => {
    const data = new Array<unknown>(MAX_SCORING_ROWS + 1).fill(null);
    const error = scoringError({ input_data: { columns: features, data } });
    expect(error.code).toBe('TooManyRows');
    expect(error.message).toBe(`'input_data.data' has 100001 rows; at most 100000 are accepted per request`);
  });

  it('when exactly the limit of rows is sent, then it is accepted', () => {
    const data = new Array<number[]>(MAX_SCORING_ROWS).fill([1, 2, 3, 4, 5]);
    expect(parseScoringRequest({ input_data: { columns: features, data } }, features)).toHaveLength(MAX_SCORING_ROWS);
  });

  it.each([
    ['a non-object body', [1, 2], /must be a JSON object/],
    ['null', null, /must be a JSON object/],
    [
      'an unknown top-level property',
      { input_data: { columns: features, data: [[1, 2, 3, 4, 5]] }, params: {} },
      /unsupported request property 'params'/,
    ],
    ['both input_data and data', { input_data: [], data: [] }, /exactly one of/],
    ['neither input_data nor data', {}, /exactly one of/],
    ['input_data as a string', { input_data: 'x' }, /'input_data' must be an object/],
    [
      'positional rows without column names',
      { data: [[1, 2, 3, 4, 5]] },
      /row 0 of 'data' must be an object keyed by column name/,
    ],
    ['columns that are not strings', { input_data: { columns: [1], data: [[1]] } }, /array of column names/],
    ['a column named twice', { input_data: { columns: ['hour', 'hour'], data: [[1, 2]] } }, /names a column twice/],
    [
      'a split row of the wrong width',
      { input_data: { columns: features, data: [[1, 2, 3]] } },
      /row 0 of 'input_data.data' must be an array of 5 values/,
    ],
    [
      'an index of the wrong length',
      { input_data: { columns: features, index: [0, 1], data: [[1, 2, 3, 4, 5]] } },
      /'input_data.index' must be an array with one entry per row \(1\)/,
    ],
    [
      'an unknown split property',
      { input_data: { columns: features, data: [[1, 2, 3, 4, 5]], dtype: 'x' } },
      /unsupported property 'input_data.dtype'/,
    ],
  ])('when the body has %s, then it is rejected as InvalidShape', (_, body, message) => {
    const error = scoringError(body);
    expect(error.code).toBe('InvalidShape');
    expect(error.message).toMatch(message);
  });
});

describe('predict', () => {
  it('when rows are scored, then each prediction is intercept + coefficients · row, unrounded', () => {
    expect(
      predict(artifact, [
        [0, 0, 0, 0, 0],
        [1, 1 / 3, 0, 0, 0],
      ]),
    ).toEqual([400, 400 + 6 + 9 * (1 / 3)]);
  });

  it('when a row has the wrong number of values, then a RangeError is thrown', () => {
    expect(() => predict(artifact, [[1, 2, 3]])).toThrow(RangeError);
  });
});

describe('isModelArtifact', () => {
  it('when an artifact survives a JSON round trip, then it is still recognised', () => {
    expect(isModelArtifact(JSON.parse(JSON.stringify({ ...artifact, means: [1, 2, 3, 4, 5] })))).toBe(true);
  });

  it.each([
    ['null', null],
    ['another kind', { ...artifact, kind: 'tree' }],
    ['another version', { ...artifact, version: 2 }],
    ['a coefficient per feature missing', { ...artifact, coefficients: [1, 2] }],
    ['a non-finite intercept', { ...artifact, intercept: Number.NaN }],
    ['a string coefficient', { ...artifact, coefficients: ['6', 9, -120, -2.5, 60] }],
    ['means of the wrong length', { ...artifact, means: [1] }],
    ['a fractional row count', { ...artifact, trainedRows: 1.5 }],
    ['duplicate feature names', { ...artifact, featureColumns: ['a', 'a', 'b', 'c', 'd'] }],
    ['no target column', { ...artifact, targetColumn: undefined }],
  ])('when the value has %s, then it is rejected', (_, value) => {
    expect(isModelArtifact(value)).toBe(false);
  });
});
