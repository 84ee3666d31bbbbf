/**
 * Watches a folder tree for `npm start` and calls back, debounced, after any
 * file or folder below it is created, changed, deleted or renamed.
 *
 * Node's recursive `fs.watch` on Linux (checked with Node 24.21) stops
 * reporting writes to a file once it has been replaced by a rename, as
 * `sed -i`, vim and "safe write" editors save. On Linux, chokidar 6 watches
 * each folder with its own non-recursive `fs.watch`, so a file replaced this
 * way is still seen. It also watches the root again when the root is deleted
 * and created anew, as a branch switch can do.
 */

import { relative, resolve, sep } from "node:path";
import { watch } from "chokidar";

/** Default quiet time after the last change before `onChange` runs, in milliseconds. */
export const DEFAULT_DEBOUNCE_MS = 300;

export interface TreeWatcherOptions {
  /**
   * Called after changes stop for `debounceMs`, with the changed paths
   * relative to the root (sorted, `/`-separated, `""` for the root itself).
   * An error it throws or a promise it rejects goes to `onError`.
   */
  onChange: (paths: string[]) => void | Promise<void>;
  /** Called with each error of the watcher or of `onChange`. Watching goes on after it. */
  onError: (error: Error) => void;
  /** Quiet time after the last change before `onChange` runs, in milliseconds. */
  debounceMs?: number;
  /** Absolute paths of files or folders below the root to leave out, with everything inside them. */
  ignore?: readonly string[];
}

export interface TreeWatcher {
  /** Resolves once every folder present at the start is watched, or once the watcher is closed. */
  readonly ready: Promise<void>;
  /** Stops the watcher, drops a pending callback and releases every handle. */
  close(): Promise<void>;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Creates chokidar's `ignored` matcher: paths under `ignore` and paths inside a `.git` folder. */
function createIgnoreMatcher(root: string, ignore: readonly string[]): (path: string) => boolean {
  const ignored = ignore.map((path) => resolve(path));
  return (path) => {
    const absolute = resolve(path);
    if (ignored.some((entry) => absolute === entry || absolute.startsWith(`${entry}${sep}`))) {
      return true;
    }
    // The publisher lists files through git, which never lists anything
    // inside a `.git` folder. The `.git` entry itself is still watched,
    // because creating one turns its folder into a nested repository, which
    // the publisher reports instead of publishing.
    // NOTE: with the repository root as the watched folder, this also skips
    // its index, so `git add -f` or `git rm --cached` alone triggers nothing.
    const parents = relative(root, absolute).split(sep).slice(0, -1);
    return parents.includes(".git");
  };
}

/**
 * Starts watching `root` and everything below it. `root` may be missing: it
 * is watched from the moment it appears.
 */
export function watchTree(root: string, options: TreeWatcherOptions): TreeWatcher {
  const absoluteRoot = resolve(root);
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const reportError = (error: unknown): void => {
    if (closed) return;
    options.onError(toError(error));
  };

  const flush = (): void => {
    timer = undefined;
    if (closed) return;
    const paths = [...changed].sort();
    changed.clear();
    try {
      Promise.resolve(options.onChange(paths)).catch(reportError);
    } catch (error: unknown) {
      reportError(error);
    }
  };

  const watcher = watch(absoluteRoot, {
    ignoreInitial: true,
    // The publisher accepts a symbolic link only when it points to a file
    // inside the skills folder, which is watched anyway, so following links
    // would only add watches outside the tree. Creating, retargeting or
    // deleting a link is still reported.
    followSymlinks: false,
    // `atomic` delays each deletion by 100 ms and skips editor swap and
    // backup files, which the publisher does publish unless git ignores them.
    atomic: false,
    ignored: createIgnoreMatcher(absoluteRoot, options.ignore ?? []),
  });

  watcher.on("all", (_event, path) => {
    if (closed) return;
    changed.add(relative(absoluteRoot, path).split(sep).join("/"));
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  });
  watcher.on("error", reportError);

  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolvePromise) => {
    resolveReady = resolvePromise;
  });
  watcher.once("ready", () => resolveReady());

  return {
    ready,
    close: async () => {
      closed = true;
      // chokidar emits no "ready" once closed, so release anyone awaiting it.
      resolveReady();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await watcher.close();
    },
  };
}
