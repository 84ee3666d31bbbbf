/**
 * Bundles the measured TypeScript children into single ES modules, as the
 * Action and the CLI ship (one file each). Loading a bundle takes about a
 * third of the time Node needs to strip the types of every source file, so
 * the publisher starts like the shipped product does, from today's sources.
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface Bundles {
  publisher: string;
  ceiling: string;
  close(): Promise<void>;
}

const CHILDREN = {
  publisher: fileURLToPath(new URL("./publish-child.ts", import.meta.url)),
  ceiling: fileURLToPath(new URL("./ceiling-child.ts", import.meta.url)),
};

// The AWS SDK has CommonJS modules that call require(); an ES module bundle needs one.
const REQUIRE_SHIM =
  'import { createRequire as createRequireForBundle } from "node:module";\n' +
  "const require = createRequireForBundle(import.meta.url);";

export async function bundleChildren(): Promise<Bundles> {
  const folder = await mkdtemp(join(tmpdir(), "r2-skills-bench-bundles-"));
  const bundle = async (entry: string): Promise<string> => {
    const outfile = join(folder, basename(entry).replace(/\.ts$/, ".mjs"));
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      banner: { js: REQUIRE_SHIM },
      logLevel: "error",
    });
    return outfile;
  };
  try {
    return {
      publisher: await bundle(CHILDREN.publisher),
      ceiling: await bundle(CHILDREN.ceiling),
      close: () => rm(folder, { recursive: true, force: true }),
    };
  } catch (error: unknown) {
    await rm(folder, { recursive: true, force: true });
    throw new Error("Failed to bundle the publisher and ceiling children with esbuild", {
      cause: error,
    });
  }
}
