import { defineConfig } from 'vite';

// The dashboard is served by `mlops dashboard` (src/cli/dashboard/server.ts) from dist/web/dashboard; `npm run build`
// runs `vite build web/dashboard`, so paths here are relative to this folder.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/web/dashboard',
    emptyOutDir: true,
    sourcemap: false,
    // Chart.js is most of the bundle; one chunk keeps the page a single request with no code splitting to test.
    chunkSizeWarningLimit: 600,
  },
});
