import { describe, expect, it } from "vitest";
import { createBufferedLogger } from "../../../core/logger.ts";
import { recordingLogger } from "../publisher/harness.ts";

describe("createBufferedLogger", () => {
  it("replays lines in order once", () => {
    const buffered = createBufferedLogger();
    buffered.warn("first", { key: "a" });
    buffered.info("second");
    buffered.error("third");
    const target = recordingLogger();

    buffered.replay(target);
    buffered.replay(target);

    expect(target.lines).toEqual([
      { level: "warn", message: "first" },
      { level: "info", message: "second" },
      { level: "error", message: "third" },
    ]);
  });

  it("passes fields through", () => {
    const buffered = createBufferedLogger();
    const seen: unknown[] = [];
    buffered.debug("with fields", { bytes: 3 });
    buffered.replay({ ...recordingLogger(), debug: (_message, fields) => seen.push(fields) });

    expect(seen).toEqual([{ bytes: 3 }]);
  });
});
