/** Building S3 responses: XML bodies, empty replies, error documents, owner. */
import { type ErrorCode, S3Error } from "./errors.ts";
import { escapeXml, XML_DECL } from "./xml.ts";

/** The single owner of every bucket and object. */
export const OWNER = {
  ID: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
  DisplayName: "geckos3",
} as const;

const XML_HEADERS = { "content-type": "application/xml" };

/** A response with an XML body. */
export function xmlResponse(xml: string, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/xml");
  return new Response(xml, { status, headers: h });
}

/** A response without a body. */
export function emptyResponse(status = 200, headers: HeadersInit = {}): Response {
  return new Response(null, { status, headers });
}

/** Renders the S3 error document. */
export function errorXml(err: S3Error, resource: string, requestId: string): string {
  let extra = "";
  for (const [k, v] of Object.entries(err.extra)) extra += `<${k}>${escapeXml(v)}</${k}>`;
  return `${XML_DECL}<Error><Code>${err.code}</Code><Message>${escapeXml(err.message)}</Message>` +
    `${extra}<Resource>${
      escapeXml(resource)
    }</Resource><RequestId>${requestId}</RequestId></Error>`;
}

const errorCodes = new WeakMap<Response, string>();

/** The S3 error code an error response was made for (for the access log). */
export function errorCodeOf(res: Response): string | undefined {
  return errorCodes.get(res);
}

/** Turns an S3Error into its response; HEAD responses and 304s carry no body. */
export function errorResponse(
  err: S3Error,
  resource: string,
  requestId: string,
  method: string,
): Response {
  const headers = new Headers(err.headers);
  let res: Response;
  if (err.status === 304 || method === "HEAD") {
    res = new Response(null, { status: err.status, headers });
  } else {
    for (const [k, v] of Object.entries(XML_HEADERS)) headers.set(k, v);
    res = new Response(errorXml(err, resource, requestId), { status: err.status, headers });
  }
  errorCodes.set(res, err.code);
  return res;
}

/** Shorthand: throws the S3 error `code`. */
export function fail(code: ErrorCode, message?: string): never {
  throw new S3Error(code, message);
}

/** S3's timestamp format in XML: ISO 8601 with milliseconds. */
export function isoDate(d: Date): string {
  return d.toISOString();
}

/** HTTP date (RFC 7231) for headers. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}
