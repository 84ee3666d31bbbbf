/**
 * User metadata of each uploaded object (`x-amz-meta-*`). S3 allows only
 * US-ASCII here and at most 2 KB for all keys and values together, so human
 * text (author, commit subject) is percent-encoded and cut to a budget; the
 * manifest has the full text. `mode` and `mtime` are what s3fs reads to show
 * a file's permissions and time.
 */

export interface ObjectMetadataInput {
  sha256: string;
  /** File mode in decimal as s3fs reads it: 33188 regular, 33261 executable. */
  mode: number;
  /** Commit sha, or `null` for an uncommitted tree. */
  commit: string | null;
  /** Commit time, Unix seconds. */
  mtime: number;
  author?: string;
  message?: string;
}

/** S3's limit for user metadata keys and values together, in bytes. */
export const MAX_METADATA_BYTES = 2048;
const AUTHOR_BUDGET = 256;
const MESSAGE_BUDGET = 1024;

/**
 * Percent-encodes `text` (as `encodeURIComponent` does) and cuts it at a
 * code point boundary so the result is at most `budget` ASCII characters.
 */
export function encodeBounded(text: string, budget: number): string {
  let out = "";
  for (const codePoint of text) {
    let encoded: string;
    try {
      encoded = encodeURIComponent(codePoint);
    } catch {
      encoded = "%EF%BF%BD"; // an unpaired surrogate becomes U+FFFD
    }
    if (out.length + encoded.length > budget) break;
    out += encoded;
  }
  return out;
}

/** Returns metadata keys (without the `x-amz-meta-` prefix) and ASCII values. */
export function objectMetadata(input: ObjectMetadataInput): Record<string, string> {
  const metadata: Record<string, string> = {
    sha256: input.sha256,
    mode: String(input.mode),
    mtime: String(Math.floor(input.mtime)),
    commit: input.commit ?? "uncommitted",
  };
  if (input.author) metadata.author = encodeBounded(input.author, AUTHOR_BUDGET);
  if (input.message) {
    const subject = input.message.split("\n")[0] ?? "";
    metadata.message = encodeBounded(subject, MESSAGE_BUDGET);
  }
  return metadata;
}

/** Size of user metadata as S3 counts it: key and value bytes of every entry. */
export function metadataBytes(metadata: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) total += key.length + value.length;
  return total;
}
