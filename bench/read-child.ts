/**
 * Reads every given file under a folder in full, in its own process. The
 * local stack runs s3rver inside the benchmark's process, so reading an s3fs
 * mount from there would block Node's thread pool on FUSE while s3rver needs
 * that pool to respond, and both would wait forever.
 *
 * Standard input: a JSON array of relative paths on the first line, then the
 * folder on the second line once it exists. Prints the bytes read and exits.
 */

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const first = await lines.next();
const paths = JSON.parse(first.done ? "[]" : first.value) as string[];
const second = await lines.next();
if (second.done) throw new Error("Expected the folder on the second line of standard input");
const folder = second.value;
const contents = await Promise.all(paths.map((path) => readFile(join(folder, path))));
process.stdout.write(`${contents.reduce((sum, bytes) => sum + bytes.byteLength, 0)}\n`);
process.exit(0);
