import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../core/logger.ts";
import { HttpError, onError, onNotFound } from "../../worker/errors.ts";
import worker from "../../worker/index.ts";
import { type AppEnv, requestLog } from "../../worker/log.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

function appThatThrows(error: unknown) {
  const app = new Hono<AppEnv>();
  app.use(requestLog(silentLogger, () => Date.now()));
  app.onError(onError);
  app.notFound(onNotFound);
  app.get("/fail", () => {
    throw error;
  });
  return app;
}

describe("onError", () => {
  it("renders an HttpError with its status and headers", async () => {
    const app = appThatThrows(
      new HttpError(503, "not_ready", "Not ready", { headers: { "Retry-After": "7" } }),
    );
    const response = await app.request("http://worker.test/fail");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.json()).toEqual({ error: { code: "not_ready", message: "Not ready" } });
  });

  it("hides an internal error's details", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const app = appThatThrows(new Error("database password is hunter2"));
    const response = await app.request("http://worker.test/fail");
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("internal_error");
    expect(body.error.message).not.toContain("hunter2");
    expect(body.error.message).toContain(response.headers.get("x-request-id") ?? "missing");
  });

  it("renders an unknown route as a 404 error body", async () => {
    const response = await appThatThrows(new Error("unused")).request("http://worker.test/nowhere");
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe("not_found");
  });
});

describe("worker entry", () => {
  it("answers 500 naming an invalid variable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const context = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://worker.test/healthz"),
      { ...env, MOUNT_MODE: "nfs" },
      context,
    );
    await waitOnExecutionContext(context);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_config");
    expect(body.error.message).toContain("MOUNT_MODE");
  });
});
