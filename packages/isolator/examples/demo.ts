// `npm start`: the library's examples, one after the other.
await import("./hello.js");
await import("./environment.js");
await import("./objects.js");
await import("./pool.js");
