/**
 * The parts of S3's XML responses that the publisher and the Worker read
 * without an XML library: entity decoding and an error's Code and Message.
 */

/** Decodes the five XML entities and numeric character references. */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_match, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    return named[entity] ?? "";
  });
}

export interface S3ErrorDetail {
  code: string | undefined;
  message: string | undefined;
}

/**
 * Returns the Code and Message of an S3 error document, decoded. Only these
 * two: an error body may also carry the access key id (InvalidAccessKeyId)
 * or the string to sign, which must not reach logs.
 */
export function parseS3Error(xml: string): S3ErrorDetail {
  const code = /<Code>([^<]{0,100})<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]{0,300})<\/Message>/.exec(xml)?.[1];
  return {
    code: code === undefined ? undefined : decodeXml(code),
    message: message === undefined ? undefined : decodeXml(message),
  };
}
