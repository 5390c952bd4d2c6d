// Photos that Python packages of the set-up ship inside their wheels (nothing is
// downloaded): the demo CNN's training data and the notebooks' sample images.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export type PhotoPackage = "skimage" | "sklearn";

export interface PackagePhoto {
  /** short name: the class label in the demo CNN, the file stem in notebooks/images */
  name: string;
  /** importable Python package that ships the file */
  pkg: PhotoPackage;
  /** path inside that package */
  file: string;
  /** what it shows */
  subject: string;
  licence: string;
  credit: string;
}

/** pip distribution behind each import name, for error messages. */
const DISTRIBUTION: Record<PhotoPackage, string> = {
  skimage: "scikit-image",
  sklearn: "scikit-learn",
};

/** The demo CNN's classes, in output order. Licences as stated by each package. */
export const TRAINING_PHOTOS: readonly PackagePhoto[] = [
  { name: "astronaut", pkg: "skimage", file: "data/astronaut.png", subject: "astronaut Eileen Collins", licence: "public domain", credit: "NASA" },
  { name: "cat", pkg: "skimage", file: "data/chelsea.png", subject: "Chelsea the cat", licence: "CC0", credit: "Stefan van der Walt" },
  { name: "coffee", pkg: "skimage", file: "data/coffee.png", subject: "a cup of coffee", licence: "CC0", credit: "Rachel Michetti" },
  { name: "galaxies", pkg: "skimage", file: "data/hubble_deep_field.jpg", subject: "Hubble eXtreme Deep Field", licence: "public domain", credit: "NASA" },
  { name: "tissue", pkg: "skimage", file: "data/ihc.png", subject: "immunohistochemical stain of colon tissue", licence: "no known copyright restrictions", credit: "Center for Microscopy And Molecular Imaging (CMMI), via scikit-image" },
  { name: "retina", pkg: "skimage", file: "data/retina.jpg", subject: "human retina", licence: "CC0", credit: "Mikael Häggström (Wikimedia Commons), via scikit-image" },
  { name: "rocket", pkg: "skimage", file: "data/rocket.jpg", subject: "Falcon 9 launch", licence: "public domain", credit: "SpaceX" },
  { name: "palace", pkg: "sklearn", file: "datasets/images/china.jpg", subject: "Summer Palace, Beijing", licence: "CC BY 2.0", credit: "danielbuechele (Flickr), via scikit-learn" },
  { name: "flower", pkg: "sklearn", file: "datasets/images/flower.jpg", subject: "flower", licence: "CC BY 2.0", credit: "vultilion (Flickr), via scikit-learn" },
  { name: "brick", pkg: "skimage", file: "data/brick.png", subject: "brick wall texture (grey)", licence: "CC0", credit: "CC0Textures, via scikit-image" },
  { name: "grass", pkg: "skimage", file: "data/grass.png", subject: "grass texture (grey)", licence: "CC0", credit: "linolafett (DeviantArt), via scikit-image" },
  { name: "gravel", pkg: "skimage", file: "data/gravel.png", subject: "gravel texture (grey)", licence: "CC0", credit: "CC0Textures, via scikit-image" },
];

/** Photos copied into notebooks/images/ by scripts/sample-images.ts. */
export const SAMPLE_PHOTOS: readonly PackagePhoto[] = TRAINING_PHOTOS.filter((p) =>
  ["cat", "coffee", "astronaut", "rocket", "flower", "palace"].includes(p.name),
);

/** The repository root: CONVLENS_ROOT, else three levels above this file (src/demo or dist/demo). */
export function convlensRoot(): string {
  return process.env.CONVLENS_ROOT ?? resolve(__dirname, "..", "..", "..");
}

/** The convlens npm package's own folder: kernel-helpers/ in the checkout, node_modules/convlens once installed. */
export function packageRoot(): string {
  return resolve(__dirname, "..", "..");
}

const packageDirs = new Map<PhotoPackage, string>();

/**
 * The package's folder in the site-packages of the venv `python` belongs to, found on disk without
 * starting Python (~75 ms of a notebook's first `shapeSamples()`, in every kernel): what Python's
 * import finds there, a regular package (its __init__.py) in lib/python3.X/site-packages. Undefined
 * when that is not clear (no such folder, or more than one python3.X in the venv's lib): ask Python.
 */
export function venvPackageDir(pkg: PhotoPackage, python: string): string | undefined {
  const lib = join(dirname(dirname(python)), "lib");
  let versions: string[];
  try {
    versions = readdirSync(lib).filter((name) => /^python3\.\d+$/.test(name));
  } catch {
    return undefined;
  }
  if (versions.length !== 1) return undefined;
  const dir = join(lib, versions[0], "site-packages", pkg);
  return existsSync(join(dir, "__init__.py")) ? dir : undefined;
}

/** Folder of an installed Python package in the project's venv (found without importing it). */
export function pythonPackageDir(pkg: PhotoPackage, python = join(convlensRoot(), ".venv", "bin", "python")): string {
  const known = packageDirs.get(pkg);
  if (known) return known;
  const hint = `install it with: .venv/bin/pip install -r requirements.txt (or run scripts/setup.sh)`;
  if (!existsSync(python)) throw new Error(`convlens: no Python venv at ${python}; ${hint}`);
  const code = `import importlib.util as u, sys; s = u.find_spec(sys.argv[1]); print(s.submodule_search_locations[0] if s else "")`;
  const dir = venvPackageDir(pkg, python) ?? execFileSync(python, ["-c", code, pkg], { encoding: "utf8" }).trim();
  if (!dir) throw new Error(`convlens: Python package ${DISTRIBUTION[pkg]} is not installed in ${python}; ${hint}`);
  packageDirs.set(pkg, dir);
  return dir;
}

/** Where an installed convlens package carries a photo (npm pack copies them: no Python needed). */
export function packagedPhotoPath(photo: PackagePhoto): string {
  return join(packageRoot(), "photos", photo.pkg, photo.file);
}

export function photoPath(photo: PackagePhoto): string {
  const packaged = packagedPhotoPath(photo);
  if (existsSync(packaged)) return packaged;
  const path = join(pythonPackageDir(photo.pkg), photo.file);
  if (!existsSync(path)) {
    throw new Error(`convlens: ${DISTRIBUTION[photo.pkg]} has no ${photo.file}; install the version pinned in requirements.txt`);
  }
  return path;
}
