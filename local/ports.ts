/** Checks that a fixed port on 127.0.0.1 is free before a server takes it. */

import { createServer } from "node:net";

/**
 * Throws an error that names the port and the option to change when
 * something already listens on 127.0.0.1:`port`. Port 0 always passes.
 */
export async function assertPortFree(port: number, option: string): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new Error(
            `Port ${port} on 127.0.0.1 is in use; stop what uses it or pass another ${option}`,
            { cause: error },
          ),
        );
      } else {
        reject(
          new Error(
            `Cannot listen on 127.0.0.1:${port} (${error.code ?? error.message}); pass another ${option}`,
            { cause: error },
          ),
        );
      }
    });
    server.listen(port, "127.0.0.1", () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
