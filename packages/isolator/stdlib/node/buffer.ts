/**
 * node:buffer: the `buffer` package's Buffer, plus the base64url encoding it lacks (Node has had
 * it since 15.7), and Blob, atob and btoa as Node's module exports them.
 */
import * as buffer from "buffer";
import { atob, btoa } from "../base64.js";
import { Blob } from "../blob.js";

const { Buffer } = buffer;
type Encoding = BufferEncoding | undefined;
const proto = Buffer.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const isUrl = (encoding: unknown) => typeof encoding === "string" && encoding.toLowerCase() === "base64url";

// Decoding base64 accepts the URL alphabet already; encoding needs the characters swapped.
const toString = proto.toString!;
proto.toString = function (this: Buffer, encoding?: unknown, start?: unknown, end?: unknown) {
  if (!isUrl(encoding)) return Reflect.apply(toString, this, [encoding, start, end]);
  return (Reflect.apply(toString, this, ["base64", start, end]) as string).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const write = proto.write!;
proto.write = function (this: Buffer, ...args: unknown[]) {
  return Reflect.apply(write, this, args.map((a) => (isUrl(a) ? "base64" : a)));
};
const from = Buffer.from;
Buffer.from = function (value: unknown, encodingOrOffset?: unknown, length?: unknown) {
  return Reflect.apply(from, Buffer, [value, isUrl(encodingOrOffset) ? "base64" : encodingOrOffset, length]);
} as typeof Buffer.from;
const byteLength = Buffer.byteLength;
Buffer.byteLength = ((value: string, encoding?: Encoding) => byteLength(value, isUrl(encoding) ? "base64" : encoding)) as typeof Buffer.byteLength;
const isEncoding = Buffer.isEncoding;
Buffer.isEncoding = (encoding: string): encoding is BufferEncoding => isUrl(encoding) || isEncoding(encoding);

export const nodeBuffer = { ...buffer, Buffer, Blob, atob, btoa };
