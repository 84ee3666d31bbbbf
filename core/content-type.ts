/** Content types by file extension, for object metadata and the manifest. */

const TEXT = "; charset=utf-8";

const BY_EXTENSION: Record<string, string> = {
  md: `text/markdown${TEXT}`,
  markdown: `text/markdown${TEXT}`,
  txt: `text/plain${TEXT}`,
  text: `text/plain${TEXT}`,
  csv: `text/csv${TEXT}`,
  tsv: `text/tab-separated-values${TEXT}`,
  html: `text/html${TEXT}`,
  htm: `text/html${TEXT}`,
  css: `text/css${TEXT}`,
  xml: `application/xml${TEXT}`,
  json: `application/json${TEXT}`,
  jsonl: `application/x-ndjson${TEXT}`,
  yaml: `application/yaml${TEXT}`,
  yml: `application/yaml${TEXT}`,
  toml: `application/toml${TEXT}`,
  js: `text/javascript${TEXT}`,
  mjs: `text/javascript${TEXT}`,
  cjs: `text/javascript${TEXT}`,
  ts: `text/x-typescript${TEXT}`,
  py: `text/x-python${TEXT}`,
  sh: `text/x-shellscript${TEXT}`,
  bash: `text/x-shellscript${TEXT}`,
  rb: `text/x-ruby${TEXT}`,
  go: `text/x-go${TEXT}`,
  rs: `text/x-rust${TEXT}`,
  sql: `application/sql${TEXT}`,
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/vnd.microsoft.icon",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  wasm: "application/wasm",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** Returns the content type for a path by its extension, case-insensitively. */
export function contentTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return DEFAULT_CONTENT_TYPE;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
}
