/**
 * S3 Metadata configurations (V1 and V2) are checked, kept, reported with
 * the FAILED table status S3 gives a table it could not create, updated and
 * deleted as S3 does, through the JS SDK; bad documents get S3's errors.
 */
import {
  CreateBucketCommand,
  CreateBucketMetadataConfigurationCommand,
  CreateBucketMetadataTableConfigurationCommand,
  DeleteBucketMetadataConfigurationCommand,
  DeleteBucketMetadataTableConfigurationCommand,
  GetBucketMetadataConfigurationCommand,
  GetBucketMetadataTableConfigurationCommand,
  UpdateBucketMetadataInventoryTableConfigurationCommand,
  UpdateBucketMetadataJournalTableConfigurationCommand,
} from "./deps/aws_sdk.ts";
import { assertEquals, assertS3Error } from "./support/assert.ts";
import { errorCode, raw, serverTest } from "./support/server.ts";

const B = "metadata-bucket";
const TABLE_BUCKET = "arn:aws:s3tables:us-east-1:111122223333:bucket/my-tables";

serverTest("a V2 metadata configuration is created, read, updated and deleted", async (t) => {
  const Bucket = B;
  await t.s3.send(new CreateBucketCommand({ Bucket }));
  const get = () => t.s3.send(new GetBucketMetadataConfigurationCommand({ Bucket }));
  await assertS3Error(get, "MetadataConfigurationNotFound", 404);
  await t.s3.send(
    new CreateBucketMetadataConfigurationCommand({
      Bucket,
      MetadataConfiguration: {
        JournalTableConfiguration: { RecordExpiration: { Expiration: "ENABLED", Days: 30 } },
        InventoryTableConfiguration: { ConfigurationState: "DISABLED" },
      },
    }),
  );
  let result = (await get()).GetBucketMetadataConfigurationResult?.MetadataConfigurationResult;
  assertEquals(result?.DestinationResult, { TableBucketType: "aws", TableNamespace: `b_${B}` });
  const journal = result?.JournalTableConfigurationResult;
  assertEquals(journal?.RecordExpiration, { Expiration: "ENABLED", Days: 30 });
  assertEquals([journal?.TableStatus, journal?.TableName], ["FAILED", "journal"]);
  assertEquals(journal?.Error?.ErrorCode, "TableBucketNotFound");
  assertEquals(result?.InventoryTableConfigurationResult?.ConfigurationState, "DISABLED");
  // A bucket has one configuration.
  await assertS3Error(
    () =>
      t.s3.send(
        new CreateBucketMetadataConfigurationCommand({
          Bucket,
          MetadataConfiguration: {
            JournalTableConfiguration: { RecordExpiration: { Expiration: "DISABLED" } },
          },
        }),
      ),
    "InvalidRequest",
    400,
  );
  // The V1 API does not read a V2 configuration.
  await assertS3Error(
    () => t.s3.send(new GetBucketMetadataTableConfigurationCommand({ Bucket })),
    "MethodNotAllowed",
    405,
  );
  await t.s3.send(
    new UpdateBucketMetadataJournalTableConfigurationCommand({
      Bucket,
      JournalTableConfiguration: { RecordExpiration: { Expiration: "DISABLED" } },
    }),
  );
  await t.s3.send(
    new UpdateBucketMetadataInventoryTableConfigurationCommand({
      Bucket,
      InventoryTableConfiguration: {
        ConfigurationState: "ENABLED",
        EncryptionConfiguration: { SseAlgorithm: "AES256" },
      },
    }),
  );
  result = (await get()).GetBucketMetadataConfigurationResult?.MetadataConfigurationResult;
  assertEquals(result?.JournalTableConfigurationResult?.RecordExpiration, {
    Expiration: "DISABLED",
  });
  const inventory = result?.InventoryTableConfigurationResult;
  assertEquals([inventory?.ConfigurationState, inventory?.TableStatus, inventory?.TableName], [
    "ENABLED",
    "FAILED",
    "inventory",
  ]);
  // The annotation table, with its role (the SDK's update call is newer than the pinned SDK).
  const role = "arn:aws:iam::111122223333:role/annotations";
  const annotated = await raw(`${t.url}/${B}?metadataAnnotationTable`, {
    method: "PUT",
    body: "<AnnotationTableConfiguration><ConfigurationState>ENABLED</ConfigurationState>" +
      `<Role>${role}</Role></AnnotationTableConfiguration>`,
  });
  assertEquals(annotated.status, 200, annotated.text);
  const annotation = (await get()).GetBucketMetadataConfigurationResult
    ?.MetadataConfigurationResult?.AnnotationTableConfigurationResult;
  assertEquals([annotation?.ConfigurationState, annotation?.Role, annotation?.TableStatus], [
    "ENABLED",
    role,
    "FAILED",
  ]);
  // Kept as a document beside the bucket's other settings.
  const kept = JSON.parse(
    await Deno.readTextFile(`${t.dataDir}/.geckos3/buckets/${B}/metadata.json`),
  );
  assertEquals([kept.version, kept.inventory.state], [2, "ENABLED"]);
  await t.s3.send(new DeleteBucketMetadataConfigurationCommand({ Bucket }));
  await assertS3Error(get, "MetadataConfigurationNotFound", 404);
  await assertS3Error(
    () => t.s3.send(new DeleteBucketMetadataConfigurationCommand({ Bucket })),
    "MetadataConfigurationNotFound",
    404,
  );
});

