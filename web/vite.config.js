// The pages are plain modules bundled by Vite into ../api/web/static, which
// `fieldroute serve` serves (api/routes/pages.py). Dependencies come from npm at build time.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: resolve(import.meta.dirname, '../api/web/static'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        board: resolve(import.meta.dirname, 'board.html'),
        engineer: resolve(import.meta.dirname, 'engineer.html'),
        planner: resolve(import.meta.dirname, 'planner.html'),
      },
    },
  },
});
