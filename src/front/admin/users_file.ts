/**
 * Edits of the users file (`-credentials-file`) made by the console: each
 * reads the file, changes its entries, checks the result as start-up would,
 * writes it at once (config/files.ts) and puts the new users in force on
 * this server; the pool's other servers read the file again within a
 * second, as they do after any edit.
 */
import { parseUsersFile, type User, usersDocument } from "../../auth/mod.ts";
import { readUsersFile, writeUsersFile } from "../../config/mod.ts";
import { S3Error } from "../../errors.ts";

/** One user's entry as written in the file. */
export type UserEntry = Record<string, unknown>;

/** The users file of a server, edited one change at a time. */
export class UsersFile {
  #queue: Promise<unknown> = Promise.resolve();

  /** The file at `path`; `inForce` puts a new set of users in force (on every thread of a pool). */
  constructor(
    readonly path: string,
    private readonly inForce: (users: User[]) => void | Promise<void>,
  ) {}

  /**
   * Applies `change` to the entries and writes them back; what `change`
   * returns is the answer. A result start-up would refuse (a bad policy, a
   * name used twice) is refused with InvalidArgument and nothing is written.
   */
  update<T>(change: (entries: UserEntry[]) => T): Promise<T> {
    const next = this.#queue.then(() => this.#apply(change));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #apply<T>(change: (entries: UserEntry[]) => T): Promise<T> {
    const doc = usersDocument(await readUsersFile(this.path));
    const answer = change(doc.users);
    const text = JSON.stringify(doc, null, 2) + "\n";
    let users: User[];
    try {
      users = parseUsersFile(text);
    } catch (e) {
      throw new S3Error("InvalidArgument", (e as Error).message);
    }
    await writeUsersFile(this.path, text);
    await this.inForce(users);
    return answer;
  }
}
