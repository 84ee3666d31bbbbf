/**
 * The benchmark run: for each library size, rounds of full and incremental
 * publishes, then session start; once, the Action's cold start. Returns the
 * report; printing is up to the caller.
 */

import { cpus, loadavg, totalmem } from "node:os";
import { DEFAULTS } from "../publisher/inputs.ts";
import { measureAction } from "./action.ts";
import type { BenchOptions } from "./args.ts";
import { type Bundles, bundleChildren } from "./bundle.ts";
import type { BenchContext } from "./context.ts";
import { runFullRound } from "./full.ts";
import { runIncrementalRound } from "./incremental.ts";
import { createLibrary } from "./library.ts";
import { startCountingProxy } from "./proxy.ts";
import type {
  BenchReport,
  FullResult,
  FullTool,
  IncrementalResult,
  IncrementalRun,
  IncrementalTool,
} from "./report.ts";
import { measureRequestCosts } from "./request-costs.ts";
import { type BenchServer, externalServer, startLocalServer } from "./server.ts";
import { measureSessions } from "./session.ts";
import { median, medianRatio } from "./stats.ts";
import { createReferenceTools } from "./tools.ts";
import { detectToolVersions } from "./versions.ts";

export type Progress = (message: string) => void;

/** A run that failed; its `NaN` values drop out of every median. */
const FAILED_RUN: IncrementalRun = {
  ms: Number.NaN,
  traffic: { requests: Number.NaN, methods: {}, bytesSent: Number.NaN },
};

function summarizeFull(context: BenchContext, runs: Record<FullTool, number[]>): FullResult {
  const { library } = context;
  return {
    library: { files: library.files, skills: library.skills, bytes: library.bytes },
    runs,
    medians: {
      publisher: median(runs.publisher),
      aws: median(runs.aws),
      rclone: median(runs.rclone),
      ceiling: median(runs.ceiling),
    },
    awsOverPublisher: medianRatio(runs.aws, runs.publisher),
    rcloneOverPublisher: medianRatio(runs.rclone, runs.publisher),
    publisherShareOfCeiling: medianRatio(runs.ceiling, runs.publisher),
  };
}

function summarizeIncremental(
  context: BenchContext,
  runs: Record<IncrementalTool, IncrementalRun[]>,
  minimumBytes: number[],
  changedFileBytes: number[],
): IncrementalResult {
  const { library } = context;
  const summary = (list: IncrementalRun[]) => ({
    ms: median(list.map((run) => run.ms)),
    requests: median(list.map((run) => run.traffic.requests)),
    bytesSent: median(list.map((run) => run.traffic.bytesSent)),
  });
  return {
    library: { files: library.files, skills: library.skills, bytes: library.bytes },
    runs,
    medians: {
      publisher: summary(runs.publisher),
      aws: summary(runs.aws),
      rclone: summary(runs.rclone),
    },
    publisherOverRclone: medianRatio(
      runs.publisher.map((run) => run.ms),
      runs.rclone.map((run) => run.ms),
    ),
    minimumBytes: median(minimumBytes),
    changedFileBytes: median(changedFileBytes),
  };
}

export async function runBench(options: BenchOptions, progress: Progress): Promise<BenchReport> {
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    settings: {
      sizes: options.sizes,
      rounds: options.rounds,
      seed: options.seed,
      smoke: options.smoke,
      concurrency: options.concurrency ?? Number(DEFAULTS.concurrency),
    },
    machine: {
      cores: cpus().length,
      memoryBytes: totalmem(),
      loadAtStart: loadavg(),
      loadAtEnd: [],
      platform: `${process.platform} ${process.arch}`,
    },
    tools: await detectToolVersions(),
    server: "s3rver",
    full: [],
    incremental: [],
    session: [],
    action: null,
    skipped: [],
    failures: [],
    requestCosts: null,
  };
  const external = externalServer(process.env);
  report.server = external?.kind ?? "s3rver";
  const runPrefix = `bench-${Date.now().toString(36)}/`;
  if (external === undefined) {
    progress("Measuring the server's cost per request");
    const server = await startLocalServer();
    try {
      report.requestCosts = await measureRequestCosts(
        server,
        runPrefix,
        options.smoke ? 100 : 1000,
      );
    } finally {
      await server.close();
    }
  }
  progress("Bundling the publisher");
  const bundles = await bundleChildren();
  try {
    await runSizes(options, report, bundles, external, runPrefix, progress);
  } finally {
    await bundles.close();
  }
  report.machine.loadAtEnd = loadavg();
  return report;
}

