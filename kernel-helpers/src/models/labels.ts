// Class names for a classifier's outputs, from a labels JSON file.
import { readFileSync } from "node:fs";
import { ConvlensError } from "../errors";

/**
 * Class names from a labels JSON file: a list of names in output order, or an object from class
 * index to a name or to [id, name] (the layout of Keras's imagenet_class_index.json).
 */
export function readLabels(path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new ConvlensError(`cannot read labels from ${path}: ${error instanceof Error ? error.message : String(error)}; it must be a JSON list of class names`);
  }
  const fail = (): never => {
    throw new ConvlensError(`${path} holds no class names: give a JSON list of strings in output order, or an object {"0": "name", …}`);
  };
  if (Array.isArray(parsed)) return parsed.every((v) => typeof v === "string") ? parsed : fail();
  if (parsed === null || typeof parsed !== "object") return fail();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const names: string[] = [];
  for (const [key, value] of entries) {
    const index = Number(key);
    const name = typeof value === "string" ? value : Array.isArray(value) && typeof value[1] === "string" ? value[1] : undefined;
    if (!Number.isInteger(index) || index < 0 || index >= entries.length || name === undefined) fail();
    names[index] = name as string;
  }
  return names;
}

