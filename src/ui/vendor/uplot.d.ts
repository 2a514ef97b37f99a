// uPlot's ES module, copied beside the UI as ui/vendor/uplot.js by scripts/copy-ui.mjs (its
// stylesheet as ui/vendor/uplot.css); its types come from the package.
import uPlot from 'uplot';
export default uPlot;
