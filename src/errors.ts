/**
 * The one error catalogue of geckos3: every S3 error code the server can
 * answer with, its HTTP status and its default message, as Amazon S3 uses them.
 */

/** Status and default message of each S3 error code. */
const ERROR_CATALOGUE = {
  AccessDenied: [403, "Access Denied"],
  AccessControlListNotSupported: [400, "The bucket does not allow ACLs"],
  AccessForbidden: [403, "CORSResponse: This CORS request is not allowed."],
  BadRequest: [400, "Bad Request"],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [
    400,
    "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
  ],
  BadDigest: [
    400,
    "The Content-MD5 or checksum value that you specified did not match what the server received.",
  ],
  BucketAlreadyExists: [409, "The requested bucket name is not available."],
  BucketAlreadyOwnedByYou: [
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
  ],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty."],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed object size."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IncompleteBody: [
    400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
  ],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [
    403,
    "The AWS Access Key Id you provided does not exist in our records.",
  ],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidBucketAclWithObjectOwnership: [
    400,
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
  ],
  InvalidEncryptionAlgorithmError: [
    400,
    "The encryption request you specified is not valid. The valid value is AES256.",
  ],
  InvalidBucketState: [409, "The request is not valid with the current state of the bucket."],
  InvalidDigest: [400, "The Content-MD5 or checksum value that you specified is not valid."],
  InvalidPolicyDocument: [
    400,
    "The content of the form does not meet the conditions specified in the policy document.",
  ],
  InvalidObjectState: [403, "The operation is not valid for the current state of the object."],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartNumber: [416, "The requested partnumber is not satisfiable"],
  InvalidPartOrder: [
    400,
    "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
  ],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidRetentionPeriod: [400, "Default retention period must be a positive integer value."],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  InvalidStorageClass: [400, "The storage class you specified is not valid."],
  InvalidTargetBucketForLogging: [400, "The target bucket for logging does not exist"],
  InvalidTag: [400, "The tag provided was not a valid tag."],
  KeyTooLongError: [400, "Your key is too long."],
  MalformedACLError: [
    400,
    "The XML you provided was not well-formed or did not validate against our published schema",
  ],
  MalformedPOSTRequest: [
    400,
    "The body of your POST request is not well-formed multipart/form-data.",
  ],
  MalformedPolicy: [400, "This policy contains invalid Json"],
  MalformedXML: [
    400,
    "The XML you provided was not well-formed or did not validate against our published schema.",
  ],
  MaxPostPreDataLengthExceededError: [
    400,
    "Your POST request fields preceding the upload file were too large.",
  ],
  MaxMessageLengthExceeded: [400, "Your request was too big."],
  MetadataTooLarge: [
    400,
    "Your metadata headers exceed the maximum allowed metadata size.",
  ],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist."],
  NoSuchObjectLockConfiguration: [
    404,
    "The specified object does not have a ObjectLock configuration",
  ],
  NoSuchLifecycleConfiguration: [404, "The lifecycle configuration does not exist"],
  NoSuchWebsiteConfiguration: [
    404,
    "The specified bucket does not have a website configuration",
  ],
  NoSuchBucketPolicy: [404, "The bucket policy does not exist"],
  NoSuchPublicAccessBlockConfiguration: [
    404,
    "The public access block configuration was not found",
  ],
  NoSuchConfiguration: [404, "The specified configuration does not exist."],
  NoSuchCORSConfiguration: [404, "The CORS configuration does not exist"],
  NoSuchTagSet: [404, "The TagSet does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [
    404,
    "The specified multipart upload does not exist. The upload ID might not be valid, or the multipart upload might have been aborted or completed.",
  ],
  NoSuchVersion: [
    404,
    "The version ID specified in the request does not match an existing version.",
  ],
  NotImplemented: [
    501,
    "A header or query you provided implies functionality that is not implemented.",
  ],
  MetadataConfigurationNotFound: [404, "The metadata table configuration does not exist."],
  ObjectLockConfigurationNotFoundError: [
    404,
    "Object Lock configuration does not exist for this bucket",
  ],
  OwnershipControlsNotFoundError: [404, "The bucket ownership controls were not found"],
  NotModified: [304, "Not Modified"],
  PolicyTooLarge: [400, "Policy exceeds the maximum allowed document size."],
  PreconditionFailed: [412, "At least one of the preconditions you specified did not hold."],
  RequestTimeTooSkewed: [
    403,
    "The difference between the request time and the server's time is too large.",
  ],
  RequestTimeout: [
    400,
    "Your socket connection to the server was not read from or written to within the timeout period.",
  ],
  UnexpectedContent: [400, "This request does not support content"],
  UnresolvableGrantByEmailAddress: [
    400,
    "The e-mail address you provided does not match any account on record.",
  ],
  ServerSideEncryptionConfigurationNotFoundError: [
    404,
    "The server side encryption configuration was not found",
  ],
  ReplicationConfigurationNotFoundError: [404, "The replication configuration was not found"],
  ServiceUnavailable: [503, "Please reduce your request rate."],
  SignatureDoesNotMatch: [
    403,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
  ],
  SlowDown: [503, "Please reduce your request rate."],
  InsufficientStorage: [507, "There is not enough space on the disk to store the object."],
  XAmzContentSHA256Mismatch: [
    400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.",
  ],
  ConditionalRequestConflict: [
    409,
    "The conditional request cannot succeed due to a conflicting operation against this resource.",
  ],
} as const satisfies Record<string, readonly [number, string]>;

/** Every error code geckos3 can answer with. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * An S3 error: thrown from anywhere, turned by the server into S3 XML with
 * the catalogue's status, a RequestId and the resource.
 */
export class S3Error extends Error {
  /** HTTP status from the catalogue. */
  readonly status: number;
  /** Extra elements rendered into the XML body (e.g. `StringToSign`). */
  readonly extra: Record<string, string>;
  /** Extra response headers (e.g. `Last-Modified` on a 304). */
  readonly headers: Record<string, string>;

  /** Creates the error `code`, optionally with a more precise message. */
  constructor(
    readonly code: ErrorCode,
    message?: string,
    options: { extra?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    super(message ?? ERROR_CATALOGUE[code][1]);
    this.name = "S3Error";
    this.status = ERROR_CATALOGUE[code][0];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

/** True when `err` is an S3Error, optionally of the given code. */
export function isS3Error(err: unknown, code?: ErrorCode): err is S3Error {
  return err instanceof S3Error && (code === undefined || err.code === code);
}
