import type { GlobalOptions } from "../options/common.js";
import { defaultStreams, type RenderOptions, type Renderer, type Streams } from "./renderer.js";

export async function createRenderer(
  opts: GlobalOptions,
  render: RenderOptions = {},
  streams: Streams = defaultStreams(),
): Promise<Renderer> {
  if (opts.json) {
    const { JsonRenderer } = await import("./json.js");
    return new JsonRenderer(streams);
  }
  const { HumanRenderer } = await import("./human.js");
  return HumanRenderer.create(opts, streams, render);
}
