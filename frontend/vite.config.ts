import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The built UI ships inside the Python package; the server serves it at "/".
export default defineConfig({
  plugins: [svelte()],
  base: "./",
  build: {
    outDir: "../src/annotary/web/dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
