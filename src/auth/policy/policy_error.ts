/** Why a policy document was refused: the message S3 answers MalformedPolicy with. */
export class PolicyError extends Error {
  /** Creates the error with S3's message. */
  constructor(message: string) {
    super(message);
    this.name = "PolicyError";
  }
}
