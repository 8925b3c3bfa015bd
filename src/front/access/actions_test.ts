/** Every routed operation is authorized as some S3 action the policy grammar knows. */
import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { routeTable } from "../../router/router.ts";
import { S3_ACTIONS } from "../../auth/policy/mod.ts";
import { actionOf } from "./actions.ts";

Deno.test("every operation the router serves has an action S3 defines", () => {
  const names = new Set(routeTable().map((r) => r.name));
  const extras = ["ListObjectsV2", "CopyObject", "UploadPartCopy"];
  for (const kind of ["Analytics", "Inventory", "Metrics", "IntelligentTiering"]) {
    extras.push(`ListBucket${kind}Configurations`);
  }
  for (const extra of extras) names.add(extra);
  for (const name of names) {
    const action = actionOf(name, false);
    assert(action !== undefined, `${name} has no action: only the administrator could call it`);
    if (action !== "") assert(S3_ACTIONS.has(action), `${name}: ${action} is not an S3 action`);
    const versioned = actionOf(name, true);
    if (versioned) assert(S3_ACTIONS.has(versioned), `${name}: ${versioned}`);
  }
  assertEquals(actionOf("GetObject", true), "s3:getobjectversion");
  assertEquals(actionOf("HeadBucket", false), "s3:listbucket");
});
