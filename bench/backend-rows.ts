// Row 6, backends: the compute row's work (featureMaps, 13 VGG16 conv layers) on tfjs-node
// (libtensorflow), tfjs-backend-wasm and the pure-JS cpu backend, each in its own process.
// tfjs cpu is far too slow for 224 px, so all three also run at a small size. On tfjs-node
// featureMaps runs its TensorFlow graph; on wasm and cpu, the LayersModel: what a user gets on each.
import { runNodeJson } from "./child";
import { row, type Row } from "./report";

interface BackendResult {
  backend: string;
  size: number;
  runs_ms: number[];
}

export const SMALL_SIZE = 32;

export async function backendRows(root: string, runs: number): Promise<Row[]> {
  const time = (backend: string, size: number, n = runs, warmup = 2) => runNodeJson<BackendResult>(root, "backend-worker.ts", [backend, String(size), String(n), String(warmup)]);
  const node224 = await time("tensorflow", 224);
  const wasm224 = await time("wasm", 224);
  const nodeSmall = await time("tensorflow", SMALL_SIZE);
  const wasmSmall = await time("wasm", SMALL_SIZE);
  const cpuSmall = await time("cpu", SMALL_SIZE);
  const vsNode = (r: BackendResult) => ({ name: "tfjs-node", samples: (r.size === 224 ? node224 : nodeSmall).runs_ms });
  return [
    row({ measurement: "backend tfjs-node, 13 conv layers, 224 px", unit: "ms", samples: node224.runs_ms }),
    row({ measurement: "backend tfjs wasm, 13 conv layers, 224 px", unit: "ms", samples: wasm224.runs_ms, baseline: vsNode(wasm224) }),
    row({ measurement: `backend tfjs-node, 13 conv layers, ${SMALL_SIZE} px`, unit: "ms", samples: nodeSmall.runs_ms }),
    row({ measurement: `backend tfjs wasm, 13 conv layers, ${SMALL_SIZE} px`, unit: "ms", samples: wasmSmall.runs_ms, baseline: vsNode(wasmSmall) }),
    row({ measurement: `backend tfjs cpu, 13 conv layers, ${SMALL_SIZE} px`, unit: "ms", samples: cpuSmall.runs_ms, baseline: vsNode(cpuSmall) }),
  ];
}
