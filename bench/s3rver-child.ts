/**
 * Runs s3rver in its own process, so the server does not share an event loop
 * with the tool being measured. Prints the server's settings as one JSON line
 * on standard output and stops when its standard input closes.
 */

import { startS3Server } from "../test/node/support/s3-server.ts";

const server = await startS3Server({ bucket: "bench" });
process.stdout.write(
  `${JSON.stringify({
    endpoint: server.endpoint,
    bucket: server.bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  })}\n`,
);
process.stdin.resume();
process.stdin.on("end", () => {
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("Failed to stop s3rver:", error);
      process.exit(1);
    },
  );
});
