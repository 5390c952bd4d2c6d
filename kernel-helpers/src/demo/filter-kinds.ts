// What a first-layer filter looks for, measured rather than eyeballed: a flat colour patch,
// an oriented edge (light to dark along one direction), a colour-opponent edge (one colour
// to another along one direction), or none of these. The same rules judge trained and random
// filters; random ones must come out as "other", or the measure would say nothing.
import type * as tf from "@tensorflow/tfjs-node";

export type FilterKind = "flat" | "edge" | "colour-edge" | "other";

/** The thresholds, as notebooks/models/README.md states them. */
export const FILTER_KIND_RULES = {
  /** below this share of its energy in spatial structure, a filter is a flat colour patch */
  flatBelow: 0.5,
  /** from this share of its spatial structure explained by one oriented template, it is an edge */
  orientedFrom: 0.7,
  /** from this share of the edge's energy in the channels of the weaker sign, it is colour-opponent */
  opponentFrom: 0.2,
  /** orientations tried, evenly over 180° (each template's sign is free, so 180° covers all) */
  angles: 16,
} as const;

export interface FilterKindReport {
  kind: FilterKind;
  /** energy left after removing each input channel's spatial mean, over the filter's energy */
  structure: number;
  /** share of that structure explained by the best oriented template (one per channel, one shared pattern) */
  oriented: number;
  /** the best template's orientation in degrees (0: a vertical edge, intensity changing along x) */
  angle: number;
  /** the best template: "ramp" (a linear gradient) or "step" (a sharp edge) */
  profile: "ramp" | "step";
  /** each input channel's signed amplitude along the best template */
  amplitudes: number[];
  /** energy of the channels whose amplitude has the weaker sign, over all channels' (0: none opposes) */
  opponent: number;
  /** the filter's energy (sum of squared weights) */
  energy: number;
}

interface Template {
  angle: number;
  profile: "ramp" | "step";
  /** k×k values, zero mean, unit norm, row-major (y, x) */
  values: Float64Array;
}

/** Zero-mean, unit-norm ramps and steps on a k×k grid, `angles` orientations over 180°. */
function orientedTemplates(k: number, angles: number): Template[] {
  const templates: Template[] = [];
  const centre = (k - 1) / 2;
  for (let a = 0; a < angles; a++) {
    const angle = (180 * a) / angles;
    const [cos, sin] = [Math.cos((angle * Math.PI) / 180), Math.sin((angle * Math.PI) / 180)];
    for (const profile of ["ramp", "step"] as const) {
      const values = new Float64Array(k * k);
      for (let y = 0; y < k; y++) {
        for (let x = 0; x < k; x++) {
          const t = (x - centre) * cos + (y - centre) * sin;
          values[y * k + x] = profile === "ramp" ? t : Math.abs(t) < 1e-9 ? 0 : Math.sign(t);
        }
      }
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      values.forEach((v, i) => (values[i] = v - mean));
      const norm = Math.hypot(...values);
      if (norm < 1e-9) continue;
      values.forEach((v, i) => (values[i] = v / norm));
      templates.push({ angle, profile, values });
    }
  }
  return templates;
}

/**
 * Classifies every filter of a conv kernel [k, k, channels, filters] (Keras's layout):
 * - `flat`: `structure` < 0.5 — most of its energy is one weight per channel, a colour patch;
 * - `edge`: not flat, and one oriented ramp or step template (the same spatial pattern in every
 *   channel, each channel with its own signed amplitude) explains ≥ 70 % of its structure, with
 *   the channels of the weaker sign carrying < 20 % of that edge's energy (light/dark edge);
 * - `colour-edge`: the same, with ≥ 20 % in channels of the opposite sign (e.g. red ↔ green);
 * - `other`: the rest (spots, lines, corners, noise).
 */
export function classifyFilters(kernel: tf.Tensor): FilterKindReport[] {
  if (kernel.rank !== 4 || kernel.shape[0] !== kernel.shape[1]) {
    throw new Error(`convlens: classifyFilters expects a square conv kernel [k, k, channels, filters], not [${kernel.shape.join(", ")}]`);
  }
  const [k, , channels, filters] = kernel.shape;
  const w = kernel.dataSync();
  const at = (y: number, x: number, c: number, f: number) => w[((y * k + x) * channels + c) * filters + f];
  const templates = orientedTemplates(k, FILTER_KIND_RULES.angles);
  const reports: FilterKindReport[] = [];
  for (let f = 0; f < filters; f++) {
    // per channel: the spatial pattern with its mean removed
    const structures: Float64Array[] = [];
    let energy = 0;
    let structureEnergy = 0;
    for (let c = 0; c < channels; c++) {
      const s = new Float64Array(k * k);
      for (let i = 0; i < k * k; i++) s[i] = at(Math.floor(i / k), i % k, c, f);
      const mean = s.reduce((sum, v) => sum + v, 0) / s.length;
      s.forEach((v, i) => {
        energy += v * v;
        s[i] = v - mean;
        structureEnergy += s[i] * s[i];
      });
      structures.push(s);
    }
    let best = { explained: -1, template: templates[0], amplitudes: [] as number[] };
    for (const template of templates) {
      const amplitudes = structures.map((s) => s.reduce((sum, v, i) => sum + v * template.values[i], 0));
      const explained = amplitudes.reduce((sum, a) => sum + a * a, 0);
      if (explained > best.explained) best = { explained, template, amplitudes };
    }
    const positive = best.amplitudes.reduce((sum, a) => sum + (a > 0 ? a * a : 0), 0);
    const negative = best.explained - positive;
    const structure = energy > 0 ? structureEnergy / energy : 0;
    const oriented = structureEnergy > 0 ? best.explained / structureEnergy : 0;
    const opponent = best.explained > 0 ? Math.min(positive, negative) / best.explained : 0;
    const rules = FILTER_KIND_RULES;
    const kind: FilterKind =
      structure < rules.flatBelow ? "flat" : oriented < rules.orientedFrom ? "other" : opponent < rules.opponentFrom ? "edge" : "colour-edge";
    reports.push({ kind, structure, oriented, angle: best.template.angle, profile: best.template.profile, amplitudes: best.amplitudes, opponent, energy });
  }
  return reports;
}

/** How many filters of each kind. */
export function countFilterKinds(reports: readonly FilterKindReport[]): Record<FilterKind, number> {
  const counts: Record<FilterKind, number> = { flat: 0, edge: 0, "colour-edge": 0, other: 0 };
  for (const r of reports) counts[r.kind]++;
  return counts;
}

/**
 * The first-layer target: at least a third of the filters are edges (light/dark or colour-opponent)
 * and at most a quarter are flat colour patches.
 */
export function showsEdges(reports: readonly FilterKindReport[]): boolean {
  const counts = countFilterKinds(reports);
  return counts.edge + counts["colour-edge"] >= reports.length / 3 && counts.flat <= reports.length / 4;
}
