import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { fromBase64 } from "../../core/encoding.ts";
import {
  cloudflareHandle,
  type SdkSandbox,
  SETUP_MARKER_PATH,
  sandboxIdProblem,
  toSdkMount,
} from "../../worker/sandbox/cloudflare.ts";
import {
  LocalHostError,
  localHostProvider,
  toWorkspacePath,
} from "../../worker/sandbox/local-host.ts";
import { SandboxUnsupportedError } from "../../worker/sandbox/types.ts";

const MOUNT_PATH = "/workspace/.claude/skills";
const VERSION = "a".repeat(40);

/** Creates a stand-in for the SDK's sandbox stub that records each call and keeps written files. */
function recordingSdk() {
  const calls: unknown[][] = [];
  const files = new Map<string, string>();
  const sdk: SdkSandbox = {
    mountBucket: async (...args) => {
      calls.push(["mountBucket", ...args]);
    },
    unmountBucket: async (...args) => {
      calls.push(["unmountBucket", ...args]);
    },
    exists: async (path) => {
      calls.push(["exists", path]);
      return { exists: files.has(path) };
    },
    readFile: async (path) => {
      calls.push(["readFile", path]);
      return { content: files.get(path) ?? "" };
    },
    writeFile: async (path, content, options) => {
      calls.push(["writeFile", path, content, options]);
      files.set(path, content);
    },
    mkdir: async (...args) => {
      calls.push(["mkdir", ...args]);
    },
    exec: async (command) => {
      calls.push(["exec", command]);
      return { exitCode: 0, stdout: "out", stderr: "" };
    },
    setEnvVars: async (env) => {
      calls.push(["setEnvVars", env]);
    },
    startProcess: async (command) => {
      calls.push(["startProcess", command]);
      return {
        id: "proc-1",
        waitForPort: async (port, options) => {
          calls.push(["waitForPort", port, options]);
        },
      };
    },
    killProcess: async (id) => {
      calls.push(["killProcess", id]);
    },
    wsConnect: async (request, port) => {
      calls.push(["wsConnect", request.url, port]);
      return new Response("proxied");
    },
  };
  return { sdk, calls, files };
}

describe("Cloudflare sandbox adapter", () => {
  it("r2-binding becomes mountBucket on the binding", async () => {
    const { sdk, calls } = recordingSdk();

    await cloudflareHandle("s", sdk).mount({
      kind: "r2-binding",
      binding: "SKILLS_BUCKET",
      mountPath: MOUNT_PATH,
      prefix: `/versions/${VERSION}/`,
      readOnly: true,
    });

    expect(calls).toEqual([
      [
        "mountBucket",
        "SKILLS_BUCKET",
        MOUNT_PATH,
        { prefix: `/versions/${VERSION}/`, readOnly: true },
      ],
    ]);
  });

  it("s3 keeps credentials in the proxy", () => {
    const [bucket, path, options] = toSdkMount({
      kind: "s3",
      endpoint: "https://s3.example.com",
      bucket: "skills",
      mountPath: MOUNT_PATH,
      prefix: `/versions/${VERSION}/`,
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
      readOnly: true,
    });

    expect(bucket).toBe("skills");
    expect(path).toBe(MOUNT_PATH);
    expect(options).toEqual({
      endpoint: "https://s3.example.com",
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
      prefix: `/versions/${VERSION}/`,
      readOnly: true,
      credentialProxy: true,
    });
  });

  it("local-sync sets localBucket", () => {
    const [bucket, , options] = toSdkMount({
      kind: "local-sync",
      binding: "SKILLS_BUCKET",
      mountPath: MOUNT_PATH,
      prefix: `/versions/${VERSION}/`,
      readOnly: true,
    });

    expect(bucket).toBe("SKILLS_BUCKET");
    expect(options).toEqual({ localBucket: true, prefix: `/versions/${VERSION}/`, readOnly: true });
  });

  it("host mounts are unsupported", () => {
    expect(() =>
      toSdkMount({
        kind: "host",
        version: VERSION,
        mountPath: MOUNT_PATH,
        prefix: `versions/${VERSION}/`,
        manifestKey: `manifests/${VERSION}.json`,
        manifestSha256: "0".repeat(64),
        readOnly: true,
      }),
    ).toThrow(SandboxUnsupportedError);
  });

  it("writeFile sends base64", async () => {
    const { sdk, calls } = recordingSdk();
    const bytes = new Uint8Array([0, 1, 2, 255]);

    await cloudflareHandle("s", sdk).writeFile("/tmp/x.bin", bytes);

    const [, path, content, options] = calls[0] ?? [];
    expect(path).toBe("/tmp/x.bin");
    expect(fromBase64(String(content))).toEqual(bytes);
    expect(options).toEqual({ encoding: "base64" });
  });

  it("setup marker round-trips", async () => {
    const { sdk, calls } = recordingSdk();
    const handle = cloudflareHandle("s", sdk);

    expect(await handle.readSetupMarker()).toBeNull();
    await handle.writeSetupMarker(VERSION);
    expect(await handle.readSetupMarker()).toBe(VERSION);

    expect(calls).toContainEqual(["mkdir", "/tmp/r2-skills", { recursive: true }]);
    expect(calls).toContainEqual(["writeFile", SETUP_MARKER_PATH, VERSION, undefined]);
  });

  it("agent waits for its port over TCP", async () => {
    const { sdk, calls } = recordingSdk();

    const process = await cloudflareHandle("s", sdk).startProcess("agent");
    await process.waitForPort(3001, { timeoutMs: 5000 });
    await process.kill();

    expect(process.id).toBe("proc-1");
    expect(calls).toEqual([
      ["startProcess", "agent"],
      ["waitForPort", 3001, { mode: "tcp", timeout: 5000 }],
      ["killProcess", "proc-1"],
    ]);
  });

  it("sandbox id rules follow the SDK", () => {
    expect(sandboxIdProblem("a")).toBeUndefined();
    expect(sandboxIdProblem(crypto.randomUUID())).toBeUndefined();
    expect(sandboxIdProblem("User_1")).toBeUndefined();
    expect(sandboxIdProblem("x".repeat(63))).toBeUndefined();
    expect(sandboxIdProblem("x".repeat(64))).toContain("at most 63");
    expect(sandboxIdProblem("session-")).toContain("hyphen");
    expect(sandboxIdProblem("Admin")).toContain("reserve");
  });

  it("wsConnect passes request and port", async () => {
    const { sdk, calls } = recordingSdk();

    const response = await cloudflareHandle("s", sdk).wsConnect(
      new Request("http://w/ws?sessionId=s"),
      3001,
    );

    expect(await response.text()).toBe("proxied");
    expect(calls).toEqual([["wsConnect", "http://w/ws?sessionId=s", 3001]]);
  });
});

