import { defineConfig } from "vitest/config";

// Two projects: Node tests (core, publisher, Action, CLI, local stack, end to
// end) and Worker tests, which run inside workerd with their own config.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      "test/worker/vitest.config.ts",
    ],
  },
});
