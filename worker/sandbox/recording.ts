/**
 * A sandbox provider for tests: it records every call in order with its
 * arguments and simulates what session setup observes, namely a file
 * system, mounts, environment variables, processes, listening ports and
 * container restarts. It is not part of the deployed Worker.
 *
 * `exec` understands only the commands that copy mode sends, which are
 * `mkdir -p`, `chmod 755`, `chmod -R a-w|u+w`, `mv [-T]` and `rm -rf` with single-quoted arguments, and
 * joined with `&&`. Any other command exits with status 127.
 */

import type {
  ExecResult,
  MountRequest,
  SandboxHandle,
  SandboxProcess,
  SandboxProvider,
} from "./types.ts";

export interface RecordedCall {
  sessionId: string;
  operation: string;
  args: unknown[];
}

export interface SimulatedFile {
  content: Uint8Array;
  /** Permission bits, such as 0o644. */
  mode: number;
}

/** One session's simulated container. `restart` wipes what a container restart loses. */
export class SimulatedSandbox {
  readonly sessionId: string;
  files = new Map<string, SimulatedFile>();
  directories = new Set<string>();
  mounts = new Map<string, MountRequest>();
  env: Record<string, string> = {};
  /** Commands of started processes, in order; process `process-N` is the Nth. */
  processes: string[] = [];
  /** Ids of killed processes. */
  killed: string[] = [];
  marker: string | null = null;
  restarts = 0;

  constructor(sessionId: string) {
    this.sessionId = sessionId;
  }

  restart(): void {
    this.files.clear();
    this.directories.clear();
    this.mounts.clear();
    this.env = {};
    this.processes = [];
    this.killed = [];
    this.marker = null;
    this.restarts++;
  }

  /** Paths of the files under `folder`, relative to it and sorted. */
  list(folder: string): string[] {
    const prefix = `${folder.replace(/\/+$/, "")}/`;
    return [...this.files.keys()]
      .filter((path) => path.startsWith(prefix))
      .map((path) => path.slice(prefix.length))
      .sort();
  }
}

export interface RecordingOptions {
  /**
   * Returns the files a mount makes visible, as paths relative to the mount
   * point. Tests usually list the bucket under the request's prefix.
   */
  mountedFiles?: (request: MountRequest) => Promise<string[]>;
  /** Whether started processes listen on the ports waited for (default true). */
  processesListen?: boolean;
  /** Stands for a provider's own session id rules; accepts every id when absent. */
  sessionIdProblem?: (sessionId: string) => string | undefined;
}

export interface RecordingProvider extends SandboxProvider {
  /** Every call on every handle, in order. */
  readonly calls: RecordedCall[];
  /** The simulated sandbox of a session, created on first use. */
  sandbox(sessionId: string): SimulatedSandbox;
  /** Makes the next call of `operation` (on any session) reject with `error`. */
  failNext(operation: string, error: Error): void;
  /** Calls of one operation, or all calls of one session. */
  callsOf(filter: { operation?: string; sessionId?: string }): RecordedCall[];
}

export function recordingProvider(options: RecordingOptions = {}): RecordingProvider {
  const calls: RecordedCall[] = [];
  const sandboxes = new Map<string, SimulatedSandbox>();
  const failures = new Map<string, Error>();

  function sandbox(sessionId: string): SimulatedSandbox {
    let found = sandboxes.get(sessionId);
    if (found === undefined) {
      found = new SimulatedSandbox(sessionId);
      sandboxes.set(sessionId, found);
    }
    return found;
  }

  function record(sessionId: string, operation: string, args: unknown[]): void {
    calls.push({ sessionId, operation, args });
    const failure = failures.get(operation);
    if (failure !== undefined) {
      failures.delete(operation);
      throw failure;
    }
  }

  function handle(sessionId: string): SandboxHandle {
    const box = sandbox(sessionId);
    return {
      sessionId,
      mount: async (request) => {
        record(sessionId, "mount", [request]);
        if (box.mounts.has(request.mountPath)) {
          throw new Error(`Mount path "${request.mountPath}" is already in use`);
        }
        box.mounts.set(request.mountPath, request);
        const paths = (await options.mountedFiles?.(request)) ?? [];
        for (const path of paths) {
          box.files.set(`${request.mountPath}/${path}`, { content: new Uint8Array(), mode: 0o444 });
        }
      },
      unmount: async (mountPath) => {
        record(sessionId, "unmount", [mountPath]);
        if (!box.mounts.delete(mountPath)) throw new Error(`Nothing is mounted at "${mountPath}"`);
        for (const path of box.list(mountPath)) box.files.delete(`${mountPath}/${path}`);
      },
      exists: async (path) => {
        record(sessionId, "exists", [path]);
        return box.files.has(path) || box.directories.has(path);
      },
      writeFile: async (path, content) => {
        record(sessionId, "writeFile", [path, content.byteLength]);
        const parent = path.slice(0, path.lastIndexOf("/"));
        if (!box.directories.has(parent)) throw new Error(`No such folder: ${parent}`);
        box.files.set(path, { content, mode: 0o644 });
      },
      exec: async (command) => {
        record(sessionId, "exec", [command]);
        return runCommand(box, command);
      },
      setEnvVars: async (env) => {
        record(sessionId, "setEnvVars", [env]);
        box.env = { ...box.env, ...env };
      },
      startProcess: async (command): Promise<SandboxProcess> => {
        record(sessionId, "startProcess", [command]);
        box.processes.push(command);
        const id = `process-${box.processes.length}`;
        return {
          id,
          kill: async () => {
            record(sessionId, "kill", [id]);
            box.killed.push(id);
          },
          waitForPort: async (port, waitOptions) => {
            record(sessionId, "waitForPort", [port, waitOptions]);
            if (options.processesListen === false) {
              throw new Error(
                `Process ${id} did not listen on port ${port} within ${waitOptions.timeoutMs} ms`,
              );
            }
          },
        };
      },
      readSetupMarker: async () => {
        record(sessionId, "readSetupMarker", []);
        return box.marker;
      },
      writeSetupMarker: async (version) => {
        record(sessionId, "writeSetupMarker", [version]);
        box.marker = version;
      },
      wsConnect: async (request, port) => {
        record(sessionId, "wsConnect", [request.url, port]);
        const pair = new WebSocketPair();
        const server = pair[1];
        server.accept();
        server.addEventListener("message", (event) => server.send(event.data));
        return new Response(null, { status: 101, webSocket: pair[0] });
      },
    };
  }

  return {
    name: "recording",
    calls,
    sessionIdProblem: (sessionId) => options.sessionIdProblem?.(sessionId),
    get: handle,
    sandbox,
    failNext: (operation, error) => {
      failures.set(operation, error);
    },
    callsOf: (filter) =>
      calls.filter(
        (call) =>
          (filter.operation === undefined || call.operation === filter.operation) &&
          (filter.sessionId === undefined || call.sessionId === filter.sessionId),
      ),
  };
}

