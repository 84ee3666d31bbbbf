/**
 * Reads the YAML frontmatter of a `SKILL.md`: the block between a first line
 * of `---` and the next line of `---`. Line ends may be LF or CRLF and a byte
 * order mark may lead; positions are reported as 1-based lines of the file.
 * Values keep their YAML types (core schema), so `name: 123` stays a number
 * for validation to reject instead of becoming the string "123".
 */

import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";

export interface FrontmatterField {
  key: string;
  /** The value as plain data: string, number, boolean, null, array or object. */
  value: unknown;
  /**
   * The text of a scalar value as the file spells it, such as `1.0` where
   * `value` is the number 1. It is `""` for an empty value and `undefined`
   * for a list or mapping.
   */
  source: string | undefined;
  /** 1-based line of the key in the file. */
  line: number;
  /** Lines of nested keys (for `metadata`), by key. */
  childLines: Map<string, number>;
  /** Text of nested scalar values as the file spells them (for `metadata`), by key. */
  childSources: Map<string, string>;
}

export interface FrontmatterError {
  line: number;
  message: string;
}

export interface Frontmatter {
  fields: FrontmatterField[];
  errors: FrontmatterError[];
  /** 1-based line where the body starts, after the closing `---`. */
  bodyLine: number;
  body: string;
}

const DELIMITER = /^---[ \t]*$/;

/** Splits `text` into lines after dropping a byte order mark and turning CRLF into LF. */
export function normalizeLines(text: string): string[] {
  const withoutBom = text.startsWith("\uFEFF") ? text.slice(1) : text;
  return withoutBom.replace(/\r\n?/g, "\n").split("\n");
}

/** Parses the frontmatter of a SKILL.md. Never throws: problems come back as errors. */
export function parseFrontmatter(text: string): Frontmatter {
  const lines = normalizeLines(text);
  if (!DELIMITER.test(lines[0] ?? "")) {
    return {
      fields: [],
      errors: [
        {
          line: 1,
          message: 'SKILL.md must start with a "---" line that opens the YAML frontmatter',
        },
      ],
      bodyLine: 1,
      body: lines.join("\n"),
    };
  }
  const end = lines.findIndex((line, index) => index > 0 && DELIMITER.test(line));
  if (end === -1) {
    return {
      fields: [],
      errors: [
        {
          line: 1,
          message: 'The frontmatter opened on line 1 is never closed: add a "---" line after it',
        },
      ],
      bodyLine: lines.length + 1,
      body: "",
    };
  }
  const yamlText = lines.slice(1, end).join("\n");
  const counter = new LineCounter();
  const document = parseDocument(yamlText, {
    lineCounter: counter,
    uniqueKeys: true,
    schema: "core",
    prettyErrors: false,
  });
  // The YAML text starts on line 2 of the file.
  const lineOf = (offset: number | undefined): number => counter.linePos(offset ?? 0).line + 1;
  const result: Frontmatter = {
    fields: [],
    errors: [],
    bodyLine: end + 2,
    body: lines.slice(end + 1).join("\n"),
  };
  for (const error of document.errors) {
    result.errors.push({
      line: lineOf(error.pos[0]),
      message: `Invalid YAML: ${firstLine(error.message)}`,
    });
  }
  if (result.errors.length > 0) return result;
  const contents = document.contents;
  if (contents === null) return result;
  if (!isMap(contents)) {
    result.errors.push({
      line: 2,
      message: 'The frontmatter must be a YAML mapping of fields, such as "name: my-skill"',
    });
    return result;
  }
  for (const pair of contents.items) {
    const keyNode = pair.key as Node | null;
    const line = lineOf(keyNode?.range?.[0]);
    if (!isScalar(keyNode) || typeof keyNode.value !== "string") {
      result.errors.push({ line, message: "Every frontmatter key must be a plain string" });
      continue;
    }
    const childLines = new Map<string, number>();
    const childSources = new Map<string, string>();
    const valueNode = resolveAlias(pair.value as Node | null, document);
    if (isMap(valueNode)) {
      for (const child of valueNode.items) {
        const childKey = child.key as Node | null;
        if (!isScalar(childKey)) continue;
        childLines.set(String(childKey.value), lineOf(childKey.range?.[0]));
        const childValue = resolveAlias(child.value as Node | null, document);
        const childSource = childValue === null ? "" : scalarSource(childValue);
        if (childSource !== undefined) childSources.set(String(childKey.value), childSource);
      }
    }
    let value: unknown = null;
    if (isSeq(valueNode) || isMap(valueNode) || isScalar(valueNode)) {
      try {
        // With the document, aliases inside a list or a mapping resolve too.
        value = valueNode.toJS(document, { maxAliasCount: MAX_ALIAS_COUNT });
      } catch (error: unknown) {
        // yaml throws a ReferenceError when the aliases expand past maxAliasCount.
        if (!(error instanceof ReferenceError)) throw error;
        result.errors.push({
          line,
          message: `Invalid YAML: the value of "${keyNode.value}" expands more than ${MAX_ALIAS_COUNT} aliases; write it out instead`,
        });
        continue;
      }
    }
    const source = valueNode === null ? "" : scalarSource(valueNode);
    result.fields.push({ key: keyNode.value, value, source, line, childLines, childSources });
  }
  return result;
}

/** Alias expansions allowed in one value, so a "billion laughs" document cannot grow without bound. */
const MAX_ALIAS_COUNT = 100;

/**
 * Returns the node an alias (`*name`) refers to, so that a value reached
 * through an anchor reads like one written in place. Other nodes are
 * returned as they are.
 */
function resolveAlias(node: Node | null, document: Document): Node | null {
  if (node === null || !isAlias(node)) return node;
  return (node.resolve(document) as Node | undefined) ?? null;
}

/** Returns the text of a scalar node as the file spells it, or `undefined` for other nodes. */
function scalarSource(node: Node): string | undefined {
  if (!isScalar(node)) return undefined;
  return node.source ?? String(node.value);
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
