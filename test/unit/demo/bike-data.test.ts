import { parse } from 'csv-parse/sync';

import {
  BIKE_DEMAND_COLUMNS,
  BIKE_DEMAND_FEATURES,
  BIKE_DEMAND_TRUE_COEFFICIENTS,
  generateBikeDemandCsv,
} from '../../../dev/demo/bike-data';

function records(csv: string): Record<string, string>[] {
  return parse<Record<string, string>>(csv, { columns: true });
}

describe('bike demand demo data', () => {
  it('when generated twice with the same options, then the CSV is identical; with another seed, then it differs', () => {
    const first = generateBikeDemandCsv({ rows: 500, seed: 42 });
    expect(generateBikeDemandCsv({ rows: 500, seed: 42 })).toBe(first);
    expect(generateBikeDemandCsv({ rows: 500, seed: 43 })).not.toBe(first);
  });

  it('when generated, then the header and hourly timestamps start at the default start date', () => {
    const csv = generateBikeDemandCsv({ rows: 30, seed: 1 });
    const [header] = csv.split('\n');
    expect(header).toBe('timestamp,hour,temperature,humidity,windspeed,workingday,count');
    expect(BIKE_DEMAND_COLUMNS).toEqual(['timestamp', ...BIKE_DEMAND_FEATURES, 'count']);
    const rows = records(csv);
    expect(rows).toHaveLength(30);
    expect(rows[0]?.timestamp).toBe('2026-01-01T00:00:00Z');
    expect(rows[25]?.timestamp).toBe('2026-01-02T01:00:00Z');
    expect(rows.map((r) => Number(r.hour))).toEqual(Array.from({ length: 30 }, (_, i) => i % 24));
  });

  it('when a start date is given, then working days follow the UTC weekday', () => {
    // 2026-03-06 is a Friday: 24 working hours, then a weekend.
    const rows = records(generateBikeDemandCsv({ rows: 72, seed: 3, startDate: '2026-03-06T00:00:00Z' }));
    expect(rows[0]?.timestamp).toBe('2026-03-06T00:00:00Z');
    expect(rows.map((r) => r.workingday)).toEqual([...Array<string>(24).fill('1'), ...Array<string>(48).fill('0')]);
  });

  it('when many rows are generated, then every value stays in its documented range and count is a non-negative integer', () => {
    const rows = records(generateBikeDemandCsv({ rows: 20_000, seed: 7 }));
    const column = (name: string): number[] => rows.map((r) => Number(r[name]));
    const within = (values: number[], min: number, max: number): boolean => values.every((v) => v >= min && v <= max);
    expect(within(column('temperature'), -10, 40)).toBe(true);
    expect(within(column('humidity'), 0.2, 1)).toBe(true);
    expect(within(column('windspeed'), 0, 40)).toBe(true);
    const counts = column('count');
    expect(counts.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(mean).toBeGreaterThan(300);
    expect(mean).toBeLessThan(800);
  });

  it('when count is compared with the documented relation, then the residuals look like the documented noise', () => {
    const { intercept, coefficients, noiseStdDev } = BIKE_DEMAND_TRUE_COEFFICIENTS;
    const residuals = records(generateBikeDemandCsv({ rows: 20_000, seed: 11 })).map((r) => {
      const expected = BIKE_DEMAND_FEATURES.reduce((sum, f) => sum + coefficients[f] * Number(r[f]), intercept);
      return Number(r.count) - expected;
    });
    const mean = residuals.reduce((a, b) => a + b, 0) / residuals.length;
    const sd = Math.sqrt(residuals.reduce((a, b) => a + (b - mean) ** 2, 0) / residuals.length);
    expect(Math.abs(mean)).toBeLessThan(1);
    expect(sd).toBeGreaterThan(noiseStdDev * 0.95);
    expect(sd).toBeLessThan(noiseStdDev * 1.05);
    // Truncated at ±4σ, plus at most 0.5 from rounding count to an integer.
    expect(Math.max(...residuals.map(Math.abs))).toBeLessThanOrEqual(4 * noiseStdDev + 0.5);
  });

  it('when zero rows are asked for, then only the header is returned', () => {
    expect(generateBikeDemandCsv({ rows: 0, seed: 0 })).toBe(`${BIKE_DEMAND_COLUMNS.join(',')}\n`);
  });

  it.each([
    [{ rows: -1, seed: 1 }, /rows must be an integer/],
    [{ rows: 1.5, seed: 1 }, /rows must be an integer/],
    [{ rows: 10, seed: -1 }, /seed must be an integer/],
    [{ rows: 10, seed: 2 ** 32 }, /seed must be an integer/],
    [{ rows: 10, seed: 1, startDate: 'yesterday' }, /startDate must be an ISO timestamp/],
    [{ rows: 10, seed: 1, startDate: '2026-01-01T00:30:00Z' }, /whole UTC hour/],
  ])('when the options are %j, then a RangeError explains the problem', (options, message) => {
    expect(() => generateBikeDemandCsv(options)).toThrow(RangeError);
    expect(() => generateBikeDemandCsv(options)).toThrow(message);
  });
});
