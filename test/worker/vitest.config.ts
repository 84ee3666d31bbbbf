import { defineConfig } from "vitest/config";

// Placeholder until the Worker's tests arrive: runs no file.
export default defineConfig({ test: { name: "worker", include: ["test/worker/**/*.test.ts"], passWithNoTests: true } });
