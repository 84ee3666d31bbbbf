/** Returns the stored text of a JSON document: two-space indent and a final newline. */
export function toStoredJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
