// One jest project per test tier (see ARCHITECTURE.md section 7); `npm run test:<tier>` selects one.
// ts-jest transpiles only (isolatedModules): type checking is `npm run typecheck`, run once by `npm test`.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }];
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  // hyparquet and hyparquet-writer ship only ES modules; jest (unlike Node >= 20.19) cannot require() them untransformed.
  transform: { '^.+\\.ts$': tsJest, '/node_modules/hyparquet[^/]*/.+\\.js$': tsJest },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
  ...extra,
});
module.exports = {
  passWithNoTests: true,
  projects: [tier('unit'), tier('orchestration'), tier('integration'), tier('conformance'), tier('e2e')],
};
