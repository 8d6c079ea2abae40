import { defineConfig } from 'vite';

/**
 * The web app (dashboard, rooms, …), built into web/dist and served by the local runtime at `/`.
 * Build: `npx vite build web`. Dev server: `npx vite web` with the platform running; it proxies the
 * platform's HTTP routes to RTP_URL (default the local runtime's http://127.0.0.1:3000). The page's
 * WebSocket goes to the platform directly, so start it with RTP_ALLOWED_ORIGINS=http://127.0.0.1:5173.
 */
const platform = process.env.RTP_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/health': platform,
      '/readings': platform,
      '/items': platform,
      '/sales': platform,
      '/jobs': platform,
    },
  },
  preview: { host: '127.0.0.1' },
});
