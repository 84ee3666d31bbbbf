import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Secrets of the test Worker; fixed values that protect nothing. */
export const TEST_SECRETS = {
  WEBHOOK_SECRET: "whsec_dGVzdC13ZWJob29rLXNlY3JldC0zMi1ieXRlcy1sb25nIQ==",
  ADMIN_TOKEN: "test-admin-token",
  SESSION_TOKEN: "test-session-token",
};

// Worker tests run inside workerd with the bindings of wrangler.test.toml.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.test.toml" },
      // R2_SKILLS_LONG selects the long mode of the property tests.
      miniflare: {
        bindings: { ...TEST_SECRETS, R2_SKILLS_LONG: process.env.R2_SKILLS_LONG ?? "" },
      },
    }),
  ],
  test: {
    name: "worker",
    globalSetup: ["./s3rver-setup.node.ts"],
    include: ["**/*.test.ts"],
    testTimeout: 30_000,
  },
});
