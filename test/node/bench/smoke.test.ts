import { describe, expect, it } from "vitest";
import { parseBenchArgs, SMOKE_SIZE } from "../../../bench/args.ts";
import { runBench } from "../../../bench/bench.ts";
import { renderMarkdown } from "../../../bench/report.ts";

describe("bench smoke mode", () => {
  it("runs every scenario and reports its shape", { timeout: 300_000 }, async () => {
    const options = parseBenchArgs(["--smoke"]);
    expect(options).toBeDefined();
    if (options === undefined) return;
    const report = await runBench(options, () => {});

    expect(report.settings.sizes).toEqual([SMOKE_SIZE]);
    expect(report.settings.rounds).toBe(1);
    expect(report.failures).toEqual([]);
    expect(report.server).toBe("s3rver");
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.loadAtEnd).toHaveLength(3);
    expect(report.tools.node).toBe(process.version);

    expect(report.requestCosts?.objects).toBe(100);
    expect(report.requestCosts?.putMs).toBeGreaterThan(0);
    expect(report.requestCosts?.headMs).toBeGreaterThan(0);
    expect(report.requestCosts?.copyMs).toBeGreaterThan(0);

    expect(report.full).toHaveLength(1);
    const full = report.full[0];
    expect(full?.library.files).toBe(SMOKE_SIZE);
    expect(full?.library.bytes).toBeGreaterThan(0);
    expect(full?.runs.publisher).toHaveLength(1);
    expect(full?.runs.ceiling).toHaveLength(1);
    expect(full?.medians.publisher).toBeGreaterThan(0);
    expect(full?.publisherShareOfCeiling).toBeGreaterThan(0);
    for (const tool of ["aws", "rclone"] as const) {
      const installed = report.tools[tool] !== null;
      expect(full?.runs[tool]).toHaveLength(installed ? 1 : 0);
    }

    expect(report.incremental).toHaveLength(1);
    const incremental = report.incremental[0];
    const publisherRun = incremental?.runs.publisher[0];
    // Copies of every unchanged file, one upload, the manifest and the head.
    expect(publisherRun?.traffic.requests).toBeGreaterThanOrEqual(SMOKE_SIZE + 2);
    expect(publisherRun?.traffic.methods.PUT).toBeGreaterThanOrEqual(SMOKE_SIZE + 1);
    expect(publisherRun?.traffic.bytesSent).toBeGreaterThanOrEqual(incremental?.minimumBytes ?? 0);
    expect(incremental?.minimumBytes).toBeGreaterThan(incremental?.changedFileBytes ?? 0);
    if (report.tools.rclone !== null) {
      expect(incremental?.runs.rclone[0]?.traffic.requests).toBeGreaterThan(0);
    }

    // Copy mode needs no FUSE, so it runs wherever the local stack does.
    expect(report.session.map((result) => result.mode)).toContain("copy");
    for (const result of report.session) {
      expect(result.files).toBe(SMOKE_SIZE);
      expect(result.runs).toHaveLength(1);
      expect(result.median).toBeGreaterThan(0);
    }
    if (report.action !== null) {
      expect(report.action.coldStartMedian).toBeGreaterThan(0);
      expect(report.action.bundleBytes).toBeGreaterThan(0);
    }

    const markdown = renderMarkdown(report);
    expect(markdown).toContain("### Full publish into an empty prefix");
    expect(markdown).toContain("### Incremental publish, one file changed");
  });
});

describe("bench flags", () => {
  it("parses sizes and rounds", () => {
    const options = parseBenchArgs(["--sizes", "100,1000", "--rounds", "5", "--json"]);
    expect(options?.sizes).toEqual([100, 1000]);
    expect(options?.rounds).toBe(5);
    expect(options?.json).toBe(true);
  });

  it("rejects a size that is not a whole number", () => {
    expect(() => parseBenchArgs(["--sizes", "100,ten"])).toThrow(/--sizes entry "ten"/);
  });
});
