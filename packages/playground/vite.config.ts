import { defineConfig } from "vite";

// Static assets only, no CDN: the server serves dist/ (and its .gz twins) itself.
export default defineConfig({
  build: { outDir: "dist", target: "es2022", sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
