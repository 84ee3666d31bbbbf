/**
 * fast-check arbitraries for hostile input: strings with every kind of code
 * unit, path-like strings built from the segments that escape folders, and
 * JSON values shaped like the documents the product reads.
 */

import fc from "fast-check";

/** One UTF-16 code unit from the ranges that break parsers: controls, surrogates, specials. */
const hostileUnit = fc.oneof(
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom("\u007f", "\u0085", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\u200b"),
  fc.constantFrom("/", "\\", ".", "..", "%", "%2e", "%2f", "%00", "?", "#", ":", "~", "*"),
);

/** Any string: printable ASCII, full Unicode, and hostile code units mixed. */
export const anyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: hostileUnit },
    ),
    maxLength,
  });

/** A path segment an attacker would try, next to ordinary names. */
const segment = fc.oneof(
  fc.constantFrom(
    "",
    ".",
    "..",
    "...",
    " ..",
    ".. ",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "\u2025",
    "\uff0e\uff0e",
    "..\\..",
    "\\",
    "C:",
    "c:\\windows",
    "~",
    "\u0000",
    "a\u0000b",
    "\n",
    "SKILL.md",
    "scripts",
    "pdf",
    "e\u0301",
    "\u00e9",
    "CON",
    "a?b",
    "a#b",
  ),
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
  anyString(8),
);

/** A `/`-joined path of hostile and ordinary segments, sometimes with a leading `/`. */
export const pathLike: fc.Arbitrary<string> = fc
  .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 8 }))
  .map(([absolute, parts]) => `${absolute ? "/" : ""}${parts.join("/")}`);

/** A safe-looking path: lowercase names joined by `/`. */
export const plainPath: fc.Arbitrary<string> = fc
  .array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/), { minLength: 2, maxLength: 5 })
  .filter((parts) => parts.every((part) => part !== "." && part !== ".."))
  .map((parts) => parts.join("/"));

export const sha256: fc.Arbitrary<string> = fc.stringMatching(/^[0-9a-f]{64}$/);
export const commitSha: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[0-9a-f]{40}$/),
  sha256,
);
export const versionId: fc.Arbitrary<string> = fc.oneof(
  commitSha,
  fc.stringMatching(/^local-[0-9a-f]{16,64}$/),
);
export const channelName: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
export const isoTimestamp: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 4_102_444_800_000 })
  .map((ms) => new Date(ms).toISOString());

/** An identifier-shaped string near the valid forms: wrong case, length, prefix or characters. */
export const nearId: fc.Arbitrary<string> = fc.oneof(
  versionId,
  versionId.map((id) => id.toUpperCase()),
  versionId.map((id) => `${id}0`),
  versionId.map((id) => id.slice(1)),
  versionId.map((id) => ` ${id}`),
  versionId.map((id) => `${id}\n`),
  channelName.map((name) => `-${name}`),
  channelName.map((name) => `${name}/x`),
  channelName,
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,70}$/),
  anyString(80),
);

/** Any JSON value, including `__proto__` keys, huge numbers and deep nesting. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    null,
    [],
    {},
    1e308,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    JSON.parse('{"__proto__":{"polluted":true}}'),
    JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
  ),
);

/** Replaces one value at a random path inside `value` with a hostile one. */
export function mutateAt(value: unknown, steps: number[], replacement: unknown): unknown {
  if (steps.length === 0 || value === null || typeof value !== "object") return replacement;
  const [step = 0, ...rest] = steps;
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const index = step % value.length;
    const copy = [...value];
    copy[index] = mutateAt(copy[index], rest, replacement);
    return copy;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[step % entries.length] ?? ["", undefined];
  return { ...value, [key]: mutateAt(child, rest, replacement) };
}
