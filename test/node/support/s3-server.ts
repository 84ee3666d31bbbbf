/**
 * Starts s3rver, an S3-compatible server that keeps objects in a folder, on
 * 127.0.0.1 on a free port with one empty bucket. For tests and the local
 * stack.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { fixCopySource } from "../../../local/s3rver-copy-source.ts";

export interface S3Server {
  /** `http://127.0.0.1:<port>`, for path-style requests. */
  endpoint: string;
  bucket: string;
  /** s3rver accepts only this key pair. */
  accessKeyId: string;
  secretAccessKey: string;
  /** Folder where s3rver stores the objects. */
  directory: string;
  close(): Promise<void>;
}

const CREDENTIAL = "S3RVER";

export async function startS3Server(options: { bucket?: string } = {}): Promise<S3Server> {
  const bucket = options.bucket ?? "skills";
  const directory = await mkdtemp(join(tmpdir(), "r2-skills-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  fixCopySource(server);
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: CREDENTIAL,
    secretAccessKey: CREDENTIAL,
    directory,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
