import { PassThrough, Readable } from 'node:stream';

import {
  BIKE_DEMAND_FEATURES,
  BIKE_DEMAND_TRUE_COEFFICIENTS,
  generateBikeDemandCsv,
} from '../../../dev/demo/bike-data';
import {
  FEATURE_INFERENCE_ROWS,
  TrainingDataError,
  isModelArtifact,
  trainFromCsv,
} from '../../../dev/azureml-emulator/ml';

/** The CSV as a byte stream cut every `size` bytes, so records, fields and UTF-8 characters straddle chunks. */
function chunked(csv: string, size: number): Readable {
  const bytes = Buffer.from(csv, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

// y = 2 + 0.7 x + e: x̄ = 2.5, ȳ = 3.75, Sxx = 5, Sxy = 3.5, SST = 4.75.
const tiny = 'x,y\n1,2\n2,4\n3,5\n4,4\n';

describe('trainFromCsv', () => {
  it('when trained without penalty on a tiny data set, then coefficients and training metrics match the hand calculation', async () => {
    const { artifact, metrics, skippedRows } = await trainFromCsv(tiny, { targetColumn: 'y', alpha: 0 });

    // slope = Sxy / Sxx = 0.7, intercept = ȳ − 0.7 x̄ = 2; residuals −0.7, 0.6, 0.9, −0.8.
    expect(artifact.coefficients[0]).toBeCloseTo(0.7, 12);
    expect(artifact.intercept).toBeCloseTo(2, 12);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(2.3 / 4), 12);
    expect(metrics.mae).toBeCloseTo(0.75, 12);
    expect(metrics.r2).toBeCloseTo(1 - 2.3 / 4.75, 12);
    expect(skippedRows).toBe(0);
    expect(artifact).toMatchObject({
      kind: 'linear',
      version: 1,
      featureColumns: ['x'],
      targetColumn: 'y',
      trainedRows: 4,
    });
    expect(artifact.means?.[0]).toBeCloseTo(2.5, 12);
    expect(artifact.scales?.[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(isModelArtifact(artifact)).toBe(true);
  });

  it('when trained with alpha 1 on the tiny data set, then the slope is shrunk exactly as the standardized ridge formula says', async () => {
    const { artifact } = await trainFromCsv(tiny, { targetColumn: 'y', alpha: 1 });

    // Standardized: ZᵀZ = n = 4, so β = (Sxy / s) / (4 + α) and slope = β / s = 3.5 / (1.25 · 5) = 0.56.
    expect(artifact.coefficients[0]).toBeCloseTo(0.56, 12);
    expect(artifact.intercept).toBeCloseTo(3.75 - 0.56 * 2.5, 12);
  });

  it('when alpha is not given, then the default penalty 1.0 applies', async () => {
    const implicit = await trainFromCsv(tiny, { targetColumn: 'y' });
    const explicit = await trainFromCsv(tiny, { targetColumn: 'y', alpha: 1 });
    expect(implicit).toEqual(explicit);
  });

  it('when trained on generated bike demand data with a small alpha, then the true coefficients are recovered', async () => {
    const csv = generateBikeDemandCsv({ rows: 20_000, seed: 2026 });
    const { artifact, metrics } = await trainFromCsv(csv, { targetColumn: 'count', alpha: 1e-6 });

    const { intercept, coefficients, noiseStdDev } = BIKE_DEMAND_TRUE_COEFFICIENTS;
    // Default features are the numeric columns in file order; the ISO timestamp is not numeric.
    expect(artifact.featureColumns).toEqual([...BIKE_DEMAND_FEATURES]);
    // Tolerances are about five standard errors of each estimate for 20k rows with σ = 20.
    const tolerance = { hour: 0.15, temperature: 0.15, humidity: 4, windspeed: 0.08, workingday: 1.5 };
    BIKE_DEMAND_FEATURES.forEach((feature, j) => {
      expect(Math.abs(artifact.coefficients[j]! - coefficients[feature])).toBeLessThan(tolerance[feature]);
    });
    expect(Math.abs(artifact.intercept - intercept)).toBeLessThan(5);
    expect(Math.abs(metrics.rmse - noiseStdDev)).toBeLessThan(1);
    expect(metrics.mae).toBeLessThan(metrics.rmse);
    expect(metrics.r2).toBeGreaterThan(0.9);
  });

  it('when the same CSV is trained twice, then the artifacts and metrics are identical to the bit', async () => {
    const csv = generateBikeDemandCsv({ rows: 3000, seed: 5 });
    const first = await trainFromCsv(csv, { targetColumn: 'count', alpha: 0.5 });
    const second = await trainFromCsv(csv, { targetColumn: 'count', alpha: 0.5 });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('when the CSV arrives as a stream cut at arbitrary bytes, then the result equals training on the string', async () => {
    // '°C' in an unused column puts a two-byte UTF-8 character across some chunk boundaries.
    const csv = generateBikeDemandCsv({ rows: 2000, seed: 9 })
      .split('\n')
      .map((line, i) => (line === '' ? line : `${line},${i === 0 ? 'unit' : '°C'}`))
      .join('\n');
    const options = { targetColumn: 'count', featureColumns: ['temperature', 'hour'], alpha: 0.1 };
    const fromString = await trainFromCsv(csv, options);
    for (const size of [1, 7, 4096]) {
      await expect(trainFromCsv(chunked(csv, size), options)).resolves.toEqual(fromString);
    }
  });

  it('when featureColumns are given, then only those are used, in the given order', async () => {
    const csv = generateBikeDemandCsv({ rows: 500, seed: 1 });
    const { artifact } = await trainFromCsv(csv, { targetColumn: 'count', featureColumns: ['workingday', 'hour'] });
    expect(artifact.featureColumns).toEqual(['workingday', 'hour']);
    expect(artifact.coefficients).toHaveLength(2);
  });

  it('when ridge alpha grows, then the standardized coefficient vector shrinks toward zero and the fit gets worse', async () => {
    const csv = generateBikeDemandCsv({ rows: 300, seed: 12 });
    const fits = await Promise.all(
      [0, 100, 10_000].map((alpha) => trainFromCsv(csv, { targetColumn: 'count', alpha })),
    );
    const norms = fits.map(({ artifact }) =>
      Math.hypot(...artifact.coefficients.map((c, j) => c * artifact.scales![j]!)),
    );
    expect(norms[1]).toBeLessThan(norms[0]!);
    expect(norms[2]).toBeLessThan(norms[1]! / 2);
    // OLS minimizes the training error, so any penalty raises it.
    expect(fits[1]!.metrics.rmse).toBeGreaterThan(fits[0]!.metrics.rmse);
    expect(fits[2]!.metrics.rmse).toBeGreaterThan(fits[1]!.metrics.rmse);
    // The intercept is not penalized: predictions stay centred on the mean count.
    const meanCount =
      fits[2]!.artifact.intercept +
      fits[2]!.artifact.coefficients.reduce((sum, c, j) => sum + c * fits[2]!.artifact.means![j]!, 0);
    const counts = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => Number(line.split(',')[6]));
    expect(meanCount).toBeCloseTo(counts.reduce((a, b) => a + b, 0) / counts.length, 8);
  });

  it('when rows have empty, non-numeric or miscounted fields in used columns, then they are skipped and counted', async () => {
    const csv = [
      'note,x,y',
      'ok,1,2',
      'empty x,,3',
      'text y,2,abc',
      'hex,0x10,4',
      'short,3',
      'long,3,5,9',
      'ok,2,4',
      'unused column may be empty,3,5',
      ',4,4',
      'infinity,Infinity,1',
    ].join('\n');
    const { artifact, skippedRows } = await trainFromCsv(csv, { targetColumn: 'y', featureColumns: ['x'], alpha: 0 });
    expect(skippedRows).toBe(6);
    expect(artifact.trainedRows).toBe(4);
    // The accepted rows are exactly the tiny data set's.
    expect(artifact.coefficients[0]).toBeCloseTo(0.7, 12);
  });

  it('when a column is numeric in the first rows but not later, then it stays a feature and the bad rows are skipped', async () => {
    const rows = Array.from({ length: FEATURE_INFERENCE_ROWS + 10 }, (_, i) => `${i % 7},${i},${(i % 7) * 3 + 1}`);
    rows.push('n/a,5,9');
    const { artifact, skippedRows } = await trainFromCsv(['a,b,y', ...rows].join('\n'), {
      targetColumn: 'y',
      alpha: 0,
    });
    expect(artifact.featureColumns).toEqual(['a', 'b']);
    expect(skippedRows).toBe(1);
    expect(artifact.coefficients[0]).toBeCloseTo(3, 6);
  });

  it('when a feature is constant, then its coefficient is 0 and its scale 1', async () => {
    const csv = 'c,x,y\n5,1,2\n5,2,4\n5,3,5\n5,4,4\n';
    const { artifact } = await trainFromCsv(csv, { targetColumn: 'y', alpha: 0 });
    expect(artifact.coefficients[0]).toBe(0);
    expect(artifact.scales?.[0]).toBe(1);
    expect(artifact.coefficients[1]).toBeCloseTo(0.7, 12);
  });

  it('when the target column is missing, then a TrainingDataError names it and lists the columns', async () => {
    await expect(trainFromCsv('a,b\n1,2\n', { targetColumn: 'count' })).rejects.toMatchObject({
      name: 'TrainingDataError',
      code: 'MissingColumn',
      message: "target column 'count' not found; columns: a, b",
    });
  });

  it('when a requested feature column is missing, then a TrainingDataError names it', async () => {
    await expect(trainFromCsv('a,y\n1,2\n', { targetColumn: 'y', featureColumns: ['a', 'zz'] })).rejects.toMatchObject({
      name: 'TrainingDataError',
      code: 'MissingColumn',
      message: "feature column(s) 'zz' not found; columns: a, y",
    });
  });

  it.each([
    ['an empty input', '', 'EmptyInput', /no header row/],
    ['only blank lines', '\n\n', 'EmptyInput', /no header row/],
    ['a header only', 'x,y\n', 'NoUsableRows', /no data rows/],
    [
      'no numeric feature',
      'name,y\nbob,1\n',
      'NoFeatures',
      /no numeric feature column besides target 'y'; columns: name, y/,
    ],
    ['a non-numeric target everywhere', 'x,y\n1,a\n2,b\n', 'NoUsableRows', /all 2 data rows .* in x, y/],
    ['a duplicated column name', 'x,x,y\n1,2,3\n', 'InvalidHeader', /names column 'x' twice/],
    ['an unterminated quote', 'x,y\n1,"2\n', 'MalformedCsv', /CSV could not be parsed/],
    ['a collinear feature without penalty', 'a,b,y\n1,2,1\n2,4,3\n3,6,2\n', 'CollinearFeatures', /feature 'b'/],
  ])('when the CSV has %s, then a TrainingDataError with a clear message is thrown', async (_, csv, code, message) => {
    const error: unknown = await trainFromCsv(csv, { targetColumn: 'y', alpha: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDataError);
    expect(error).toMatchObject({ name: 'TrainingDataError', code });
    expect((error as Error).message).toMatch(message);
  });

  it('when a collinear feature is trained with alpha > 0, then training succeeds and splits the weight', async () => {
    const { artifact } = await trainFromCsv('a,b,y\n1,2,1\n2,4,3\n3,6,2\n', { targetColumn: 'y', alpha: 0.1 });
    expect(artifact.coefficients.every(Number.isFinite)).toBe(true);
  });

  it('when the source stream fails, then its error is passed through, not reported as bad data', async () => {
    const source = new PassThrough();
    const training = trainFromCsv(source, { targetColumn: 'y' });
    source.write('x,y\n1,2\n');
    source.destroy(new Error('blob download aborted'));
    await expect(training).rejects.toThrow('blob download aborted');
    await expect(training).rejects.not.toBeInstanceOf(TrainingDataError);
  });

  it.each([
    [{ targetColumn: 'y', alpha: -1 }, /alpha must be a finite number >= 0/],
    [{ targetColumn: 'y', alpha: Number.NaN }, /alpha must be a finite number >= 0/],
    [{ targetColumn: 'y', alpha: Number.POSITIVE_INFINITY }, /alpha must be a finite number >= 0/],
    [{ targetColumn: '' }, /targetColumn must be a column name/],
    [{ targetColumn: 'y', featureColumns: [] }, /featureColumns must not be empty/],
    [{ targetColumn: 'y', featureColumns: ['x', 'x'] }, /lists a column twice/],
    [{ targetColumn: 'y', featureColumns: ['x', 'y'] }, /target column 'y' is also listed in featureColumns/],
  ])('when the options are %j, then a RangeError is thrown', async (options, message) => {
    await expect(trainFromCsv(tiny, options)).rejects.toThrow(RangeError);
    await expect(trainFromCsv(tiny, options)).rejects.toThrow(message);
  });

  it('when the CSV has a byte order mark, CRLF line ends and padded fields, then it trains like the plain file', async () => {
    const decorated = `\uFEFF${tiny.replace(/,/g, ' , ').replace(/\n/g, '\r\n')}`;
    const plain = await trainFromCsv(tiny, { targetColumn: 'y' });
    await expect(trainFromCsv(decorated, { targetColumn: 'y' })).resolves.toEqual(plain);
  });
});
