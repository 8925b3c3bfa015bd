/**
 * XML for the S3 wire format: escaped rendering of responses, and a guarded
 * parser for request bodies (DeleteObjects, CompleteMultipartUpload, ...).
 */
import type { XMLParser } from "fast-xml-parser";
import { S3Error } from "../errors.ts";

/** The S3 XML namespace used on response root elements. */
const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

/** The XML declaration that starts every S3 XML body. */
export const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Largest request XML body accepted, in bytes (S3 documents 1 MiB for DeleteObjects etc.). */
const MAX_REQUEST_XML_BYTES = 1024 * 1024;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // A parser turns a raw carriage return into a line feed (XML 1.0, section 2.11): a key holding
  // one would come back as another key. S3 writes it as a reference.
  "\r": "&#13;",
};
// deno-lint-ignore no-control-regex
const ESCAPE_RE = /[&<>"'\u0000-\u0008\u000b-\u001f]/g;
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE_RE = /[&<>"'\u0000-\u001f]/;

/** Escapes text for use in XML character data or attribute values. */
export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE_RE.test(text)) return text;
  return text.replace(
    ESCAPE_RE,
    (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
  );
}

/** A value renderable as an element: text, a number, nested elements, or a list of those. */
export type XmlValue =
  | string
  | number
  | boolean
  | XmlNode
  | XmlValue[]
  | XmlSequence
  | XmlElement
  | null
  | undefined;
/** An element's children, by name, in insertion order; arrays repeat the element. */
export interface XmlNode {
  [name: string]: XmlValue;
}

/**
 * Elements of different names in one given order, rendered in place of the
 * element whose value they are (ListObjectVersions interleaves `Version` and
 * `DeleteMarker` in version order).
 */
export class XmlSequence {
  /** The elements, by name, in order. */
  constructor(readonly items: readonly (readonly [string, XmlValue])[]) {}
}

/** An element with attributes (an ACL's `Grantee` carries `xsi:type`). */
export class XmlElement {
  /** The attributes, rendered in order, and the children. */
  constructor(readonly attributes: Record<string, string>, readonly children: XmlNode) {}
}

function renderChildren(node: XmlNode, out: string[]): void {
  for (const [name, value] of Object.entries(node)) renderElement(name, value, out);
}

function renderElement(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (value instanceof XmlSequence) {
    for (const [n, v] of value.items) renderElement(n, v, out);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) renderElement(name, item, out);
    return;
  }
  if (value instanceof XmlElement) {
    const attrs = Object.entries(value.attributes).map(([k, v]) => ` ${k}="${escapeXml(v)}"`);
    out.push(`<${name}${attrs.join("")}>`);
    renderChildren(value.children, out);
    out.push(`</${name}>`);
    return;
  }
  if (typeof value === "object") {
    out.push(`<${name}>`);
    renderChildren(value, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
}

/** Renders a whole S3 XML document with the declaration and the S3 namespace on the root. */
export function renderXml(root: string, body: XmlNode | string, ns: string | null = S3_NS): string {
  const out: string[] = [XML_DECL, ns ? `<${root} xmlns="${ns}">` : `<${root}>`];
  if (typeof body === "string") out.push(escapeXml(body));
  else renderChildren(body, out);
  out.push(`</${root}>`);
  return out.join("");
}

/**
 * Renders a document whose children are whole elements already rendered
 * (documents kept as sent, their XML declarations left out), followed by
 * `tail`'s elements.
 */
export function renderXmlOf(root: string, elements: readonly string[], tail: XmlNode): string {
  const out: string[] = [XML_DECL, `<${root} xmlns="${S3_NS}">`];
  for (const e of elements) out.push(e.replace(/^\s*<\?xml[^>]*\?>\s*/, ""));
  renderChildren(tail, out);
  out.push(`</${root}>`);
  return out.join("");
}

let parser: Promise<XMLParser> | undefined;

/** The request XML parser, loaded with the first request that has XML: importing it took about 20 ms of every start-up. */
function xmlParser(): Promise<XMLParser> {
  parser ??= import("fast-xml-parser").then(({ XMLParser }) =>
    new XMLParser({
      ignoreAttributes: true,
      removeNSPrefix: true,
      parseTagValue: false,
      trimValues: false,
      processEntities: true,
      // Decodes numeric character references (`&#13;`, `&#x41;`) as XML requires: SDKs and
      // rclone send keys and ETags that way. HTML's named entities, which this also decodes,
      // are refused before parsing (checkReferences).
      htmlEntities: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
    })
  );
  return parser;
}

/**
 * Reads a request body of at most MAX_REQUEST_XML_BYTES as text. Bigger
 * bodies are refused with `MaxMessageLengthExceeded` without reading them whole.
 */
export async function readXmlBody(
  body: ReadableStream<Uint8Array> | null,
  limit = MAX_REQUEST_XML_BYTES,
): Promise<string> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new S3Error("MaxMessageLengthExceeded");
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(all);
  } catch {
    throw new S3Error("MalformedXML");
  }
}

/**
 * Parses request XML into plain objects (element name -> text or object,
 * repeated elements -> arrays). Document type declarations are refused, so
 * entity expansion and external entities can never happen.
 * Throws `MalformedXML` on anything not well-formed or without `root`.
 */
export async function parseXml(text: string, root: string): Promise<Record<string, unknown>> {
  if (text.trim() === "") throw new S3Error("MalformedXML");
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error("MalformedXML");
  checkReferences(text);
  const xml = await xmlParser();
  let doc: Record<string, unknown>;
  try {
    // validate=true makes the parser reject unbalanced or garbled documents.
    doc = xml.parse(text, true) as Record<string, unknown>;
  } catch {
    throw new S3Error("MalformedXML");
  }
  const top = doc[root];
  if (top === undefined) throw new S3Error("MalformedXML");
  if (typeof top !== "object" || top === null) return {};
  return top as Record<string, unknown>;
}

const REFERENCE_RE = /&(?:#(\d+)|#x([0-9a-fA-F]+)|([A-Za-z][\w.-]*))?;?/g;
const XML_ENTITIES = new Set(["amp", "lt", "gt", "quot", "apos"]);

/**
 * Refuses, as MalformedXML, every reference XML 1.0 does not define: named
 * entities other than its five, and numeric references to code points that
 * are not XML characters (https://www.w3.org/TR/xml/#NT-Char).
 */
function checkReferences(text: string): void {
  if (!text.includes("&")) return;
  // Character data in CDATA sections holds no references.
  const outsideCdata = text.includes("<![CDATA[")
    ? text.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "")
    : text;
  for (const m of outsideCdata.matchAll(REFERENCE_RE)) {
    if (!m[0].endsWith(";")) throw new S3Error("MalformedXML");
    if (m[3] !== undefined) {
      if (!XML_ENTITIES.has(m[3])) throw new S3Error("MalformedXML");
      continue;
    }
    const cp = m[1] !== undefined ? Number(m[1]) : parseInt(m[2], 16);
    const isChar = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    if (!isChar) throw new S3Error("MalformedXML");
  }
}

/** The trimmed text of a parsed element: "" when absent or when it holds elements, not text. */
export function xmlText(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value).trim() : "";
}

/** Returns `value` as an array: undefined -> [], single -> [value]. */
export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
