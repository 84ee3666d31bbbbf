/**
 * The child process that runs s3rver for the local stack. It reads its
 * options as JSON from argv[2], prints `{"port":N}` on stdout once it
 * listens (or `{"error":"…"}`), and exits on SIGTERM or when its standard
 * input closes because the parent is gone. It ignores SIGINT.
 */

import type { AddressInfo } from "node:net";
import S3rver from "s3rver";
import { fixCopySource } from "./s3rver-copy-source.ts";
import { fixDelimiterListing } from "./s3rver-listing.ts";

interface ChildOptions {
  directory: string;
  bucket: string;
  port: number;
}

function reply(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function run(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port,
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucket }],
  });
  fixDelimiterListing(server);
  fixCopySource(server);
  const address: AddressInfo = await server.run();
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", close);
  // Ctrl-C reaches the whole process group; the parent stops this process
  // with SIGTERM once its sessions are unmounted.
  process.on("SIGINT", () => {});
  process.stdin.on("end", close);
  process.stdin.on("error", close);
  process.stdin.resume();
  reply({ port: address.port });
}

run().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