async function runSizes(
  options: BenchOptions,
  report: BenchReport,
  bundles: Bundles,
  external: BenchServer | undefined,
  runPrefix: string,
  progress: Progress,
): Promise<void> {
  if (report.tools.aws === null) report.skipped.push("aws s3 sync: the AWS CLI is not installed");
  if (report.tools.rclone === null) report.skipped.push("rclone: not installed");

  for (const [sizeIndex, size] of options.sizes.entries()) {
    progress(`Generating a library of ${size} files`);
    const library = await createLibrary(size, options.seed);
    const server: BenchServer = external ?? (await startLocalServer());
    const countable = new URL(server.endpoint).protocol === "http:";
    const proxy = countable ? await startCountingProxy(server.endpoint) : undefined;
    const tools = await createReferenceTools(server);
    try {
      const context: BenchContext = {
        server,
        proxy,
        aws: report.tools.aws === null ? undefined : tools.awsSync,
        rclone: report.tools.rclone === null ? undefined : tools.rclone,
        library,
        bundles,
        prefix: `${runPrefix}${size}/`,
        concurrency: report.settings.concurrency,
        failures: report.failures,
      };
      const referenceTools = [
        ...(context.aws === undefined ? [] : (["aws"] as const)),
        ...(context.rclone === undefined ? [] : (["rclone"] as const)),
      ];
      const fullTools: FullTool[] = ["publisher", "ceiling", ...referenceTools];
      const incrementalTools: IncrementalTool[] = ["publisher", ...referenceTools];
      const fullRuns: Record<FullTool, number[]> = {
        publisher: [],
        aws: [],
        rclone: [],
        ceiling: [],
      };
      const incrementalRuns: Record<IncrementalTool, IncrementalRun[]> = {
        publisher: [],
        aws: [],
        rclone: [],
      };
      const minimumBytes: number[] = [];
      const changedFileBytes: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        progress(`${size} files, round ${round + 1} of ${options.rounds}: full publish`);
        const full = await runFullRound(context, round);
        for (const tool of fullTools) fullRuns[tool].push(full[tool] ?? Number.NaN);
        if (proxy === undefined) continue;
        progress(`${size} files, round ${round + 1} of ${options.rounds}: incremental publish`);
        const incremental = await runIncrementalRound(context, round);
        for (const tool of incrementalTools) {
          incrementalRuns[tool].push(incremental.runs[tool] ?? FAILED_RUN);
        }
        minimumBytes.push(incremental.minimumBytes);
        changedFileBytes.push(incremental.changedFileBytes);
      }
      report.full.push(summarizeFull(context, fullRuns));
      if (proxy !== undefined) {
        report.incremental.push(
          summarizeIncremental(context, incrementalRuns, minimumBytes, changedFileBytes),
        );
      } else if (sizeIndex === 0) {
        report.skipped.push(
          `Incremental publish and Action cold start: ${server.endpoint} is not plain HTTP, so the counting proxy cannot forward to it`,
        );
      }

      progress(`${size} files: session start`);
      const sessions = await measureSessions(context, options.rounds);
      report.session.push(...sessions.results);
      for (const reason of sessions.skipped) {
        if (!report.skipped.includes(reason)) report.skipped.push(reason);
      }

      if (sizeIndex === 0 && proxy !== undefined) {
        progress("Action cold start");
        const action = await measureAction(context, options.rounds);
        if ("reason" in action) report.skipped.push(action.reason);
        else report.action = action;
      }
    } finally {
      await tools.close();
      await proxy?.close();
      if (external === undefined) await server.close();
      await library.close();
    }
  }
}
