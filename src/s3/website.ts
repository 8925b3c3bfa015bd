/**
 * Static website hosting: a bucket's website configuration served at
 * `<bucket>.<website domain>`, as S3's website endpoints serve it. Index
 * documents for `folder/` (and a redirect from `folder` to `folder/`), the
 * error document with the error's status, RedirectAllRequestsTo, and
 * routing rules on a key prefix or an error code. Only what anonymous
 * requests may read is served; errors are small HTML pages, as S3's are.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteHosting.html
 */
import type { ObjectReader, Storage } from "../storage/mod.ts";
import { escapeXml, parseXml } from "./xml.ts";
import { asArray } from "./xml.ts";
import { setObjectHeaders } from "./object_headers.ts";
import { responseWith } from "./response.ts";

/** The website document (see bucket_settings.ts). */
export const WEBSITE_DOC = "website.xml";

/** One request to a website endpoint. */
export interface WebsiteRequest {
  storage: Storage;
  bucket: string;
  /** The decoded path without its leading `/`. */
  key: string;
  method: string;
  /** Whether anonymous requests may read `key` (the front's access decision). */
  mayRead(key: string): Promise<boolean>;
}

interface RoutingRule {
  prefix?: string;
  errorCode?: string;
  redirect: Record<string, string>;
}

interface Website {
  suffix?: string;
  errorKey?: string;
  redirectAll?: { host: string; protocol?: string };
  rules: RoutingRule[];
}

type Doc = Record<string, unknown>;

async function websiteOf(storage: Storage, bucket: string): Promise<Website | null> {
  const doc = await storage.readBucketConfig(bucket, WEBSITE_DOC).catch(() => null);
  if (!doc) return null;
  const w = await parseXml(doc.text, "WebsiteConfiguration");
  const all = w.RedirectAllRequestsTo as Doc | undefined;
  const rules = asArray(
    ((w.RoutingRules as Doc | undefined)?.RoutingRule) as Doc | Doc[] | undefined,
  );
  return {
    suffix: (w.IndexDocument as Doc | undefined)?.Suffix as string | undefined,
    errorKey: (w.ErrorDocument as Doc | undefined)?.Key as string | undefined,
    redirectAll: all
      ? { host: String(all.HostName), protocol: all.Protocol as string | undefined }
      : undefined,
    rules: rules.map((r) => {
      const c = (r.Condition ?? {}) as Doc;
      return {
        prefix: c.KeyPrefixEquals as string | undefined,
        errorCode: c.HttpErrorCodeReturnedEquals as string | undefined,
        redirect: (r.Redirect ?? {}) as Record<string, string>,
      };
    }),
  };
}

/** Answers a website request. */
export async function websiteResponse(req: WebsiteRequest): Promise<Response> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return page(
      405,
      "MethodNotAllowed",
      "The specified method is not allowed against this resource.",
      req,
    );
  }
  const site = await websiteOf(req.storage, req.bucket);
  if (!site) {
    return page(
      404,
      "NoSuchWebsiteConfiguration",
      "The specified bucket does not have a website configuration",
      req,
    );
  }
  if (site.redirectAll) {
    const to = `${site.redirectAll.protocol ?? "http"}://${site.redirectAll.host}/${req.key}`;
    return responseWith(null, 301, { location: to });
  }
  for (const rule of site.rules) {
    if (
      rule.errorCode === undefined && rule.prefix !== undefined && req.key.startsWith(rule.prefix)
    ) {
      return redirect(rule, req.key);
    }
  }
  const key = req.key === "" || req.key.endsWith("/") ? req.key + (site.suffix ?? "") : req.key;
  const found = await open(req, key);
  if (found === "forbidden") return await error(req, site, 403, "AccessDenied", "Access Denied");
  if (found) return objectResponse(found, 200, req.method);
  // `folder` without its slash, where `folder/<index>` exists: S3 redirects to `folder/`.
  if (site.suffix && !req.key.endsWith("/") && req.key !== "") {
    const index = await open(req, `${req.key}/${site.suffix}`);
    if (index && index !== "forbidden") {
      index.close();
      return responseWith(null, 302, { location: `/${encodePath(req.key)}/` });
    }
  }
  return await error(req, site, 404, "NoSuchKey", "The specified key does not exist.");
}

/** The object at `key`: null when absent, "forbidden" when anonymous requests may not read it. */
async function open(req: WebsiteRequest, key: string): Promise<ObjectReader | "forbidden" | null> {
  let object: ObjectReader;
  try {
    object = req.storage.openObject(req.bucket, key);
  } catch {
    return null;
  }
  if (await req.mayRead(key)) return object;
  object.close();
  return "forbidden";
}

async function error(
  req: WebsiteRequest,
  site: Website,
  status: number,
  code: string,
  message: string,
): Promise<Response> {
  for (const rule of site.rules) {
    if (
      rule.errorCode === String(status) &&
      (rule.prefix === undefined || req.key.startsWith(rule.prefix))
    ) {
      return redirect(rule, req.key);
    }
  }
  if (site.errorKey) {
    const doc = await open(req, site.errorKey);
    if (doc && doc !== "forbidden") return objectResponse(doc, status, req.method);
  }
  return page(status, code, message, req);
}

function redirect(rule: RoutingRule, key: string): Response {
  const r = rule.redirect;
  let target = key;
  if (r.ReplaceKeyWith !== undefined) target = r.ReplaceKeyWith;
  else if (r.ReplaceKeyPrefixWith !== undefined) {
    target = r.ReplaceKeyPrefixWith + key.slice((rule.prefix ?? "").length);
  }
  const path = `/${encodePath(target)}`;
  const location = r.HostName ? `${r.Protocol ?? "http"}://${r.HostName}${path}` : path;
  return responseWith(null, Number(r.HttpRedirectCode ?? 301), { location });
}

function objectResponse(object: ObjectReader, status: number, method: string): Response {
  const body = method === "HEAD" || object.meta.size === 0 ? null : object.body();
  if (body === null) object.close();
  const res = new Response(body, { status });
  setObjectHeaders(res.headers, object.meta, new URLSearchParams(), false);
  // A website is a site of its own origin: its pages run their scripts (see isolateContent).
  res.headers.delete("content-security-policy");
  res.headers.set("content-length", String(object.meta.size));
  return res;
}

/** S3's HTML error page of a website endpoint. */
function page(status: number, code: string, message: string, req: WebsiteRequest): Response {
  const html = `<html>\n<head><title>${status} ${escapeXml(code)}</title></head>\n<body>\n` +
    `<h1>${status} ${escapeXml(code)}</h1>\n<ul>\n<li>Code: ${escapeXml(code)}</li>\n` +
    `<li>Message: ${escapeXml(message)}</li>\n<li>BucketName: ${escapeXml(req.bucket)}</li>\n` +
    `</ul>\n<hr/>\n</body>\n</html>\n`;
  return responseWith(req.method === "HEAD" ? null : html, status, {
    "content-type": "text/html; charset=utf-8",
  });
}

function encodePath(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}
