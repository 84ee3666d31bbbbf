/**
 * Global setup of the Worker tests, run in Node: starts s3rver on 127.0.0.1
 * so the S3 bucket adapter is tested against a real S3-compatible server
 * from inside workerd. Tests read its address with `inject("s3")`.
 */

import type { TestProject } from "vitest/node";
import { startS3Server } from "../node/support/s3-server.ts";
import "./support/provided-context.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startS3Server({ bucket: "worker-tests" });
  project.provide("s3", {
    endpoint: server.endpoint,
    bucket: server.bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  });
  return () => server.close();
}