/** Creates an in-memory host that follows core/sandbox-host.ts and records the requests it receives. */
function fakeHost(token: string) {
  const requests: {
    method: string;
    path: string;
    body: unknown;
    authorization: string | undefined;
  }[] = [];
  const mounts = new Map<string, string>();
  const host = new Hono();
  host.use(async (c, next) => {
    const text = await c.req.raw.clone().text();
    requests.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      body: text === "" ? undefined : JSON.parse(text),
      authorization: c.req.header("authorization"),
    });
    if (c.req.header("authorization") !== `Bearer ${token}`) {
      return c.json({ error: { code: "unauthorized", message: "bad host token" } }, 401);
    }
    return next();
  });
  host.post("/sandboxes/:id/mount", async (c) => {
    const body = await c.req.json<{ version: string; mountPath: string }>();
    const id = c.req.param("id");
    const existing = mounts.get(id);
    if (existing !== undefined && existing !== body.version) {
      return c.json({ error: { code: "conflict", message: "another version is mounted" } }, 409);
    }
    mounts.set(id, body.version);
    return c.json({
      sessionId: id,
      version: body.version,
      mode: "copy",
      path: `/host/sessions/${id}/${body.mountPath}`,
      alreadyMounted: existing !== undefined,
    });
  });
  host.get("/sandboxes/:id", (c) => {
    const id = c.req.param("id");
    if (!mounts.has(id)) return c.json({ error: { code: "not_found", message: "unknown" } }, 404);
    const version = mounts.get(id) ?? null;
    return c.json({
      sessionId: id,
      workspace: `/host/sessions/${id}`,
      mount:
        version === null
          ? null
          : { version, mode: "copy", path: `/host/sessions/${id}/.claude/skills` },
    });
  });
  host.post("/sandboxes/:id/exists", async (c) => {
    const body = await c.req.json<{ path: string }>();
    return c.json({ exists: body.path === ".claude/skills/a/SKILL.md" });
  });
  host.post("/sandboxes/:id/env", (c) => c.json({ ok: true }));
  host.post("/sandboxes/:id/processes", (c) => c.json({ pid: 4242 }));
  host.delete("/sandboxes/:id", (c) => {
    mounts.delete(c.req.param("id"));
    return c.json({ ok: true });
  });
  const fetcher: typeof fetch = async (input, init) => host.request(new Request(input, init));
  return { requests, fetcher };
}

