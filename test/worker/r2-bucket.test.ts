import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2Bucket } from "../../worker/bucket/r2.ts";
import { listAll } from "../../worker/bucket/types.ts";

const bucket = new R2Bucket(env.SKILLS_BUCKET);

describe("R2Bucket", () => {
  it("gets text, size and metadata", async () => {
    const key = `r2-get-${crypto.randomUUID()}/a.txt`;
    await env.SKILLS_BUCKET.put(key, "hello", { customMetadata: { sha256: "abc" } });
    const object = await bucket.get(key);
    expect(object?.size).toBe(5);
    expect(object?.metadata).toEqual({ sha256: "abc" });
    expect(await object?.text()).toBe("hello");
    expect(await bucket.head(key)).toEqual({ size: 5, metadata: { sha256: "abc" } });
  });

  it("returns null for a missing key", async () => {
    expect(await bucket.get(`missing-${crypto.randomUUID()}`)).toBeNull();
    expect(await bucket.head(`missing-${crypto.randomUUID()}`)).toBeNull();
  });

  it("pages past 1000 keys and deletes them all", async () => {
    const prefix = `r2-many-${crypto.randomUUID()}/`;
    const keys = Array.from(
      { length: 1005 },
      (_, index) => `${prefix}${String(index).padStart(4, "0")}`,
    );
    await Promise.all(keys.map((key) => env.SKILLS_BUCKET.put(key, "x")));
    const first = await bucket.list(prefix);
    expect(first.keys).toHaveLength(1000);
    expect(first.cursor).toBeDefined();
    expect(await listAll(bucket, prefix)).toEqual(keys);
    await bucket.delete(keys);
    expect(await listAll(bucket, prefix)).toEqual([]);
  });
});
