// The in-repository vectors are a faithful copy of the shared reference (which CI places beside the repository):
// a re-generated reference must be copied in again, or this fails.
import fs from 'node:fs';

import { FIXTURE_CASES_PATH, SHARED_CASES_PATH } from './cases';

const sharedPresent = fs.existsSync(SHARED_CASES_PATH);

describe('durable-vectors fixture', () => {
  (sharedPresent ? it : it.skip)('is byte-for-byte the shared reference cases.json', () => {
    const fixture = fs.readFileSync(FIXTURE_CASES_PATH);
    const shared = fs.readFileSync(SHARED_CASES_PATH);
    expect(fixture.equals(shared)).toBe(true);
  });
});
