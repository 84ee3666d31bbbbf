/** Lists the files under a folder, as `/`-separated paths relative to it. */

import { readdir } from "node:fs/promises";
import { relative, sep } from "node:path";

export async function listFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, `${entry.parentPath}${sep}${entry.name}`).split(sep).join("/"))
    .sort();
}
