// Plain objects keyed by user input without prototype surprises: `toString`, `constructor` or
// `__proto__` are ordinary keys here, never inherited members or a prototype switch.

/** The object's own value at `key`; inherited members (`toString`, `__proto__`…) are not found. */
export function ownValue<V>(obj: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own, enumerable property even for `__proto__` (a plain assignment would switch the prototype). */
export function setOwn<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
