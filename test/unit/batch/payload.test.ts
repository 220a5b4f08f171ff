import { castCsvCell, predictionsOf, scoringBody } from '../../../src/services/batch/payload';

describe('scoring request and response shapes', () => {
  const columns = ['station_id', 'hour', 'temp'];
  const rows = [
    ['007', 8, 20.5],
    ['042', 17, null],
  ];

  it('when a format is chosen, then rows travel as MLflow split, MLflow records or scoring-script records', () => {
    expect(scoringBody(columns, rows, ['hour', 'temp'])).toEqual({
      input_data: {
        columns: ['hour', 'temp'],
        data: [
          [8, 20.5],
          [17, null],
        ],
      },
    });
    expect(scoringBody(columns, rows, ['hour'], 'inputDataRecords')).toEqual({
      input_data: [{ hour: 8 }, { hour: 17 }],
    });
    expect(scoringBody(columns, rows, undefined, 'dataRecords')).toEqual({
      data: [
        { station_id: '007', hour: 8, temp: 20.5 },
        { station_id: '042', hour: 17, temp: null },
      ],
    });
  });

  it('when the answer is a JSON-encoded string (json.dumps in a score.py), then it is decoded once', () => {
    expect(predictionsOf(JSON.stringify([1.5, 2.5]), 2)).toEqual([1.5, 2.5]);
    expect(predictionsOf(JSON.stringify({ forecast: [3, 4] }), 2)).toEqual([3, 4]);
    expect(predictionsOf({ predictions: [[5], [6]] }, 2)).toEqual([5, 6]);
    expect(() => predictionsOf('not json', 1)).toThrow(/no prediction array/);
  });

  it('when a CSV column is declared a string, then leading zeros stay; undeclared numeric text becomes a number', () => {
    expect(castCsvCell('007', 'string')).toBe('007');
    expect(castCsvCell('007')).toBe(7);
    expect(castCsvCell('true', 'boolean')).toBe(true);
    expect(castCsvCell('', 'string')).toBeNull();
    expect(() => castCsvCell('abc', 'number')).toThrow("'abc' is not a number");
  });
});