describe("local sandbox host client", () => {
  it("mounts with a workspace-relative path", async () => {
    const { requests, fetcher } = fakeHost("host-token");
    const handle = localHostProvider({
      url: "http://127.0.0.1:9999/",
      token: () => "host-token",
      fetch: fetcher,
    }).get("s1");

    await handle.mount({
      kind: "host",
      version: VERSION,
      mountPath: MOUNT_PATH,
      prefix: `versions/${VERSION}/`,
      manifestKey: `manifests/${VERSION}.json`,
      manifestSha256: "0".repeat(64),
      readOnly: true,
    });

    expect(requests).toEqual([
      {
        method: "POST",
        path: "/sandboxes/s1/mount",
        body: {
          version: VERSION,
          prefix: `versions/${VERSION}/`,
          manifestKey: `manifests/${VERSION}.json`,
          manifestSha256: "0".repeat(64),
          mountPath: ".claude/skills",
          readOnly: true,
        },
        authorization: "Bearer host-token",
      },
    ]);
  });

  it("status is the setup marker", async () => {
    const { fetcher } = fakeHost("t");
    const handle = localHostProvider({
      url: "http://127.0.0.1:9999",
      token: () => "t",
      fetch: fetcher,
    }).get("s2");

    expect(await handle.readSetupMarker()).toBeNull();
    await handle.mount({
      kind: "host",
      version: VERSION,
      mountPath: MOUNT_PATH,
      prefix: `versions/${VERSION}/`,
      manifestKey: `manifests/${VERSION}.json`,
      manifestSha256: "0".repeat(64),
      readOnly: true,
    });
    expect(await handle.readSetupMarker()).toBe(VERSION);
    await handle.unmount(MOUNT_PATH);
    expect(await handle.readSetupMarker()).toBeNull();
  });

  it("exists, env and processes follow the protocol", async () => {
    const { requests, fetcher } = fakeHost("t");
    const handle = localHostProvider({
      url: "http://127.0.0.1:9999",
      token: () => "t",
      fetch: fetcher,
    }).get("s3");

    expect(await handle.exists(`${MOUNT_PATH}/a/SKILL.md`)).toBe(true);
    expect(await handle.exists(`${MOUNT_PATH}/b/SKILL.md`)).toBe(false);
    await handle.setEnvVars({ SKILLS_VERSION: VERSION });
    const process = await handle.startProcess("agent");

    expect(process.id).toBe("4242");
    expect(requests.map((request) => [request.path, request.body])).toEqual([
      ["/sandboxes/s3/exists", { path: ".claude/skills/a/SKILL.md" }],
      ["/sandboxes/s3/exists", { path: ".claude/skills/b/SKILL.md" }],
      ["/sandboxes/s3/env", { env: { SKILLS_VERSION: VERSION } }],
      ["/sandboxes/s3/processes", { command: "agent" }],
    ]);
  });

  it("host errors carry status and message", async () => {
    const { fetcher } = fakeHost("right");
    const handle = localHostProvider({
      url: "http://127.0.0.1:9999",
      token: () => "wrong",
      fetch: fetcher,
    }).get("s4");

    const checking = handle.exists(`${MOUNT_PATH}/a/SKILL.md`);

    await expect(checking).rejects.toBeInstanceOf(LocalHostError);
    await expect(checking).rejects.toThrow("bad host token");
  });

  it("unreachable host names LOCAL_HOST_URL", async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError("connection refused");
    };
    const handle = localHostProvider({
      url: "http://127.0.0.1:1",
      token: () => "t",
      fetch: refused,
    }).get("s5");

    await expect(handle.readSetupMarker()).rejects.toThrow("LOCAL_HOST_URL");
  });

  it("copy, shell, port wait and WebSocket are unsupported", async () => {
    const { fetcher } = fakeHost("t");
    const handle = localHostProvider({
      url: "http://127.0.0.1:9999",
      token: () => "t",
      fetch: fetcher,
    }).get("s6");

    await expect(async () => handle.writeFile("/workspace/x", new Uint8Array())).rejects.toThrow(
      SandboxUnsupportedError,
    );
    await expect(async () => handle.exec("ls")).rejects.toThrow(SandboxUnsupportedError);
    await expect(async () => handle.wsConnect(new Request("http://w/ws"), 3001)).rejects.toThrow(
      SandboxUnsupportedError,
    );
    const process = await handle.startProcess("agent");
    await expect(async () => process.waitForPort(3001, { timeoutMs: 1 })).rejects.toThrow(
      SandboxUnsupportedError,
    );
  });

  it("paths outside /workspace are rejected", () => {
    expect(toWorkspacePath("/workspace/.claude/skills/")).toBe(".claude/skills");
    expect(() => toWorkspacePath("/etc/skills")).toThrow(SandboxUnsupportedError);
    expect(() => toWorkspacePath("/workspace/")).toThrow(SandboxUnsupportedError);
  });
});
