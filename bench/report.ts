/** The benchmark's report: its JSON shape and its Markdown rendering. */

import type { TrafficCounts } from "./proxy.ts";
import type { RequestCosts } from "./request-costs.ts";

export type FullTool = "publisher" | "aws" | "rclone" | "ceiling";
export type IncrementalTool = "publisher" | "aws" | "rclone";

export interface LibraryInfo {
  files: number;
  skills: number;
  bytes: number;
}

export interface FullResult {
  library: LibraryInfo;
  /** Milliseconds per round, by tool: `NaN` for a failed run, empty when the tool is not installed. */
  runs: Record<FullTool, number[]>;
  medians: Record<FullTool, number>;
  /** Median per-round `aws time / publisher time`: above 1 means the publisher is faster. */
  awsOverPublisher: number;
  rcloneOverPublisher: number;
  /** Median per-round `ceiling time / publisher time`: the publisher's share of the ceiling. */
  publisherShareOfCeiling: number;
}

export interface IncrementalRun {
  ms: number;
  traffic: TrafficCounts;
}

export interface IncrementalResult {
  library: LibraryInfo;
  runs: Record<IncrementalTool, IncrementalRun[]>;
  medians: Record<IncrementalTool, { ms: number; requests: number; bytesSent: number }>;
  /** Median per-round `publisher time / rclone sync time`. */
  publisherOverRclone: number;
  /** The changed file's bytes plus the new manifest and head, the least a new version sends. */
  minimumBytes: number;
  changedFileBytes: number;
}

export interface SessionResult {
  files: number;
  skills: number;
  mode: "s3fs" | "copy";
  /** Milliseconds per round from the session request until every SKILL.md has been read. */
  runs: number[];
  median: number;
  /**
   * Milliseconds per round until `POST /sessions` returns, which the sandbox
   * host holds back until the version's first SKILL.md is readable.
   */
  readyRuns: number[];
  readyMedian: number;
}

export interface ActionResult {
  /** Milliseconds from spawning `node dist/index.js` to its first request, per round. */
  coldStartRuns: number[];
  coldStartMedian: number;
  bundleBytes: number;
}

export interface BenchReport {
  /** Per-request costs of the server, measured once before the first size; `null` when skipped. */
  requestCosts: RequestCosts | null;
  startedAt: string;
  settings: { sizes: number[]; rounds: number; seed: number; smoke: boolean; concurrency: number };
  machine: {
    cores: number;
    memoryBytes: number;
    /** One-, five- and fifteen-minute load averages at the start and at the end. */
    loadAtStart: number[];
    loadAtEnd: number[];
    platform: string;
  };
  /** Version strings, or `null` for a tool that is not installed. */
  tools: Record<string, string | null>;
  server: "s3rver" | "external";
  full: FullResult[];
  incremental: IncrementalResult[];
  session: SessionResult[];
  action: ActionResult | null;
  /** Parts that did not run, each with the reason. */
  skipped: string[];
  /** Runs that failed, each with its error; their figures are `null` in JSON. */
  failures: string[];
}

const seconds = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : "n/a");
const ratio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : "n/a");
const percent = (value: number): string =>
  Number.isFinite(value) ? `${Math.round(value * 100)} %` : "n/a";
const kib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : "n/a");
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

/** Renders the report as Markdown tables, times in seconds (medians of the rounds). */
export function renderMarkdown(report: BenchReport): string {
  const parts: string[] = [];
  parts.push(
    `Run ${report.startedAt}: ${report.settings.rounds} round(s), seed ${report.settings.seed}, ` +
      `server ${report.server}, ${report.machine.cores} cores, ` +
      `load ${report.machine.loadAtStart.map((load) => load.toFixed(2)).join(" ")} at start and ` +
      `${report.machine.loadAtEnd.map((load) => load.toFixed(2)).join(" ")} at end.`,
  );
  parts.push(
    "### Full publish into an empty prefix (seconds)",
    table(
      [
        "Files",
        "MiB",
        "Publisher",
        "aws s3 sync",
        "rclone copy",
        "Ceiling",
        "aws / publisher",
        "rclone / publisher",
        "Share of ceiling",
      ],
      report.full.map((result) => [
        String(result.library.files),
        mib(result.library.bytes),
        seconds(result.medians.publisher),
        seconds(result.medians.aws),
        seconds(result.medians.rclone),
        seconds(result.medians.ceiling),
        ratio(result.awsOverPublisher),
        ratio(result.rcloneOverPublisher),
        percent(result.publisherShareOfCeiling),
      ]),
    ),
  );
  const incrementalRows: string[][] = [];
  for (const result of report.incremental) {
    for (const tool of ["publisher", "aws", "rclone"] as const) {
      const median = result.medians[tool];
      incrementalRows.push([
        String(result.library.files),
        { publisher: "publisher", aws: "aws s3 sync", rclone: "rclone sync" }[tool],
        seconds(median.ms),
        Number.isFinite(median.requests) ? String(median.requests) : "n/a",
        kib(median.bytesSent),
        kib(result.changedFileBytes),
        kib(result.minimumBytes),
      ]);
    }
  }
  parts.push(
    "### Incremental publish, one file changed",
    table(
      [
        "Files",
        "Tool",
        "Seconds",
        "Requests",
        "KiB sent",
        "Changed file KiB",
        "New version minimum KiB",
      ],
      incrementalRows,
    ),
    table(
      ["Files", "Publisher / rclone sync"],
      report.incremental.map((result) => [
        String(result.library.files),
        ratio(result.publisherOverRclone),
      ]),
    ),
  );
  const costs = report.requestCosts;
  if (costs !== null) {
    parts.push(
      `### Server time per request (total time / ${costs.objects} requests of each kind, ${costs.concurrency} in flight, milliseconds)`,
      table(
        ["PutObject, 10 KiB", "HeadObject", "CopyObject, 10 KiB"],
        [[costs.putMs, costs.headMs, costs.copyMs].map((ms) => (ms / costs.objects).toFixed(2))],
      ),
    );
  }
  if (report.session.length > 0) {
    parts.push(
      "### Session start (seconds)",
      table(
        ["Files", "Skills", "Mode", "Session ready", "Every SKILL.md read", "Rounds (all read)"],
        report.session.map((result) => [
          String(result.files),
          String(result.skills),
          result.mode,
          seconds(result.readyMedian),
          seconds(result.median),
          result.runs.map(seconds).join(", "),
        ]),
      ),
    );
  }
  if (report.action !== null) {
    parts.push(
      "### Action",
      table(
        ["Cold start to first request (s)", "dist/index.js (KiB)"],
        [[seconds(report.action.coldStartMedian), kib(report.action.bundleBytes)]],
      ),
    );
  }
  if (report.failures.length > 0) {
    parts.push("### Failed runs", report.failures.map((failure) => `- ${failure}`).join("\n"));
  }
  if (report.skipped.length > 0) {
    parts.push("### Skipped", report.skipped.map((reason) => `- ${reason}`).join("\n"));
  }
  return `${parts.join("\n\n")}\n`;
}
