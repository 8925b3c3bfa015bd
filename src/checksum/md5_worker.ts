/**
 * The MD5 worker (see md5_offload.ts): keeps one MD5 state per upload and
 * hashes the shared slots it is pointed at, in the order it is told, replying
 * after each.
 */
/// <reference lib="deno.worker" />
import { createHash, type Hash } from "node:crypto";
import type { FromMd5Worker, ToMd5Worker } from "./md5_offload.ts";

const slots: Uint8Array[] = [];
const states = new Map<number, Hash>();

const reply = (msg: FromMd5Worker) => self.postMessage(msg);

self.onmessage = (e: MessageEvent<ToMd5Worker>) => {
  const msg = e.data;
  if (msg.type === "slot") {
    slots[msg.slot] = new Uint8Array(msg.buffer);
  } else if (msg.type === "update") {
    let state = states.get(msg.upload);
    if (!state) states.set(msg.upload, state = createHash("md5"));
    state.update(slots[msg.slot].subarray(0, msg.length));
    reply({ type: "updated", upload: msg.upload, slot: msg.slot });
  } else if (msg.type === "digest") {
    const state = states.get(msg.upload) ?? createHash("md5");
    states.delete(msg.upload);
    reply({ type: "digest", upload: msg.upload, digest: new Uint8Array(state.digest()) });
  } else if (msg.type === "drop") {
    states.delete(msg.upload);
  }
};
