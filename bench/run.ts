/** `npm run bench`: runs the benchmark and prints the report (Markdown, or JSON with `--json`). */

import { HELP, parseBenchArgs } from "./args.ts";
import { runBench } from "./bench.ts";
import { renderMarkdown } from "./report.ts";

try {
  const options = parseBenchArgs(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(HELP);
  } else {
    const report = await runBench(options, (message) => process.stderr.write(`${message}\n`));
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report),
    );
  }
} catch (error: unknown) {
  process.stderr.write(
    `Benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (error instanceof Error && error.cause !== undefined) {
    process.stderr.write(`Caused by: ${String(error.cause)}\n`);
  }
  process.exitCode = 1;
}
