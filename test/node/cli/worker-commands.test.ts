/**
 * `status` and `rollback` against a node:http server that responds like the
 * Worker's management API (`worker/management/routes.ts`): the same paths,
 * bearer token, bodies and `{"error": {"code", "message"}}` errors. It
 * records each request for exact checks and starts in milliseconds;
 * `worker-e2e.test.ts` runs the same commands against the real Worker.
 */

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

const TOKEN = "admin-token-for-tests";
const V1 = "1".repeat(40);
const V2 = "2".repeat(40);
/** A working-tree version id, shorter than a commit sha, to check column widths. */
const LOCAL = `local-${"a".repeat(24)}`;

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let workerUrl: string;
let received: Received[];

const channels = [
  {
    channel: "production",
    version: V2,
    changedAt: "2026-01-02T03:04:05.000Z",
    cause: "publish",
    reason: "new version",
  },
  {
    channel: "qa",
    version: LOCAL,
    changedAt: "2026-01-04T00:00:00.000Z",
    cause: "rollback",
    reason: "",
  },
];

/** Returns where each of `cells` starts in `line`, searching left to right. */
function columnStarts(line: string, cells: string[]): number[] {
  let from = 0;
  return cells.map((cell) => {
    const start = line.indexOf(cell, from);
    from = start + cell.length;
    return start;
  });
}

function answer(request: Received): { status: number; body: unknown } {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) {
    return { status: 401, body: { error: { code: "unauthorized", message: "Invalid token" } } };
  }
  if (request.method === "GET" && request.url === "/channels")
    return { status: 200, body: { channels } };
  if (request.method === "GET" && request.url === "/channels/production") {
    return {
      status: 200,
      body: {
        ...channels[0],
        history: [
          {
            version: V2,
            previous: V1,
            changedAt: "2026-01-02T03:04:05.000Z",
            cause: "publish",
            reason: "new version",
          },
          {
            version: V1,
            previous: null,
            changedAt: "2026-01-01T00:00:00.000Z",
            cause: "publish",
            reason: "first",
          },
          {
            version: LOCAL,
            previous: null,
            changedAt: "2025-12-31T00:00:00.000Z",
            cause: "rollback",
            reason: "",
          },
        ],
      },
    };
  }
  if (request.method === "POST" && request.url === "/channels/production/rollback") {
    const body = JSON.parse(request.body) as { version: string; reason: string };
    if (body.version !== V1) {
      return {
        status: 404,
        body: {
          error: { code: "unknown_version", message: `Version ${body.version} is not recorded` },
        },
      };
    }
    return {
      status: 200,
      body: {
        channel: "production",
        version: V1,
        changedAt: "2026-01-03T00:00:00.000Z",
        cause: "rollback",
        reason: body.reason,
        previous: V2,
      },
    };
  }
  return {
    status: 404,
    body: {
      error: { code: "channel_not_found", message: 'Channel "staging" has no published version' },
    },
  };
}

