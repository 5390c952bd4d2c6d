// Checks of the values a front end sends for a widget's state keys (WidgetSpec.frontEndKeys). A
// front end is another program (or a page anyone can script), so what it sends is looked at as
// unknown JSON: a check accepts a value or says where it is wrong and what was expected there.

/** Where a value is wrong: `path` within the value ("" for the value itself, ".maps[2]" below it). */
export interface Problem {
  path: string;
  expected: string;
  got: string;
}

/** undefined when the value is acceptable. */
export type Check = (value: unknown) => Problem | undefined;

/** Names a front end may never use for a key: assigned into an object, they reach its prototype. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** A short, single-line description of what was sent, for the kernel's log. */
export function brief(value: unknown): string {
  if (ArrayBuffer.isView(value)) return "binary data";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A key as it appears in a path or a log line: as is when it is a plain name, else quoted. */
export function keyName(key: string): string {
  return /^[A-Za-z_$][\w$]{0,59}$/.test(key) ? key : brief(key);
}

function problem(expected: string, value: unknown): Problem {
  return { path: "", expected, got: brief(value) };
}

function below(step: string, inner: Problem | undefined): Problem | undefined {
  return inner && { ...inner, path: step + inner.path };
}

export const integer: Check = (v) => (Number.isInteger(v) ? undefined : problem("an integer", v));

export const nonNegativeInteger: Check = (v) =>
  Number.isInteger(v) && (v as number) >= 0 ? undefined : problem("an integer ≥ 0", v);

export const fraction: Check = (v) =>
  typeof v === "number" && v >= 0 && v <= 1 ? undefined : problem("a number from 0 to 1", v);

export const boolean: Check = (v) => (typeof v === "boolean" ? undefined : problem("true or false", v));

export function oneOf(values: readonly string[]): Check {
  const expected = `one of ${values.map((s) => `"${s}"`).join(", ")}`;
  return (v) => (typeof v === "string" && values.includes(v) ? undefined : problem(expected, v));
}

export function arrayOf(item: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return problem("a list", v);
    for (let i = 0; i < v.length; i++) {
      const inner = below(`[${i}]`, item(v[i]));
      if (inner) return inner;
    }
    return undefined;
  };
}

/**
 * A JSON object with only these keys, each optional (an unset key keeps its default) unless it is
 * `required`. Lookups go through Object.hasOwn: a sent "constructor" must not find
 * Object.prototype.constructor.
 */
export function record(fields: Readonly<Record<string, Check>>, required: readonly string[] = []): Check {
  const known = Object.keys(fields).join(", ");
  return (v) => {
    const proto: unknown = v !== null && typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
    // JSON objects only: not a list, and not binary data (a DataView has no keys of its own either)
    if (Array.isArray(v) || (proto !== Object.prototype && proto !== null)) {
      return problem(`an object with keys among ${known}`, v);
    }
    const object = v as Record<string, unknown>;
    if (!required.every((key) => Object.hasOwn(object, key))) {
      return problem(`an object with ${required.join(" and ")}`, v);
    }
    for (const [key, value] of Object.entries(object)) {
      const step = `.${keyName(key)}`;
      if (!Object.hasOwn(fields, key)) {
        return { path: step, expected: `absent (the keys are ${known})`, got: brief(value) };
      }
      const inner = below(step, fields[key](value));
      if (inner) return inner;
    }
    return undefined;
  };
}
