// What a panel renderer gets from its widget view, and what it gives back.
import type { PanelChoices, Request } from "./state";

export interface PanelContext {
  /** which panel of the widget this is (the kernel's index for requests) */
  index: number;
  /** the exact value from the kernel, or null when no kernel answers (saved widget state) */
  exactValue(channel: number, row: number, col: number): Promise<number | null>;
  /** asks the kernel for another page of filters; new panels arrive as a state update */
  requestFilterPage(filterStart: number, channelStart: number): void;
  /**
   * sends a request to the kernel (its answer arrives as a state update), showing `status` until
   * then; false, with the status saying why, when no kernel is connected (saved widget state)
   */
  request(request: Request, status: string): boolean;
  /** aborted when the view goes: every DOM listener is registered with it */
  signal: AbortSignal;
  /** the viewer's earlier choices for this panel (from the widget state, so also after a reload) */
  choices: PanelChoices;
  /** records a choice in the widget state (and so in a saved notebook) */
  choose(patch: PanelChoices): void;
}

export interface PanelHandle {
  element: HTMLElement;
  /** resolves once the first grid is painted */
  ready: Promise<void>;
  dispose(): void;
}

/**
 * `draw` made safe to call often: runs never overlap (a panel redraws into one Plotly host, and a
 * second newPlot there would orphan the first figure's listeners), and a call superseded by a newer
 * one while it waited is skipped, since each run draws the panel's current choices.
 */
export function oneDrawAtATime(draw: () => Promise<void>, live: () => boolean): () => Promise<void> {
  let requested = 0;
  let running: Promise<void> = Promise.resolve();
  return () => {
    const request = ++requested;
    running = running.catch(() => undefined).then(() => (request === requested && live() ? draw() : undefined));
    return running;
  };
}
