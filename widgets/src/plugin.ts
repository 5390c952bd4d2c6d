// JupyterLab 4 plugin: registers the convlens widget module with ipywidgets'
// registry, so comm_open messages naming MODULE_NAME find our models and views.
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION } from "./version";
import * as widgetExports from "./widget";

const plugin = {
  id: `${MODULE_NAME}:plugin`,
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app: unknown, registry: IJupyterWidgetRegistry): void => {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: widgetExports });
  },
};

export default plugin;