serverTest("a V1 metadata table configuration is read by both APIs", async (t) => {
  const Bucket = B;
  await t.s3.send(new CreateBucketCommand({ Bucket }));
  await assertS3Error(
    () => t.s3.send(new GetBucketMetadataTableConfigurationCommand({ Bucket })),
    "MetadataConfigurationNotFound",
    404,
  );
  await t.s3.send(
    new CreateBucketMetadataTableConfigurationCommand({
      Bucket,
      MetadataTableConfiguration: {
        S3TablesDestination: { TableBucketArn: TABLE_BUCKET, TableName: "my_journal" },
      },
    }),
  );
  const v1 = (await t.s3.send(new GetBucketMetadataTableConfigurationCommand({ Bucket })))
    .GetBucketMetadataTableConfigurationResult;
  assertEquals(v1?.MetadataTableConfigurationResult?.S3TablesDestinationResult, {
    TableBucketArn: TABLE_BUCKET,
    TableName: "my_journal",
    TableArn: `${TABLE_BUCKET}/table/my_journal`,
    TableNamespace: "aws_s3_metadata",
  });
  assertEquals([v1?.Status, v1?.Error?.ErrorCode], ["FAILED", "TableBucketNotFound"]);
  const v2 = (await t.s3.send(new GetBucketMetadataConfigurationCommand({ Bucket })))
    .GetBucketMetadataConfigurationResult?.MetadataConfigurationResult;
  assertEquals(v2?.DestinationResult?.TableBucketArn, TABLE_BUCKET);
  assertEquals(v2?.JournalTableConfigurationResult?.TableName, "my_journal");
  // A V1 configuration has no record expiration to update.
  await assertS3Error(
    () =>
      t.s3.send(
        new UpdateBucketMetadataJournalTableConfigurationCommand({
          Bucket,
          JournalTableConfiguration: { RecordExpiration: { Expiration: "ENABLED", Days: 9 } },
        }),
      ),
    "MethodNotAllowed",
    405,
  );
  await t.s3.send(new DeleteBucketMetadataTableConfigurationCommand({ Bucket }));
  await assertS3Error(
    () => t.s3.send(new GetBucketMetadataConfigurationCommand({ Bucket })),
    "MetadataConfigurationNotFound",
    404,
  );
});

serverTest("bad metadata documents get S3's errors and leave nothing behind", async (t) => {
  await t.s3.send(new CreateBucketCommand({ Bucket: B }));
  const send = async (method: string, sub: string, body: string) => {
    const r = await raw(`${t.url}/${B}?${sub}`, { method, body });
    return [r.status, errorCode(r.text)];
  };
  const journal = (inner: string) =>
    `<MetadataConfiguration><JournalTableConfiguration>${inner}</JournalTableConfiguration></MetadataConfiguration>`;
  const expiring = (days: string) =>
    journal(`<RecordExpiration><Expiration>ENABLED</Expiration>${days}</RecordExpiration>`);
  const cases: [string, string, string, number, string][] = [
    ["POST", "metadataConfiguration", "", 400, "MalformedXML"],
    ["POST", "metadataConfiguration", "<MetadataConfiguration/>", 400, "MalformedXML"],
    ["POST", "metadataConfiguration", journal(""), 400, "MalformedXML"],
    [
      "POST",
      "metadataConfiguration",
      journal("<RecordExpiration><Expiration>SOMETIMES</Expiration></RecordExpiration>"),
      400,
      "MalformedXML",
    ],
    ["POST", "metadataConfiguration", expiring(""), 400, "InvalidArgument"],
    ["POST", "metadataConfiguration", expiring("<Days>6</Days>"), 400, "InvalidArgument"],
    ["POST", "metadataConfiguration", expiring("<Days>1.5</Days>"), 400, "InvalidArgument"],
    [
      "POST",
      "metadataConfiguration",
      journal(
        "<RecordExpiration><Expiration>DISABLED</Expiration></RecordExpiration>" +
          "<EncryptionConfiguration><SseAlgorithm>aws:kms</SseAlgorithm></EncryptionConfiguration>",
      ),
      400,
      "InvalidArgument",
    ],
    ["POST", "metadataTable", "<MetadataTableConfiguration/>", 400, "MalformedXML"],
    [
      "POST",
      "metadataTable",
      "<MetadataTableConfiguration><S3TablesDestination><TableBucketArn>arn:aws:s3:::nope" +
      "</TableBucketArn><TableName>t</TableName></S3TablesDestination></MetadataTableConfiguration>",
      400,
      "InvalidArgument",
    ],
    [
      "PUT",
      "metadataInventoryTable",
      "<InventoryTableConfiguration><ConfigurationState>ENABLED</ConfigurationState>" +
      "</InventoryTableConfiguration>",
      404,
      "MetadataConfigurationNotFound",
    ],
    [
      "PUT",
      "metadataJournalTable",
      "<JournalTableConfiguration/>",
      400,
      "MalformedXML",
    ],
  ];
  for (const [method, sub, body, status, code] of cases) {
    assertEquals(await send(method, sub, body), [status, code], `${method} ?${sub} ${body}`);
  }
  const r = await raw(`${t.url}/${B}?metadataConfiguration`);
  assertEquals([r.status, errorCode(r.text)], [404, "MetadataConfigurationNotFound"]);
  assertEquals((await raw(`${t.url}/${B}`, { method: "HEAD" })).status, 200);
});