beforeEach(async () => {
  received = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(entry);
      const { status, body } = answer(entry);
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  workerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { R2_SKILLS_WORKER_URL: workerUrl, R2_SKILLS_ADMIN_TOKEN: TOKEN, ...extra };
}

describe("cli status", () => {
  it("lists channels", async () => {
    const run = await runCli(["status"], { cwd: tmpdir(), env: env() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      `production  ${V2}  2026-01-02T03:04:05.000Z  publish: new version`,
    );
    expect(run.stdout).toContain(`qa          ${LOCAL}`);
    expect(received[0]?.url).toBe("/channels");
    expect(received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("lines up the channel columns", async () => {
    const run = await runCli(["status"], { cwd: tmpdir(), env: env() });
    const [header = "", ...rows] = run.stdout.trimEnd().split("\n");
    const expected = columnStarts(header, ["channel", "version", "changed", "cause"]);
    expect(rows).toHaveLength(2);
    for (const [index, row] of rows.entries()) {
      const record = channels[index];
      const cells = [record?.channel, record?.version, record?.changedAt, record?.cause];
      expect(columnStarts(row, cells as string[]), row).toEqual(expected);
      expect(row, "no trailing spaces").toBe(row.trimEnd());
    }
  });

  it("lines up the history columns", async () => {
    const run = await runCli(["status", "production"], { cwd: tmpdir(), env: env() });
    const rows = run.stdout.trimEnd().split("\n").slice(-3);
    const starts = [
      columnStarts(rows[0] ?? "", ["2026-01-02", V2, "publish"]),
      columnStarts(rows[1] ?? "", ["2026-01-01", V1, "publish"]),
      columnStarts(rows[2] ?? "", ["2025-12-31", LOCAL, "rollback"]),
    ];
    expect(starts[1]).toEqual(starts[0]);
    expect(starts[2]).toEqual(starts[0]);
  });

  it("shows one channel's history", async () => {
    const run = await runCli(["status", "production"], { cwd: tmpdir(), env: env() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`version: ${V2}`);
    expect(run.stdout).toContain("history, newest first:");
    expect(run.stdout).toContain(`  2026-01-01T00:00:00.000Z  ${V1}  publish: first`);
  });

  it("json passes the answer through", async () => {
    const run = await runCli(["status", "--json"], { cwd: tmpdir(), env: env() });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ channels });
  });

  it("unknown channel exits 1", async () => {
    const run = await runCli(["status", "staging", "--json"], { cwd: tmpdir(), env: env() });
    expect(run.exitCode).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: {
        code: "channel_not_found",
        message:
          'The Worker answered GET /channels/staging with 404: Channel "staging" has no published version',
      },
    });
  });

  it("wrong token names the fix", async () => {
    const run = await runCli(["status"], {
      cwd: tmpdir(),
      env: env({ R2_SKILLS_ADMIN_TOKEN: "wrong-token" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "The Worker rejected the admin token for GET /channels (401: Invalid token)",
    );
    expect(run.stderr).toContain("set R2_SKILLS_ADMIN_TOKEN");
    expect(run.stderr).not.toContain("wrong-token");
  });

  it("unreachable worker exits 1", async () => {
    const run = await runCli(["status", "--worker-url", "http://127.0.0.1:9"], {
      cwd: tmpdir(),
      env: env(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(
      "Failed to reach the Worker at http://127.0.0.1:9 (GET /channels)",
    );
  });

  it("missing token exits 2", async () => {
    const run = await runCli(["status"], {
      cwd: tmpdir(),
      env: { R2_SKILLS_WORKER_URL: workerUrl },
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("Missing admin token: set R2_SKILLS_ADMIN_TOKEN");
    expect(received).toHaveLength(0);
  });
});

describe("cli rollback", () => {
  it("posts the version and reason", async () => {
    const run = await runCli(["rollback", "production", V1, "--reason", "bad release"], {
      cwd: tmpdir(),
      env: env(),
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `Channel production now serves ${V1} (was ${V2}); new sessions mount it\n`,
    );
    expect(received[0]?.method).toBe("POST");
    expect(received[0]?.url).toBe("/channels/production/rollback");
    expect(received[0]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ version: V1, reason: "bad release" });
  });

  it("default reason is sent", async () => {
    const run = await runCli(["rollback", "production", V1, "--json"], {
      cwd: tmpdir(),
      env: env(),
    });
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(received[0]?.body ?? "").reason).toBe("Set with r2-skills rollback");
    expect(JSON.parse(run.stdout).previous).toBe(V2);
  });

  it("unknown version exits 1", async () => {
    const run = await runCli(["rollback", "production", "3".repeat(40)], {
      cwd: tmpdir(),
      env: env(),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`404: Version ${"3".repeat(40)} is not recorded`);
  });

  it("long reason exits 2", async () => {
    const run = await runCli(["rollback", "production", V1, "--reason", "x".repeat(501)], {
      cwd: tmpdir(),
      env: env(),
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("Invalid --reason: it is 501 characters");
    expect(received).toHaveLength(0);
  });
});
