// dagre's self-contained ES module (graphlib inside), copied beside the UI as ui/vendor/dagre.js
// by scripts/copy-ui.mjs; its types come from the package.
export { Graph, layout } from '@dagrejs/dagre';
