// Copies the notebooks' sample photos from Python packages the set-up installed
// (scikit-image, scikit-learn) into notebooks/images/. Nothing is downloaded.
// Run from scripts/setup.sh after the venv is installed: node --import tsx scripts/sample-images.ts
import { copyFileSync, mkdirSync } from "node:fs";
import { extname, join } from "node:path";
import { convlensRoot, photoPath, SAMPLE_PHOTOS } from "../kernel-helpers/src/demo/photos";

const target = join(convlensRoot(), "notebooks", "images");
mkdirSync(target, { recursive: true });
for (const photo of SAMPLE_PHOTOS) {
  const source = photoPath(photo);
  const dest = join(target, photo.name + extname(source));
  copyFileSync(source, dest);
  console.log(`sample-images: ${dest} ← ${photo.subject} (${photo.licence}, ${photo.credit})`);
}
