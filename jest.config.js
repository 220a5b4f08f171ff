// One jest project per test tier (see ARCHITECTURE.md section 7); `npm run test:<tier>` selects one.
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
const tier = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  // hyparquet and hyparquet-writer ship only ES modules; jest (unlike Node >= 20.19) cannot require() them untransformed.
  transform: { '^.+\\.ts$': swc, '/node_modules/hyparquet[^/]*/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
  ...extra,
});
module.exports = {
  passWithNoTests: true,
  projects: [tier('unit'), tier('orchestration'), tier('integration'), tier('conformance'), tier('e2e')],
};
