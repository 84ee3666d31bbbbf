/**
 * The retention rule: which recorded versions keep their objects. A version
 * is kept when any of these holds, and pruned otherwise:
 *
 * - it is the current version of a channel;
 * - it is among the last `retainVersions` published to any channel it was
 *   published to (by publish time);
 * - a `heads/<channel>.json` in the bucket names it (the publisher's base
 *   for the next upload, whose unchanged files are copied from it);
 * - a session used it within the last `retainHours`.
 */

export interface Publication {
  channel: string;
  version: string;
  /** Unix milliseconds. */
  publishedAt: number;
}

export interface RetentionInput {
  /** Recorded versions whose objects were not deleted yet. */
  candidates: string[];
  currentVersions: ReadonlySet<string>;
  publications: readonly Publication[];
  retainVersions: number;
  headVersions: ReadonlySet<string>;
  versionsInUse: ReadonlySet<string>;
}

export interface RetentionDecision {
  /** Kept versions, each with the first rule that keeps it. */
  keep: Map<string, string>;
  prune: string[];
}

function recentByChannel(
  publications: readonly Publication[],
  retain: number,
): Map<string, string> {
  const byChannel = new Map<string, Publication[]>();
  for (const publication of publications) {
    const list = byChannel.get(publication.channel) ?? [];
    list.push(publication);
    byChannel.set(publication.channel, list);
  }
  const recent = new Map<string, string>();
  for (const [channel, list] of byChannel) {
    list.sort((a, b) => b.publishedAt - a.publishedAt);
    for (const publication of list.slice(0, retain)) {
      if (!recent.has(publication.version)) {
        recent.set(publication.version, `among the last ${retain} published to "${channel}"`);
      }
    }
  }
  return recent;
}

export function selectForPruning(input: RetentionInput): RetentionDecision {
  const recent = recentByChannel(input.publications, input.retainVersions);
  const keep = new Map<string, string>();
  const prune: string[] = [];
  for (const version of input.candidates) {
    let reason: string | undefined;
    if (input.currentVersions.has(version)) reason = "current on a channel";
    else if (recent.has(version)) reason = recent.get(version);
    else if (input.headVersions.has(version)) reason = "named by a channel head in the bucket";
    else if (input.versionsInUse.has(version)) reason = "used by a recent session";
    if (reason === undefined) prune.push(version);
    else keep.set(version, reason);
  }
  return { keep, prune };
}
