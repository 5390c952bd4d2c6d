// npm pack's prepack step: copies what the library loads from outside its folder into the package,
// so an installed convlens needs neither the checkout nor a Python with scikit-image:
//   models/<name>/  the demo networks' weights (from notebooks/models, where train-demo writes them)
//   photos/<python package>/<file>  the photos the demo networks train and sample on
// postpack removes both again (they are not in git: the checkout loads the originals).
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const { TRAINING_PHOTOS, packagedPhotoPath, photoPath } = require(join(pkg, "dist", "demo", "photos.js"));

// the project's licence, which npm ships from a package's own folder
cpSync(join(pkg, "..", "LICENSE"), join(pkg, "LICENSE"));
rmSync(join(pkg, "models"), { recursive: true, force: true });
rmSync(join(pkg, "photos"), { recursive: true, force: true });
for (const name of ["demo-cnn", "shapes-cnn"]) {
  for (const file of ["model.json", "weights.bin"]) {
    mkdirSync(join(pkg, "models", name), { recursive: true });
    cpSync(join(pkg, "..", "notebooks", "models", name, file), join(pkg, "models", name, file));
  }
}
const credits = [
  "# Photos",
  "",
  "Copied from the Python packages that ship them, with their licences as those packages state:",
  "",
];
for (const photo of TRAINING_PHOTOS) {
  const from = photoPath(photo); // the venv's scikit-image / scikit-learn (no packaged copy exists yet)
  const to = packagedPhotoPath(photo);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
  credits.push(`- ${photo.pkg}/${photo.file}: ${photo.subject}; ${photo.licence}; ${photo.credit}`);
}
writeFileSync(join(pkg, "photos", "README.md"), credits.join("\n") + "\n");