/** Splits `'a' 'b c'` style arguments; copy mode quotes every argument. */
function parseArguments(text: string): string[] {
  const args: string[] = [];
  const pattern = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    args.push(match[1] !== undefined ? match[1].replaceAll("'\\''", "'") : (match[2] ?? ""));
  }
  return args;
}

function runCommand(box: SimulatedSandbox, command: string): ExecResult {
  for (const part of command.split(" && ")) {
    const [program, ...args] = parseArguments(part);
    const result = runProgram(box, program ?? "", args);
    if (result.exitCode !== 0) return result;
  }
  return { exitCode: 0, stdout: "", stderr: "" };
}

function underFolder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

function runProgram(box: SimulatedSandbox, program: string, args: string[]): ExecResult {
  const ok: ExecResult = { exitCode: 0, stdout: "", stderr: "" };
  if (program === "mkdir" && args[0] === "-p") {
    for (const path of args.slice(1)) {
      const segments = path.split("/");
      for (let end = 2; end <= segments.length; end++) {
        box.directories.add(segments.slice(0, end).join("/"));
      }
    }
    return ok;
  }
  if (program === "chmod" && args[0] === "-R" && args[2] !== undefined) {
    const folder = args[2];
    if (!box.directories.has(folder)) {
      return { exitCode: 1, stdout: "", stderr: `chmod: ${folder}: not found` };
    }
    for (const [path, file] of box.files) {
      if (!underFolder(path, folder)) continue;
      if (args[1] === "a-w") file.mode &= ~0o222;
      else if (args[1] === "u+w") file.mode |= 0o200;
    }
    return ok;
  }
  if (program === "chmod" && args[0] === "755") {
    for (const path of args.slice(1)) {
      const file = box.files.get(path);
      if (file === undefined)
        return { exitCode: 1, stdout: "", stderr: `chmod: ${path}: not found` };
      file.mode = 0o755;
    }
    return ok;
  }
  if (program === "rm" && args[0] === "-rf" && args[1] !== undefined) {
    const folder = args[1];
    for (const path of [...box.files.keys()]) if (underFolder(path, folder)) box.files.delete(path);
    for (const path of [...box.directories])
      if (underFolder(path, folder)) box.directories.delete(path);
    return ok;
  }
  if (program === "mv") {
    // GNU mv: with -T an empty folder at the target is replaced and anything
    // else there fails; without -T a folder at the target receives the source.
    const noTargetFolder = args[0] === "-T";
    const [from, named] = noTargetFolder ? [args[1], args[2]] : [args[0], args[1]];
    if (from === undefined || named === undefined) {
      return { exitCode: 1, stdout: "", stderr: "mv: missing operand" };
    }
    let to = named;
    if (box.files.has(to)) return { exitCode: 1, stdout: "", stderr: `mv: ${to} exists` };
    if (box.directories.has(to)) {
      if (!noTargetFolder) {
        to = `${named}/${from.slice(from.lastIndexOf("/") + 1)}`;
      } else {
        const inside = [...box.files.keys(), ...box.directories].filter(
          (path) => path !== to && underFolder(path, to),
        );
        if (inside.length > 0) {
          return { exitCode: 1, stdout: "", stderr: `mv: ${to}: Directory not empty` };
        }
        box.directories.delete(to);
      }
    }
    for (const [path, file] of [...box.files]) {
      if (underFolder(path, from)) {
        box.files.delete(path);
        box.files.set(`${to}${path.slice(from.length)}`, file);
      }
    }
    for (const path of [...box.directories]) {
      if (underFolder(path, from)) {
        box.directories.delete(path);
        box.directories.add(`${to}${path.slice(from.length)}`);
      }
    }
    return ok;
  }
  return {
    exitCode: 127,
    stdout: "",
    stderr: `${program}: command not found in the recording sandbox`,
  };
}
