/**
 * Imported first by index.ts: stubs Math.random while the library's modules are built, in the
 * template. The template must not advance the engine's own Math.random state (the host finds it by
 * its clock seed and reseeds it in every copy); the libraries only use it for unique property-name
 * suffixes (core-js). index.ts restores it once everything is built.
 */
const random = Math.random;
let n = 0;
Math.random = () => (n = (n + 0.6180339887) % 1);

export function restoreRandom(): void {
  Math.random = random;
}
