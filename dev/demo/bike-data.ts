/**
 * Synthetic hourly bike-rental demand for the demo model: a CSV whose target follows a known linear relation plus
 * noise, so training on it must recover the coefficients. The relation is documented in docs/demo-data.md.
 */

export const BIKE_DEMAND_FEATURES = ['hour', 'temperature', 'humidity', 'windspeed', 'workingday'] as const;
export type BikeDemandFeature = (typeof BIKE_DEMAND_FEATURES)[number];
export const BIKE_DEMAND_TARGET = 'count';
export const BIKE_DEMAND_COLUMNS: readonly string[] = ['timestamp', ...BIKE_DEMAND_FEATURES, BIKE_DEMAND_TARGET];

export interface BikeDemandRelation {
  readonly intercept: number;
  readonly coefficients: Readonly<Record<BikeDemandFeature, number>>;
  /** Standard deviation of the Gaussian noise on `count`, which is truncated at ±4σ (so it stays symmetric). */
  readonly noiseStdDev: number;
}

/**
 * `count = round(intercept + Σ coefficients[f] · f + noise)`, evaluated on the feature values as written to the CSV.
 *
 * @remarks Chosen so `count` is in the hundreds and never negative without clamping (clamping would bias the fit):
 * the feature ranges below bound the lowest possible value at 400 − 90 − 120 − 100 − 80 = 10.
 */
export const BIKE_DEMAND_TRUE_COEFFICIENTS: BikeDemandRelation = Object.freeze({
  intercept: 400,
  coefficients: Object.freeze({ hour: 6, temperature: 9, humidity: -120, windspeed: -2.5, workingday: 60 }),
  noiseStdDev: 20,
});

export interface BikeDemandCsvOptions {
  /** Data rows (one per hour), 0 to {@link MAX_BIKE_DEMAND_ROWS}. */
  rows: number;
  /** PRNG seed, an integer in [0, 2³²). */
  seed: number;
  /** ISO timestamp of the first row, on a whole UTC hour; default 2026-01-01T00:00:00Z. */
  startDate?: string;
}

/** The output is one string; beyond this it should be generated in parts. */
export const MAX_BIKE_DEMAND_ROWS = 1_000_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** mulberry32: a tiny 32-bit PRNG, plenty for demo data and identical on every platform. Returns [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal by Box–Muller, redrawn outside ±4 so every derived value has a hard bound yet zero mean. */
function truncatedGaussian(random: () => number): number {
  for (;;) {
    const u1 = 1 - random(); // (0, 1]: log(0) would be -Infinity
    const u2 = random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    if (Math.abs(z) <= 4) return z;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function parseStart(startDate: string): number {
  const ms = Date.parse(startDate);
  if (Number.isNaN(ms)) throw new RangeError(`startDate must be an ISO timestamp, got '${startDate}'`);
  if (ms % HOUR_MS !== 0) throw new RangeError(`startDate must be on a whole UTC hour, got '${startDate}'`);
  return ms;
}

/**
 * Generates the demo CSV: a header and `rows` hourly rows with columns
 * `timestamp,hour,temperature,humidity,windspeed,workingday,count`.
 *
 * Features: `hour` 0–23 (UTC); `temperature` °C in [−10, 40] (seasonal and daily cycles plus noise, 1 decimal);
 * `humidity` fraction in [0.2, 1] (lower when warm, 2 decimals); `windspeed` km/h in [0, 40] (1 decimal);
 * `workingday` 1 Monday–Friday else 0. `count` follows {@link BIKE_DEMAND_TRUE_COEFFICIENTS}.
 *
 * @remarks Deterministic: the same options give the same string (seeded PRNG, no clock, no locale formatting).
 * @throws RangeError for a bad row count, seed or start date.
 */
export function generateBikeDemandCsv(options: BikeDemandCsvOptions): string {
  const { rows, seed } = options;
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > MAX_BIKE_DEMAND_ROWS) {
    throw new RangeError(`rows must be an integer from 0 to ${MAX_BIKE_DEMAND_ROWS}, got ${rows}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  const start = parseStart(options.startDate ?? '2026-01-01T00:00:00Z');
  const random = mulberry32(seed);
  const { intercept, coefficients: c, noiseStdDev } = BIKE_DEMAND_TRUE_COEFFICIENTS;

  const lines = [BIKE_DEMAND_COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const time = new Date(start + i * HOUR_MS);
    const hour = time.getUTCHours();
    const dayOfYear = Math.floor((time.getTime() - Date.UTC(time.getUTCFullYear(), 0, 1)) / DAY_MS);
    const weekday = time.getUTCDay();
    // Coldest in mid-January, warmest mid-afternoon.
    const seasonal = -8 * Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365);
    const daily = 4 * Math.cos((2 * Math.PI * (hour - 15)) / 24);
    const temperature = roundTo(clamp(12 + seasonal + daily + 2.5 * truncatedGaussian(random), -10, 40), 1);
    const humidity = roundTo(clamp(0.65 - 0.01 * (temperature - 12) + 0.12 * truncatedGaussian(random), 0.2, 1), 2);
    const windspeed = roundTo(clamp(12 + 6 * truncatedGaussian(random), 0, 40), 1);
    const workingday = weekday >= 1 && weekday <= 5 ? 1 : 0;
    const expected =
      intercept +
      c.hour * hour +
      c.temperature * temperature +
      c.humidity * humidity +
      c.windspeed * windspeed +
      c.workingday * workingday;
    const count = Math.round(expected + noiseStdDev * truncatedGaussian(random));
    const timestamp = time.toISOString().replace('.000Z', 'Z');
    lines.push(`${timestamp},${hour},${temperature},${humidity},${windspeed},${workingday},${count}`);
  }
  return `${lines.join('\n')}\n`;
}
