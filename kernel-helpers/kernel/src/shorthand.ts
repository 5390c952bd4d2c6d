// Works around a tslab 1.0.22 converter bug: it rewrites a name declared in an
// earlier cell to `exports.name`, but leaves a shorthand property `{ name }`
// alone, so `showFeatureMaps(maps, { image })` after `const image = …` in another
// cell throws "ReferenceError: image is not defined". Spelling the shorthand out
// as `{ name: name }` before tslab sees the cell gives its rewrite a plain
// identifier to work on; the meaning is the same in object literals and in
// destructuring assignments.
import * as ts from "@tslab/typescript-for-tslab";

export function expandShorthandProperties(code: string): string {
  const source = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const insertions: { at: number; text: string }[] = [];
  const visit = (node: ts.Node): void => {
    // `{ a = 1 } = obj` has a default initializer and only exists as an assignment target: left as it is.
    if (ts.isShorthandPropertyAssignment(node) && !node.objectAssignmentInitializer) {
      insertions.push({ at: node.name.getEnd(), text: `: ${node.name.text}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let out = code;
  for (const { at, text } of insertions.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + text + out.slice(at);
  return out;
}
