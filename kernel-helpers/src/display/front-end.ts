// The front end a convlens widget opens (the convlens-widgets package: JupyterLab's widget manager
// finds its model and view by npm name and a semver range of its version) and what that front end
// may change in the widget's state.
import { arrayOf, boolean, fraction, integer, nonNegativeInteger, oneOf, record } from "../runtime/checks";
import type { FrontEndKeys, WidgetSpec } from "../runtime/widget";
import { COLOUR_SCALES, SCALE_MODES, SORT_ORDERS, VIEW_MODES, type ViewState } from "./wire";

interface PackageJson {
  name: string;
  version: string;
}

/**
 * The front end's own package.json is the one source of its name and version, as it is for the
 * bundle (widgets/src/version.ts). Resolved like any package: in this workspace npm links
 * convlens-widgets into node_modules; a packed convlens must depend on it to find it.
 */
function frontEndPackage(): PackageJson {
  try {
    return require("convlens-widgets/package.json") as PackageJson;
  } catch (error) {
    throw new Error(
      "convlens: cannot find convlens-widgets/package.json, which names the widget module the kernel opens; " +
        `install the front end next to convlens (npm install convlens-widgets): ${(error as Error).message}`,
    );
  }
}

const frontEnd = frontEndPackage();

/** The front end's npm name; comm_open names it as _model_module and _view_module. */
export const WIDGET_MODULE = frontEnd.name;
/** Any release of the front end's version line that the widget manager has registered will do. */
export const WIDGET_MODULE_VERSION = `^${frontEnd.version}`;

/**
 * What a front end may change: the explorer's layer and mode, and the viewer's choices per panel.
 * The layer need only be an integer: the controller answers an index with no conv layer itself.
 */
export const VIEW_FRONT_END_KEYS = {
  layer_index: integer,
  mode: oneOf(VIEW_MODES),
  choices: arrayOf(
    record({
      maps: record({
        colour_scale: oneOf(COLOUR_SCALES),
        scale_mode: oneOf(SCALE_MODES),
        sort: oneOf(SORT_ORDERS),
        page: record({ layer: integer, page: nonNegativeInteger }, ["layer", "page"]),
        overlay: boolean,
        opacity: fraction,
      }),
      filters: record({ colour_scale: oneOf(COLOUR_SCALES), rgb: boolean }),
      // the attribution panel: the map's colour scale and opacity over the image
      attribution: record({ colour_scale: oneOf(COLOUR_SCALES), opacity: fraction }),
      // the maximized panel's clicked channel: any channel number (the panel ignores one it does not show)
      maximized: record({ channel: nonNegativeInteger }),
    }),
  ),
} satisfies FrontEndKeys<ViewState>;

/** The comm_open of a convlens widget with this state. */
export function viewWidgetSpec(state: ViewState): WidgetSpec<ViewState> {
  return {
    modelName: "ConvLensModel",
    modelModule: WIDGET_MODULE,
    modelModuleVersion: WIDGET_MODULE_VERSION,
    viewName: "ConvLensView",
    viewModule: WIDGET_MODULE,
    viewModuleVersion: WIDGET_MODULE_VERSION,
    state,
    frontEndKeys: VIEW_FRONT_END_KEYS,
  };
}
