// Module name and version that the kernel's comm_open messages must name
// (_model_module / _model_module_version), read from package.json at bundle time.
// require, not import: package.json sits outside rootDir, and webpack inlines it.
declare function require(path: "../package.json"): { name: string; version: string };
const pkg = require("../package.json");

export const MODULE_NAME: string = pkg.name;
export const MODULE_VERSION: string = pkg.version;
